"""Runs: the list of runs with their key metrics, a run's card (config, training curve, metrics), and the
form that trains a new run (generated from the family's config schema; every field checked before anything is
sent, and again by the backend, the message beside the field) with a progress bar fed by the job endpoint."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from frontend import context
from frontend.api_client import BackendClient, BackendError, Family, Job, MetricsFile, RunSummary
from frontend.components.controls import TRAIN_SCHEMA, create_config_form, create_field
from frontend.components.feedback import TRANSIENT, create_error_alert, create_message
from frontend.components.forms import RUN_ID_FIELD, check_run_id, form_values, problem_fields, refusal
from frontend.components.live_curve import (
    PAGE,
    Cursor,
    advance,
    create_live_curve,
    extension,
    live_figure,
    live_id,
    new_cursor,
    progress_note,
    term_options,
)
from frontend.components.pagekit import (
    WATCH_MS,
    active_jobs,
    create_share_box,
    link_note,
    parse_search,
    progress_view,
    register_url_sync,
)
from frontend.components.queue import queue_text, shown_status
from frontend.components.runs_list import SORT_LABELS, select_runs
from frontend.components.tables import create_config_table, create_metrics_table, create_runs_table, run_links
from frontend.state import MAX_COMPARE, MAX_SEARCH, RUN_SORTS, RUN_STATUSES, CompareState, RunsState

dash.register_page(__name__, path="/", name="Runs", title="Runs — factorscope", order=0, nav=True)

MAX_DETAILS = 30  # runs whose metrics the list fetches one by one (when the list itself has none)
CONFIG = {"type": "config-field", "field": ALL}
TRAIN = {"type": "train-field", "field": ALL}
CONFIG_ERROR = {"type": "config-field-error", "field": ALL}  # each field's message slot (controls.create_field)
TRAIN_ERROR = {"type": "train-field-error", "field": ALL}
FieldErrors = Mapping[tuple[str, str], str]  # {(section: "config", "train" or "run_id", field): why it is refused}
# screen readers announce changes to the job status (Dash takes hyphenated attributes through **kwargs)
POLITE: dict[str, Any] = {"aria-live": "polite"}
# the form's labels of the training fields and the run id, for the alert that names a refused one
TRAIN_LABELS = {**{k: p.get("title", k) for k, p in TRAIN_SCHEMA["properties"].items()}, RUN_ID_FIELD: "Run id"}


# -- pure helpers ----------------------------------------------------------------------------------------

def run_listed(runs: Sequence[RunSummary], run_id: str) -> bool:
    return any(r.run_id == run_id and r.status == "ready" for r in runs)


def families_data(families: Sequence[Family]) -> dict[str, Any]:
    return {f.name: {"schema": f.config_schema, "defaults": f.defaults, "summary": f.summary} for f in families}


def metrics_by_run(client: BackendClient, runs: Sequence[RunSummary]) -> dict[str, MetricsFile | None]:
    """metrics.json per run: from the list when it carries them, else from each run's detail."""
    out: dict[str, MetricsFile | None] = {r.run_id: r.metrics for r in runs if r.metrics is not None}
    for run in [r for r in runs if r.run_id not in out and r.status == "ready"][:MAX_DETAILS]:
        try:
            out[run.run_id] = client.run(run.run_id).metrics
        except BackendError:
            out[run.run_id] = None
    return out


# -- layout ---------------------------------------------------------------------------------------------

def train_form(state: RunsState) -> dbc.Card:
    family = dbc.Select(id="runs-family", options=[], value=state.family)
    dataset = dbc.Select(id="runs-dataset", options=[], value=state.dataset)
    return dbc.Card([
        dbc.CardHeader("Train a new run"),
        dbc.CardBody([
            dbc.Row([dbc.Col(create_field("Family", family, "runs-family"), xs=12, sm=6),
                     dbc.Col(create_field("Dataset", dataset, "runs-dataset"), xs=12, sm=6)]),
            html.P(id="runs-family-summary", className="small text-muted"),
            html.H2("Model config", className="h6"),
            dbc.Row(id="runs-config-fields"),
            html.H2("Training", className="h6"),
            dbc.Row(create_config_form(TRAIN_SCHEMA, {}, "train-field")),
            create_field("Run id (optional)", dbc.Input(id="runs-run-id", type="text", debounce=True,
                                                        placeholder="made from family, dataset and time"),
                         "runs-run-id", "lowercase letters, digits, '-' and '_'", "runs-run-id-error"),
            dbc.Button("Train", id="runs-submit", color="primary", n_clicks=0, className="mb-3"),
            html.Div(id="runs-form-alert"),
            html.Div([
                dbc.Progress(id="runs-progress", value=0, label="", striped=True, animated=True,
                             className="mb-1", style={"height": "1.4rem"}),
                html.Div(id="runs-job-status", className="small text-muted", **POLITE),
            ], id="runs-job", className="mb-2", style={"display": "none"}),
            html.Div(id="runs-job-alert"),
            dcc.Interval(id="runs-poll", interval=context.settings_if_serving().poll_ms, disabled=True),
            dcc.Store(id="runs-job-store"),
        ]),
    ], className="mb-3", id="runs-train-form")


