"""Lens: an interpretable lens over a trained run (issue 16; SCIENCE.md section 6). Pick a base run, then one of
its lenses or make a new one (attributes, ILVM or FILVM, an oracle label budget or an uploaded CSV, steps), whose
lens_fit job shows as a progress bar. A lens shows its manipulation grid (attribute A along the columns, B or
nothing down the rows, around a base item), its score table (lens z* against the base run's own dims) and z*
coloured by an attribute. The whole view is in the URL, pinned to the run's and the lens's versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from frontend import context
from frontend.api_client import BackendClient, BackendError, Dataset, Lens, Run
from frontend.components.controls import (
    create_field,
    create_run_picker,
    create_span_slider,
    create_steps_slider,
    pick_run,
)
from frontend.components.feedback import create_error_alert, create_message
from frontend.components.figures import GRAPH_CONFIG, empty_figure
from frontend.components.lens import (
    FIELDS,
    FORM_SCHEMA,
    NEW_LENS,
    NO_ROWS,
    SCATTER_N,
    SOURCES,
    VARIANTS,
    chosen_lens,
    create_lens_banner,
    create_score_table,
    form_problem,
    grid_caption,
    grid_params,
    lens_body,
    lens_options,
    lens_problem_fields,
    scatter_figure,
)
from frontend.components.pagekit import (
    RunLoader,
    create_share_box,
    link_note,
    parse_search,
    progress_view,
    register_link_note_reset,
    register_url_sync,
)
from frontend.components.shell import CURRENT_RUN
from frontend.state import INVALID, SPAN, STEPS, LensState, as_float, as_int, whole

dash.register_page(__name__, path="/lens", name="Lens", title="Lens — factorscope", order=5, nav=True)

LENS_FAMILY = "lens"  # a lens is a run of this family: not a base run to lens
POLITE: dict[str, Any] = {"aria-live": "polite"}
IMG_ERROR: dict[str, Any] = {"data-error-store": "lens-img-error"}  # factorscope.js reports a failed grid here
HIDDEN, SHOWN = {"display": "none"}, {"display": "block"}


# -- pure helpers (tests call these) ---------------------------------------------------------------------

def run_data(run: Run, n_items: int, attributes: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``lens-run`` store: the base run shown and its dataset's attributes."""
    return {"run_id": run.run_id, "version": run.version, "dataset": run.dataset, "n_items": n_items,
            "attributes": attributes}


def lens_data(lens: Lens, latest: str | None) -> dict[str, Any]:
    """The ``lens-lens`` store: the lens shown (``version``; ``latest`` its current version)."""
    return {**lens.model_dump(), "latest": latest}


def view_state(run: Mapping[str, Any], lens: Mapping[str, Any], a: str | None, b: str | None, item: Any,
               steps: Any, span: Any, color: str | None) -> LensState:
    """The view as the controls hold it (``item`` INVALID when the box holds no item of the dataset)."""
    index = whole(item, run["n_items"] - 1)
    return LensState(run=run["run_id"], v=run["version"], lens=lens["lens_id"], lv=lens["version"], a=a or None,
                     b=b if b and b != NO_ROWS else None, item=index, steps=as_int(steps, *STEPS),
                     span=as_float(span, *SPAN), color=color or None)


def grid_problem(run: Mapping[str, Any], state: LensState) -> str | None:
    """What keeps the grid from being drawn, said as what to do (None: it can be)."""
    if state.item == INVALID:
        return f"Base item: expected a whole number in 0..{run['n_items'] - 1} ({run['dataset']} has " \
               f"{run['n_items']} items); or click a point of the z* scatter."
    if not state.a:
        return "Columns: choose an attribute."
    if state.b == state.a:
        return f"Rows: choose another attribute than the columns' ({state.a}), or none."
    return None


def usable_problem(lens: Mapping[str, Any]) -> str | None:
    """Why the lens shows no views (None: it is ready and its base run is at the version it is pinned to)."""
    if lens.get("stale_parent"):
        return f"Lens {lens['lens_id']} cannot be used now: {lens['stale_parent']}. Make a new lens on the run as " \
               "it is now (choose + new lens)."
    if lens["status"] in ("training", "refitting") and not lens.get("version"):
        return f"Lens {lens['lens_id']} is training; its views appear when its first fit ends (progress below)."
    if not lens.get("version"):
        why = f": {lens['error']}" if lens.get("error") else "."
        return f"Lens {lens['lens_id']} has no trained weights: its fit {lens['status']}{why} Make a new lens " \
               "with + new lens."
    return None


