"""The Embedding page's parts beyond the plot: the axes controls (with the projection job's button and progress), the
hover card filled in the browser from sprite sheets, the clicked point's panel (its image and nearest neighbours),
the selection's panel (its size and what to do with it) and the keyboard's list of points."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from ..api_client import ImageUrls, ItemSetSummary, Neighbours
from ..state import JOB_METHODS, SYNC_N, Base, EmbeddingState, ExploreState
from .controls import create_field
from .figures import GRAPH_CONFIG

METHOD_OPTIONS = [{"label": "PCA of the posterior means", "value": "pca"},
                  {"label": "two most informative dims", "value": "mi"},
                  {"label": "two dims of your choice", "value": "dims"},
                  {"label": "t-SNE (computed on request)", "value": "tsne"},
                  {"label": "UMAP (computed on request)", "value": "umap"}]
SCOPE_OPTIONS = [{"label": "a sample of n items", "value": "sample"}, {"label": "every item", "value": "all"}]
SPRITE_CELL = 32  # px of one thumbnail in a sprite sheet
HIDDEN, SHOWN = {"display": "none"}, {"display": "block"}
LIST_SIZE = 8  # points in the keyboard's list


def aria(**attributes: str) -> dict[str, Any]:
    """ARIA attributes for a Dash component's **kwargs: aria(live="polite") -> {"aria-live": "polite"}."""
    return {f"aria-{name}": value for name, value in attributes.items()}


def dim_options(latent_dim: int) -> list[dict[str, Any]]:
    return [{"label": f"z{j}", "value": j} for j in range(latent_dim)]


def create_axes_controls(state: EmbeddingState) -> list[Any]:
    """Coordinates, the two dims (for "dims"), which items, and the button that starts a projection job."""
    method = dbc.RadioItems(id="embedding-method", options=METHOD_OPTIONS, value=state.method)
    dims = html.Div([
        create_field("x axis dim", dcc.Dropdown(id="embedding-dim-x", value=state.dim_x, clearable=False,
                                                options=dim_options(max(state.dim_x, state.dim_y) + 1)),
                     "embedding-dim-x"),
        create_field("y axis dim", dcc.Dropdown(id="embedding-dim-y", value=state.dim_y, clearable=False,
                                                options=dim_options(max(state.dim_x, state.dim_y) + 1)),
                     "embedding-dim-y"),
    ], id="embedding-dims", style=SHOWN if state.method == "dims" else HIDDEN)
    scope = dbc.RadioItems(id="embedding-scope", options=SCOPE_OPTIONS, value=state.scope)
    n = dbc.Input(id="embedding-n", type="number", step=1, value=state.n, debounce=True)
    return [create_field("Coordinates", method, "embedding-method"), dims,
            create_field("Items", scope, "embedding-scope"),
            create_field("Items encoded (n)", n, "embedding-n",
                         help_text=f"Up to {SYNC_N:,} are drawn at once; more, every item, t-SNE and UMAP are "
                                   "computed by the worker when you ask."),
            create_job_area()]


def create_job_area() -> html.Div:
    """The Compute button, shown while the view needs a projection that is not computed, and the job's progress."""
    return html.Div([
        dbc.Button("Compute this projection", id="embedding-compute", color="primary", size="sm", n_clicks=0,
                   className="mb-2"),
        dbc.Progress(id="embedding-progress", value=0, label="", striped=True, animated=True, className="mb-1",
                     style={"height": "1.1rem"}),
        html.Div(id="embedding-job-status", className="small text-muted", role="status"),
    ], id="embedding-job", style=HIDDEN, className="mb-3")


def needs_job_note(state: EmbeddingState) -> str:
    """What the Compute button will do for a view the backend has not projected yet."""
    what = {"tsne": "t-SNE", "umap": "UMAP"}.get(state.method, state.method.upper())
    items = "every item" if state.scope == "all" else f"{state.n:,} items"
    why = "" if state.method in JOB_METHODS else f" (more than {SYNC_N:,} items are projected by the worker)"
    return f"The {what} of {items} is not computed yet{why}: press Compute this projection."


def create_hover_card() -> html.Div:
    """Filled by factorscope.spriteHover in the browser as the pointer moves: the hovered item's thumbnail (a cell of
    its sprite sheet), its index and values."""
    return html.Div([html.Div(id="embedding-hover-img", className="fs-hover-img"),
                     html.Div(id="embedding-hover-text", className="fs-hover-text")],
                    id="embedding-hover", className="fs-hover-card", style=HIDDEN, **aria(hidden="true"))


def create_graph_card() -> dbc.Card:
    graph = dcc.Graph(id="embedding-graph", config={**GRAPH_CONFIG, "modeBarButtonsToAdd": ["select2d", "lasso2d"]},
                      clear_on_unhover=True)
    return dbc.Card([dbc.CardHeader("Encoded items: hover for the image, click for neighbours, drag a lasso or box to "
                                    "make a set"),
                     dbc.CardBody(html.Div([dcc.Loading(graph), create_hover_card()], className="fs-hover-frame"))])