def layout(**query: Any) -> html.Div:
    state = RunsState.from_query(query)
    return html.Div([
        dcc.Store(id="runs-initial", data=state.to_query()),
        dcc.Store(id="runs-selected", data=state.run),
        dcc.Store(id="runs-refresh", data=0),
        dcc.Interval(id="runs-watch", interval=WATCH_MS, disabled=True),
        dcc.Store(id="runs-evaluating"),  # {"jobs": {run_id: its unfinished metrics job}}, written by the table
        dcc.Store(id="runs-families"),
        dcc.Store(id="runs-form-family"),  # the family whose config form is shown
        dcc.Store(id="runs-query"),
        dcc.Store(id="runs-compare", data=[]),  # the ticked runs, in the order they were ticked
        dbc.Row([
            dbc.Col(html.Div([html.H1("Runs", className="h4 me-3 mb-0"),
                              dbc.Button("Refresh", id="runs-reload", size="sm", color="dark", outline=True)],
                             className="d-flex align-items-center mb-2"), xs=12, md=7),
            dbc.Col(create_share_box("runs"), xs=12, md=5),
        ]),
        html.Div(link_note(state, query), id="runs-link-note"),
        html.Div(id="runs-alerts"),
        list_controls(state),
        # no dcc.Loading: it would blank the list to a spinner on every WATCH_MS refresh while a run trains; the
        # spinner is the list's first content instead, so it shows until the first answer and never again
        html.Div(first_load(), id="runs-table-wrap"),
        dcc.ConfirmDialog(id="runs-delete-confirm"),
        html.Div(id="runs-action-alert", className="mt-2"),
        dbc.Row([dbc.Col([html.Div(id="runs-card"), html.Div(id="runs-live")], xs=12, xl=7),
                  dbc.Col(train_form(state), xs=12, xl=5)], className="mt-3"),
    ], className="fs-page", id="runs-page")


# -- the list and a run's card ---------------------------------------------------------------------------

def first_load() -> html.Div:
    """What the runs list shows until its first answer (each later refresh swaps the list in place)."""
    return html.Div([dbc.Spinner(size="sm", spinner_class_name="me-2"), "Loading the runs…"],
                    className="text-muted small d-flex align-items-center", id="runs-first-load", **POLITE)


def list_controls(state: RunsState) -> dbc.Row:
    """Search, status filter and sort of the runs list, and the link that compares the ticked runs."""
    search = dbc.Input(id="runs-search", type="search", value=state.q, debounce=True, maxlength=MAX_SEARCH,
                       placeholder="run id, family, dataset…")
    status = dcc.Dropdown(id="runs-status", value=state.status, placeholder="any status",
                          options=[{"label": s, "value": s} for s in RUN_STATUSES])
    sort = dcc.Dropdown(id="runs-sort", value=state.sort, clearable=False,
                        options=[{"label": SORT_LABELS[s], "value": s} for s in RUN_SORTS])
    compare = dbc.Button("Compare ticked runs", id="runs-compare-link", href=CompareState.PATH, disabled=True,
                         color="primary", outline=True, size="sm")
    # the dropdowns take a phone's whole width: in half of it, the (hidden) focus input of Dash's dropdown, 208 px
    # wide, stuck out past a 390 px screen and scrolled the page sideways
    return dbc.Row([dbc.Col(create_field("Search runs", search, "runs-search"), xs=12, md=4),
                    dbc.Col(create_field("Status", status, "runs-status"), xs=12, sm=6, md=2),
                    dbc.Col(create_field("Sort", sort, "runs-sort"), xs=12, sm=6, md=3),
                    dbc.Col(html.Div(compare, className="pt-md-4"), xs=12, md=3)], className="g-2 mb-1")


