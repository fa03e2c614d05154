"""Embedding: the encoded items in 2-D (PCA or the two most informative dims) as a WebGL scatter, coloured
by any ground-truth factor or attribute. Clicking a point opens Explore traversing from that item."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from frontend import context
from frontend.api_client import BackendClient, BackendError, Dataset, Embedding, Run
from frontend.components.controls import create_field, create_run_picker
from frontend.components.feedback import create_error_alert, create_message
from frontend.components.figures import GRAPH_CONFIG, embedding_figure, empty_figure
from frontend.components.pagekit import (
    create_share_box,
    link_note,
    register_link_note_reset,
    register_run_loader,
    register_url_sync,
)
from frontend.state import EMBED_N, Base, EmbeddingState, explore_href, whole

dash.register_page(__name__, path="/embedding", name="Embedding", title="Embedding — factorscope", order=3,
                   nav=True)

METHOD_OPTIONS = [{"label": "PCA of the posterior means", "value": "pca"},
                  {"label": "two most informative dims", "value": "mi"}]


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
    method = dbc.RadioItems(id="embedding-method", options=METHOD_OPTIONS, value=state.method)
    n = dbc.Input(id="embedding-n", type="number", step=1, value=state.n, debounce=True)
    colour = dcc.Dropdown(id="embedding-color", value=state.color, clearable=False,
                          options=[{"label": state.color or "one colour", "value": state.color}])
    return html.Div([
        dcc.Store(id="embedding-initial", data=state.to_query()),
        dcc.Store(id="embedding-run"),
        dcc.Store(id="embedding-data"),
        dcc.Store(id="embedding-query"),
        dcc.Location(id="embedding-nav", refresh="callback-nav"),
        html.H1("Embedding", className="h4"),
        html.Div(id="embedding-banner"),
        html.Div(link_note(state, query), id="embedding-link-note"),
        html.Div(id="embedding-alerts"),
        html.Div(id="embedding-data-alert"),
        dbc.Row([
            dbc.Col(html.Div([create_run_picker("embedding-run-select", state.run),
                              create_field("Coordinates", method, "embedding-method"),
                              create_field("Items encoded", n, "embedding-n"),
                              create_field("Colour by", colour, "embedding-color"),
                              create_share_box("embedding")], className="fs-controls"), xs=12, md=4, xl=3),
            dbc.Col(dbc.Card([dbc.CardHeader("Encoded items (click a point to traverse from it)"),
                              dbc.CardBody(dcc.Loading(dcc.Graph(id="embedding-graph", figure=empty_figure("loading…"),
                                                                 config=GRAPH_CONFIG)))]),
                    xs=12, md=8, xl=9),
        ]),
    ], className="fs-page", id="embedding-page")


def embedding_store(_client: BackendClient, run: Run, _dataset: Dataset | None,
                    _asked: EmbeddingState) -> tuple[dict[str, Any], list[Any]]:
    """The ``embedding-run`` store: which run and version the points come from."""
    return {"run_id": run.run_id, "version": run.version}, []


load_embedding = register_run_loader("embedding", EmbeddingState.from_query, embedding_store)


def items_encoded(n: Any) -> int | None:
    """The size box's value when it is a whole number in EMBED_N's range, else None (blank, 2.5, 10, ...)."""
    value = whole(n, EMBED_N[1])
    return value if value >= EMBED_N[0] else None


@callback(Output("embedding-data", "data"), Output("embedding-color", "options"), Output("embedding-color", "value"),
          Output("embedding-data-alert", "children"), Input("embedding-run", "data"),
          Input("embedding-method", "value"), Input("embedding-n", "value"), State("embedding-color", "value"))
def points(run: Mapping[str, Any] | None, method: str, n: Any, colour: str | None) -> tuple[Any, ...]:
    size = items_encoded(n)
    if size is None:  # say so and keep the plot
        note = create_message(f"Items encoded: expected a whole number in {EMBED_N[0]}..{EMBED_N[1]}.", "warning")
        return dash.no_update, dash.no_update, dash.no_update, note
    return load_points(context.client(), run, method, size, colour or "")


def load_points(client: BackendClient, run: Mapping[str, Any] | None, method: str, n: int,
                colour: str = "") -> tuple[Any, ...]:
    """The points, the colour choices and the colour kept (one colour, with a warning, if the run lacks it)."""
    one = [{"label": "one colour", "value": ""}]
    if not run:
        return None, one, colour, None
    try:
        emb = client.embedding(run["run_id"], method, n, run["version"])
    except BackendError as err:
        return None, one, colour, create_error_alert(err, "embed the items")
    options = colour_options(emb)
    if colour in [o["value"] for o in options]:
        return emb.model_dump(), options, colour, None
    note = create_message(f"Colour by: {run['run_id']}'s dataset has no {colour.replace(':', ' ')}; expected one of "
                          f"{', '.join(o['label'] for o in options[1:]) or 'one colour'}.", "warning")
    return emb.model_dump(), options, "", note


@callback(Output("embedding-graph", "figure"), Input("embedding-data", "data"), Input("embedding-color", "value"))
def figure(data: Mapping[str, Any] | None, colour: str | None) -> Any:
    if not data:
        return empty_figure("no points")
    return embedding_figure(Embedding.model_validate(data), colour or "")


@callback(Output("embedding-query", "data"), Input("embedding-run", "data"), Input("embedding-method", "value"),
          Input("embedding-n", "value"), Input("embedding-color", "value"))
def query(run: Mapping[str, Any] | None, method: str, n: Any, colour: str | None) -> str:
    size = items_encoded(n)
    if not run or size is None:
        raise PreventUpdate
    return EmbeddingState(run=run["run_id"], v=run["version"], method=method, n=size,
                          color=colour or "").to_query()


register_url_sync("embedding")
register_link_note_reset("embedding")


@callback(Output("embedding-nav", "href"), Input("embedding-graph", "clickData"), State("embedding-run", "data"),
          prevent_initial_call=True)
def open_item(click: Mapping[str, Any] | None, run: Mapping[str, Any] | None) -> str:
    item = clicked_item(click)
    if item is None or not run:
        raise PreventUpdate
    return explore_href(run["run_id"], run["version"], base=Base("item", index=item))