def linked_views(lens: Mapping[str, Any], asked: LensState) -> tuple[str, str, str]:
    """(columns, rows or NO_ROWS, colour): the link's, where they are attributes of this lens; for another lens
    than the link's, its first attribute along the columns, its second (or none) down the rows."""
    names: list[str] = lens["attributes"]
    if asked.lens != lens["lens_id"]:
        return names[0], next(iter(names[1:]), NO_ROWS), names[0]
    a = asked.a if asked.a in names else names[0]
    b = asked.b if asked.b in names and asked.b != a else NO_ROWS
    color = asked.color if asked.color in names else a
    return str(a), str(b), str(color)


# -- layout ---------------------------------------------------------------------------------------------

def form_card(state: LensState) -> dbc.Card:
    """The form that makes a lens: each field's message slot beside it (lens-<field>-error)."""
    def field(label: str, control: Any, name: str, help_text: str | None = None) -> html.Div:
        return create_field(label, control, control.id, help_text, f"lens-{name}-error")

    number = {name: dbc.Input(id=f"lens-fit-{name}", type="text", inputmode="numeric", debounce=True,
                              value=str(prop["default"])) for name, prop in FORM_SCHEMA["properties"].items()}
    upload = dcc.Upload(id="lens-upload", children=html.Div(["Drop a CSV here or ", html.A("choose a file")]),
                        className="fs-lens-upload", accept=".csv,text/csv,text/plain", max_size=8 * 2**20)
    return dbc.Card([dbc.CardHeader("New lens"), dbc.CardBody([
        field("Attributes the lens reads", dbc.Checklist(id="lens-attributes", options=[], value=[]), "attributes"),
        create_field("Variant", dbc.RadioItems(id="lens-variant", options=VARIANTS, value="ilvm"), "lens-variant"),
        create_field("Labels", dbc.RadioItems(id="lens-source", options=SOURCES, value="oracle"), "lens-source"),
        html.Div(dbc.Row([dbc.Col(field("Labelled items (n)", number["n"], "n",
                                        "items whose ground truth is revealed"), xs=6),
                          dbc.Col(field("Seed", number["seed"], "seed", "which items"), xs=6)]), id="lens-oracle"),
        html.Div([dbc.Label("CSV of labels", html_for="lens-upload", className="fs-label"), upload,
                  html.Div(id="lens-upload-name", className="small text-muted"),
                  html.Div(id="lens-csv-error", className="invalid-feedback d-block fs-field-error"),
                  dbc.FormText("header item,attribute,value; a class name or index, or a number in range")],
                 id="lens-csv-box", className="mb-3", style=HIDDEN),
        field("Training steps", number["steps"], "steps"),
        field("Lens id (optional)", dbc.Input(id="lens-lens-id", type="text", debounce=True,
                                              placeholder="made from the run and the time"), "lens_id",
              "lowercase letters, digits, '-' and '_'"),
        dbc.Button("Train", id="lens-submit", color="primary", n_clicks=0, className="mb-2"),
        html.Div(id="lens-form-alert"),
    ])], className="mb-3", id="lens-form", style=HIDDEN)


def view_controls(state: LensState) -> html.Div:
    """The views' controls (their options arrive with the lens)."""
    def select(name: str, value: str | None) -> dbc.Select:
        return dbc.Select(id=f"lens-{name}", options=[{"label": value, "value": value}] if value else [], value=value)

    item = dbc.Input(id="lens-item", type="number", min=0, step=1, value=state.item, debounce=True)
    return html.Div([
        dbc.Row([dbc.Col(create_field("Columns: attribute A", select("a", state.a), "lens-a"), xs=6),
                 dbc.Col(create_field("Rows: attribute B", select("b", state.b or NO_ROWS), "lens-b"), xs=6)]),
        dbc.Row([dbc.Col(create_field("Base item", item, "lens-item", "or click a point of the scatter"), xs=8),
                 dbc.Col(html.Img(id="lens-item-thumb", alt="the base item", className="fs-lens-thumb"), xs=4)]),
        create_field("Values along each axis", create_steps_slider("lens-steps", state.steps), "lens-steps"),
        create_field("Range of each axis (± prior sd of z*)", create_span_slider("lens-span", state.span),
                     "lens-span"),
        create_field("Colour the scatter by", select("color", state.color), "lens-color"),
    ], id="lens-view-controls", style=HIDDEN)