@callback(Output("runs-table-wrap", "children"), Output("runs-alerts", "children"), Output("runs-watch", "disabled"),
          Output("runs-evaluating", "data"), Input("runs-refresh", "data"), Input("runs-reload", "n_clicks"),
          Input("runs-selected", "data"), Input("runs-watch", "n_intervals"), Input("runs-search", "value"),
          Input("runs-status", "value"), Input("runs-sort", "value"), State("runs-compare", "data"))
def table(_refresh: int, _reload: Any, selected: str | None, _watch: Any, search: str | None, status: str | None,
          sort: str | None, compared: list[str] | None) -> tuple[Any, ...]:
    view = RunsState(q=(search or "")[:MAX_SEARCH], status=status, sort=sort or RUN_SORTS[0])
    return runs_table(context.client(), selected, view, compared or [])


@callback(Output("runs-compare", "data"), Output("runs-compare-link", "href"), Output("runs-compare-link", "disabled"),
          Output("runs-compare-link", "children"), Input({"type": "run-compare", "run": ALL}, "value"),
          State({"type": "run-compare", "run": ALL}, "id"), State("runs-compare", "data"))
def tick(values: list[bool | None], ids: list[dict[str, str]], kept: list[str] | None) -> tuple[Any, ...]:
    ticked = ticked_runs(kept or [], [i["run"] for i in ids], values)
    href = CompareState(runs=tuple(ticked[:MAX_COMPARE])).href()
    label = f"Compare {len(ticked)} ticked runs" if len(ticked) >= 2 else "Tick two or more runs to compare"
    return ticked, href, not 2 <= len(ticked) <= MAX_COMPARE, label if len(ticked) <= MAX_COMPARE else (
        f"Compare: tick at most {MAX_COMPARE} runs")


def ticked_runs(kept: Sequence[str], shown: Sequence[str], values: Sequence[bool | None]) -> list[str]:
    """The ticked runs after the boxes of the ``shown`` rows read ``values``: those ticked before and still ticked
    (or hidden by the search), in their order, then the newly ticked."""
    now = {run for run, value in zip(shown, values, strict=True) if value}
    still = [run for run in kept if run in now or run not in shown]
    return still + [run for run in shown if run in now and run not in still]


def runs_table(client: BackendClient, selected: str | None, view: RunsState | None = None,
               compared: Sequence[str] = ()) -> tuple[Any, Any, bool, Any]:
    """(table, alert, watch disabled, the runs-evaluating store): the list refreshes itself every WATCH_MS
    while a run trains or is evaluated; the card redraws from the store after each refresh, so both show the
    same jobs. ``view``: the list's search, status filter and sort; ``compared``: the ticked runs. A passing
    trouble (the backend unreachable, busy or slow) keeps the list and the store as shown and the refresh going,
    with the alert: the next refresh may get through."""
    active = active_jobs(client)
    evaluating = {run_id: job.model_dump() for run_id, job in active.get("evaluate", {}).items()}
    training = {run_id: job.model_dump() for run_id, job in active.get("train", {}).items()}
    store = {"jobs": evaluating, "train": training, "at": time.time()}  # a new value each time: the card follows
    try:
        runs = client.runs()
    except BackendError as err:
        if err.status in TRANSIENT:
            return dash.no_update, create_error_alert(err, "refresh the runs"), False, dash.no_update
        return None, create_error_alert(err, "list the runs"), True, store
    if not runs:
        return html.P("No runs yet: train one with the form below.", className="text-muted"), None, True, store
    trains = any(r.status == "training" for r in runs)
    view = view or RunsState()
    metrics = metrics_by_run(client, runs)
    shown = select_runs(runs, metrics, view.q, view.status, view.sort)
    if not shown:
        hidden = html.P(f"None of the {len(runs)} runs matches the search and status filter: clear them to see all.",
                        className="text-muted")
        return hidden, no_worker_note(client, active), not (trains or evaluating), store
    table = create_runs_table(shown, metrics, selected, active.get("train", {}), compared)
    return table, no_worker_note(client, active), not (trains or evaluating), store


