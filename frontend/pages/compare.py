"""Compare: two or more runs side by side, their training curves overlaid (one series at a time) and one table of
their family, config, training settings and metrics, the rows that differ first. The link names each run at the
version shown, so it keeps showing the same numbers after a run is retrained."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from frontend import context
from frontend.api_client import BackendClient, BackendError, Run, TrainLog
from frontend.components.compare import LOGGED, compare_figure, create_compare_table
from frontend.components.controls import create_field
from frontend.components.feedback import create_error_alert, create_message
from frontend.components.figures import GRAPH_CONFIG, HISTORY_SERIES, empty_figure
from frontend.components.live_curve import PAGE
from frontend.components.pagekit import create_share_box, link_note, register_url_sync
from frontend.state import MAX_COMPARE, SERIES, CompareState, as_pinned_runs, unpin

dash.register_page(__name__, path="/compare", name="Compare", title="Compare runs — factorscope", order=7,
                   nav=True)


def layout(**query: Any) -> html.Div:
    state = CompareState.from_query(query)
    picker = dcc.Dropdown(id="compare-runs", multi=True, value=list(state.runs), placeholder="choose runs",
                          options=[{"label": t, "value": t} for t in state.runs])
    series = dbc.RadioItems(id="compare-series", value=state.series, inline=True,
                            options=[{"label": HISTORY_SERIES[s], "value": s} for s in SERIES])
    return html.Div([
        dcc.Store(id="compare-initial", data=state.to_query()),
        dcc.Store(id="compare-query"),
        html.H1("Compare runs", className="h4"),
        html.Div(link_note(state, query), id="compare-link-note"),
        html.Div(id="compare-alerts"),
        dbc.Row([
            dbc.Col(dbc.Card(dbc.CardBody(dcc.Loading(dcc.Graph(id="compare-graph", figure=empty_figure("loading…"),
                                                                config=GRAPH_CONFIG)))),
                    xs={"size": 12, "order": 1}, lg={"size": 8, "order": 2}),
            dbc.Col(html.Div([create_field(f"Runs (2 to {MAX_COMPARE})", picker, "compare-runs"),
                              create_field("Curve", series, "compare-series"),
                              create_share_box("compare")], className="fs-controls"),
                    xs={"size": 12, "order": 2}, lg={"size": 4, "order": 1}),
        ]),
        html.H2("Config and metrics", className="h6 mt-3"),
        dcc.Loading(html.Div(id="compare-table-wrap"), type="dot"),
    ], className="fs-page", id="compare-page")


@callback(Output("compare-runs", "options"), Input("compare-initial", "data"), State("compare-runs", "value"))
def options(_initial: str, chosen: list[str] | None) -> list[dict[str, str]]:
    """Every run by id (its current version), plus the link's pinned runs as they were given."""
    try:
        runs = context.client().runs()
    except BackendError:
        runs = []
    listed = [{"label": f"{r.run_id} ({r.family} on {r.dataset}, {r.status})", "value": r.run_id} for r in runs]
    known = {o["value"] for o in listed}
    return [{"label": f"{t} (pinned version)", "value": t} for t in chosen or [] if t not in known] + listed


def load_runs(client: BackendClient, tokens: Sequence[str]) -> tuple[list[Run], list[Any]]:
    """The runs (each at its pinned version, if any) and one alert per run that could not be loaded."""
    runs, alerts = [], []
    for token in tokens:
        run_id, version = unpin(token)
        try:
            runs.append(client.run(run_id, version))
        except BackendError as err:
            alerts.append(create_error_alert(err, f"load run {run_id}"))
    return runs, alerts


def whole_logs(client: BackendClient, runs: Sequence[Run]) -> dict[str, TrainLog]:
    """Run id -> its training log (every logged step), for the runs shown at their current version whose log fits
    one answer; the others' curves come from their history (a kept older version's log is gone)."""
    logs = {}
    for run in runs:
        if run.latest_version not in (None, run.version):
            continue
        try:
            log = client.train_log(run.run_id, 0, PAGE)
        except BackendError:
            continue  # the history still draws this run's curve
        if not log.more:
            logs[run.run_id] = log
    return logs


@callback(Output("compare-graph", "figure"), Output("compare-table-wrap", "children"),
          Output("compare-alerts", "children"), Output("compare-query", "data"), Input("compare-runs", "value"),
          Input("compare-series", "value"))
def compare(chosen: list[str] | None, series: str) -> tuple[Any, ...]:
    tokens = as_pinned_runs(",".join(chosen or []))
    query = CompareState(runs=tokens, series=series if series in SERIES else SERIES[0]).to_query()
    if len(chosen or []) > MAX_COMPARE:
        note = create_message(f"Runs: at most {MAX_COMPARE} at once; remove {len(chosen or []) - MAX_COMPARE} to "
                              "compare them.", "warning")
        return dash.no_update, dash.no_update, note, dash.no_update
    if len(tokens) < 2:
        hint = "Choose two or more runs to compare (or tick them in the runs list)."
        return empty_figure(hint), html.P(hint, className="text-muted"), None, query
    client = context.client()
    runs, alerts = load_runs(client, tokens)
    logs = whole_logs(client, runs) if series in LOGGED else {}
    return compare_figure(runs, series, logs), create_compare_table(runs), alerts or None, query


register_url_sync("compare")
