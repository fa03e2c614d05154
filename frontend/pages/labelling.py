"""Label: a person answers, one key press per item, the items a lens most needs labelled (issue 17).

Open a session (run -> items: all, or a set saved on the Embedding page -> lens -> attributes, strategy) or an
existing one; the session is in the URL (``/label?session=ID``), so the link is a share link and a second person
opening it labels alongside. Before that, the URL holds the form's run and item set (``/label?run=R&item_set=S``:
the Embedding page links there after "Save for labelling"). The page
asks a name once and keeps it in the browser (local storage). The item is shown large with its reconstruction,
with class buttons (keys 1-9) or a slider (arrow keys, Enter); Space skips, F flags, Backspace undoes, ? lists
the keys (assets/labelling.js). Every user action is drawn in the browser as {kind, item, value, key}; ``key``,
a fresh random id, goes out as the write's Idempotency-Key, so a request sent twice stores one label. Beside the
item: the model's guess, why the item was chosen, who is labelling, the session's progress, the learning curve
and your last labels (editable), polled every few seconds."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from frontend import context
from frontend.api_client import BackendClient, BackendError, ImageUrls, ItemSetSummary, LensSummary, RunSummary
from frontend.components.controls import create_field, run_options
from frontend.components.feedback import create_error_alert, create_message
from frontend.components.figures import GRAPH_CONFIG, empty_figure
from frontend.components.labelling import (
    LabelState,
    create_class_buttons,
    create_guess,
    create_history,
    create_key_help,
    create_labellers,
    create_progress,
    create_reason,
    curve_figure,
    slider_settings,
)
from frontend.components.labelling_actions import Seat, lease, perform
from frontend.components.pagekit import create_share_box, link_note, register_url_sync
from frontend.labelling_client import (
    STRATEGIES,
    LabellingClient,
    LabelSession,
    NextItem,
    backend_path,
)

dash.register_page(__name__, path="/label", name="Label", title="Label — factorscope", order=6, nav=True)

MAX_NAME = 64  # a labeller's name, as the page takes it
POLL_MS = 3000  # how often the session's progress, curve and history are read again
HISTORY_N = 10
HIDDEN_SLIDER = {"min": 0.0, "max": 1.0, "step": 0.01, "value": 0.5, "marks": None}
ALL_ITEMS = "all"  # the item-set choice meaning every item (set ids are hex digits: never this)


# -- pure helpers (tests call these) ---------------------------------------------------------------------

def clean_name(text: Any) -> str | None:
    """A labeller's name as typed, surrounding spaces dropped; None when empty or longer than MAX_NAME."""
    name = text.strip() if isinstance(text, str) else ""
    return name if 0 < len(name) <= MAX_NAME else None


def absolute_url(images: ImageUrls | None, url: str | None) -> str | None:
    """A contract image URL (a backend path) on the backend's public address, for <img src>."""
    path = backend_path(url)
    return f"{images.base}{path}" if images and path else None


def lens_options(lenses: list[LensSummary]) -> list[dict[str, Any]]:
    """Dropdown options: fitted lenses to pick (a refitting one still ranks with its last version); the others
    shown, disabled, with their status."""
    return [{"label": f"{x.lens_id} ({', '.join(x.attributes)})" + ("" if usable(x) else f" — {x.status}"),
             "value": x.lens_id, "disabled": not usable(x)} for x in lenses]


def usable(lens: LensSummary) -> bool:
    return lens.version is not None and lens.status in ("ready", "refitting")


def session_title(session: LabelSession) -> str:
    """'Labelling label, thickness · run tiny · lens L · most informative (BALD)' (with the item set it asks about,
    and whether it is closed)."""
    names = ", ".join(a.name for a in session.attributes)
    closed = " (closed: no more labels are taken)" if session.state == "closed" else ""
    pool = f" · set {session.item_set.name} ({session.item_set.n_items:,} items)" if session.item_set else ""
    return (f"Labelling {names} · run {session.run_id}{pool} · lens {session.lens_id or '(deleted)'} · "
            f"{STRATEGIES.get(session.strategy, session.strategy)}{closed}")


