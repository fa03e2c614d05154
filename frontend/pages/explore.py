"""Explore: the latent traversal grid (rows = dims, labelled with their MI), its controls, a live decoding
playground with one slider per dim, and a dim played as an animation. The whole view is in the URL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import (
    ALL,
    MATCH,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate

from frontend import context
from frontend.api_client import BackendClient, BackendError, Dataset, ImageUrls, Run, TypicalItem
from frontend.components.controls import (
    SLIDER_RANGE,
    create_field,
    create_gallery,
    create_latent_sliders,
    create_run_picker,
    create_span_slider,
    create_steps_slider,
    slider_limit,
    slider_marks,
)
from frontend.components.feedback import create_error_alert, create_message
from frontend.components.figures import UNUSED_MI
from frontend.components.item_picker import THUMB_KINDS, clicked_item, create_item_picker, neighbours_view
from frontend.components.pagekit import (
    create_share_box,
    link_note,
    parse_search,
    register_link_note_reset,
    register_run_loader,
    register_url_sync,
)
from frontend.state import MAX_DIMS, Base, ExploreState

dash.register_page(__name__, path="/explore", name="Explore", title="Explore — factorscope", order=1, nav=True)

DEFAULT_ROWS = 8  # dims shown when the link names none: the most informative ones
GALLERY_SIZE = 12
CELL_PX = 88  # widest a traversal column is drawn (the PNG is scaled up to fit, pixelated)
STRIP_ROW_PX = 40  # height of a traversal row of vector data: its two-line label fits
FRAMES = 24  # animation frames from -range to +range (then back)
UNIT_OPTIONS = [{"label": "prior sd", "value": "prior"},
                {"label": "sd at the base (posterior sd of an item)", "value": "sd"},
                {"label": "latent units", "value": "abs"}]
BASE_OPTIONS = [{"label": "typical item", "value": "typical"}, {"label": "dataset item", "value": "item"},
                {"label": "prior sample", "value": "prior"}, {"label": "zero", "value": "zero"}]
Z = {"type": "z-slider", "dim": ALL}
# an image whose load fails reports to this store (Dash takes hyphenated attributes through **kwargs)
IMG_ERROR: dict[str, Any] = {"data-error-store": "explore-img-error"}


# -- pure helpers (tests call these) ---------------------------------------------------------------------

def run_data(run_id: str, version: str, latent_dim: int, dataset: str, n_items: int,
             mi: Sequence[float] | None, order: Sequence[int] | None, images: bool = True,
             typical: TypicalItem | None = None) -> dict[str, Any]:
    """The ``explore-run`` store: what the other callbacks need to know about the run shown (``typical``: its
    typical item, the default base, as the backend chose it)."""
    return {"run_id": run_id, "version": version, "latent_dim": latent_dim, "dataset": dataset, "n_items": n_items,
            "mi": list(mi) if mi is not None else None, "order": list(order or range(latent_dim)), "images": images,
            "typical": typical.model_dump() if typical is not None else None}


def typical_index(run: Mapping[str, Any]) -> int | None:
    """The run's typical item (None when the backend could not choose one)."""
    return run["typical"]["index"] if run.get("typical") else None


def grid_style(run: Mapping[str, Any], rows: int, steps: int) -> dict[str, str]:
    """Images keep their aspect; vector data (wide, thin heat strips) is stretched to a readable row height,
    so each row lines up with its label."""
    style = {"maxWidth": f"{steps * CELL_PX}px"}
    if not run.get("images", True):
        style["minHeight"] = f"{rows * STRIP_ROW_PX}px"
    return style