def controls(state: LensState) -> html.Div:
    linked = state.lens or NEW_LENS  # offered until the run's lenses arrive
    lens = dbc.Select(id="lens-select", options=[{"label": state.lens or "+ new lens", "value": linked}], value=linked)
    job = html.Div([dbc.Progress(id="lens-progress", value=0, label="", striped=True, animated=True,
                                 className="mb-1", style={"height": "1.4rem"}),
                    html.Div(id="lens-job-status", className="small text-muted", **POLITE)],
                   id="lens-job", className="mb-2", style=HIDDEN)
    return html.Div([
        create_run_picker("lens-run-select", state.run),
        create_field("Lens", lens, "lens-select"),
        job,
        html.Div(id="lens-job-alert"),
        view_controls(state),
        form_card(state),
        create_share_box("lens"),
    ], className="fs-controls")


def views() -> html.Div:
    grid = html.Img(id="lens-grid", alt="manipulation grid", className="fs-traversal-img fs-lens-grid", **IMG_ERROR)
    scatter = dcc.Loading(dcc.Graph(id="lens-scatter", config=GRAPH_CONFIG, figure=empty_figure("no lens yet")))
    return html.Div([
        html.Div(id="lens-summary", className="small text-muted mb-2"),
        dbc.Card([dbc.CardHeader("Manipulation grid"), dbc.CardBody([
            html.Div(id="lens-grid-note"), html.Div(id="lens-img-alert"), grid,
            html.P(id="lens-grid-caption", className="small text-muted mt-2 mb-0")])], className="mb-3"),
        dbc.Card([dbc.CardHeader("Interpretability: lens z* against the base run's own dims"),
                  dbc.CardBody(html.Div(id="lens-score"))], className="mb-3"),
        dbc.Card([dbc.CardHeader("z* of the items"), dbc.CardBody([html.Div(id="lens-scatter-alert"), scatter])],
                 className="mb-3"),
    ], id="lens-views", style=HIDDEN)


def layout(**query: Any) -> html.Div:
    state = LensState.from_query(query)
    return html.Div([
        dcc.Store(id="lens-initial", data=state.to_query()),
        dcc.Store(id="lens-run"),
        dcc.Store(id="lens-lens"),
        dcc.Store(id="lens-refresh"),  # {"select": a lens id}: the lens list is read again and that lens shown
        dcc.Store(id="lens-job-store"),  # {"job_id", "lens_id"}: the lens_fit job the progress bar follows
        dcc.Store(id="lens-query"),
        dcc.Store(id="lens-img-error"),
        dcc.Interval(id="lens-poll", interval=context.settings_if_serving().poll_ms, disabled=True),
        html.H1("Lens", className="h4"),
        html.Div(id="lens-banner"),
        html.Div(id="lens-lens-banner"),
        html.Div(link_note(state, query), id="lens-link-note"),
        html.Div(id="lens-alerts"),
        html.Div(id="lens-lens-alert"),
        dbc.Row([  # on a phone the views come first; from md up the controls stand on the left
            dbc.Col([views(), html.Div(id="lens-empty")], xs={"size": 12, "order": 1}, md={"size": 8, "order": 2},
                    xl={"size": 9, "order": 2}),
            dbc.Col(controls(state), xs={"size": 12, "order": 2}, md={"size": 4, "order": 1},
                    xl={"size": 3, "order": 1}),
        ]),
    ], className="fs-page", id="lens-page")


# -- the base run ----------------------------------------------------------------------------------------

def lens_run_store(client: BackendClient, run: Run, _dataset: Dataset | None,
                   _asked: LensState) -> tuple[dict[str, Any] | None, list[Any]]:
    """The ``lens-run`` store, or why this run cannot carry a lens."""
    if run.family == LENS_FAMILY:
        return None, [create_message(f"{run.run_id} is itself a lens; choose the run it lenses above.", "info")]
    try:
        found = client.attributes(run.dataset)
    except BackendError as err:
        return None, [create_error_alert(err, f"read the attributes of {run.dataset}")]
    if not found.attributes:
        return None, [create_message(f"{run.dataset} has no attributes (side information), so a lens on {run.run_id} "
                                     "has nothing to read: choose a run on a dataset with attributes (digits, "
                                     "glyphs, dsprites, ...).", "info")]
    return run_data(run, found.n_items, [a.model_dump() for a in found.attributes]), []