def set_options(sets: list[ItemSetSummary]) -> list[dict[str, Any]]:
    """The "Items to ask for" choices: every item (first, the default), then the run's saved sets."""
    return [{"label": "All items of the run's dataset", "value": ALL_ITEMS},
            *({"label": f"{s.name} ({s.n_items:,} items)", "value": s.set_id} for s in sets)]


def page_query(info: Mapping[str, Any] | None, run_id: str | None, set_choice: str | None) -> str:
    """The address's query: the open session's link, else the new-session form's run and item set."""
    if info:
        return LabelState(session=info["id"]).to_query()
    return LabelState(run=run_id, item_set=None if set_choice in (None, ALL_ITEMS) else set_choice).to_query()


def done_message(nxt: NextItem) -> str:
    return (f"Nothing left to label for {nxt.attribute}: every item is labelled, skipped by you or being "
            "labelled by someone else right now. Come back in a few minutes, or open another session.")


# -- layout ---------------------------------------------------------------------------------------------

def name_card() -> html.Div:
    prompt = html.Div([
        dbc.Label("Your name (it is saved with every label you give)", html_for="label-name-input",
                  className="fs-label"),
        dbc.InputGroup([dbc.Input(id="label-name-input", maxLength=MAX_NAME, placeholder="e.g. Ada",
                                  autoComplete="name"),
                        dbc.Button("Save", id="label-name-save", n_clicks=0)]),
    ], id="label-name-prompt", hidden=True, className="mb-2")
    who = html.Div([html.Span(id="label-whoami"),
                    dbc.Button("change", id="label-name-change", color="link", size="sm", n_clicks=0,
                               className="p-0 ms-2 align-baseline")], id="label-whoami-row", hidden=True)
    return html.Div([prompt, who], className="fs-controls py-2")


def setup_section() -> html.Div:
    strategies = [{"label": text, "value": name} for name, text in STRATEGIES.items()]
    form = html.Div([
        html.H2("Start a labelling session", className="h6"),
        create_field("Run", dcc.Dropdown(id="label-run-select", clearable=False, placeholder="choose a run"),
                     "label-run-select"),
        create_field("Items to label", dcc.Dropdown(id="label-set-select", clearable=False,
                                                    options=set_options([]), value=ALL_ITEMS),
                     "label-set-select", "Every item, or a set saved on the Embedding page (a lasso or box "
                     "selection): only its items are asked for."),
        create_field("Lens (it ranks the items and learns from your labels)",
                     dcc.Dropdown(id="label-lens-select", clearable=False, placeholder="choose a lens"),
                     "label-lens-select", "Make a lens on the run's Lens page or through the API first."),
        create_field("Attributes to label", dbc.Checklist(id="label-attr-select", inline=True), "label-attr-select"),
        create_field("Which items to ask for", dbc.RadioItems(id="label-strategy", options=strategies, value="bald"),
                     "label-strategy"),
        dbc.Button("Start labelling", id="label-create", n_clicks=0, color="primary"),
    ], className="fs-controls")
    return html.Div(dbc.Row([
        dbc.Col(form, xs=12, lg=6),
        dbc.Col(html.Div([html.H2("Or continue a session", className="h6"), html.Div(id="label-sessions")],
                         className="fs-controls"), xs=12, lg=6),
    ]), id="label-setup")