def dim_options(run: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Dims in MI order, each labelled with its MI."""
    mi = run.get("mi")
    return [{"label": f"z{d}" + (f" · MI {mi[d]:.2f}" if mi else ""), "value": d} for d in run["order"]]


def initial_dims(run: Mapping[str, Any], asked: Sequence[int]) -> list[int]:
    """The link's dims when all are valid for this run, else the most informative ones, leaving out those that
    carry (next to) no information (at least one row stays)."""
    valid = [d for d in asked if 0 <= d < run["latent_dim"]]
    if asked and len(valid) == len(asked):
        return valid
    top, mi = list(run["order"][:DEFAULT_ROWS]), run.get("mi")
    return [d for d in top if mi is None or mi[d] >= UNUSED_MI] or top[:1]


def check_view(run: Mapping[str, Any], dims: Sequence[int], base: Base) -> str | None:
    """What is wrong with the controls for this run (None when a traversal can be drawn)."""
    if not dims:
        return "Choose at least one latent dim to traverse."
    if len(dims) > MAX_DIMS:
        return f"Choose at most {MAX_DIMS} dims ({len(dims)} chosen)."
    return base_problem(run, base)


def base_problem(run: Mapping[str, Any], base: Base) -> str | None:
    """What is wrong with the base controls for this run (None when the base exists)."""
    if base.kind == "typical" and typical_index(run) is None:
        return "This run has no typical item to start from: choose a dataset item, a prior sample or zero."
    if base.kind == "item" and not 0 <= base.index < run["n_items"]:
        n = run["n_items"]
        return f"Item index: expected a whole number in 0..{n - 1} ({run['dataset']} has {n} items)."
    if not base.valid:
        return "Prior seed: expected a whole number in 0..4294967295."
    return None


def row_labels(run: Mapping[str, Any], dims: Sequence[int]) -> list[Any]:
    mi = run.get("mi")
    return [html.Div([html.Span(f"z{d}", className="fs-row-dim"),
                      html.Span(f"MI {mi[d]:.2f}" if mi else "", className="fs-row-mi")], className="fs-row-label")
            for d in dims]


STRIP_KEY = ("Each cell is one output's features as a strip, left to right: red above 0, blue below, full colour "
             "at ±3 (the features are standardised); a dark line separates feature groups.")


PRIOR_WHY = ("The span is in prior units, so every dim the model uses moves as far as the prior spreads it (an item's "
             "posterior sd is tiny along the dims that encode it).")


def caption(steps: int, span: float, base: Base, unit: str = "sd", images: bool = True,
            typical: Mapping[str, Any] | None = None) -> str:
    """What the grid shows (``base`` resolved: an item, a prior sample or zero), why a prior span, and, when the base
    is the run's ``typical`` item, how it was chosen; for vector data (``images`` False) how to read its strips."""
    units = {"sd": "its posterior sd" if base.kind == "item" else "prior sd", "prior": "prior sd",
             "abs": "latent units"}
    where = {"item": f"dataset item {base.index} (its posterior mean)", "prior": f"prior sample #{base.seed}",
             "zero": "zero"}
    text = (f"Rows: latent dims. Columns: {steps} values from −{span:g} to +{span:g} ({units[unit]}) around "
            f"{where[base.kind]}.")
    if unit == "prior":
        text = f"{text} {PRIOR_WHY}"
    if typical and base.kind == "item" and base.index == typical["index"]:
        text = f"{text} {typical_note(typical)}"
    return text if images else f"{text} {STRIP_KEY}"


def typical_note(typical: Mapping[str, Any]) -> str:
    """"Item 5 is the run's typical item: <rule> (posX 16 of 0–31, ...)."."""
    sizes = typical.get("factor_sizes") or {}
    values = ", ".join(f"{name} {value} of 0–{sizes[name] - 1}" if name in sizes else f"{name} {value}"
                       for name, value in (typical.get("factors") or {}).items())
    return f"Item {typical['index']} is the run's typical item: {typical['rule']}" + (f" ({values})." if values
                                                                                      else ".")


def gallery_indices(start: int, n_items: int, count: int = GALLERY_SIZE) -> list[int]:
    if n_items <= 0:
        return []
    start = start % n_items
    return [(start + i) % n_items for i in range(min(count, n_items))]


def triangle(phase: int, frames: int = FRAMES, limit: float = SLIDER_RANGE) -> float:
    """Frame ``phase`` of a back-and-forth sweep over [-limit, limit]."""
    t = phase % (2 * frames)
    t = t if t <= frames else 2 * frames - t
    return round(-limit + 2 * limit * t / frames, 2)


def download_href(state: ExploreState) -> str:
    """Our own route (same origin, so the download attribute is honoured) that fetches the PNG."""
    return "/download/traversal.png" + state.to_query()


def explore_state(run: Mapping[str, Any], dims: Sequence[int], steps: int, span: float, base: Base,
                  z: Sequence[float], unit: str = "sd", pick: str = "", find: str = "") -> ExploreState:
    k = run["latent_dim"]
    return ExploreState(run=run["run_id"], v=run["version"], dims=tuple(dims), steps=steps, span=span, base=base,
                        z=tuple(round(float(x), 2) for x in z) if len(z) == k else (), unit=unit, pick=pick,
                        find=find)


def base_code(client: BackendClient, run: Mapping[str, Any], base: Base) -> list[float]:
    """The base point's latent vector (the playground's start)."""
    if base.kind == "zero":
        return [0.0] * run["latent_dim"]
    return client.traversal(run["run_id"], str(base.resolved(typical_index(run))), run["version"]).base_z


# -- layout ---------------------------------------------------------------------------------------------

def controls(state: ExploreState) -> html.Div:
    dims = dcc.Dropdown(id="explore-dims", multi=True, value=list(state.dims), placeholder="most informative dims",
                        options=[{"label": f"z{d}", "value": d} for d in state.dims])  # kept until the run loads
    base = dbc.RadioItems(id="explore-base-kind", options=BASE_OPTIONS, value=state.base.kind, inline=True)
    gallery_nav = dbc.ButtonGroup([
        dbc.Button("‹ previous", id="explore-gallery-prev", size="sm", color="secondary", outline=True),
        dbc.Button("next ›", id="explore-gallery-next", size="sm", color="secondary", outline=True)],
        className="mb-2")
    return html.Div([
        create_run_picker("explore-run-select", state.run),
        create_field("Rows: latent dims", dims, "explore-dims"),
        create_field("Steps per dim", create_steps_slider("explore-steps", state.steps), "explore-steps"),
        create_field("Span (±)", create_span_slider("explore-span", state.span), "explore-span"),
        dbc.RadioItems(id="explore-span-unit", options=UNIT_OPTIONS, value=state.unit, inline=True,
                       className="small mb-2"),
        create_field("Base point", base, "explore-base-kind"),
        dbc.Row([
            dbc.Col(create_field("Item index", dbc.Input(id="explore-base-index", type="number", min=0, step=1,
                                                         value=state.base.index, debounce=True), "explore-base-index")),
            dbc.Col(create_field("Prior seed", dbc.Input(id="explore-base-seed", type="number", min=0, step=1,
                                                         value=state.base.seed, debounce=True), "explore-base-seed")),
        ]),
        create_item_picker(state.pick, state.find),
        html.Div([dbc.Label("Browse the items", className="fs-label"), gallery_nav,
                  html.Div(id="explore-gallery", className="fs-gallery")]),
    ], className="fs-controls")


def first_view(images: ImageUrls | None, state: ExploreState) -> dict[str, Any]:
    """A shared link names run, version and dims: its image can start loading with the page, before the
    run's details arrive (they only add the MI labels; a stale version is replaced and bannered); not around the
    typical item, which the run's details name."""
    if images is None or not (state.run and state.v and state.dims) or state.base.kind == "typical":
        return {"src": None, "labels": [], "style": {}}
    return {"src": images.traversal(state.run, state.image_params()), "labels": row_labels({"mi": None}, state.dims),
            "style": {"maxWidth": f"{state.steps * CELL_PX}px"}}


def traversal_card(first: Mapping[str, Any]) -> dbc.Card:
    image = html.Img(id="explore-traversal", alt="latent traversal grid", className="fs-traversal-img",
                     src=first["src"], style=first["style"], **IMG_ERROR)
    download = html.A("Download PNG", id="explore-download", download="traversal.png",
                      className="btn btn-outline-primary btn-sm me-2")
    direct = html.Div([
        dbc.Label("Direct image URL", html_for="explore-image-url", className="fs-label"),
        dbc.InputGroup([dbc.Input(id="explore-image-url", readonly=True, type="text", className="fs-share-input"),
                        dbc.InputGroupText(dcc.Clipboard(target_id="explore-image-url", title="copy image URL",
                                                         className="fs-copy"))],
                       size="sm")], className="mb-2")
    return dbc.Card([
        dbc.CardHeader("Latent traversal"),
        dbc.CardBody([
            html.Div(id="explore-view-note"),
            html.Div(id="explore-img-alert"),
            dbc.Row([
                dbc.Col(html.Div([html.Div(first["labels"], id="explore-row-labels", className="fs-row-labels"),
                                  html.Div(image, className="fs-traversal-frame")], className="fs-traversal")),
                dbc.Col(base_figure(), xs=12, sm="auto"),
            ]),
            html.P(id="explore-caption", className="small text-muted mt-2 mb-2"),
            html.Div(download, className="mb-3"),
            create_share_box("explore"),
            direct,
        ]),
    ], className="mb-3")


def base_figure() -> html.Figure:
    """The base item over its reconstruction, beside the grid (drawn when the base is a dataset item)."""
    image = html.Img(id="explore-recon", alt="the base item (top) over its reconstruction (bottom)",
                     style={"width": f"{CELL_PX}px", "imageRendering": "pixelated"}, **IMG_ERROR)
    return html.Figure([image, html.Figcaption(id="explore-recon-caption", className="small text-muted",
                                               style={"maxWidth": f"{CELL_PX + 40}px"})],
                       id="explore-base-figure", className="mb-0", style={"display": "none"})


def playground_card() -> dbc.Card:
    decoded = html.Img(id="explore-decoded", alt="decoded latent vector", className="fs-decoded-img",
                       **IMG_ERROR)
    play = dbc.InputGroup([
        dbc.InputGroupText(html.Label("Animate", htmlFor="explore-play-dim", className="mb-0")),
        dbc.Select(id="explore-play-dim", options=[], placeholder="dim"),
        dbc.Button("▶ Play", id="explore-play", color="primary", n_clicks=0),
    ], size="sm", className="mb-2")
    return dbc.Card([
        dbc.CardHeader("Playground: decode any latent vector"),
        dbc.CardBody(dbc.Row([
            dbc.Col([html.Div(decoded, className="fs-decoded-frame"), play,
                     dbc.Button("Reset to base point", id="explore-reset", size="sm", color="secondary",
                                outline=True)], md=4),
            dbc.Col(html.Div(id="explore-sliders", className="fs-sliders"), md=8),
        ])),
        dcc.Interval(id="explore-interval", interval=150, disabled=True),
        dcc.Store(id="explore-phase", data=0),
    ], className="mb-3")


def layout(**query: Any) -> html.Div:
    state = ExploreState.from_query(query)
    return html.Div([
        dcc.Store(id="explore-initial", data=state.to_query()),
        dcc.Store(id="explore-run"),
        dcc.Store(id="explore-query"),
        dcc.Store(id="explore-img-error"),
        dcc.Store(id="explore-gallery-start", data=max(0, state.base.index - 2) if state.base.kind == "item" else 0),
        html.H1("Explore", className="h4"),
        html.Div(id="explore-banner"),
        html.Div(link_note(state, query), id="explore-link-note"),
        html.Div(id="explore-alerts"),
        dbc.Row([dbc.Col(controls(state), xs=12, md=4, xl=3),
                 dbc.Col([traversal_card(first_view(context.images_if_serving(), state)), playground_card()],
                         xs=12, md=8, xl=9)]),
    ], className="fs-page", id="explore-page")


# -- callbacks -------------------------------------------------------------------------------------------

def explore_store(client: BackendClient, run: Run, dataset: Dataset | None,
                  asked: ExploreState) -> tuple[dict[str, Any], list[Any]]:
    """The ``explore-run`` store, with the dims ranked by information (index order when they cannot be), the run's
    typical item, and notes on what the link asked for that this run lacks."""
    alerts, mi, order, typical = [], None, None, None
    try:
        factors = client.factors(run.run_id, run.version)
        mi = [d.mi_gaussian for d in sorted(factors.dims, key=lambda d: d.dim)]
        order = factors.order
    except BackendError as err:
        alerts.append(create_error_alert(err, "rank the dims by information (rows keep their index order)"))
    try:
        typical = client.typical_item(run.run_id, run.version)
    except BackendError as err:
        alerts.append(create_error_alert(err, "choose a typical item to start from (pick a base item instead)"))
    data = run_data(run.run_id, str(run.version), run.latent_dim or len(mi or []), run.dataset,
                    dataset.n_items if dataset else 0, mi, order, dataset is None or dataset.kind == "image", typical)
    return data, alerts + (mismatch_notes(asked, data) if asked.run == run.run_id else [])


load_explore = register_run_loader("explore", ExploreState.from_query, explore_store, with_dataset=True)


def mismatch_notes(asked: ExploreState, run: Mapping[str, Any]) -> list[dbc.Alert]:
    """Warnings for a link's dims or playground vector that do not fit the run it names."""
    notes, n = [], run["latent_dim"]
    if asked.dims and initial_dims(run, asked.dims) != list(asked.dims):
        notes.append(create_message(f"The link's dims {list(asked.dims)} are not all in {run['run_id']} (dims "
                                    f"0..{n - 1}); showing its most informative dims.", "warning"))
    if asked.z and len(asked.z) != n:
        notes.append(create_message(f"The link's playground vector z has {len(asked.z)} values but {run['run_id']} "
                                    f"has {n} dims; the playground starts at the base point.", "warning"))
    return notes


@callback(Output("explore-dims", "options"), Output("explore-dims", "value"), Output("explore-play-dim", "options"),
          Output("explore-play-dim", "value"), Output("explore-sliders", "children"),
          Input("explore-run", "data"), State("explore-initial", "data"), State("explore-base-kind", "value"),
          State("explore-base-index", "value"), State("explore-base-seed", "value"))
def run_controls(run: Mapping[str, Any] | None, initial: str, kind: str, index: Any, seed: Any) -> tuple[Any, ...]:
    if not run:
        return [], [], [], None, []
    asked = ExploreState.from_query(parse_search(initial))
    same = asked.run == run["run_id"]
    dims = initial_dims(run, asked.dims if same else ())
    z = list(asked.z) if same and len(asked.z) == run["latent_dim"] else None
    if z is None:
        try:
            z = base_code(context.client(), run, Base.of(kind, index, seed))
        except BackendError:
            z = [0.0] * run["latent_dim"]
    play = [{"label": f"z{d}", "value": str(d)} for d in run["order"]]
    return dim_options(run), dims, play, str(dims[0]) if dims else None, create_latent_sliders(z)


@callback(Output("explore-traversal", "src"), Output("explore-row-labels", "children"),
          Output("explore-caption", "children"), Output("explore-download", "href"),
          Output("explore-download", "download"), Output("explore-image-url", "value"),
          Output("explore-view-note", "children"), Output("explore-traversal", "style"),
          Input("explore-run", "data"), Input("explore-dims", "value"), Input("explore-steps", "value"),
          Input("explore-span", "value"), Input("explore-base-kind", "value"), Input("explore-base-index", "value"),
          Input("explore-base-seed", "value"), Input("explore-span-unit", "value"))
def traversal(run: Mapping[str, Any] | None, dims: list[int] | None, steps: int, span: float, kind: str,
              index: Any, seed: Any, unit: str) -> tuple[Any, ...]:
    return traversal_view(context.images(), run, dims or [], steps, span, Base.of(kind, index, seed), unit)


def traversal_view(images: ImageUrls, run: Mapping[str, Any] | None, dims: Sequence[int], steps: int, span: float,
                   base: Base, unit: str = "sd") -> tuple[Any, ...]:
    if not run:  # not loaded yet (or failed): keep what the layout drew from the link
        return (no_update,) * 8
    problem = check_view(run, dims, base)
    if problem:
        return None, [], "", None, "traversal.png", "", create_message(problem), {}
    drawn = base.resolved(typical_index(run))
    state = explore_state(run, dims, steps, span, drawn, (), unit)
    src = images.traversal(run["run_id"], state.image_params())
    name = f"traversal-{run['run_id']}-dims{'-'.join(map(str, dims))}.png"
    text = caption(steps, span, drawn, unit, run.get("images", True), run.get("typical"))
    return (src, row_labels(run, dims), text, download_href(state), name, images.shareable(src), None,
            grid_style(run, len(dims), steps))


@callback(Output("explore-recon", "src"), Output("explore-recon-caption", "children"),
          Output("explore-base-figure", "style"), Input("explore-run", "data"), Input("explore-base-kind", "value"),
          Input("explore-base-index", "value"), Input("explore-base-seed", "value"))
def base_item(run: Mapping[str, Any] | None, kind: str, index: Any, seed: Any) -> tuple[Any, ...]:
    src, text = base_item_view(context.images(), run, Base.of(kind, index, seed))
    return src, text, {} if src else {"display": "none"}


def base_item_view(images: ImageUrls, run: Mapping[str, Any] | None, base: Base) -> tuple[str | None, str]:
    """(the base item over its reconstruction, its caption); nothing when the base is not a dataset item."""
    drawn = base.resolved(typical_index(run)) if run else base
    if not run or drawn.kind != "item" or base_problem(run, drawn):
        return None, ""
    return (images.reconstruct(run["run_id"], [drawn.index], run["version"]),
            f"Base item {drawn.index} (top) and its reconstruction (bottom).")


@callback(Output("explore-decoded", "src"), Input(Z, "value"), State("explore-run", "data"))
def decoded(z: list[float], run: Mapping[str, Any] | None) -> str | None:
    if not run or len(z) != run["latent_dim"]:
        return None
    return context.images().decode(run["run_id"], z, run["version"])


@callback(Output("explore-query", "data"), Input("explore-run", "data"), Input("explore-dims", "value"),
          Input("explore-steps", "value"), Input("explore-span", "value"), Input("explore-base-kind", "value"),
          Input("explore-base-index", "value"), Input("explore-base-seed", "value"), Input(Z, "value"),
          Input("explore-interval", "disabled"), Input("explore-span-unit", "value"), Input("explore-pick", "data"),
          Input("explore-find", "value"))
def query(run: Mapping[str, Any] | None, dims: list[int] | None, steps: int, span: float, kind: str, index: Any,
          seed: Any, z: list[float], paused: bool, unit: str, pick: str | None, find: str | None) -> str:
    base = Base.of(kind, index, seed)
    if not run or not paused or base_problem(run, base):  # no URL writes per animation frame, nor for a bad base
        raise PreventUpdate
    return explore_state(run, dims or [], steps, span, base, z, unit, pick or "", find or "").to_query()


register_url_sync("explore")
register_link_note_reset("explore")
clientside_callback(ClientsideFunction("factorscope", "sliderValue"),
                    Output({"type": "z-value", "dim": MATCH}, "children"),
                    Input({"type": "z-slider", "dim": MATCH}, "value"))


@callback(Output("explore-gallery", "children"), Output("explore-gallery-start", "data"),
          Input("explore-run", "data"), Input("explore-gallery-prev", "n_clicks"),
          Input("explore-gallery-next", "n_clicks"), Input("explore-base-index", "value"),
          Input("explore-base-kind", "value"), State("explore-gallery-start", "data"))
def gallery(run: Mapping[str, Any] | None, _prev: Any, _next: Any, index: Any, kind: str,
            start: int) -> tuple[Any, ...]:
    if not run or not run["n_items"]:
        return [], start
    step = {"explore-gallery-prev": -GALLERY_SIZE, "explore-gallery-next": GALLERY_SIZE}.get(str(ctx.triggered_id), 0)
    start = (start + step) % run["n_items"]
    selected = Base.of(kind, index, 0).index if kind == "item" else None
    return create_gallery(context.images(), run["dataset"], gallery_indices(start, run["n_items"]), selected), start


@callback(Output("explore-base-kind", "value"), Output("explore-base-index", "value"),
          *(Input({"type": kind, "index": ALL}, "n_clicks") for kind in THUMB_KINDS), prevent_initial_call=True)
def pick_item(*clicks: list[int | None]) -> tuple[str, int]:
    """A thumbnail clicked (the gallery, a search's or the neighbours') makes its item the base."""
    if not any(any(group) for group in clicks):
        raise PreventUpdate
    return "item", clicked_item()


@callback(Output("explore-neighbours", "children"), Output("explore-neighbours-note", "children"),
          Input("explore-run", "data"), Input("explore-base-kind", "value"), Input("explore-base-index", "value"))
def neighbours(run: Mapping[str, Any] | None, kind: str, index: Any) -> tuple[Any, ...]:
    if not run:
        raise PreventUpdate
    drawn = Base.of(kind, index, 0).resolved(typical_index(run))
    item = drawn.index if drawn.kind == "item" and not base_problem(run, drawn) else None
    return neighbours_view(context.client(), context.images(), run, item)


@callback(Output(Z, "value", allow_duplicate=True), Output(Z, "min"), Output(Z, "max"), Output(Z, "marks"),
          Input("explore-base-kind", "value"), Input("explore-base-index", "value"),
          Input("explore-base-seed", "value"), Input("explore-reset", "n_clicks"), State("explore-run", "data"),
          prevent_initial_call=True)
def follow_base(kind: str, index: Any, seed: Any, _reset: Any, run: Mapping[str, Any] | None
                ) -> tuple[list[float], list[float], list[float], list[dict[float, str]]]:
    """The playground starts again from the base point whenever the base changes (each slider's range, and the
    scale under it, widened to hold it)."""
    if not run:
        raise PreventUpdate
    base = Base.of(kind, index, seed)
    if check_view(run, [0], base):
        raise PreventUpdate
    try:
        z = base_code(context.client(), run, base)
    except BackendError:
        raise PreventUpdate from None
    limits = [slider_limit(v) for v in z]
    return [round(v, 2) for v in z], [-m for m in limits], limits, [slider_marks(m) for m in limits]


@callback(Output("explore-interval", "disabled"), Output("explore-play", "children"),
          Input("explore-play", "n_clicks"), State("explore-interval", "disabled"), prevent_initial_call=True)
def toggle_play(_clicks: int, paused: bool) -> tuple[bool, str]:
    return (False, "■ Stop") if paused else (True, "▶ Play")


@callback(Output(Z, "value", allow_duplicate=True), Output("explore-phase", "data"),
          Input("explore-interval", "n_intervals"), State("explore-play-dim", "value"), State("explore-phase", "data"),
          State(Z, "value"), prevent_initial_call=True)
def animate(_tick: int, dim: str | None, phase: int, z: list[float]) -> tuple[list[Any], int]:
    """Step the played dim's slider one frame along its sweep."""
    if dim is None or not str(dim).isdigit() or int(dim) >= len(z):
        raise PreventUpdate
    values: list[Any] = [no_update] * len(z)
    values[int(dim)] = triangle(phase + 1)
    return values, phase + 1


@callback(Output("explore-img-alert", "children"), Input("explore-img-error", "data"), State("explore-run", "data"),
          prevent_initial_call=True)
def image_problem(error: Mapping[str, Any] | None, run: Mapping[str, Any] | None) -> Any:
    return explain_image(context.client(), context.images(), error, (run or {}).get("version"))


def explain_image(client: BackendClient, images: ImageUrls, error: Mapping[str, Any] | None,
                  loaded: str | None = None) -> Any:
    """Ask the backend (server-side) why an image failed, and show its problem. ``loaded``: the version the page
    loaded (an image of an older link's version fails while the page catches up: the banner says so)."""
    path = images.path_of(str((error or {}).get("src", "")))
    if path is None:
        return None
    try:
        client.fetch(path)
    except BackendError as err:
        if err.current_version and err.current_version == loaded:  # the page has it already: the image follows
            return None
        if err.current_version:  # the page loaded one version; the run has another one since
            return create_message(f"This run changed while the page was open: it is now at version "
                                  f"{err.current_version}. Reload the page to see the new version.", "warning")
        return create_error_alert(err, "draw this image")
    return None