LOADER = RunLoader(LensState.from_query, lens_run_store)


def load_base(client: BackendClient, run_id: str | None, initial: Mapping[str, str],
              remembered: str | None) -> tuple[Any, ...]:
    """The run loader over base runs: with no run asked for, the remembered or newest run that is not a lens; the
    picker offers no lenses (the linked run stays, with the note saying it is a lens)."""
    try:
        runs = client.runs()
    except BackendError:
        runs = []
    lenses = {r.run_id for r in runs if r.family == LENS_FAMILY}
    chosen = run_id or pick_run([r for r in runs if r.run_id not in lenses], remembered)
    store, options, value, banner, alerts, current = LOADER(client, chosen, initial, remembered)
    offered = [o for o in options if o["value"] not in lenses or o["value"] == value]
    return store, offered, value, banner, alerts, current


@callback(Output("lens-run", "data"), Output("lens-run-select", "options"), Output("lens-run-select", "value"),
          Output("lens-banner", "children"), Output("lens-alerts", "children"),
          Output(CURRENT_RUN, "data", allow_duplicate=True), Input("lens-run-select", "value"),
          State("lens-initial", "data"), State(CURRENT_RUN, "data"), prevent_initial_call="initial_duplicate")
def load_run(run_id: str | None, initial: str, remembered: str | None) -> tuple[Any, ...]:
    return load_base(context.client(), run_id, parse_search(initial), remembered)


register_link_note_reset("lens")


# -- the lens --------------------------------------------------------------------------------------------

@callback(Output("lens-select", "options"), Output("lens-select", "value"), Output("lens-lens-alert", "children"),
          Input("lens-run", "data"), Input("lens-refresh", "data"), State("lens-initial", "data"),
          State("lens-select", "value"))
def pick_lens(run: Mapping[str, Any] | None, refresh: Mapping[str, Any] | None, initial: str,
              current: str | None) -> tuple[Any, ...]:
    asked = LensState.from_query(parse_search(initial))
    wanted = (refresh or {}).get("select") if ctx.triggered_id == "lens-refresh" else None
    return lens_choices(context.client(), run, asked, wanted, current)


def lens_choices(client: BackendClient, run: Mapping[str, Any] | None, asked: LensState, wanted: str | None,
                 current: str | None) -> tuple[list[dict[str, Any]], str, Any]:
    """(picker options, the lens shown, a note): ``wanted`` (a lens just made) first, then the link's lens when it is
    about this run, the one shown, the newest ready one, else the form for a new one."""
    if not run:
        return lens_options([]), NEW_LENS, None
    try:
        lenses = client.lenses(run["run_id"])
    except BackendError as err:
        return lens_options([]), NEW_LENS, create_error_alert(err, f"list the lenses of {run['run_id']}")
    linked = asked.lens if asked.run == run["run_id"] else None
    note = None
    if linked and all(x.lens_id != linked for x in lenses):
        note = create_message(f"The link's lens {linked} is not a lens of run {run['run_id']} (deleted, or made on "
                              "another run); choose one of its lenses or make a new one.", "warning")
    return lens_options(lenses), chosen_lens(lenses, wanted or linked, current), note


@callback(Output("lens-lens", "data"), Output("lens-lens-banner", "children"), Output("lens-empty", "children"),
          Output("lens-form", "style"), Output("lens-views", "style"), Output("lens-view-controls", "style"),
          Output("lens-job-store", "data", allow_duplicate=True), Input("lens-select", "value"),
          State("lens-run", "data"), State("lens-initial", "data"), prevent_initial_call="initial_duplicate")
def load_lens(lens_id: str | None, run: Mapping[str, Any] | None, initial: str) -> tuple[Any, ...]:
    return lens_view(context.client(), run, lens_id or NEW_LENS, LensState.from_query(parse_search(initial)))