def answer_panel() -> html.Div:
    """The class buttons (filled per item) or the slider and its submit button, then skip, flag, undo."""
    slider = html.Div([
        dcc.Slider(id="label-slider", min=0.0, max=1.0, step=0.01, value=0.5, allow_direct_input=False,
                   updatemode="drag"),
        html.Div([html.Span(id="label-slider-value", className="fs-z-value me-2"),
                  dbc.Button([html.Kbd("Enter", className="me-1"), "Submit"], id="label-submit", n_clicks=0)],
                 className="d-flex align-items-center"),
    ], id="label-slider-box", hidden=True, className="mb-2")
    actions = html.Div([
        dbc.Button([html.Kbd("Space", className="me-1"), "Skip"], id="label-skip", color="secondary",
                   outline=True, n_clicks=0),
        dbc.Button([html.Kbd("F", className="me-1"), "Flag"], id="label-flag", color="warning", outline=True,
                   n_clicks=0, title="unclear, broken or not fitting any class"),
        dbc.Button([html.Kbd("⌫", className="me-1"), "Undo"], id="label-undo", color="secondary", outline=True,
                   n_clicks=0, title="take back your last label (Backspace)"),
        dbc.Button([html.Kbd("?", className="me-1"), "Keys"], id="label-help-open", color="link", n_clicks=0),
    ], className="d-flex flex-wrap gap-2")
    return html.Div([html.Div(id="label-classes", className="fs-label-classes mb-2"), slider, actions],
                    id="label-answer")


def item_card() -> dbc.Card:
    images = html.Div([
        html.Img(id="label-item-img", alt="the item to label", className="fs-label-item"),
        html.Figure([html.Img(id="label-recon-img", alt="the item (top) and its reconstruction (bottom)",
                              className="fs-label-recon"),
                     html.Figcaption("top: the item · bottom: the model's reconstruction",
                                     className="small text-muted")], className="fs-label-recon-box mb-0"),
    ], className="fs-label-images")
    return dbc.Card(dbc.CardBody([
        html.Div([html.H2(id="label-item-title", className="h6 mb-0"),
                  html.Small(id="label-counter", className="text-muted")],
                 className="d-flex justify-content-between align-items-baseline flex-wrap gap-2 mb-2"),
        images, html.P(id="label-done", className="text-muted"), answer_panel(),
        html.Div(id="label-status", className="small text-muted mt-2", role="status"),
    ]), className="mb-3 fs-label-card")


def card(header: str, body: Any, body_id: str | None = None) -> dbc.Card:
    inner = dbc.CardBody(body, id=body_id) if body_id else dbc.CardBody(body)
    return dbc.Card([dbc.CardHeader(header), inner], className="mb-3")


def work_section() -> html.Div:
    curve = dcc.Graph(id="label-curve", config=GRAPH_CONFIG, figure=empty_figure("loading…", height=260))
    return html.Div([
        html.P(id="label-session-title", className="fw-semibold mb-2"),
        html.Div(id="label-work-alerts"),
        html.Div(create_field("Attribute you answer", dbc.RadioItems(id="label-attribute", inline=True),
                              "label-attribute"), id="label-attribute-box", hidden=True),
        dbc.Row([
            dbc.Col([item_card(), create_share_box("label")], xs=12, lg=6),
            dbc.Col([
                card("The model's guess", None, "label-guess"),
                card("Why this item", None, "label-reason"),
                card("Your last labels (change a value to correct it)", None, "label-history"),
                card("Learning curve", curve),
                card("Progress", None, "label-progress"),
                card("Who is labelling", None, "label-labellers"),
            ], xs=12, lg=6),
        ]),
    ], id="label-work", hidden=True)


def help_modal() -> dbc.Modal:
    return dbc.Modal([dbc.ModalHeader(dbc.ModalTitle("Keys")), dbc.ModalBody(create_key_help()),
                      dbc.ModalFooter(dbc.Button("Close", id="label-help-close", n_clicks=0))],
                     id="label-help", is_open=False)


def layout(**query: Any) -> html.Div:
    state = LabelState.from_query(query)
    return html.Div([
        dcc.Store(id="label-session", data=state.session),
        dcc.Store(id="label-initial", data={"run": state.run, "item_set": state.item_set}),
        dcc.Store(id="label-info"),
        dcc.Store(id="label-labeller", storage_type="local"),
        dcc.Store(id="label-current"),
        dcc.Store(id="label-action"),
        dcc.Store(id="label-history-data"),
        dcc.Store(id="label-tick", data=0),
        dcc.Store(id="label-query"),
        dcc.Interval(id="label-poll", interval=POLL_MS),
        html.H1("Label", className="h4"),
        html.Div(link_note(state, query), id="label-link-note"),
        html.Div(id="label-run-note"),  # the link's run, when the form cannot start on it (setup_view)
        html.Div(id="label-set-note"),  # the link's item set, when the run has no such set (set_view)
        html.Div(id="label-feedback"),
        name_card(), setup_section(), work_section(), help_modal(),
    ], className="fs-page", id="label-page")


