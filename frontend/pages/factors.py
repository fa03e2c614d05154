"""Factors: which latent dim encodes which ground-truth factor (the dim x factor information heatmap MIG is built
from, with each factor's best dim and gap; or which dim encodes which attribute, for a dataset without factors or
when chosen), information per latent dim (MI under either estimator, KL, variance),
the top-k reconstruction curve and the metrics report. Clicking a heatmap cell or a dim's bar, a best-dim link, or
choosing a dim and "Open traversal" opens Explore on that dim. A run with an Lp-nested (ISA)
prior has its bars grouped by subspace, with a table of the subspaces' learned exponents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from frontend import context
from frontend.api_client import (
    BackendClient,
    BackendError,
    Dataset,
    FactorDim,
    FactorMi,
    Factors,
    PriorInfo,
    PriorSubspace,
    Run,
)
from frontend.components.controls import create_field, create_run_picker
from frontend.components.factor_heatmap import best_dims_table, dim_picker_options, factor_mi_figure, source_caption
from frontend.components.factor_heatmap import clicked_dim as clicked_cell
from frontend.components.feedback import create_error_alert, create_message, plain
from frontend.components.figures import GRAPH_CONFIG, MI_LABELS, empty_figure, mi_bar_figure, topk_figure
from frontend.components.pagekit import (
    WATCH_MS,
    active_jobs,
    create_share_box,
    link_note,
    progress_view,
    register_link_note_reset,
    register_run_loader,
    register_url_sync,
)
from frontend.components.tables import create_metrics_table
from frontend.state import FactorsState, explore_href

dash.register_page(__name__, path="/factors", name="Factors", title="Factors — factorscope", order=2, nav=True)
DISAGREE_NATS = 0.1  # a Gaussian MI this far above the Monte Carlo MI (and more than twice it) is flagged


def clicked_dim(click: Mapping[str, Any] | None) -> int | None:
    """The latent dim of a clicked bar (its customdata)."""
    points = (click or {}).get("points") or []
    value = points[0].get("customdata") if points else None
    if isinstance(value, list):
        value = value[0] if value else None
    return int(value) if isinstance(value, int | float) else None


def layout(**query: Any) -> html.Div:
    state = FactorsState.from_query(query)
    estimator = dbc.RadioItems(id="factors-est", value=state.est, inline=True,
                               options=[{"label": MI_LABELS[k], "value": k} for k in MI_LABELS])
    return html.Div([
        dcc.Store(id="factors-initial", data=state.to_query()),
        dcc.Store(id="factors-run"),
        dcc.Store(id="factors-query"),
        dcc.Location(id="factors-nav", refresh="callback-nav"),
        dcc.Interval(id="factors-watch", interval=WATCH_MS, disabled=True),  # on while a metrics job runs
        html.H1("Factors", className="h4"),
        html.Div(id="factors-banner"),
        html.Div(link_note(state, query), id="factors-link-note"),
        html.Div(id="factors-alerts"),
        dbc.Row([  # the controls stand on top; on a phone (style.css) they follow the figures
            dbc.Col(html.Div(dbc.Row([
                dbc.Col(create_run_picker("factors-run-select", state.run), xs=12, md=5, xl=4),
                dbc.Col(create_field("MI estimator", estimator, "factors-est"), xs=12, md=4, xl=4),
                dbc.Col(create_share_box("factors"), xs=12, md=3, xl=4),
            ]), className="fs-controls"), xs=12),
            dbc.Col(figures(state), xs=12),
        ]),
    ], className="fs-page", id="factors-page")


def figures(state: FactorsState) -> list[Any]:
    """The page's cards: the dim x factor heatmap first, then the MI bars, top-k reconstruction and metrics."""
    return [
        dbc.Card([dbc.CardHeader("Which dim encodes which factor or attribute (click a cell to traverse its dim)"),
                  dbc.CardBody([source_picker(state.source),
                                dcc.Loading(dcc.Graph(id="factors-mi-heatmap", config=GRAPH_CONFIG,
                                                      figure=empty_figure("loading…"))),
                                html.Div(id="factors-mi-caption", className="small text-muted mb-2"),
                                html.Div(id="factors-mi-best"), dim_picker()])],
                 className="mb-3", id="factors-mi-card"),
        dbc.Card([dbc.CardHeader("Information per latent dim (click a bar to explore that dim)"),
                  dbc.CardBody([html.Div(id="factors-est-note"),
                                dcc.Loading(dcc.Graph(id="factors-bars", config=GRAPH_CONFIG,
                                                      figure=empty_figure("loading…"))),
                                html.Div(id="factors-prior")])], className="mb-3"),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader("Top-k reconstruction"),
                              dbc.CardBody(dcc.Graph(id="factors-topk", config=GRAPH_CONFIG,
                                                     figure=empty_figure("loading…")))], className="mb-3"),
                    xs=12, lg=6),
            dbc.Col(dbc.Card([dbc.CardHeader("Metrics"), dbc.CardBody(html.Div(id="factors-metrics"))],
                             className="mb-3"), xs=12, lg=6),
        ]),
    ]