def explore_link(run: str, v: str | None, item: int, z: Sequence[float] = ()) -> str:
    """Explore traversing from ``item``, its playground at ``z`` when given."""
    return ExploreState(run=run, v=v, base=Base("item", index=item), z=tuple(round(x, 2) for x in z)).href()


def create_point_panel(images: ImageUrls, dataset: str, run: dict[str, Any], item: int, values: str,
                       found: Neighbours) -> list[Any]:
    """The clicked point: its image and values, its nearest neighbours with distances, the link to Explore."""
    rows = [html.Tr([html.Td(html.Button(html.Img(src=images.item(dataset, nb.item), alt=f"item {nb.item}",
                                                  className="fs-nb-img"),
                                         id={"type": "embedding-nb", "item": nb.item}, n_clicks=0,
                                         className="fs-thumb", title=f"item {nb.item}: show its neighbours")),
                     html.Td(str(nb.item)), html.Td(f"{nb.distance:.3f}")]) for nb in found.neighbours]
    table = dbc.Table([html.Thead(html.Tr([html.Th("image"), html.Th("item"), html.Th("distance")])),
                       html.Tbody(rows)], size="sm", className="fs-nb-table mb-2")
    return [
        html.Div([html.Img(src=images.item(dataset, item), alt=f"item {item}", className="fs-point-img"),
                  html.Div([html.Strong(f"item {item}"), html.Div(values, className="small")])],
                 className="d-flex gap-2 align-items-center mb-2"),
        html.Div(f"{len(found.neighbours)} nearest in latent space (Euclidean distance between posterior means, among "
                 f"{found.n:,} sampled items):", className="small mb-1"),
        table,
        dcc.Link(f"Open item {item} in Explore", href=explore_link(run["run_id"], run["version"], item),
                 id="embedding-explore-link", className="btn btn-outline-primary btn-sm"),
    ]


def create_set_panel() -> html.Div:
    """The selection's panel; its size and saved sets are filled by callbacks."""
    name = dbc.Input(id="embedding-set-name", type="text", maxlength=100, placeholder="e.g. thick sevens")
    return html.Div([
        html.Div("Drag a lasso or box over the plot to select points.", id="embedding-set-size", role="status",
                 className="mb-2"),
        html.Div([dbc.Button("Compare latent means", id="embedding-compare", n_clicks=0, size="sm",
                             color="primary", disabled=True),
                  dbc.Button("Use as base points", id="embedding-use-base", n_clicks=0, size="sm",
                             color="outline-primary", disabled=True),
                  dbc.Button("Clear selection", id="embedding-clear", n_clicks=0, size="sm",
                             color="outline-secondary", disabled=True)], className="d-flex flex-wrap gap-2 mb-2"),
        create_field("Name the set", name, "embedding-set-name"),
        dbc.Button("Save for labelling", id="embedding-save", n_clicks=0, size="sm", color="outline-success",
                   disabled=True, className="mb-2"),
        html.Div(id="embedding-set-alert"),
        html.Div(id="embedding-saved-sets", className="small"),
    ])


def create_means_card() -> dbc.Card:
    """The compared set's latent means; hidden until a set is compared (``means_graph`` fills it)."""
    return dbc.Card([dbc.CardHeader("Latent means of the set"), dbc.CardBody(html.Div(id="embedding-means"))],
                    id="embedding-means-card", style=HIDDEN, className="mb-3")


def means_graph(figure: Any) -> dcc.Graph:
    """Made when the card is shown, so Plotly sizes it in a visible box."""
    return dcc.Graph(id="embedding-means-graph", figure=figure, config=GRAPH_CONFIG)


def saved_sets_list(sets: Sequence[ItemSetSummary]) -> Any:
    if not sets:
        return None
    return html.Div([html.Div("Saved sets (for labelling):", className="fs-label"),
                     html.Ul([html.Li(f"{s.name} ({s.n_items} items)") for s in sets], className="mb-0")])


def create_point_list(items: Sequence[int], current: int | None, labels: dict[int, str], why: str) -> list[Any]:
    """The keyboard's way to the points: one button per point (Tab to it, Enter shows its neighbours)."""
    buttons = [html.Li(html.Button(f"item {i}" + (f" · {labels[i]}" if labels.get(i) else ""),
                                   id={"type": "embedding-point", "item": i}, n_clicks=0,
                                   className="btn btn-sm w-100 text-start "
                                             + ("btn-primary" if i == current else "btn-outline-secondary"),
                                   **aria(current="true" if i == current else "false")))
               for i in items]
    return [html.Div(why, className="small text-muted mb-1"),
            html.Ul(buttons, className="list-unstyled d-grid gap-1 mb-0", **aria(label="points"))]