# -- the labeller's name ----------------------------------------------------------------------------------

@callback(Output("label-labeller", "data"), Output("label-name-input", "invalid"),
          Input("label-name-save", "n_clicks"), Input("label-name-input", "n_submit"),
          State("label-name-input", "value"), prevent_initial_call=True)
def save_name(_clicks: int, _submit: int | None, text: str | None) -> tuple[Any, bool]:
    name = clean_name(text)
    return (name, False) if name else (no_update, True)


@callback(Output("label-name-prompt", "hidden"), Output("label-whoami-row", "hidden"),
          Output("label-whoami", "children"), Output("label-name-input", "value"),
          Input("label-labeller", "data"), Input("label-name-change", "n_clicks"))
def show_name(name: str | None, _change: int) -> tuple[bool, bool, Any, Any]:
    """Ask for a name until there is one (and again on 'change'); else say who is labelling."""
    asking = not name or ctx.triggered_id == "label-name-change"
    return not asking, asking, ["Labelling as ", html.Strong(name or "")], name or ""


# -- opening a session -------------------------------------------------------------------------------------

@callback(Output("label-run-select", "options"), Output("label-run-select", "value"),
          Output("label-sessions", "children"), Output("label-run-note", "children"),
          Input("label-session", "data"), State("label-initial", "data"))
def setup_lists(_session: str | None, initial: Mapping[str, Any] | None) -> tuple[Any, Any, Any, Any]:
    initial = initial or {}
    return setup_view(context.client(), initial.get("run"), bool(initial.get("item_set")))


def setup_view(client: BackendClient, asked: str | None = None, with_set: bool = False) -> tuple[Any, Any, Any, Any]:
    """(run options, the link's run if it is a ready one, else the newest ready run, the open sessions as links,
    a warning when the link's run was not taken) for the setup form; ``with_set``: the link names an item set too."""
    try:
        runs = client.runs()
        sessions = LabellingClient(client).sessions(state="open")
    except BackendError as err:
        return [], None, create_error_alert(err, "list the runs and sessions"), None
    links = [html.Li(dcc.Link(session_title(s), href=LabelState(session=s.id).href(),
                              className="fs-label-session-link")) for s in sessions]
    listing = html.Ul(links, className="mb-0") if links else html.P("No open sessions yet.", className="text-muted")
    offered = [r for r in runs if labellable(r)]
    ready = [r.run_id for r in offered]
    if asked in ready:
        return run_options(offered), asked, listing, None
    chosen = ready[0] if ready else None
    note = unused_run_note(runs, asked, chosen, with_set) if asked else None
    return run_options(offered), chosen, listing, note


def labellable(run: RunSummary) -> bool:
    """Whether a session can be started on ``run``: a model run (not a lens) with trained weights."""
    return run.status == "ready" and run.family != "lens"


def unused_run_note(runs: list[RunSummary], asked: str, chosen: str | None, with_set: bool) -> dbc.Alert:
    """Why the form does not start on the link's run ``asked``, and what it offers instead (``chosen``)."""
    run = next((r for r in runs if r.run_id == asked), None)
    why = ("does not exist (deleted, or the link is mistyped)" if run is None
           else "is a lens, not a model to label items of" if run.family == "lens"
           else "is still training" if run.status == "training"
           else f"has no trained weights (its training {run.status})")
    instead = f"run {chosen}, the newest ready run, is chosen instead" if chosen else "no run is ready to label yet"
    pool = f", and every item is offered (the link's item set was made on run {asked})" if with_set else ""
    return create_message(f"This link's run {asked} {why}: {instead}{pool}.", "warning")