def lens_view(client: BackendClient, run: Mapping[str, Any] | None, lens_id: str, asked: LensState
              ) -> tuple[Any, ...]:
    """(lens store, banner, message, form style, views style, view controls style, the job the progress bar follows:
    the lens's fit while it trains, else none)."""
    if not run:
        return None, None, None, HIDDEN, HIDDEN, HIDDEN, no_update
    if lens_id == NEW_LENS:
        note = create_message(f"No lens of {run['run_id']} is shown: make one with the New lens form (tick the "
                              "attributes, choose the labels, press Train), or pick a lens above.", "info")
        return None, None, note, SHOWN, HIDDEN, HIDDEN, no_update
    pinned = asked.lv if asked.run == run["run_id"] and asked.lens == lens_id else None
    try:
        lens, latest = pinned_lens(client, run["run_id"], lens_id, pinned)
    except BackendError as err:
        return None, None, create_error_alert(err, f"load lens {lens_id}"), HIDDEN, HIDDEN, HIDDEN, no_update
    data = lens_data(lens, latest)
    href = replace(asked, run=run["run_id"], v=run["version"], lens=lens_id, lv=latest).href()
    banner = create_lens_banner(lens_id, pinned, lens.version, latest, href) if pinned else None
    job = {"job_id": lens.job_id, "lens_id": lens_id} if lens.status in ("training", "refitting") else None
    problem = usable_problem(data)
    if problem:
        return data, banner, create_message(problem, "info"), HIDDEN, HIDDEN, HIDDEN, job
    return data, banner, None, HIDDEN, SHOWN, SHOWN, job


def pinned_lens(client: BackendClient, run_id: str, lens_id: str, version: str | None) -> tuple[Lens, str | None]:
    """(the lens at ``version`` when it kept that version, else its current one; its current version)."""
    current = client.lens(run_id, lens_id)
    if not version or version == current.version:
        return current, current.version
    try:
        return client.lens(run_id, lens_id, version), current.version
    except BackendError as err:
        if err.status != 409:
            raise
    return current, current.version


@callback(Output("lens-a", "options"), Output("lens-a", "value"), Output("lens-b", "options"),
          Output("lens-b", "value"), Output("lens-color", "options"), Output("lens-color", "value"),
          Output("lens-summary", "children"), Input("lens-lens", "data"), State("lens-initial", "data"))
def lens_controls(lens: Mapping[str, Any] | None, initial: str) -> tuple[Any, ...]:
    if not lens or usable_problem(lens):
        raise PreventUpdate
    a, b, color = linked_views(lens, LensState.from_query(parse_search(initial)))
    names = [{"label": n, "value": n} for n in lens["attributes"]]
    return names, a, [{"label": "none (one row)", "value": NO_ROWS}, *names], b, names, color, lens_summary(lens)


def lens_summary(lens: Mapping[str, Any]) -> str:
    labels = lens.get("labels") or {}
    counts = ", ".join(f"{name} {part.get('n_labelled', 0):,}" for name, part in labels.get("attributes", {}).items())
    return f"Lens {lens['lens_id']} · {lens['variant'].upper()}, k = {lens['k']} · version {lens['version']} · " \
           f"on {lens['run_id']} at {lens['parent_version']}" + (f" · labelled items: {counts}" if counts else "")


# -- the views -------------------------------------------------------------------------------------------

VIEW_INPUTS = (Input("lens-a", "value"), Input("lens-b", "value"), Input("lens-item", "value"),
               Input("lens-steps", "value"), Input("lens-span", "value"), Input("lens-color", "value"))


@callback(Output("lens-grid", "src"), Output("lens-grid-caption", "children"), Output("lens-grid-note", "children"),
          Output("lens-item-thumb", "src"), State("lens-run", "data"), Input("lens-lens", "data"), *VIEW_INPUTS)
def grid(run: Mapping[str, Any] | None, lens: Mapping[str, Any] | None, a: str | None, b: str | None, item: Any,
         steps: Any, span: Any, color: str | None) -> tuple[Any, ...]:
    if not run or not lens or usable_problem(lens):
        return None, "", None, None
    state = view_state(run, lens, a, b, item, steps, span, color)
    problem = grid_problem(run, state)
    thumb = context.images().item(run["dataset"], state.item) if state.item != INVALID else None
    if problem:
        return None, "", create_message(problem), thumb
    src = context.images().manipulation(run["run_id"], lens["lens_id"], grid_params(state))
    return src, grid_caption(state), None, thumb