def no_worker_note(client: BackendClient, active: Mapping[str, Mapping[str, Job]]) -> Any:
    """A warning when jobs wait and no worker runs to take them: queued ones, and running ones a stopped worker
    left (they would wait without a word, the latter with their progress frozen)."""
    if not any(active.values()) or client.workers() != 0:
        return None
    return create_message("No job worker is running: queued jobs wait, and a job shown as running was left by a "
                          "worker that stopped (it resumes from its checkpoint). Start one with `factorscope worker` "
                          "(`make demo` starts one with the dashboard).", "warning")


@callback(Output("runs-selected", "data"), Input({"type": "run-select", "run": ALL}, "n_clicks"),
          prevent_initial_call=True)
def select(clicks: list[int | None]) -> str:
    if not any(clicks) or not isinstance(ctx.triggered_id, Mapping):
        raise PreventUpdate
    return str(ctx.triggered_id["run"])


@callback(Output("runs-card", "children"), Input("runs-evaluating", "data"), State("runs-selected", "data"))
def card(evaluating: Mapping[str, Any] | None, selected: str | None) -> Any:
    """Redrawn after each refresh of the table (which follows the selection too), from the jobs it read."""
    job = ((evaluating or {}).get("jobs") or {}).get(selected or "")
    training = ((evaluating or {}).get("train") or {}).get(selected or "")
    return run_card(context.client(), selected, Job.model_validate(job) if job else None,
                    Job.model_validate(training) if training else None)


def run_card(client: BackendClient, run_id: str | None, evaluating: Job | None = None,
             training: Job | None = None) -> Any:
    """The run's card; ``evaluating``: its metrics job while that is queued or running; ``training``: its training
    job while that is queued or running (a queued one says how long it waits)."""
    if not run_id:
        return dbc.Card(dbc.CardBody("Click a run's name to see its config, training curve and metrics.",
                                     className="text-muted"), className="mb-3")
    try:
        run = client.run(run_id)
    except BackendError as err:
        return create_error_alert(err, f"load run {run_id}")
    status, queued = shown_status(run, training), queue_text(training) if training else None
    header = [html.Span(run.run_id, className="fw-semibold me-2"),
              html.Span(f"{run.family} on {run.dataset} · version {run.version or '—'} · {status}",
                        className="text-muted small me-auto"), *run_actions(run, evaluating is not None)]
    return dbc.Card([
        # white behind the outline buttons: on the header's grey their text falls short of 4.5:1 (axe)
        dbc.CardHeader(header, className="d-flex flex-wrap align-items-center gap-2 bg-white"),
        dbc.CardBody([
            evaluation_status(evaluating),
            html.Div(queued, id="runs-queued", className="small mb-2", **POLITE) if queued else None,
            run_links(run, None if queued else training),  # a running job's progress (a waiting one is said above)
            dbc.Row([dbc.Col([html.H2("Config", className="h6"), create_config_table(run.config),
                             html.H2("Training", className="h6"), create_config_table(run.train)], md=5),
                     dbc.Col([html.H2("Metrics", className="h6"), create_metrics_table(run.metrics)], md=7)]),
        ]),
    ], className="mb-3", id="runs-run-card")


def evaluation_status(job: Job | None) -> Any:
    """A progress line for the run's metrics job while it is queued or running."""
    if job is None:
        return None
    percent, label, status = progress_view(job)
    return html.Div([dbc.Progress(value=percent, label=label, striped=True, animated=True, className="mb-1"),
                     html.Div(f"Computing metrics · {status}", className="small text-muted")],
                    id="runs-evaluation", className="mb-2", **POLITE)


def run_actions(run: RunSummary, evaluating: bool = False) -> list[Any]:
    """The card's buttons: cancel a run's training or resume it (cancelled, failed, or with no job left to train
    it), (re)compute its metrics (not twice at once), delete it."""
    buttons = []
    if run.status == "training" and run.job_id:
        buttons.append(dbc.Button("Cancel training", id="runs-cancel", size="sm", color="dark", outline=True))
    if run.status in ("cancelled", "failed") or (run.status == "training" and not run.job_id):
        buttons.append(dbc.Button("Resume training", id="runs-resume", size="sm", color="primary", outline=True))
    if run.status == "ready":
        buttons.append(dbc.Button("Computing metrics…" if evaluating else "Compute metrics", id="runs-evaluate",
                                  size="sm", color="secondary", outline=True, disabled=evaluating))
    buttons.append(dbc.Button("Delete run", id="runs-delete", size="sm", color="danger", outline=True))
    return buttons