@callback(Output("label-set-select", "options"), Output("label-set-select", "value"),
          Output("label-set-note", "children"), Input("label-run-select", "value"), State("label-initial", "data"))
def set_choices(run_id: str | None, initial: Mapping[str, Any] | None) -> tuple[Any, Any, Any]:
    initial = initial or {}
    return set_view(context.client(), run_id, initial.get("item_set"), initial.get("run"))


def set_view(client: BackendClient, run_id: str | None, asked: str | None,
             linked_run: str | None = None) -> tuple[Any, Any, Any]:
    """(the item-set choices of the run, the link's set when it is one of them, else every item, a message): a
    warning when the link's set is not one of the run's (only while the run is the link's, when it names one: on
    another run the set is not expected), the error alert when the sets cannot be read."""
    if not run_id:
        return set_options([]), ALL_ITEMS, None
    try:
        sets = client.item_sets(run_id)
    except BackendError as err:
        return set_options([]), ALL_ITEMS, create_error_alert(err, f"list run {run_id}'s item sets")
    if not asked or asked in {s.set_id for s in sets}:
        return set_options(sets), asked or ALL_ITEMS, None
    if linked_run not in (None, run_id):
        return set_options(sets), ALL_ITEMS, None
    note = create_message(f"This link's item set {asked} is not one of run {run_id}'s sets (deleted, or made on "
                          "another run): every item is offered.", "warning")
    return set_options(sets), ALL_ITEMS, note


@callback(Output("label-lens-select", "options"), Output("label-lens-select", "value"),
          Input("label-run-select", "value"))
def lens_choices(run_id: str | None) -> tuple[Any, Any]:
    if not run_id:
        return [], None
    try:
        options = lens_options(context.client().lenses(run_id))
    except BackendError:
        return [], None
    ready = [o["value"] for o in options if not o["disabled"]]
    return options, ready[0] if ready else None


@callback(Output("label-attr-select", "options"), Output("label-attr-select", "value"),
          Input("label-lens-select", "value"), State("label-run-select", "value"))
def attribute_choices(lens_id: str | None, run_id: str | None) -> tuple[Any, Any]:
    if not lens_id or not run_id:
        return [], []
    try:
        lens = next(x for x in context.client().lenses(run_id) if x.lens_id == lens_id)
    except (BackendError, StopIteration):
        return [], []
    return [{"label": a, "value": a} for a in lens.attributes], lens.attributes


@callback(Output("label-session", "data"), Output("label-feedback", "children"),
          Input("label-create", "n_clicks"), State("label-run-select", "value"), State("label-lens-select", "value"),
          State("label-attr-select", "value"), State("label-strategy", "value"), State("label-set-select", "value"),
          prevent_initial_call=True)
def create(_clicks: int, run_id: str | None, lens_id: str | None, attributes: list[str] | None,
           strategy: str | None, set_choice: str | None) -> tuple[Any, Any]:
    item_set = None if set_choice in (None, ALL_ITEMS) else set_choice
    return create_session(context.client(), run_id, lens_id, attributes or [], strategy or "bald", item_set)


def create_session(client: BackendClient, run_id: str | None, lens_id: str | None, attributes: list[str],
                   strategy: str, item_set: str | None = None) -> tuple[Any, Any]:
    """(the new session's id, no message), or (no change, what to fix); ``item_set``: ask only for its items."""
    if not run_id or not lens_id:
        return no_update, create_message("Choose a run and one of its ready lenses first.", "warning")
    if not attributes:
        return no_update, create_message("Tick at least one attribute to label.", "warning")
    try:
        return LabellingClient(client).create_session(run_id, lens_id, attributes, strategy,
                                                      item_set=item_set).id, None
    except BackendError as err:
        return no_update, create_error_alert(err, "start the session")


@callback(Output("label-info", "data"), Output("label-setup", "hidden"), Output("label-work", "hidden"),
          Output("label-session-title", "children"), Output("label-feedback", "children", allow_duplicate=True),
          Input("label-session", "data"), prevent_initial_call="initial_duplicate")
