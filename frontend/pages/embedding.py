"""Embedding, like the Embedding Projector for latents: the encoded items in 2-D (PCA, the two most informative dims,
any two dims, or t-SNE / UMAP computed by a projection job) as a WebGL scatter coloured by any factor or attribute.
Hovering shows the item's image (a sprite-sheet cell, drawn in the browser); clicking shows its nearest neighbours in
latent space; a search marks the items that match; a lasso or box selection becomes a set whose latent means can be
compared, used as Explore's base, or saved for labelling. The whole view lives in the link (``EmbeddingState``).

The points stay on the Dash server (``projector_cache``): the browser holds the view's key, the figure and the hover
card's values, and no callback uploads the points; a colour, search, selection or click patches the figure
(``projector_patch``) instead of sending it again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from frontend import context
from frontend.api_client import BackendClient, BackendError, Dataset, Embedding, Run
from frontend.components.controls import create_field, create_run_picker
from frontend.components.feedback import create_error_alert, create_message
from frontend.components.figures import empty_figure
from frontend.components.pagekit import (
    create_share_box,
    link_note,
    progress_view,
    register_link_note_reset,
    register_run_loader,
    register_url_sync,
)
from frontend.components.projector import (
    HIDDEN,
    LIST_SIZE,
    SHOWN,
    SPRITE_CELL,
    aria,
    create_axes_controls,
    create_graph_card,
    create_means_card,
    create_point_list,
    create_point_panel,
    create_set_panel,
    dim_options,
    explore_link,
    means_graph,
    needs_job_note,
    saved_sets_list,
)
from frontend.components.projector_cache import key_state, view_cache, view_key
from frontend.components.projector_data import (
    hover_values,
    matching_items,
    nearest_points,
    outline_of,
    point_values,
    search_terms,
    selected_items,
)
from frontend.components.projector_figures import Marks, means_figure, projector_figure, projector_patch
from frontend.state import EMBED_N, SYNC_N, EmbeddingState, whole

dash.register_page(__name__, path="/embedding", name="Embedding", title="Embedding — factorscope", order=3,
                   nav=True)

K_NEIGHBOURS = 10


def colour_options(emb: Embedding) -> list[dict[str, str]]:
    return ([{"label": "one colour", "value": ""}]
            + [{"label": f"factor: {name}", "value": f"factor:{name}"} for name in emb.factors]
            + [{"label": f"attribute: {name}", "value": f"attribute:{name}"} for name in emb.attributes])


def clicked_item(click: Mapping[str, Any] | None) -> int | None:
    points = (click or {}).get("points") or []
    value = points[0].get("customdata") if points else None
    return int(value) if isinstance(value, int | float) else None


def layout(**query: Any) -> html.Div:
    state = EmbeddingState.from_query(query)
    colour = dcc.Dropdown(id="embedding-color", value=state.color, clearable=False,
                          options=[{"label": state.color or "one colour", "value": state.color}])
    search = dbc.Input(id="embedding-search", type="search", value=state.q, debounce=True, maxlength=100,
                       placeholder="e.g. label=3 or shape=heart, scale=3")
    controls = html.Div([create_run_picker("embedding-run-select", state.run), *create_axes_controls(state),
                         create_field("Colour by", colour, "embedding-color"),
                         create_field("Search by label or attribute", search, "embedding-search"),
                         html.Div(id="embedding-search-note", role="status", className="small mb-3"),
                         create_share_box("embedding")], className="fs-controls")
    side = [dbc.Card([dbc.CardHeader("Point"), dbc.CardBody(html.Div(
                "Click a point, or pick one from the keyboard's list, to see its nearest neighbours.",
                id="embedding-point"))], className="mb-3"),
            dbc.Card([dbc.CardHeader("Selection"), dbc.CardBody(create_set_panel())], className="mb-3"),
            dbc.Card([dbc.CardHeader("Points (keyboard: Tab to a point, Enter shows its neighbours)"),
                      dbc.CardBody(html.Div(id="embedding-point-list"))], className="mb-3")]
    return html.Div([
        dcc.Store(id="embedding-initial", data=state.to_query()),
        dcc.Store(id="embedding-run"),
        dcc.Store(id="embedding-seed", data=state.seed),
        dcc.Store(id="embedding-data"),  # the view's key (projector_cache.view_key), not its points
        dcc.Store(id="embedding-drawn"),  # the key of the view the plot holds whole (patches apply only to it)
        dcc.Store(id="embedding-values"),  # the hover card's values (projector_data.hover_values): never uploaded
        dcc.Store(id="embedding-sprite"),
        dcc.Store(id="embedding-query"),
        dcc.Store(id="embedding-job"),
        dcc.Store(id="embedding-ready", data=0),
        dcc.Store(id="embedding-matches"),
        dcc.Store(id="embedding-sel", data=state.sel),
        dcc.Store(id="embedding-selection"),  # Plotly's selection without its points: {range} or {lassoPoints}
        dcc.Store(id="embedding-item", data=state.item),
        dcc.Store(id="embedding-set", data=state.set),
        dcc.Store(id="embedding-set-mean"),
        dcc.Interval(id="embedding-poll", interval=context.settings_if_serving().poll_ms, disabled=True),
        dcc.Location(id="embedding-nav", refresh="callback-nav"),
        html.H1("Embedding", className="h4"),
        html.Div(id="embedding-banner"),
        html.Div(link_note(state, query), id="embedding-link-note"),
        html.Div(id="embedding-alerts"),
        html.Div(id="embedding-data-alert"),
        html.Div(id="embedding-announce", className="visually-hidden", **aria(live="polite")),
        dbc.Row([
            dbc.Col(controls, xs=12, md=4, xl=3),
            dbc.Col([create_graph_card(), dbc.Row([dbc.Col(card, xs=12, xl=4) for card in side], className="mt-3"),
                     create_means_card()], xs=12, md=8, xl=9),
        ]),
    ], className="fs-page", id="embedding-page")


def embedding_store(_client: BackendClient, run: Run, dataset: Dataset | None,
                    _asked: EmbeddingState) -> tuple[dict[str, Any], list[Any]]:
    """The ``embedding-run`` store: the run and version the points come from, its dataset (sprites, images, search)
    and its latent dims (the dims dropdowns)."""
    return {"run_id": run.run_id, "version": run.version, "dataset": run.dataset, "latent_dim": run.latent_dim,
            "n_items": dataset.n_items if dataset else None}, []


load_embedding = register_run_loader("embedding", EmbeddingState.from_query, embedding_store, with_dataset=True)


def items_encoded(n: Any) -> int | None:
    """The size box's value when it is a whole number in EMBED_N's range, else None (blank, 2.5, 10, ...)."""
    value = whole(n, EMBED_N[1])
    return value if value >= EMBED_N[0] else None


@callback(Output("embedding-dim-x", "options"), Output("embedding-dim-y", "options"),
          Output("embedding-dims", "style"), Input("embedding-run", "data"), Input("embedding-method", "value"))
def dims_shown(run: Mapping[str, Any] | None, method: str) -> tuple[Any, ...]:
    options = dim_options(int(run.get("latent_dim") or 0)) if run else dash.no_update
    return options, options, SHOWN if method == "dims" else HIDDEN


def view_state(run: Mapping[str, Any], method: str, dims: tuple[Any, Any], scope: str, n: int, seed: int,
               colour: str = "") -> EmbeddingState:
    """The axes part of the view (what decides the points)."""
    return EmbeddingState(run=run["run_id"], v=run["version"], method=method or "pca", dim_x=int(dims[0] or 0),
                          dim_y=int(dims[1] if dims[1] is not None else 1), scope=scope or "sample", n=n,
                          seed=int(seed or 0), color=colour)


@callback(Output("embedding-data", "data"), Output("embedding-color", "options"), Output("embedding-color", "value"),
          Output("embedding-data-alert", "children"), Output("embedding-sprite", "data"),
          Output("embedding-job", "style"), Output("embedding-job-status", "children"),
          Output("embedding-values", "data"), Input("embedding-run", "data"), Input("embedding-method", "value"),
          Input("embedding-dim-x", "value"), Input("embedding-dim-y", "value"), Input("embedding-scope", "value"),
          Input("embedding-n", "value"), Input("embedding-ready", "data"), State("embedding-color", "value"),
          State("embedding-seed", "data"))
def points(run: Mapping[str, Any] | None, method: str, dim_x: Any, dim_y: Any, scope: str, n: Any, _ready: int,
           colour: str | None, seed: int) -> tuple[Any, ...]:
    size = items_encoded(n)
    if size is None:  # say so and keep the plot
        note = create_message(f"Items encoded: expected a whole number in {EMBED_N[0]}..{EMBED_N[1]}.", "warning")
        return (dash.no_update,) * 3 + (note,) + (dash.no_update,) * 4
    if not run:
        return None, [{"label": "one colour", "value": ""}], colour or "", None, None, HIDDEN, "", None
    state = view_state(run, method, (dim_x, dim_y), scope, size, seed)
    return load_view(context.client(), run, state, colour or "")


def sample_size(run: Mapping[str, Any], state: EmbeddingState) -> int:
    """Items the view encodes: n, or every item of the dataset."""
    return int(run.get("n_items") or state.n) if state.scope == "all" else state.n


def load_view(client: BackendClient, run: Mapping[str, Any], state: EmbeddingState, colour: str) -> tuple[Any, ...]:
    """(view key, colour choices, colour kept, alert, sprite URL, job area style, job note, hover values): the points
    are kept on the server under the key; a view the backend has not projected yet shows the Compute button
    instead."""
    n = sample_size(run, state)
    if state.method == "dims" and state.by_job:
        note = create_message(f"Two dims of your choice are drawn for up to {SYNC_N:,} sampled items: choose fewer "
                              "items, or PCA or the most informative dims for more.", "warning")
        return None, dash.no_update, colour, note, None, HIDDEN, "", None
    try:
        emb = fetch_points(client, run, state, n)
    except BackendError as err:
        if state.by_job and err.status == 404:
            return None, dash.no_update, colour, None, None, SHOWN, needs_job_note(state), None
        return None, dash.no_update, colour, create_error_alert(err, "embed the items"), None, HIDDEN, "", None
    key = view_key(run, state, n)
    view_cache().put(key, emb)
    sprite = context.images().sprites(run["dataset"], n, state.seed, SPRITE_CELL) if run.get("dataset") else None
    options, kept, note = coloured(run, emb, colour)
    return {**key, "points": len(emb.x)}, options, kept, note, sprite, HIDDEN, "", hover_values(emb)


def points_of(key: Mapping[str, Any]) -> Embedding:
    """The points of the view ``key``: kept on the server, else fetched again (BackendError when that fails)."""
    return view_cache().get(key, lambda: fetch_points(context.client(), key, key_state(key), key["size"]))


def shown(key: Mapping[str, Any] | None) -> Embedding | None:
    """The points of the view ``key``; None without a key, or when the backend no longer gives them."""
    if not key:
        return None
    try:
        return points_of(key)
    except BackendError:
        return None


def fetch_points(client: BackendClient, run: Mapping[str, Any], state: EmbeddingState, n: int) -> Embedding:
    if state.by_job:
        return client.projection(run["run_id"], state.method, n, state.seed, run["version"])
    dims = (state.dim_x, state.dim_y) if state.method == "dims" else None
    return client.embedding(run["run_id"], state.method, n, run["version"], seed=state.seed, dims=dims)


def coloured(run: Mapping[str, Any], emb: Embedding, colour: str) -> tuple[Any, ...]:
    """(colour choices, the colour kept, a warning when the run's dataset lacks the colour asked for)."""
    options = colour_options(emb)
    if colour in [o["value"] for o in options]:
        return options, colour, None
    note = create_message(f"Colour by: {run['run_id']}'s dataset has no {colour.replace(':', ' ')}; expected one of "
                          f"{', '.join(o['label'] for o in options[1:]) or 'one colour'}.", "warning")
    return options, "", note


# -- the projection job ------------------------------------------------------------------------------------------

@callback(Output("embedding-job", "data"), Output("embedding-poll", "disabled"),
          Output("embedding-job-status", "children", allow_duplicate=True), Input("embedding-compute", "n_clicks"),
          State("embedding-run", "data"), State("embedding-method", "value"), State("embedding-scope", "value"),
          State("embedding-n", "value"), State("embedding-seed", "data"), prevent_initial_call=True)
def compute(clicks: int, run: Mapping[str, Any] | None, method: str, scope: str, n: Any, seed: int) -> tuple[Any, ...]:
    size = items_encoded(n)
    if not clicks or not run or size is None:
        raise PreventUpdate
    state = view_state(run, method, (0, 1), scope, size, seed)
    return start_projection(context.client(), run, state)


def start_projection(client: BackendClient, run: Mapping[str, Any], state: EmbeddingState) -> tuple[Any, ...]:
    """(job store, poll disabled, status): the projection job queued (the same job again for the same request)."""
    try:
        job = client.request_projection(run["run_id"], state.method, sample_size(run, state), state.seed,
                                        run["version"])
    except BackendError as err:
        return None, True, create_error_alert(err, "start the projection")
    return {"job_id": job.job_id}, False, "queued"


@callback(Output("embedding-progress", "value"), Output("embedding-progress", "label"),
          Output("embedding-job-status", "children", allow_duplicate=True),
          Output("embedding-poll", "disabled", allow_duplicate=True), Output("embedding-ready", "data"),
          Input("embedding-poll", "n_intervals"), State("embedding-job", "data"), State("embedding-ready", "data"),
          prevent_initial_call=True)
def poll(_tick: int, job: Mapping[str, Any] | None, ready: int) -> tuple[Any, ...]:
    if not job:
        raise PreventUpdate
    return poll_projection(context.client(), job["job_id"], ready or 0)


def poll_projection(client: BackendClient, job_id: str, ready: int) -> tuple[Any, ...]:
    """One poll: (percent, label, status, poll disabled, ready counter: one more once the job succeeded, which
    reloads the points)."""
    try:
        job = client.job(job_id)
    except BackendError as err:
        return dash.no_update, dash.no_update, create_error_alert(err, "follow the projection"), True, dash.no_update
    percent, label, status = progress_view(job)
    if job.state == "succeeded":
        return 100, "100%", "computed: drawing it", True, ready + 1
    if job.state in ("failed", "cancelled"):
        return percent, label, f"The projection {job.state}: {job.error or job.message}", True, dash.no_update
    return percent, label, status, False, dash.no_update


# -- the figure and what is drawn over it ----------------------------------------------------------------------

PART_OF = {"embedding-color": "colour", "embedding-matches": "matches", "embedding-sel": "selection",
           "embedding-item": "item"}  # the figure's inputs that change one part of it (projector_patch)


@callback(Output("embedding-graph", "figure"), Output("embedding-drawn", "data"),
          Output("embedding-data-alert", "children", allow_duplicate=True), Input("embedding-data", "data"),
          Input("embedding-color", "value"), Input("embedding-matches", "data"), Input("embedding-sel", "data"),
          Input("embedding-item", "data"), State("embedding-drawn", "data"), prevent_initial_call="initial_duplicate")
def figure(key: Mapping[str, Any] | None, colour: str | None, where: Mapping[str, Any] | None, outline: str | None,
           item: int | None, drawn: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """(figure, the view drawn whole, alert): the whole figure for a new view, or whenever the plot does not hold
    this view whole; for a colour, search, selection or click on the view drawn, the patch that changes only that
    part. When the backend fails to give the points again, the plot stays as it was and the page says why."""
    if not key:
        return empty_figure("no points"), None, dash.no_update
    try:
        emb = points_of(key)
    except BackendError as err:
        return dash.no_update, dash.no_update, create_error_alert(err, "draw the points again")
    marks = Marks(matching_items(emb, where) if where else (), selected_items(emb, outline or ""), outline or "", item)
    changed = {PART_OF.get(component) for component in ctx.triggered_prop_ids.values()}
    if drawn != key or not changed or None in changed:  # the first draw, a new view, or a plot left blank
        name = f"{emb.run_id}-{emb.method}-{emb.axes}-{len(emb.x)}"
        return projector_figure(emb, colour or "", marks, name), key, dash.no_update
    return projector_patch(emb, colour or "", marks, {part for part in changed if part}), dash.no_update, \
        dash.no_update


clientside_callback(ClientsideFunction("factorscope", "spriteHover"), Output("embedding-hover", "style"),
                    Output("embedding-hover-img", "style"), Output("embedding-hover-text", "children"),
                    Input("embedding-graph", "hoverData"), State("embedding-values", "data"),
                    State("embedding-sprite", "data"))


@callback(Output("embedding-matches", "data"), Output("embedding-search-note", "children"),
          Input("embedding-search", "value"), Input("embedding-data", "data"), State("embedding-run", "data"))
def search(text: str | None, key: Mapping[str, Any] | None, run: Mapping[str, Any] | None) -> tuple[Any, ...]:
    terms = search_terms(text)
    emb = shown(key)
    if not terms or emb is None or not run:
        return None, None
    return find_matches(context.client(), run["dataset"], terms, emb)


def find_matches(client: BackendClient, dataset: str, terms: list[str], emb: Embedding) -> tuple[Any, ...]:
    """(the conditions as the backend read them, a note with the counts): the backend reads the conditions (names,
    class names, ranges) and counts the dataset's matches; the shown points are matched on the values they carry."""
    try:
        found = client.search_items(dataset, terms, limit=1)
    except BackendError as err:
        return None, create_error_alert(err, "search")
    ringed = matching_items(emb, found.where)
    return found.where, (f"{found.total:,} items of {dataset} match {', '.join(terms)}; {len(ringed):,} of the "
                         f"{len(emb.x):,} points shown are ringed in orange.")


# -- the selection ----------------------------------------------------------------------------------------------

clientside_callback(ClientsideFunction("factorscope", "selectionOutline"), Output("embedding-selection", "data"),
                    Input("embedding-graph", "selectedData"))


@callback(Output("embedding-sel", "data"), Output("embedding-set", "data", allow_duplicate=True),
          Input("embedding-selection", "data"), Input("embedding-clear", "n_clicks"),
          State("embedding-sel", "data"), prevent_initial_call=True)
def select(selected: Mapping[str, Any] | None, _clear: int, shown: str | None) -> tuple[str, None]:
    """A new selection (or none) replaces the outline and forgets the set compared for the one before."""
    if ctx.triggered_id == "embedding-clear":
        return "", None
    outline = outline_of(selected)
    if not outline or outline == shown:
        raise PreventUpdate  # the figure was redrawn (Plotly forgets its selection): the set stays
    return outline, None


def selected(key: Mapping[str, Any] | None, outline: str | None) -> list[int]:
    """The dataset indices of the view's points inside the selection's outline."""
    emb = shown(key)
    return selected_items(emb, outline or "") if emb is not None else []


@callback(Output("embedding-set-size", "children"), Output("embedding-compare", "disabled"),
          Output("embedding-use-base", "disabled"), Output("embedding-clear", "disabled"),
          Output("embedding-save", "disabled"), Input("embedding-sel", "data"), Input("embedding-data", "data"))
def selection(outline: str | None, key: Mapping[str, Any] | None) -> tuple[Any, ...]:
    items = selected(key, outline)
    if not items:
        note = "Drag a lasso or box over the plot to select points." + (" The selection holds no point."
                                                                          if outline else "")
        return note, True, True, not outline, True
    return f"{len(items):,} points selected.", False, False, False, False


@callback(Output("embedding-set", "data"), Output("embedding-set-alert", "children"),
          Input("embedding-compare", "n_clicks"), Input("embedding-save", "n_clicks"),
          State("embedding-sel", "data"), State("embedding-data", "data"), State("embedding-set-name", "value"),
          State("embedding-run", "data"), prevent_initial_call=True)
def save_set(_compare: int, _save: int, outline: str | None, key: Mapping[str, Any] | None, name: str | None,
             run: Mapping[str, Any] | None) -> tuple[Any, ...]:
    items = selected(key, outline)
    if not items or not run or not (ctx.triggered and ctx.triggered[0]["value"]):
        raise PreventUpdate
    return store_set(context.client(), run, items, (name or "").strip(), ctx.triggered_id == "embedding-save")


def store_set(client: BackendClient, run: Mapping[str, Any], items: list[int], name: str,
              named: bool) -> tuple[Any, ...]:
    """(the saved set's id, a message): "Save for labelling" needs the user's name; "Compare latent means" saves the
    selection too (the backend computes set means of saved sets), named after its size when unnamed."""
    if named and not name:
        return dash.no_update, create_message("Name the set: type a name above, then press Save for labelling.")
    try:
        saved = client.create_item_set(run["run_id"], name or f"{len(items)} points from the embedding", items)
    except BackendError as err:
        return dash.no_update, create_error_alert(err, "save the set")
    label = dcc.Link("Label its items", href=f"/label?run={run['run_id']}&item_set={saved.set_id}")  # LabelState
    return saved.set_id, dbc.Alert([f"Saved set {saved.name!r} ({len(items)} items). ", label], color="success",
                                   className="fs-alert", dismissable=True)


@callback(Output("embedding-means", "children"), Output("embedding-means-card", "style"),
          Output("embedding-set-mean", "data"), Output("embedding-saved-sets", "children"),
          Input("embedding-set", "data"), Input("embedding-run", "data"))
def set_view(set_id: str | None, run: Mapping[str, Any] | None) -> tuple[Any, ...]:
    if not run:
        raise PreventUpdate
    return show_set(context.client(), run, set_id)


def show_set(client: BackendClient, run: Mapping[str, Any], set_id: str | None) -> tuple[Any, ...]:
    """(means figure, its style, the set's mean code, the run's saved sets)."""
    try:
        sets = saved_sets_list(client.item_sets(run["run_id"]))
        shown = client.item_set(set_id) if set_id else None
    except BackendError as err:
        return None, HIDDEN, None, create_error_alert(err, "read the saved sets")
    if shown is None:
        return None, HIDDEN, None, sets
    return means_graph(means_figure(shown)), SHOWN, shown.mean_code, sets


@callback(Output("embedding-nav", "href"), Input("embedding-use-base", "n_clicks"),
          State("embedding-sel", "data"), State("embedding-data", "data"), State("embedding-set-mean", "data"),
          State("embedding-run", "data"), prevent_initial_call=True)
def use_as_base(clicks: int, outline: str | None, key: Mapping[str, Any] | None, mean: Sequence[float] | None,
                run: Mapping[str, Any] | None) -> str:
    """Explore traversing from the selection's first item, its playground at the set's mean code once compared."""
    items = selected(key, outline) if clicks else []
    if not items or not run:
        raise PreventUpdate
    return explore_link(run["run_id"], run["version"], items[0], mean or ())


# -- the clicked point ------------------------------------------------------------------------------------------

@callback(Output("embedding-item", "data"), Input("embedding-graph", "clickData"),
          Input({"type": "embedding-point", "item": ALL}, "n_clicks"),
          Input({"type": "embedding-nb", "item": ALL}, "n_clicks"), prevent_initial_call=True)
def pick(click: Mapping[str, Any] | None, _listed: list[int], _neighbours: list[int]) -> int:
    trigger = ctx.triggered_id
    if isinstance(trigger, Mapping):
        if not (ctx.triggered and ctx.triggered[0]["value"]):
            raise PreventUpdate  # the list was redrawn, nothing pressed
        return int(trigger["item"])
    item = clicked_item(click)
    if item is None:
        raise PreventUpdate
    return item


@callback(Output("embedding-point", "children"), Output("embedding-announce", "children"),
          Input("embedding-item", "data"), Input("embedding-data", "data"), State("embedding-run", "data"))
def point(item: int | None, key: Mapping[str, Any] | None, run: Mapping[str, Any] | None) -> tuple[Any, ...]:
    emb = shown(key)
    if item is None or emb is None or not key or not run:
        raise PreventUpdate
    return point_view(context.client(), run, emb, item, key)


def point_view(client: BackendClient, run: Mapping[str, Any], emb: Embedding, item: int,
               key: Mapping[str, Any]) -> tuple[Any, str]:
    """(the point panel, what a screen reader hears): neighbours among every point of the view (its key's sample:
    encoded on request up to SYNC_N items, else the codes its projection job stored)."""
    try:
        found = client.neighbours(run["run_id"], item, K_NEIGHBOURS, key["size"], key["seed"], run["version"])
    except BackendError as err:
        return create_error_alert(err, f"find item {item}'s neighbours"), f"Item {item}: no neighbours found."
    panel = create_point_panel(context.images(), run["dataset"], dict(run), item, point_values(emb, item), found)
    return panel, f"Item {item}: its {len(found.neighbours)} nearest neighbours are listed in the Point panel."


@callback(Output("embedding-point-list", "children"), Input("embedding-data", "data"),
          Input("embedding-item", "data"), Input("embedding-sel", "data"), Input("embedding-matches", "data"))
def point_list(key: Mapping[str, Any] | None, item: int | None, outline: str | None,
               where: Mapping[str, Any] | None) -> Any:
    emb = shown(key)
    if emb is None:
        return None
    selected, matches = selected_items(emb, outline or ""), matching_items(emb, where) if where else []
    if selected:
        items, why = list(selected[:LIST_SIZE]), f"The first {min(len(selected), LIST_SIZE)} selected points:"
    elif matches:
        items, why = list(matches[:LIST_SIZE]), f"The first {min(len(matches), LIST_SIZE)} search matches:"
    else:
        items = nearest_points(emb, item, LIST_SIZE)
        why = f"The points nearest item {item} on the plot:" if item in emb.index else "The first points:"
    return create_point_list(items, item, {i: point_values(emb, i) for i in items}, why)


# -- the link ---------------------------------------------------------------------------------------------------

@callback(Output("embedding-query", "data"), Input("embedding-run", "data"), Input("embedding-method", "value"),
          Input("embedding-dim-x", "value"), Input("embedding-dim-y", "value"), Input("embedding-scope", "value"),
          Input("embedding-n", "value"), Input("embedding-color", "value"), Input("embedding-search", "value"),
          Input("embedding-item", "data"), Input("embedding-sel", "data"), Input("embedding-set", "data"),
          State("embedding-seed", "data"))
def query(run: Mapping[str, Any] | None, method: str, dim_x: Any, dim_y: Any, scope: str, n: Any,
          colour: str | None, text: str | None, item: int | None, outline: str | None, set_id: str | None,
          seed: int) -> str:
    size = items_encoded(n)
    if not run or size is None:
        raise PreventUpdate
    state = view_state(run, method, (dim_x, dim_y), scope, size, seed, colour or "")
    return replace(state, q=(text or "").strip(), item=item, sel=outline or "", set=set_id).to_query()


register_url_sync("embedding")
register_link_note_reset("embedding")