@callback(Output("runs-delete-confirm", "displayed"), Output("runs-delete-confirm", "message"),
          Input("runs-delete", "n_clicks"), State("runs-selected", "data"), prevent_initial_call=True)
def ask_delete(clicks: int | None, run_id: str | None) -> tuple[bool, str]:
    if not clicks or not run_id:
        raise PreventUpdate
    return True, f"Delete run {run_id} and all its files (weights, checkpoints, metrics)? This cannot be undone."


@callback(Output("runs-action-alert", "children"), Output("runs-selected", "data", allow_duplicate=True),
          Output("runs-refresh", "data", allow_duplicate=True), Input("runs-delete-confirm", "submit_n_clicks"),
          State("runs-selected", "data"), State("runs-refresh", "data"), prevent_initial_call=True)
def delete(_confirmed: int | None, run_id: str | None, refresh: int) -> tuple[Any, Any, int]:
    if not run_id:
        raise PreventUpdate
    try:
        context.client().delete_run(run_id)
    except BackendError as err:
        return create_error_alert(err, f"delete run {run_id}"), dash.no_update, (refresh or 0) + 1
    return create_message(f"Run {run_id} was deleted.", "info"), None, (refresh or 0) + 1


@callback(Output("runs-action-alert", "children", allow_duplicate=True),
          Output("runs-refresh", "data", allow_duplicate=True), Input("runs-cancel", "n_clicks"),
          State("runs-selected", "data"), State("runs-refresh", "data"), prevent_initial_call=True)
def cancel(clicks: int | None, run_id: str | None, refresh: int) -> tuple[Any, int]:
    return act(clicks, run_id, "cancel", refresh)


@callback(Output("runs-action-alert", "children", allow_duplicate=True),
          Output("runs-refresh", "data", allow_duplicate=True), Input("runs-resume", "n_clicks"),
          State("runs-selected", "data"), State("runs-refresh", "data"), prevent_initial_call=True)
def resume(clicks: int | None, run_id: str | None, refresh: int) -> tuple[Any, int]:
    return act(clicks, run_id, "resume", refresh)


@callback(Output("runs-action-alert", "children", allow_duplicate=True),
          Output("runs-refresh", "data", allow_duplicate=True), Input("runs-evaluate", "n_clicks"),
          State("runs-selected", "data"), State("runs-refresh", "data"), prevent_initial_call=True)
def evaluate(clicks: int | None, run_id: str | None, refresh: int) -> tuple[Any, int]:
    return act(clicks, run_id, "evaluate", refresh)


def act(clicks: int | None, run_id: str | None, action: str, refresh: int) -> tuple[Any, int]:
    """One callback per button (Dash fires a callback only when all its inputs are on the page)."""
    if not clicks or not run_id:
        raise PreventUpdate
    return run_action(context.client(), run_id, action), (refresh or 0) + 1


def run_action(client: BackendClient, run_id: str, action: str) -> Any:
    """Cancel the run's training job, queue its training again, or queue the job that computes its metrics; the
    message says which."""
    try:
        if action == "cancel":
            job_id = client.run(run_id).job_id
            if job_id is None:
                return create_message(f"Run {run_id} has no training job to cancel.", "warning")
            job = client.cancel_job(job_id)
            return create_message(f"Training of {run_id}: {job.message or job.state}.", "info")
        if action == "resume":
            accepted = client.resume_run(run_id)
            return create_message(f"Training of {run_id} is queued again (job {accepted.job_id}); it continues from "
                                  "its last checkpoint.", "info")
        accepted = client.evaluate(run_id)
        return create_message(f"Computing the metrics of {run_id} (job {accepted.job_id}): its progress shows on "
                              "the run's card, and the Metrics table fills in when it is done.", "info")
    except BackendError as err:
        return create_error_alert(err, f"{'cancel the training of' if action == 'cancel' else 'evaluate'} {run_id}")


# -- the live training curve -----------------------------------------------------------------------------

@callback(Output("runs-live", "children"), Input("runs-selected", "data"), Input("runs-refresh", "data"))
def live_card(selected: str | None, refresh: int | None) -> Any:
    """The open run's curve, drawn anew when another run is opened or a run is started, resumed or deleted."""
    return create_live_curve(selected, f"{selected}:{refresh or 0}") if selected else None