def open_session(session_id: str | None) -> tuple[Any, ...]:
    return open_view(context.client(), session_id)


def open_view(client: BackendClient, session_id: str | None) -> tuple[Any, ...]:
    """(the session, setup hidden, work hidden, title, a message): the work area for an open session, else the
    setup form and why (no such session, or it is closed)."""
    if not session_id:
        return None, False, True, "", no_update
    try:
        session = LabellingClient(client).session(session_id)
    except BackendError as err:
        note = (create_message("This link's labelling session does not exist (the link may be mistyped, or the "
                               "session was deleted). Start one or continue another below.", "warning")
                if err.status == 404 else create_error_alert(err, "open the labelling session"))
        return None, False, True, "", note
    if session.state == "closed":
        note = create_message(f"This labelling session ({session_title(session)}) is closed: its labels are kept, but "
                              "it takes no more. Start one or continue another below.", "info")
        return None, False, True, "", note
    return session.model_dump(), True, False, session_title(session), None


@callback(Output("label-query", "data"), Input("label-info", "data"), Input("label-run-select", "value"),
          Input("label-set-select", "value"))
def url_query(info: Mapping[str, Any] | None, run_id: str | None, set_choice: str | None) -> str:
    if not info and not run_id:
        raise PreventUpdate  # the form is still filling in: the link's run and set stay in the address
    return page_query(info, run_id, set_choice)


# -- labelling ------------------------------------------------------------------------------------------

@callback(Output("label-current", "data"), Output("label-status", "children"),
          Output("label-work-alerts", "children"), Output("label-tick", "data"),
          Input("label-action", "data"), Input("label-info", "data"), Input("label-labeller", "data"),
          Input("label-attribute", "value"), State("label-current", "data"), State("label-tick", "data"))
def advance(action: Mapping[str, Any] | None, info: Mapping[str, Any] | None, labeller: str | None,
            attribute: str | None, current: Mapping[str, Any] | None, tick: int) -> tuple[Any, ...]:
    """An action sent (then the next item), or, for a new session, name or attribute, the item leased now."""
    if not info or not labeller:
        return None, "", None, no_update
    seat = Seat(LabellingClient(context.client()), info["id"], labeller, attribute)
    if ctx.triggered_id != "label-action" or not action:
        return (*lease(seat), no_update)
    return (*perform(seat, action, current, time.time()), (tick or 0) + 1)


@callback(Output("label-attribute", "options"), Output("label-attribute", "value"),
          Output("label-attribute-box", "hidden"), Input("label-info", "data"))
def attribute_choice(info: Mapping[str, Any] | None) -> tuple[Any, Any, bool]:
    """With several attributes, which one you answer (the session's first to start); with one, no choice."""
    names = [a["name"] for a in (info or {}).get("attributes", [])]
    return [{"label": n, "value": n} for n in names], names[0] if names else None, len(names) < 2


@callback(Output("label-item-img", "src"), Output("label-recon-img", "src"), Output("label-item-title", "children"),
          Output("label-counter", "children"), Output("label-done", "children"), Output("label-classes", "children"),
          Output("label-slider-box", "hidden"), Output("label-slider", "min"), Output("label-slider", "max"),
          Output("label-slider", "step"), Output("label-slider", "value"), Output("label-slider", "marks"),
          Output("label-answer", "hidden"), Output("label-guess", "children"), Output("label-reason", "children"),
          Input("label-current", "data"), State("label-info", "data"), State("label-labeller", "data"))
def show_item(current: Mapping[str, Any] | None, info: Mapping[str, Any] | None,
              labeller: str | None) -> tuple[Any, ...]:
    return item_view(current, info, labeller, context.images_if_serving())