def factors_store(client: BackendClient, run: Run, dataset: Dataset | None,
                  asked: FactorsState) -> tuple[dict[str, Any], list[Any]]:
    """The ``factors-run`` store: the run, its information per dim and its dim x factor matrix over the link's
    source when the dataset has it, else its factors, else its attributes (each None when it cannot be computed; the
    matrix also for a dataset with neither)."""
    alerts = []
    try:
        factors = client.factors(run.run_id, run.version).model_dump()
    except BackendError as err:
        factors = None
        alerts.append(create_error_alert(err, "compute the information per dim"))
    try:
        matrix = client.factor_mi(run.run_id, run.version, offered_source(dataset, asked.source)).model_dump()
    except BackendError as err:
        matrix = None
        if not err.is_a("no-factors"):
            alerts.append(create_error_alert(err, "compute which dim encodes which factor"))
    return {"run_id": run.run_id, "version": run.version, "factors": factors, "factor_mi": matrix}, alerts


load_factors = register_run_loader("factors", FactorsState.from_query, factors_store, with_dataset=True)


def offered_source(dataset: Dataset | None, source: str) -> str | None:
    """``source`` ("factors" or "attributes") when the dataset has such columns, else None (the backend's default)."""
    names = {"factors": dataset.factor_names, "attributes": dataset.attribute_names}.get(source) if dataset else None
    return source if names else None


def source_picker(source: str) -> html.Div:
    """The heatmap's rows: the dataset's factors or its attributes (shown when it has both)."""
    radio = dbc.RadioItems(id="factors-mi-source", value=source or "factors", inline=True,
                           options=[{"label": "ground-truth factors", "value": "factors"},
                                    {"label": "attributes (side information)", "value": "attributes"}])
    return html.Div(create_field("Rows", radio, "factors-mi-source"), id="factors-mi-source-box",
                    style={"display": "none"})


def dim_picker() -> dbc.InputGroup:
    """The keyboard path to any dim's traversal: a dim select (filled when the run loads) and a button."""
    return dbc.InputGroup([
        html.Label("Any dim", htmlFor="factors-mi-dim", className="input-group-text"),
        dbc.Select(id="factors-mi-dim", options=[]),
        dbc.Button("Open traversal", id="factors-mi-open", color="primary", n_clicks=0),
    ], size="sm", className="mb-2", style={"maxWidth": "22rem"})


@callback(Output("factors-mi-heatmap", "figure"), Output("factors-mi-best", "children"),
          Output("factors-mi-dim", "options"), Output("factors-mi-dim", "value"), Output("factors-mi-card", "style"),
          Output("factors-mi-caption", "children"), Output("factors-mi-source", "value"),
          Output("factors-mi-source-box", "style"), Input("factors-run", "data"))