@callback(Output(live_id("curve", MATCH), "figure"), Output(live_id("curve", MATCH), "extendData"),
          Output(live_id("cursor", MATCH), "data"), Output(live_id("poll", MATCH), "disabled"),
          Output(live_id("terms", MATCH), "options"), Output(live_id("note", MATCH), "children"),
          Input(live_id("poll", MATCH), "n_intervals"), Input(live_id("terms", MATCH), "value"),
          State(live_id("cursor", MATCH), "data"))
def live(_tick: int, terms: list[str] | None, cursor: Cursor) -> tuple[Any, ...]:
    return live_update(context.client(), cursor, terms or [])


def live_update(client: BackendClient, cursor: Cursor, terms: Sequence[str]) -> tuple[Any, ...]:
    """One poll of the curve: (figure, extendData, cursor, poll disabled, term options, note). The whole figure
    when none is drawn or other terms are asked for; else only the steps logged since the last poll travel. The
    poll stops once the log has ended (trained, failed or cancelled) or the run is gone."""
    keep = dash.no_update
    redraw = not cursor["drawn"] or list(terms) != cursor["shown"]
    start = new_cursor(cursor["run_id"], terms) if redraw else cursor
    try:
        log = client.train_log(start["run_id"], start["after"], PAGE)
    except BackendError as err:
        alert = create_error_alert(err, f"follow the training of {cursor['run_id']}")
        return keep, keep, cursor, err.status == 404, keep, alert
    moved = advance(start, log)
    options = term_options(moved["terms"]) if moved["terms"] != cursor["terms"] else keep
    figure = live_figure(log, moved["shown"]) if redraw else keep
    extended = keep if redraw else (extension(log, start) or keep)
    return figure, extended, moved, moved["done"], options, progress_note(moved, log)


# -- the training form -----------------------------------------------------------------------------------

@callback(Output("runs-families", "data"), Output("runs-family", "options"), Output("runs-family", "value"),
          Output("runs-dataset", "options"), Output("runs-dataset", "value"), Output("runs-form-alert", "children"),
          Input("runs-initial", "data"), Input("runs-reload", "n_clicks"), State("runs-families", "data"))
def catalogue(initial: str, _reload: Any, loaded: Any) -> tuple[Any, ...]:
    if loaded and ctx.triggered_id == "runs-reload":  # Refresh retries a form that could not load, nothing more
        raise PreventUpdate
    return load_catalogue(context.client(), RunsState.from_query(parse_search(initial)))


def form_defaults(families: Sequence[str], datasets: Sequence[str]) -> tuple[str | None, str | None]:
    """The training form's family and dataset when the link names none: the first family, and digits."""
    return (families[0] if families else None), ("digits" if "digits" in datasets else next(iter(datasets), None))


def load_catalogue(client: BackendClient, state: RunsState) -> tuple[Any, ...]:
    try:
        families, datasets = client.families(), client.datasets()
    except BackendError as err:
        return None, [], None, [], None, create_error_alert(err, "load the families and datasets")
    names, sets = [f.name for f in families if f.made_by is None], [d.name for d in datasets]
    first_family, first_dataset = form_defaults(names, sets)
    family = state.family if state.family in names else first_family
    dataset = state.dataset if state.dataset in sets else first_dataset
    unknown = [f"{key} {value!r} (expected one of {', '.join(known)})" for key, value, known in
               (("family", state.family, names), ("dataset", state.dataset, sets)) if value and value not in known]
    note = create_message(f"The link's {' and '.join(unknown)} is not offered here; the form starts with "
                          f"{family} on {dataset}.", "warning") if unknown else None
    return (families_data(families), [{"label": n, "value": n} for n in names], family,
            [{"label": f"{d.name} ({d.n_items} items)", "value": d.name} for d in datasets], dataset, note)


@callback(Output("runs-config-fields", "children"), Output("runs-family-summary", "children"),
          Output("runs-form-family", "data"), Input("runs-family", "value"), State("runs-families", "data"),
          State("runs-form-family", "data"), State(CONFIG, "id"), State(CONFIG, "value"))
def config_fields(family: str | None, families: Mapping[str, Any] | None, shown: str | None = None,
                  ids: Sequence[Mapping[str, Any]] = (), values: Sequence[Any] = ()) -> tuple[Any, str, str | None]:
    """The family's config form; fields the user changed in the ``shown`` family's form carry over when the
    new family has them too (e.g. latent_dim)."""
    spec = (families or {}).get(family or "")
    if not spec:
        return [], "", None
    edits = edited_fields((families or {}).get(shown or ""), ids, values)
    kept = {k: v for k, v in edits.items() if k in spec["schema"].get("properties", {})}
    return create_config_form(spec["schema"], spec["defaults"], "config-field", kept), spec["summary"], family