def item_view(current: Mapping[str, Any] | None, info: Mapping[str, Any] | None, labeller: str | None,
              images: ImageUrls | None) -> tuple[Any, ...]:
    """Everything about the item shown: images, title, counter, answer controls (classes or slider), guess and
    reason; a note instead when there is no item."""
    slider = list(HIDDEN_SLIDER.values())
    if not current or not info:
        note = "" if labeller else "Type your name above to start labelling."
        return None, None, "", "", note, [], True, *slider, True, None, None
    nxt, session = NextItem.model_validate(current["next"]), LabelSession.model_validate(info)
    counter = f"{nxt.labelled_total:,} labelled in this session"
    if nxt.item is None:
        return None, None, "No item to label", counter, done_message(nxt), [], True, *slider, True, None, None
    attribute = session.attribute(nxt.attribute)
    categorical = attribute is not None and attribute.kind == "categorical"
    buttons = create_class_buttons(attribute) if attribute and categorical else []
    if attribute and not categorical:
        slider = list(slider_settings(attribute, nxt.prediction).values())
    title = f"Item {nxt.item}: which {nxt.attribute}?" if categorical else f"Item {nxt.item}: its {nxt.attribute}?"
    return (absolute_url(images, nxt.image_url), absolute_url(images, nxt.reconstruction_url), title, counter, "",
            buttons, categorical, *slider, False, create_guess(nxt.prediction, attribute), create_reason(nxt))


# -- watching: progress, who labels, the curve and the history --------------------------------------------

@callback(Output("label-progress", "children"), Output("label-labellers", "children"),
          Output("label-curve", "figure"), Output("label-history", "children"),
          Output("label-history-data", "data"),
          Input("label-poll", "n_intervals"), Input("label-tick", "data"), Input("label-info", "data"),
          State("label-labeller", "data"), State("label-history-data", "data"))
def watch(_n: int | None, _tick: int, info: Mapping[str, Any] | None, labeller: str | None,
          shown: list[Any] | None) -> tuple[Any, ...]:
    if not info:
        raise PreventUpdate
    return watch_view(context.client(), info["id"], labeller, shown, context.images_if_serving())


def history_key(labels: list[Any]) -> list[Any]:
    """What the history table shows, to redraw it only when that changed (a redraw would drop an edit underway)."""
    return [[x.id, x.item, x.value, x.retracted_by, x.attribute] for x in labels]


def watch_view(client: BackendClient, session_id: str, labeller: str | None, shown: list[Any] | None,
               images: ImageUrls | None) -> tuple[Any, ...]:
    """(progress, labellers, curve, history table, history key) read again; the history only when it changed."""
    lc = LabellingClient(client)
    try:
        session, curve = lc.session(session_id), lc.curve(session_id)
        labels = lc.history(session_id, HISTORY_N, labeller) if labeller else []
    except BackendError as err:
        alert = create_error_alert(err, "read the session's progress")
        return alert, no_update, no_update, no_update, no_update
    key = history_key(labels)
    history = create_history(labels, session, images, labeller) if key != shown else no_update
    return (create_progress(session), create_labellers(session.progress, labeller), curve_figure(curve), history,
            key)


# -- browser-side: actions, keys help, the URL --------------------------------------------------------------

clientside_callback(
    ClientsideFunction("labelling", "action"), Output("label-action", "data"),
    Input({"type": "label-class", "index": ALL}, "n_clicks"), Input("label-submit", "n_clicks"),
    Input("label-skip", "n_clicks"), Input("label-flag", "n_clicks"), Input("label-undo", "n_clicks"),
    Input({"type": "label-edit", "index": ALL, "attribute": ALL}, "value"),
    State("label-current", "data"), State("label-slider", "value"), State("label-history-data", "data"),
    prevent_initial_call=True)
clientside_callback(ClientsideFunction("labelling", "toggleHelp"), Output("label-help", "is_open"),
                    Input("label-help-open", "n_clicks"), Input("label-help-close", "n_clicks"),
                    State("label-help", "is_open"), prevent_initial_call=True)
clientside_callback(ClientsideFunction("factorscope", "sliderValue"), Output("label-slider-value", "children"),
                    Input("label-slider", "value"))
register_url_sync("label")
