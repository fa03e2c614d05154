"""Tables: the runs list, a run's config, its metrics report. ``key_metrics`` and ``metric_rows`` are pure."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from ..api_client import Job, Measured, MetricResult, MetricsFile, RunSummary, TopGroups
from ..state import EmbeddingState, ExploreState, FactorsState, GroupsState
from .queue import queue_text, shown_status

KEY_METRICS = ("val loss (nats)", "IW-ELBO (nats)", "MIG (dlib)", "MI total (nats, Gaussian)")



def scroll_region(table: dbc.Table, label: str) -> html.Div:
    """``table`` in a region that scrolls sideways when it is wider than the screen, which a keyboard reaches and a
    screen reader names (axe: scrollable-region-focusable; Bootstrap's ``responsive`` wrapper is neither)."""
    named: dict[str, Any] = {"aria-label": label}  # Dash takes hyphenated attributes through **kwargs
    return html.Div(table, tabIndex=0, role="region", className="table-responsive", **named)

def number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—" if value is None else str(value)
    return f"{value:.4g}"


def key_metrics(metrics: MetricsFile | None) -> dict[str, float]:
    """The few numbers worth a column, from metrics.json (what is missing is left out)."""
    metrics = metrics or MetricsFile()
    report, mig = metrics.report, metrics.report.metrics.get("mig_dlib")
    found = {
        KEY_METRICS[0]: metrics.training.val_loss,
        KEY_METRICS[1]: report.log_likelihood.iw_elbo,
        KEY_METRICS[2]: mig.value if mig else None,
        KEY_METRICS[3]: report.factors.total_mi_gaussian,
    }
    return {k: v for k, v in found.items() if v is not None}


def metric_rows(metrics: MetricsFile | None) -> list[dict[str, str]]:
    """Each disentanglement metric of the report: name, variant, headline value, the other scores."""
    rows = []
    for name, result in sorted((metrics or MetricsFile()).report.metrics.items()):
        scores = {k: v for k, v in result.scores.items() if k != result.variant}
        rows.append({"metric": name, "variant": result.variant, "value": number(result.value),
                     "scores": ", ".join(f"{k} {number(v)}" for k, v in scores.items()), "sample": sample(result)})
    return rows


def sample(result: MetricResult) -> str:
    """What a metric was computed on (its estimates move with it): "10,000 points", "10,000 points (1,797
    distinct)" for draws with replacement from fewer items, "600 votes"."""
    batch = f" of {result.batch}" if result.batch is not None else ""
    for size, unit in ((result.n_points, "points"), (result.n_items, "items"), (result.n_votes, f"votes{batch}")):
        if size is not None:
            distinct = result.n_distinct
            repeats = f" ({distinct:,} distinct)" if distinct is not None and distinct < size else ""
            return f"{size:,} {unit}{repeats}"
    return "—"


TRAINING_NUMBERS = ("best_val_loss", "steps", "val_loss")  # in the order metrics.json stores them


def summary_rows(metrics: MetricsFile | None) -> list[tuple[str, str]]:
    """Training and evaluation numbers that are not disentanglement metrics."""
    metrics = metrics or MetricsFile()
    training, report = metrics.training, metrics.report
    rows = [(f"training: {k.replace('_', ' ')}", number(getattr(training, k))) for k in TRAINING_NUMBERS
            if getattr(training, k) is not None]  # unset ones (None) are left out
    rows += [(f"training: final {k}", number(v)) for k, v in training.train_terms.items()]
    ll = report.log_likelihood
    if ll.iw_elbo is not None:
        name = "test log-likelihood" if ll.held_out else "log-likelihood"
        rows.append((f"{name} (IW-ELBO, {count(ll.samples)} samples, {items_label(ll)})", number(ll.iw_elbo)))
    recon = report.reconstruction
    rows += [(f"reconstruction: {k} ({items_label(recon)})", number(v)) for k, v in (("mse", recon.mse),
                                                                                      ("nll", recon.nll))
             if v is not None]
    return rows


def items_label(part: Measured) -> str:
    """Which items a report's number was measured on (reports before 2026-11-30 drew from every item)."""
    return f"{count(part.n_items)} {'held-out items' if part.held_out else 'items, training ones included'}"


def count(value: int | None) -> str:
    return "?" if value is None else str(value)


def create_metrics_table(metrics: MetricsFile | None) -> html.Div:
    rows = metric_rows(metrics)
    parts: list[Any] = []
    if rows:
        head = html.Thead(html.Tr([html.Th(h) for h in ("Metric", "Variant", "Value", "On", "Other scores")]))
        body = html.Tbody([html.Tr([html.Td(r["metric"]), html.Td(html.Code(r["variant"])), html.Td(r["value"]),
                                    html.Td(r["sample"], className="small"),
                                    html.Td(r["scores"], className="small text-muted")]) for r in rows])
        parts.append(scroll_region(dbc.Table([head, body], size="sm", hover=True, id="metrics-table",
                                             className="fs-metrics"), "disentanglement metrics"))
    else:
        parts.append(html.P("No disentanglement metrics yet: the run has not been evaluated, or its dataset has "
                            "no ground-truth factors.", className="text-muted small"))
    summary = summary_rows(metrics)
    if summary:
        parts.append(dbc.Table(html.Tbody([html.Tr([html.Th(k, className="fw-normal"), html.Td(v)])
                                           for k, v in summary]), size="sm", className="fs-summary"))
    return html.Div(parts)


def create_config_table(config: Mapping[str, Any]) -> dbc.Table:
    return dbc.Table(html.Tbody([html.Tr([html.Th(k, className="fw-normal"), html.Td(html.Code(str(v)))])
                                 for k, v in config.items()]), size="sm", className="fs-config")


def run_links(run: RunSummary, job: Job | None = None) -> html.Div:
    """Links to the run's pages; while it trains, its job's state and progress; why it stopped, if it did."""
    if run.status != "ready":
        text = training_text(job) if run.status == "training" else stopped_text(run)
        return html.Div(text, className="text-muted small text-wrap", style={"maxWidth": "11rem"})
    links = [("Explore", ExploreState(run=run.run_id, v=run.version).href()),
             ("Factors", FactorsState(run=run.run_id, v=run.version).href()),
             ("Embedding", EmbeddingState(run=run.run_id, v=run.version).href())]
    if "group_heatmap" in run.capabilities:
        links.append(("Groups", GroupsState(run=run.run_id, v=run.version).href()))
    return html.Div([dcc.Link(text, href=href, className="text-nowrap") for text, href in links],
                    className="d-flex flex-wrap column-gap-2", style={"maxWidth": "11rem"})


def training_text(job: Job | None) -> str:
    """'queued', 'training 35% · step 350/1000 loss 12.3', or 'training…' when no active job is known."""
    if job is None:
        return "training…"
    if job.state == "queued":
        return queue_text(job) or job.state
    return f"training {round(100 * job.progress)}%" + (f" · {job.message}" if job.message else "")


def stopped_text(run: RunSummary) -> str:
    """'training failed: <error>' or 'training cancelled' for a run whose job ended without weights."""
    return f"training {run.status}" + (f": {run.error}" if run.error and run.status == "failed" else "")


STATUS_COLOURS = {"ready": "success", "training": "warning", "queued": "info", "failed": "danger",
                  "cancelled": "secondary"}


def compare_box(run_id: str, ticked: bool) -> dbc.Checkbox:
    """The row's "compare" tick box (its label, for screen readers, names the run)."""
    return dbc.Checkbox(id={"type": "run-compare", "run": run_id}, value=ticked,
                        label=html.Span(f"compare {run_id}", className="visually-hidden"))


def create_runs_table(runs: Sequence[RunSummary], metrics: Mapping[str, MetricsFile | None],
                      selected: str | None, jobs: Mapping[str, Job] | None = None,
                      compared: Collection[str] = ()) -> html.Div:
    """One row per run, in the given order; the run's name opens its card; ``jobs``: active training job by run;
    ``compared``: the runs whose "compare" box is ticked."""
    head = html.Thead(html.Tr([html.Th(h) for h in ("Compare", "Run", "Family", "Dataset", "Version", "Status",
                                                    *KEY_METRICS, "Created", "Open")]))
    rows = []
    for run in runs:
        values = key_metrics(metrics.get(run.run_id))
        button = dbc.Button(run.run_id, id={"type": "run-select", "run": run.run_id}, color="link", size="sm",
                            className="p-0 fs-run-link", n_clicks=0)
        shown = shown_status(run, (jobs or {}).get(run.run_id))
        colour = STATUS_COLOURS.get(shown, "secondary")  # dark text on the light ones (contrast, axe)
        status = dbc.Badge(shown, color=colour, text_color="dark" if colour in ("warning", "info") else None)
        data: dict[str, Any] = {"data-run": run.run_id}  # Dash takes hyphenated attributes through **kwargs
        rows.append(html.Tr([html.Td(compare_box(run.run_id, run.run_id in compared)), html.Td(button),
                             html.Td(run.family), html.Td(run.dataset),
                             html.Td(html.Code(run.version or "—")), html.Td(status),
                             *[html.Td(number(values.get(k))) for k in KEY_METRICS],
                             html.Td(run.created[:16].replace("T", " "), className="text-nowrap small"),
                             html.Td(run_links(run, (jobs or {}).get(run.run_id)))],
                            className="table-active" if run.run_id == selected else "",
                            **data))
    return scroll_region(dbc.Table([head, html.Tbody(rows)], hover=True, size="sm", id="runs-table",
                                   className="fs-runs"), "runs")


def top_groups_text(row: TopGroups) -> str:
    """'row3 1.21 · row4 0.502' (largest first), or a note when every link of the dim is pruned."""
    if not row.groups:
        return "— (every link pruned)"
    return " · ".join(f"{g} {number(v)}" for g, v in zip(row.groups, row.norms, strict=True))


GROUPS_PICK = "groups-pick"  # pattern id type of the dim buttons in the top-groups table


def top_groups_row(row: TopGroups, selected: bool) -> html.Tr:
    """One dim's row of the top-groups table (``data-dim`` names it for the click handler); its dim is a button, the
    keyboard's path to what a click on the heatmap does (select the dim with its strongest group)."""
    data: dict[str, Any] = {"data-dim": row.dim}  # Dash takes hyphenated attributes through **kwargs
    pick = html.Button(f"z{row.dim}", id={"type": GROUPS_PICK, "dim": row.dim}, n_clicks=0,
                       className="btn btn-link btn-sm p-0 font-monospace", title=f"traverse z{row.dim}")
    return html.Tr([html.Td(pick), html.Td(top_groups_text(row))],
                   className="table-active" if selected else "", **data)


def create_top_groups_table(top: Sequence[TopGroups], selected: int | None) -> html.Div:
    """Dim -> its (up to) three most strongly linked groups with their norms; the selected dim highlighted."""
    head = html.Thead(html.Tr([html.Th("Dim"), html.Th("Top groups (‖W‖₂, largest first)")]))
    body = html.Tbody([top_groups_row(row, row.dim == selected) for row in top])
    return scroll_region(dbc.Table([head, body], size="sm", hover=True, id="groups-top-table",
                                   className="fs-metrics"), "top groups per dim")
