"""Runs side by side: their training curves overlaid, and one table of family, config, training settings and
metrics with the rows that differ first. Pure: runs in, figures and components out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import html

from ..api_client import Run, TrainLog
from .figures import HISTORY_SERIES, base_layout, empty_figure
from .live_curve import term_points
from .tables import key_metrics, number, scroll_region

SUMMARY_KEYS = ("family", "dataset", "version", "status")
LOGGED = {"train_loss": "loss", "train_recon": "recon", "train_kl": "kl"}  # series -> its term in train_log.jsonl


def run_label(run: Run) -> str:
    """"demo-vae-digits @ 3f2c9a1b": the run and the (first 8 characters of the) version shown."""
    return f"{run.run_id} @ {(run.version or '—')[:8]}"


def series_points(run: Run, series: str, log: TrainLog | None) -> tuple[list[int], list[float]]:
    """(steps, values) of ``series``: every logged step from the run's training ``log`` when it logs the series'
    term, else the validation passes' records in its history."""
    term = LOGGED.get(series)
    if log is not None and term in log.terms:
        return term_points(log, term)
    rows = [(r["step"], r[series]) for r in run.history or [] if "step" in r and r.get(series) is not None]
    return [step for step, _ in rows], [value for _, value in rows]


def compare_figure(runs: Sequence[Run], series: str, logs: Mapping[str, TrainLog] | None = None) -> go.Figure:
    """One line per run: ``series`` (a training history key, e.g. "val_loss") against the step; a training term at
    every logged step for the runs in ``logs`` (run id -> its whole training log)."""
    fig = go.Figure()
    for run in runs:
        log = (logs or {}).get(run.run_id)
        x, y = series_points(run, series, log)
        if x:
            fig.add_scatter(x=x, y=y, name=run_label(run), mode="lines" if log and LOGGED.get(series) in log.terms
                            else "lines+markers")
    name = HISTORY_SERIES.get(series, series)
    if not fig.data:
        return empty_figure(f"no run has a recorded {name}")
    fig.update_layout(xaxis={"title": "step"}, yaxis={"title": f"{name} (nats per item)"})
    return base_layout(fig, f"{name[:1].upper()}{name[1:]} during training", height=340)


def text(value: Any) -> str:
    """A cell's text: numbers as ``number`` writes them, lists and the rest as written, missing as a dash."""
    if value is None:
        return "—"
    return number(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def compare_rows(runs: Sequence[Run]) -> list[tuple[str, list[str]]]:
    """(row name, one cell per run): summary, ``config.*``, ``train.*`` and the key and disentanglement metrics;
    the rows whose cells differ come first, each part in its own order."""
    rows = [(key, [text(getattr(run, key)) for run in runs]) for key in SUMMARY_KEYS]
    for part in ("config", "train"):
        keys = list(dict.fromkeys(k for run in runs for k in getattr(run, part)))
        rows += [(f"{part}.{k}", [text(getattr(run, part).get(k)) for run in runs]) for k in keys]
    metrics = [key_metrics(run.metrics) for run in runs]
    names = list(dict.fromkeys(k for found in metrics for k in found))
    rows += [(name, [text(found.get(name)) for found in metrics]) for name in names]
    reports = [run.metrics.report.metrics if run.metrics else {} for run in runs]
    for name in sorted({n for report in reports for n in report} - {"mig_dlib"}):
        rows.append((name, [text(report[name].value) if name in report else "—" for report in reports]))
    return sorted(rows, key=lambda row: len(set(row[1])) == 1)  # stable: differing rows first


def create_compare_table(runs: Sequence[Run]) -> html.Div:
    """The runs as columns; a row whose cells differ says so in its first cell (not by colour alone)."""
    head = html.Thead(html.Tr([html.Th("")] + [html.Th(run_label(run), scope="col") for run in runs]))
    body = []
    for name, cells in compare_rows(runs):
        differs = len(set(cells)) > 1
        label = [html.Span(name), html.Span(" · differs", className="text-danger small")] if differs else name
        code = name.startswith(("config.", "train."))
        body.append(html.Tr([html.Th(label, scope="row", className="fw-normal"),
                             *[html.Td(html.Code(cell) if code else cell) for cell in cells]],
                            className="fs-differs" if differs else ""))
    table = dbc.Table([head, html.Tbody(body)], size="sm", hover=True, id="compare-table", className="fs-metrics")
    return scroll_region(table, "runs compared")