@callback(Output("lens-score", "children"), Input("lens-lens", "data"))
def score(lens: Mapping[str, Any] | None) -> Any:
    if not lens or usable_problem(lens):
        return None
    return score_view(context.client(), lens)


def score_view(client: BackendClient, lens: Mapping[str, Any]) -> Any:
    try:
        return create_score_table(client.lens_score(lens["run_id"], lens["lens_id"], lens["version"]))
    except BackendError as err:
        return create_error_alert(err, "read the score table")


@callback(Output("lens-scatter", "figure"), Output("lens-scatter-alert", "children"), State("lens-run", "data"),
          Input("lens-lens", "data"), Input("lens-color", "value"))
def scatter(run: Mapping[str, Any] | None, lens: Mapping[str, Any] | None, color: str | None) -> tuple[Any, Any]:
    if not run or not lens or usable_problem(lens) or not color:
        return empty_figure("no lens yet"), None
    return scatter_view(context.client(), run, lens, color)


def scatter_view(client: BackendClient, run: Mapping[str, Any], lens: Mapping[str, Any], color: str
                 ) -> tuple[Any, Any]:
    try:
        emb = client.lens_embedding(lens["run_id"], lens["lens_id"], color, min(SCATTER_N, run["n_items"]),
                                    lens["version"])
    except BackendError as err:
        return empty_figure("no points"), create_error_alert(err, "encode the items through the lens")
    return scatter_figure(emb), None


@callback(Output("lens-item", "value"), Input("lens-scatter", "clickData"), prevent_initial_call=True)
def pick_item(click: Mapping[str, Any] | None) -> int:
    points = (click or {}).get("points") or []
    value = points[0].get("customdata") if points else None
    if not isinstance(value, int | float):
        raise PreventUpdate
    return int(value)


@callback(Output("lens-img-alert", "children"), Input("lens-img-error", "data"), prevent_initial_call=True)
def image_problem(error: Mapping[str, Any] | None) -> Any:
    """The backend's own words for a grid that did not load (asked again, server-side)."""
    path = context.images().path_of(str((error or {}).get("src", "")))
    if path is None:
        return None
    try:
        context.client().fetch(path)
    except BackendError as err:
        return create_error_alert(err, "draw the manipulation grid")
    return None


@callback(Output("lens-query", "data"), Input("lens-run", "data"), Input("lens-lens", "data"),
          Input("lens-select", "value"), *VIEW_INPUTS)
def query(run: Mapping[str, Any] | None, lens: Mapping[str, Any] | None, lens_id: str | None, a: str | None,
          b: str | None, item: Any, steps: Any, span: Any, color: str | None) -> str:
    if not run:
        raise PreventUpdate
    if not lens or lens["lens_id"] != lens_id or usable_problem(lens):
        return LensState(run=run["run_id"], v=run["version"],
                         lens=lens_id if lens_id and lens_id != NEW_LENS else None).to_query()
    state = view_state(run, lens, a, b, item, steps, span, color)
    if state.item == INVALID:  # no link to an item the dataset lacks: the box says what it expects
        raise PreventUpdate
    return state.to_query()


register_url_sync("lens")


# -- making a lens ---------------------------------------------------------------------------------------

@callback(Output("lens-attributes", "options"), Output("lens-attributes", "value"), Input("lens-run", "data"))
def form_attributes(run: Mapping[str, Any] | None) -> tuple[list[dict[str, str]], list[str]]:
    """The dataset's attributes (kind, classes or range): the first two ticked."""
    if not run:
        return [], []
    options = [{"label": attribute_label(a), "value": a["name"]} for a in run["attributes"]]
    return options, [o["value"] for o in options[:2]]


def attribute_label(attribute: Mapping[str, Any]) -> str:
    if attribute["kind"] == "categorical":
        return f"{attribute['name']} ({len(attribute.get('classes') or [])} classes)"
    unit = f" {attribute['unit']}" if attribute.get("unit") else ""
    return f"{attribute['name']} ({attribute['lo']:g} to {attribute['hi']:g}{unit})"