def factor_heatmap(run: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """The heatmap, its caption, the best-dim table, the dim picker and the rows' source (a choice only when the
    dataset has both factors and attributes); the card is hidden for a dataset with neither."""
    hidden = {"display": "none"}
    if not run or not run.get("factor_mi"):
        return empty_figure("no factors"), None, [], None, hidden if run else {}, None, no_update, hidden
    fm = FactorMi.model_validate(run["factor_mi"])
    table = best_dims_table(fm, lambda dim: explore_href(fm.run_id, fm.version, dims=(dim,)))
    options, value = dim_picker_options(fm)
    box = {} if len(fm.sources) > 1 else hidden
    return factor_mi_figure(fm), table, options, value, {}, source_caption(fm), fm.source, box


@callback(Output("factors-run", "data", allow_duplicate=True), Output("factors-mi-caption", "children",
                                                                      allow_duplicate=True),
          Input("factors-mi-source", "value"), State("factors-run", "data"), prevent_initial_call=True)
def switch_source(source: str, run: Mapping[str, Any] | None) -> tuple[Any, Any]:
    """The run's matrix over the chosen rows (factors or attributes); nothing when it already is."""
    matrix = (run or {}).get("factor_mi")
    if not run or not matrix or matrix.get("source") == source:
        raise PreventUpdate
    try:
        fm = context.client().factor_mi(run["run_id"], run["version"], source)
    except BackendError as err:
        return no_update, create_error_alert(err, f"compute which dim encodes which {source[:-1]}")
    return {**run, "factor_mi": fm.model_dump()}, no_update


@callback(Output("factors-topk", "figure"), Input("factors-run", "data"))
def topk(run: Mapping[str, Any] | None) -> Any:
    if not run or not run["factors"]:
        return empty_figure("no run")
    return topk_figure(Factors.model_validate(run["factors"]).topk)


@callback(Output("factors-metrics", "children"), Output("factors-watch", "disabled"),
          Input("factors-run", "data"), Input("factors-watch", "n_intervals"))
def metrics_card(run: Mapping[str, Any] | None, _tick: int | None) -> tuple[Any, bool]:
    return metrics_view(context.client(), run["run_id"]) if run else (None, True)


def metrics_view(client: BackendClient, run_id: str) -> tuple[Any, bool]:
    """(the run's metrics table or why there is none, watch disabled): while its metrics job is unfinished
    a note shows the job's progress above the last report, and the card re-reads both every WATCH_MS."""
    metrics: html.Div | html.P
    try:
        metrics = create_metrics_table(client.metrics(run_id).metrics)
    except BackendError as err:
        todo = " Compute them with “Compute metrics” on the run's card on the Runs page." if err.status == 404 else ""
        metrics = html.P(f"{plain(err.detail)}.{todo}", className="text-muted small")
    job = active_jobs(client).get("evaluate", {}).get(run_id)
    if job is None:
        return metrics, True
    _, percent, status = progress_view(job)
    note = f"Its metrics are being computed ({percent} · {status}); this card shows the new report when it is done."
    return html.Div([create_message(note, "info"), metrics]), False


@callback(Output("factors-bars", "figure"), Output("factors-est-note", "children"), Input("factors-run", "data"),
          Input("factors-est", "value"))
def bars(run: Mapping[str, Any] | None, estimator: str) -> tuple[Any, Any]:
    if not run or not run.get("factors"):
        return empty_figure("no information per dim"), None
    factors = Factors.model_validate(run["factors"])
    return mi_bar_figure(factors.dims, estimator, prior_subspaces(factors.prior)), estimator_note(factors.dims)


def prior_subspaces(prior: PriorInfo | None) -> list[PriorSubspace] | None:
    """The subspaces to group the bars by: an Lp-nested prior's, else None (one group)."""
    return prior.subspaces if prior is not None and prior.kind == "lp_nested" else None


@callback(Output("factors-prior", "children"), Input("factors-run", "data"))
def prior_card(run: Mapping[str, Any] | None) -> Any:
    if not run or not run.get("factors"):
        return None
    return prior_table(Factors.model_validate(run["factors"]).prior)


def prior_table(prior: PriorInfo | None) -> Any:
    """For an Lp-nested (ISA) prior: its root exponent and scale, and one row per subspace (dims, learned and
    initial exponent); nothing for other priors."""
    subspaces = prior_subspaces(prior)
    if prior is None or subspaces is None:
        return None
    learned = "learned" if prior.learn_inner else "fixed"
    rows = [html.Tr([html.Td(f"S{i + 1}"), html.Td(", ".join(f"z{j}" for j in s.dims)), html.Td(f"{s.p:.3f}"),
                     html.Td("" if s.p_init is None else f"{s.p_init:g}")]) for i, s in enumerate(subspaces)]
    head = html.Thead(html.Tr([html.Th("subspace"), html.Th("dims"), html.Th(f"exponent p_i ({learned})"),
                               html.Th("initial p_i")]))
    note = (f"Lp-nested (ISA) prior: {len(subspaces)} subspaces, root exponent p0 = {prior.p0:g}, scale "
            f"s = {prior.scale:g}. KL is to each dim's own prior marginal; traversals span its quantiles.")
    return html.Div([html.P(note, className="small text-muted mb-1"),
                     dbc.Table([head, html.Tbody(rows)], size="sm", bordered=False, striped=True,
                               id="factors-prior-table", className="mb-0 small")])


def estimator_note(dims: Sequence[FactorDim]) -> Any:
    """A warning naming the dims whose Gaussian MI is well above their Monte Carlo MI. The Gaussian estimate fits
    a zero-mean Gaussian to each dim's aggregate posterior (SCIENCE.md section 1), so a posterior mean that sits
    away from 0 for every item counts as information there: typical of a dim the encoder does not use."""
    off = sorted((d for d in dims if d.mi_gaussian - d.mi_monte_carlo > max(DISAGREE_NATS, d.mi_monte_carlo)),
                 key=lambda d: -d.mi_gaussian)
    if not off:
        return None
    named = ", ".join(f"z{d.dim} ({d.mi_gaussian:.2f} vs {d.mi_monte_carlo:.2f} nats)" for d in off[:5])
    more = f" and {len(off) - 5} more" if len(off) > 5 else ""
    return create_message(
        f"The two MI estimates disagree for {named}{more}. The Gaussian estimate fits a zero-mean Gaussian to "
        "each dim's aggregate posterior, so a dim whose posterior mean sits away from 0 for every item (Var[μ] "
        "near 0) looks informative to it; the Monte Carlo estimate makes no such assumption. For these dims, "
        "trust the Monte Carlo estimate.", "warning")


@callback(Output("factors-query", "data"), Input("factors-run", "data"), Input("factors-est", "value"))
def query(run: Mapping[str, Any] | None, estimator: str) -> str:
    if not run:
        raise PreventUpdate
    return FactorsState(run=run["run_id"], v=run["version"], est=estimator, source=linked_source(run)).to_query()


def linked_source(run: Mapping[str, Any]) -> str:
    """The heatmap's rows for the link: "" when they are the dataset's default (its first source)."""
    matrix = run.get("factor_mi") or {}
    sources = matrix.get("sources") or []
    return matrix["source"] if sources and matrix.get("source") != sources[0] else ""


register_url_sync("factors")
register_link_note_reset("factors")


@callback(Output("factors-nav", "href"), Input("factors-bars", "clickData"), Input("factors-mi-heatmap", "clickData"),
          Input("factors-mi-open", "n_clicks"), State("factors-mi-dim", "value"), State("factors-run", "data"),
          prevent_initial_call=True)
def open_dim(bar: Mapping[str, Any] | None, cell: Mapping[str, Any] | None, _open: int | None, picked: str | None,
             run: Mapping[str, Any] | None) -> str:
    dim = dim_to_open(str(ctx.triggered_id), bar, cell, picked)
    if dim is None or not run:
        raise PreventUpdate
    return explore_href(run["run_id"], run["version"], dims=(dim,))


def dim_to_open(trigger: str, bar: Mapping[str, Any] | None, cell: Mapping[str, Any] | None,
                picked: str | None) -> int | None:
    """The dim to open in Explore: a clicked bar's or heatmap cell's, or the picked one when "Open traversal" was
    pressed (``trigger``: the id of what fired)."""
    if trigger == "factors-bars":
        return clicked_dim(bar)
    if trigger == "factors-mi-heatmap":
        return clicked_cell(cell)
    return int(picked) if trigger == "factors-mi-open" and picked and picked.isdigit() else None
