"""A run's live training curve: every logged step of the chosen loss terms (GET /runs/{id}/log), with the
validation passes overlaid, extended while the run trains (``extension``: only the new points travel, to Plotly's
extendData). Pure: log pages in, figures, extensions and components out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from ..api_client import TrainLog
from .figures import GRAPH_CONFIG, base_layout

LIVE_MS = 2000  # how often the curve of a run that still trains asks for its new steps
PAGE = 10_000  # logged steps per request (the API's most): a finished run's log arrives in as few polls as can be
TERM_NAMES = {"loss": "loss", "recon": "reconstruction", "kl": "KL", "tc": "total correlation", "mi": "index-code MI",
              "dim_kl": "dimension-wise KL"}
DEFAULT_TERMS = ["loss"]
EVALUATIONS = "validation loss (evaluations)"
POLITE: dict[str, Any] = {"aria-live": "polite"}  # screen readers hear the note as it grows (Dash's **kwargs)


class Cursor(TypedDict):
    """What the page keeps between polls: the run, the last step drawn (the next ``after``), the last evaluation
    drawn, the terms drawn (in trace order, then the evaluations' trace), the terms the log has shown so far, the
    points drawn, whether the figure is drawn and whether the log has ended."""

    run_id: str
    after: int
    evaluated: int
    shown: list[str]
    terms: list[str]
    points: int
    drawn: bool
    done: bool


def new_cursor(run_id: str, shown: Sequence[str] = ()) -> Cursor:
    return {"run_id": run_id, "after": 0, "evaluated": 0, "shown": list(shown), "terms": [], "points": 0,
            "drawn": False, "done": False}


def term_label(name: str) -> str:
    return TERM_NAMES.get(name, name)


def term_points(log: TrainLog, name: str) -> tuple[list[int], list[float]]:
    """(steps, values) of one logged term, skipping the steps that lack it."""
    pairs = [(s, v) for s, v in zip(log.step, log.terms.get(name, []), strict=False) if v is not None]
    return [s for s, _ in pairs], [v for _, v in pairs]


def evaluation_points(log: TrainLog, evaluated: int) -> tuple[list[int], list[float]]:
    """(step, validation loss) of each validation pass after step ``evaluated`` that the page's lines reveal: a line
    carries the latest pass, made at the last multiple of eval_every (or at the run's last step)."""
    every, total = log.eval_every or 1, log.total_steps
    steps: list[int] = []
    values: list[float] = []
    for step, value in zip(log.step, log.val_loss, strict=True):
        at = step if step == total else step - step % every
        if value is not None and at > max(evaluated, steps[-1] if steps else 0):
            steps.append(at)
            values.append(value)
    return steps, values


def live_figure(log: TrainLog, shown: Sequence[str]) -> go.Figure:
    """One line per term in ``shown`` over every logged step, then the validation passes as markers."""
    fig = go.Figure()
    for name in shown:
        x, y = term_points(log, name)
        fig.add_scatter(x=x, y=y, name=term_label(name), mode="lines")
    x, y = evaluation_points(log, 0)
    fig.add_scatter(x=x, y=y, name=EVALUATIONS, mode="markers", marker={"size": 8, "symbol": "diamond"})
    total = f" of {log.total_steps:,}" if log.total_steps else ""
    fig.update_layout(xaxis={"title": f"step{total}"}, yaxis={"title": "nats per item"}, uirevision=log.run_id)
    return base_layout(fig, "Training curve: every logged step", height=320)


def extension(log: TrainLog, cursor: Cursor) -> list[Any] | None:
    """Plotly extendData for the page's new lines: ``[{x, y}, trace indices]`` over the cursor's traces (terms,
    then evaluations); None when nothing is new."""
    if not log.step:
        return None
    columns = [term_points(log, name) for name in cursor["shown"]] + [evaluation_points(log, cursor["evaluated"])]
    return [{"x": [c[0] for c in columns], "y": [c[1] for c in columns]}, list(range(len(columns)))]


def advance(cursor: Cursor, log: TrainLog) -> Cursor:
    """The cursor after drawing ``log``: past its last step and its last evaluation, with the terms it names; done
    once the log has ended and nothing more is waiting."""
    evaluated = evaluation_points(log, cursor["evaluated"])[0]
    return {**cursor, "after": log.last_step or cursor["after"],
            "evaluated": evaluated[-1] if evaluated else cursor["evaluated"],
            "terms": list(dict.fromkeys([*cursor["terms"], *log.terms])), "points": cursor["points"] + len(log.step),
            "drawn": True, "done": log.done and not log.more}


def term_options(terms: Sequence[str]) -> list[dict[str, str]]:
    return [{"label": term_label(name), "value": name} for name in terms or DEFAULT_TERMS]


def progress_note(cursor: Cursor, log: TrainLog) -> str:
    """'120 logged steps, to step 1,200 of 2,000 · training' — what the curve holds so far."""
    total = f" of {log.total_steps:,}" if log.total_steps else ""
    upto = f", to step {cursor['after']:,}{total}" if cursor["points"] else " yet"
    return f"{cursor['points']:,} logged step{'s' if cursor['points'] != 1 else ''}{upto} · {log.status}"


def live_id(part: str, key: Any) -> dict[str, Any]:
    """The id of the curve card's ``part`` ("curve", "terms", "poll", "cursor" or "note") in the card ``key`` (its run
    and when it was made; MATCH in a callback): a poll answered after its card was replaced writes into nothing."""
    return {"type": f"runs-live-{part}", "key": key}


def create_live_curve(run_id: str, key: str) -> dbc.Card:
    """The curve's card for ``run_id`` (its components' ids carry ``key``): the terms to draw (a group named by its
    label), the graph, and the poll that feeds it (its callback also runs as the card appears: the log loads at
    once)."""
    terms = dbc.Checklist(id=live_id("terms", key), options=term_options(DEFAULT_TERMS), value=DEFAULT_TERMS,
                          inline=True, className="small")
    group: dict[str, Any] = {"role": "group", "aria-labelledby": "runs-live-terms-label"}
    return dbc.Card([
        dbc.CardHeader([html.Span(f"Training curve of {run_id} · terms shown:", className="small me-2",
                                  id="runs-live-terms-label"), html.Div(terms, **group)],
                       className="d-flex flex-wrap align-items-center"),
        dbc.CardBody([
            dcc.Graph(id=live_id("curve", key), config=GRAPH_CONFIG, figure=go.Figure(), className="fs-live-curve"),
            html.Div(id=live_id("note", key), className="small text-muted fs-live-note", **POLITE),
            dcc.Interval(id=live_id("poll", key), interval=LIVE_MS, n_intervals=0),
            dcc.Store(id=live_id("cursor", key), data=dict(new_cursor(run_id, DEFAULT_TERMS))),
        ]),
    ], className="mb-3", id="runs-live-card")