def edited_fields(spec: Mapping[str, Any] | None, ids: Sequence[Mapping[str, Any]], values: Sequence[Any]
                  ) -> dict[str, Any]:
    """The form's fields whose value differs from its family's default (what the user changed)."""
    if not spec:
        return {}
    config, _ = form_values(spec["schema"], ids, values)
    return {k: v for k, v in config.items() if v != spec["defaults"].get(k)}


@callback(Output("runs-job-store", "data"), Output("runs-form-alert", "children", allow_duplicate=True),
          Output("runs-poll", "disabled"), Output("runs-refresh", "data", allow_duplicate=True),
          Output("runs-job", "style"), Output("runs-job-alert", "children", allow_duplicate=True),
          Output(CONFIG_ERROR, "children"), Output(TRAIN_ERROR, "children"), Output("runs-run-id-error", "children"),
          Input("runs-submit", "n_clicks"), State("runs-family", "value"), State("runs-dataset", "value"),
          State(CONFIG, "id"), State(CONFIG, "value"), State(TRAIN, "id"), State(TRAIN, "value"),
          State("runs-families", "data"), State("runs-refresh", "data"), State("runs-run-id", "value"),
          prevent_initial_call=True)
def submit(_clicks: int, family: str | None, dataset: str | None, config_ids: list[dict[str, str]],
           config_values: list[Any], train_ids: list[dict[str, str]], train_values: list[Any],
           families: Mapping[str, Any] | None, refresh: int, run_id: str | None) -> tuple[Any, ...]:
    """Check every field; send the run only when all are right; each refusal (the form's or the API's) shows
    beside its field."""
    schema = ((families or {}).get(family or "") or {}).get("schema", {})
    config, config_errors = form_values(schema, config_ids, config_values)
    train, train_errors = form_values(TRAIN_SCHEMA, train_ids, train_values)
    run, run_error = check_run_id(run_id)
    errors = {**{("config", k): v for k, v in config_errors.items()},
              **{("train", k): v for k, v in train_errors.items()},
              **({(RUN_ID_FIELD, RUN_ID_FIELD): run_error} if run_error else {})}
    *outputs, fields = start_training(context.client(), family, dataset, config, train, errors, refresh, run)
    return (*outputs, field_messages(fields, "config", config_ids), field_messages(fields, "train", train_ids),
            fields.get((RUN_ID_FIELD, RUN_ID_FIELD)))


@callback(Output({"type": "config-field-error", "field": MATCH}, "children", allow_duplicate=True),
          Input({"type": "config-field", "field": MATCH}, "value"), State("runs-family", "value"),
          State("runs-families", "data"), prevent_initial_call=True)
def check_config_field(value: Any, family: str | None, families: Mapping[str, Any] | None) -> str | None:
    """A family config field checked as the user leaves it (its message cleared once the value fits)."""
    schema = ((families or {}).get(family or "") or {}).get("schema", {})
    return refusal(schema.get("properties", {}).get(ctx.triggered_id["field"], {}), value)


@callback(Output({"type": "train-field-error", "field": MATCH}, "children", allow_duplicate=True),
          Input({"type": "train-field", "field": MATCH}, "value"), prevent_initial_call=True)
def check_train_field(value: Any) -> str | None:
    return refusal(TRAIN_SCHEMA["properties"][ctx.triggered_id["field"]], value)


@callback(Output("runs-run-id-error", "children", allow_duplicate=True), Input("runs-run-id", "value"),
          prevent_initial_call=True)
def check_run_id_field(value: str | None) -> str | None:
    return check_run_id(value)[1]


def field_messages(errors: FieldErrors, section: str, ids: Sequence[Mapping[str, Any]]) -> list[str | None]:
    """One message (or None) per field of ``section``, in the order of its controls."""
    return [errors.get((section, i["field"])) for i in ids]


def form_problem(family: str | None, dataset: str | None, errors: FieldErrors) -> str:
    """What to do before anything can be sent: choose a family and dataset, fix the fields marked (named)."""
    todo = [] if family and dataset else ["choose a family and a dataset"]
    if errors:
        todo.append(f"fix the {'field' if len(errors) == 1 else f'{len(errors)} fields'} marked in red "
                    f"({', '.join(field for _, field in errors)})")
    return f"Nothing was sent: {' and '.join(todo)}."