@callback(Output("lens-oracle", "style"), Output("lens-csv-box", "style"), Input("lens-source", "value"))
def label_source(source: str) -> tuple[dict[str, str], dict[str, str]]:
    return (SHOWN, HIDDEN) if source == "oracle" else (HIDDEN, SHOWN)


@callback(Output("lens-upload-name", "children"), Input("lens-upload", "filename"), prevent_initial_call=True)
def upload_name(filename: str | None) -> str:
    return f"chosen: {filename}" if filename else ""


ERRORS = [Output(f"lens-{name}-error", "children") for name in FIELDS]


@callback(Output("lens-form-alert", "children"), Output("lens-job-store", "data", allow_duplicate=True), *ERRORS,
          Input("lens-submit", "n_clicks"), State("lens-run", "data"), State("lens-attributes", "value"),
          State("lens-variant", "value"), State("lens-source", "value"), State("lens-fit-n", "value"),
          State("lens-fit-seed", "value"), State("lens-upload", "contents"), State("lens-fit-steps", "value"),
          State("lens-lens-id", "value"), prevent_initial_call=True)
def submit(_clicks: int, run: Mapping[str, Any] | None, attributes: list[str], variant: str, source: str, n: Any,
           seed: Any, upload: str | None, steps: Any, lens_id: str | None) -> tuple[Any, ...]:
    if not run:
        raise PreventUpdate
    form = {"attributes": attributes, "variant": variant, "source": source, "n": n, "seed": seed, "upload": upload,
            "steps": steps, "lens_id": lens_id}
    alert, job, fields = start_lens(context.client(), run, form)
    return (alert, job, *[fields.get(name) for name in FIELDS])


def start_lens(client: BackendClient, run: Mapping[str, Any], form: Mapping[str, Any]
               ) -> tuple[Any, Any, dict[str, str]]:
    """POST the lens unless a field is wrong (then nothing is sent); (alert, job to follow, messages by field).
    The API's refusals show under the button and beside the field they name."""
    body, errors = lens_body(form, run["n_items"])
    if errors:
        return create_message(form_problem(errors), "danger"), no_update, errors
    try:
        accepted = client.create_lens(run["run_id"], body)
    except BackendError as err:
        return create_error_alert(err, "start the lens"), no_update, lens_problem_fields(err)
    note = create_message(f"Training lens {accepted.run_id} (job {accepted.job_id}): its views appear when it is "
                          "done.", "info")
    return note, {"job_id": accepted.job_id, "lens_id": accepted.run_id}, {}


@callback(Output("lens-poll", "disabled"), Output("lens-job", "style"), Input("lens-job-store", "data"))
def follow(job: Mapping[str, Any] | None) -> tuple[bool, dict[str, str]]:
    return (False, SHOWN) if job and job.get("job_id") else (True, HIDDEN)


@callback(Output("lens-progress", "value"), Output("lens-progress", "label"), Output("lens-job-status", "children"),
          Output("lens-job-alert", "children"), Output("lens-poll", "disabled", allow_duplicate=True),
          Output("lens-refresh", "data"), Input("lens-poll", "n_intervals"), State("lens-job-store", "data"),
          prevent_initial_call=True)
def poll(_tick: int, job: Mapping[str, Any] | None) -> tuple[Any, ...]:
    if not job:
        raise PreventUpdate
    return poll_job(context.client(), job)


def poll_job(client: BackendClient, job: Mapping[str, Any]) -> tuple[Any, ...]:
    """One poll of the lens_fit job: its progress; at the end, a message, and the lens list read again showing the
    lens (so its views appear)."""
    keep = no_update
    try:
        state = client.job(job["job_id"])
    except BackendError as err:
        return keep, keep, "", create_error_alert(err, "follow the lens's fit"), True, keep
    percent, label, status = progress_view(state)
    if state.state in ("failed", "cancelled"):
        why = state.error or (state.message if state.message not in ("", state.state) else "")
        alert = create_message(f"The fit of lens {job['lens_id']} {state.state}" + (f": {why}" if why else "."),
                               "danger")
        return percent, label, status, alert, True, {"select": job["lens_id"]}
    if state.state == "succeeded":
        done = create_message(f"Lens {job['lens_id']} is trained.", "success")
        return 100, "100%", status, done, True, {"select": job["lens_id"]}
    return percent, label, status, None, False, keep