def start_training(client: BackendClient, family: str | None, dataset: str | None, config: dict[str, Any],
                   train: dict[str, Any], errors: FieldErrors, refresh: int, run_id: str | None = None
                   ) -> tuple[Any, ...]:
    """POST the run unless the form has ``errors`` (then the button's alert names the fields, and nothing is
    sent); (job store, form alert, poll disabled, refresh, job style, job alert, the messages beside the fields).
    A 422's or 409's detail shows under the button and beside the field it names."""
    hidden, shown, keep = {"display": "none"}, {"display": "block"}, dash.no_update
    if not family or not dataset or errors:
        alert = create_message(form_problem(family, dataset, errors), "danger")
        return None, alert, True, keep, hidden, None, dict(errors)
    try:
        accepted = client.create_run(family, dataset, config, train, run_id)
    except BackendError as err:
        fields = problem_fields(err, {"config": list(config), "train": list(train)})
        alert = create_error_alert(err, "start training", TRAIN_LABELS)
        return None, alert, True, keep, hidden, None, fields
    note = create_message(f"Training run {accepted.run_id} (job {accepted.job_id}).", "info")
    return {"job_id": accepted.job_id, "run_id": accepted.run_id}, note, False, (refresh or 0) + 1, shown, None, {}


@callback(Output("runs-progress", "value"), Output("runs-progress", "label"), Output("runs-job-status", "children"),
          Output("runs-job-alert", "children"), Output("runs-poll", "disabled", allow_duplicate=True),
          Output("runs-refresh", "data", allow_duplicate=True), Output("runs-progress", "animated"),
          Input("runs-poll", "n_intervals"), State("runs-job-store", "data"), State("runs-refresh", "data"),
          prevent_initial_call=True)
def poll(_tick: int, job: Mapping[str, str] | None, refresh: int) -> tuple[Any, ...]:
    if not job:
        raise PreventUpdate
    return poll_job(context.client(), job, refresh)


def poll_job(client: BackendClient, job: Mapping[str, str], refresh: int) -> tuple[Any, ...]:
    """One poll: progress while it runs; at the end, a message, and the list refreshed once the run is in it."""
    try:
        state = client.job(job["job_id"])
    except BackendError as err:
        keep = dash.no_update
        return keep, keep, "", create_error_alert(err, "follow the job"), True, keep, False
    percent, label, status = progress_view(state)
    if state.state in ("failed", "cancelled"):
        why = state.error or (state.message if state.message not in ("", state.state) else "")
        alert = create_message(f"Training {state.state}" + (f": {why}" if why else "."), "danger")
        return percent, label, status, alert, True, (refresh or 0) + 1, False
    if state.state == "succeeded":
        try:
            listed = run_listed(client.runs(), job["run_id"])
        except BackendError:
            listed = False
        if listed:
            done = dbc.Alert([f"Run {job['run_id']} is trained. ", run_links(RunSummary(
                run_id=job["run_id"], version=(state.result or {}).get("version"), family="", dataset=""))],
                color="success", className="fs-alert", id="runs-job-done")
            return 100, "100%", status, done, True, (refresh or 0) + 1, False
    return percent, label, status, None, False, dash.no_update, True


@callback(Output("runs-query", "data"), Input("runs-selected", "data"), Input("runs-family", "value"),
          Input("runs-dataset", "value"), Input("runs-search", "value"), Input("runs-status", "value"),
          Input("runs-sort", "value"), State("runs-family", "options"), State("runs-dataset", "options"))
def query(selected: str | None, family: str | None, dataset: str | None, search: str | None, status: str | None,
          sort: str | None, families: list[dict[str, Any]] | None, datasets: list[dict[str, Any]] | None) -> str:
    """The page's link: the open run, the list's search, filter and sort, and the form's family and dataset only
    where the user changed them."""
    defaults = form_defaults([o["value"] for o in families or []], [o["value"] for o in datasets or []])
    return RunsState(run=selected, family=family if family != defaults[0] else None,
                     dataset=dataset if dataset != defaults[1] else None, q=(search or "")[:MAX_SEARCH],
                     status=status, sort=sort or RUN_SORTS[0]).to_query()


register_url_sync("runs")
