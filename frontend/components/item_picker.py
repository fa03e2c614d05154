"""Explore's item picker (#20 item 4): choose the base item by its factor values (one select per factor, "any"
allowed: the base becomes the first matching item), find items by attribute or label ("label=3", "thickness=1.5..2"),
and the base item's nearest neighbours in latent space, each a thumbnail that makes it the base. The backend reads
every condition (GET /datasets/{name}/items/search) and finds the neighbours (GET /runs/{id}/neighbours); a refused
condition is shown as the user wrote it, with the backend's reason."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from frontend import context
from frontend.api_client import Attribute, BackendClient, BackendError, Dataset, ImageUrls
from frontend.components.controls import create_field
from frontend.components.feedback import create_error_alert, create_message
from frontend.components.projector_data import search_terms

PICK = {"type": "pick-factor", "name": ALL}
THUMB_KINDS = ("gallery-item", "found-item", "neighbour-item")  # the thumbnails a click makes the base
ANY = "*"  # a select's "any" (dbc.Select keeps "" for its hidden placeholder; no level name is "*": state.PICK_RE)
N_FOUND = 12  # thumbnails a search shows
N_NEIGHBOURS = 8
NEIGHBOUR_SAMPLE = 2000  # items encoded and searched for neighbours (n of GET /runs/{id}/neighbours, seed 0)
CONDITION = re.compile(r"query\.where\[(\d+)\]( \([^)]*\))?")  # how the backend names a refused condition


# -- pure helpers (tests call these) ---------------------------------------------------------------------

def level_options(dataset: Dataset, attributes: Sequence[Attribute]) -> list[tuple[str, list[dict[str, str]]]]:
    """(factor, its select's options) per factor: "any", then each level by its class name where the dataset names
    levels (a categorical attribute of the same name with one class per level, as the backend's search reads them),
    else by its index."""
    out = []
    for name, size in zip(dataset.factor_names, dataset.factor_sizes, strict=False):
        named = next((a.classes for a in attributes if a.name == name and a.classes and len(a.classes) == size), None)
        levels = named or [str(i) for i in range(size)]
        out.append((name, [{"label": "any", "value": ANY}, *({"label": level, "value": level} for level in levels)]))
    return out


def pick_text(names: Sequence[str], values: Sequence[str | None]) -> str:
    """The chosen levels as the link keeps them: "shape=heart,scale=3" ("any" left out)."""
    chosen = [(name, value) for name, value in zip(names, values, strict=True) if value not in (None, "", ANY)]
    return ",".join(f"{name}={value}" for name, value in chosen)


def picked(text: str) -> dict[str, str]:
    """"shape=heart,scale=3" -> {"shape": "heart", "scale": "3"}."""
    return dict(part.split("=", 1) for part in text.split(",") if "=" in part)


def refusal(err: BackendError, terms: Sequence[str], what: str) -> dbc.Alert:
    """The backend's problem with the condition it names shown as the user wrote it ("label=ten: expected ...")."""
    match = CONDITION.search(err.detail) if err.status == 422 else None
    if match is None or int(match.group(1)) >= len(terms):
        return create_error_alert(err, what)
    reason = err.detail[match.end():].lstrip(": ")
    return create_message(f"“{terms[int(match.group(1))]}” was refused: {reason}", "danger")


def thumbs(images: ImageUrls, dataset: str, items: Sequence[int], kind: str,
           captions: Sequence[str] | None = None) -> list[html.Button]:
    """Thumbnails of dataset items, ids {"type": kind, "index": item}; clicking one makes it the base."""
    texts = captions or [""] * len(items)
    return [html.Button([html.Img(src=images.item(dataset, i), alt=f"item {i}", className="fs-thumb-img"),
                         html.Span(text, className="small d-block", style={"lineHeight": 1.2}) if text else None],
                        id={"type": kind, "index": i}, title=f"item {i}" + (f" ({text})" if text else "")
                        + ": traverse from here", className="fs-thumb", n_clicks=0)
            for i, text in zip(items, texts, strict=True)]


# -- layout ---------------------------------------------------------------------------------------------

def create_item_picker(pick: str, find: str) -> html.Div:
    """The picker's controls; the selects arrive with the run (its dataset's factors)."""
    search = dbc.Input(id="explore-find", type="search", value=find, debounce=True,
                       placeholder="e.g. label=3 or thickness=1.5..2")
    return html.Div([
        dcc.Store(id="explore-pick", data=pick),
        html.Fieldset(id="explore-pick-row", className="fs-pick-row mb-1"),
        html.Div(id="explore-pick-note", role="status", className="small mb-2"),
        create_field("Find items by attribute or label", search, "explore-find",
                     help_text="name=value, several separated by commas; a range as name=lo..hi"),
        html.Div(id="explore-find-note", role="status", className="small mb-1"),
        html.Div(id="explore-found", className="fs-gallery mb-3"),
        dbc.Label("Nearest in latent space", className="fs-label"),
        html.Div(id="explore-neighbours-note", role="status", className="small mb-1"),
        html.Div(id="explore-neighbours", className="fs-gallery mb-3"),
    ])


def pick_row(dataset: Dataset, attributes: Sequence[Attribute], pick: str) -> list[Any]:
    """"Choose by value": one labelled select per factor, set to the link's levels; nothing without factors."""
    if not dataset.factor_names:
        return []
    chosen = picked(pick)
    fields = [create_field(f"{name}", dbc.Select(id={"type": "pick-factor", "name": name}, options=options,
                                                   value=chosen.get(name, ANY)), {"type": "pick-factor", "name": name})
              for name, options in level_options(dataset, attributes)]
    return [html.Legend("Choose the base item by value", className="fs-label"),
            dbc.Row([dbc.Col(f, xs=6) for f in fields], className="g-2")]


# -- callbacks -------------------------------------------------------------------------------------------

@callback(Output("explore-pick-row", "children"), Input("explore-run", "data"), State("explore-pick", "data"))
def factor_selects(run: Mapping[str, Any] | None, pick: str) -> Any:
    if not run:
        raise PreventUpdate
    client = context.client()
    try:
        dataset = next((d for d in client.datasets() if d.name == run["dataset"]), None)
        attributes = client.attributes(run["dataset"]).attributes if dataset else []
    except BackendError as err:
        return create_error_alert(err, "list the dataset's factors (pick a base item from the gallery instead)")
    return pick_row(dataset, attributes, pick or "") if dataset else []


@callback(Output("explore-base-kind", "value", allow_duplicate=True),
          Output("explore-base-index", "value", allow_duplicate=True), Output("explore-pick", "data"),
          Output("explore-pick-note", "children"), Input(PICK, "value"), State(PICK, "id"),
          State("explore-pick", "data"), State("explore-run", "data"), prevent_initial_call=True)
def choose(values: list[str | None], ids: list[Mapping[str, str]], stored: str, run: Mapping[str, Any] | None
           ) -> tuple[Any, ...]:
    if not run or not ids:
        raise PreventUpdate
    return choose_view(context.client(), run["dataset"], [i["name"] for i in ids], values, stored or "")


def choose_view(client: BackendClient, dataset: str, names: Sequence[str], values: Sequence[str | None],
                stored: str) -> tuple[Any, ...]:
    """(base kind, base index, pick, note): the first item with the chosen levels becomes the base, unless the levels
    are the link's own (the page is restoring it: its base stays)."""
    text = pick_text(names, values)
    if not text:
        return no_update, no_update, "", None
    terms = text.split(",")
    try:
        found = client.search_items(dataset, terms, limit=1)
    except BackendError as err:
        return no_update, no_update, text, refusal(err, terms, "find items with these values")
    if not found.items:
        return no_update, no_update, text, create_message(f"No item of {dataset} has {', '.join(terms)}.")
    if text == stored:
        return no_update, no_update, text, f"{found.total:,} items have {', '.join(terms)}."
    first = found.items[0]
    return "item", first, text, f"{found.total:,} items have {', '.join(terms)}; the first, item {first}, is the base."


@callback(Output("explore-found", "children"), Output("explore-find-note", "children"),
          Input("explore-find", "value"), Input("explore-run", "data"))
def find(text: str | None, run: Mapping[str, Any] | None) -> tuple[Any, ...]:
    if not run:
        raise PreventUpdate
    return find_view(context.client(), context.images(), run["dataset"], search_terms(text))


def find_view(client: BackendClient, images: ImageUrls, dataset: str, terms: Sequence[str]) -> tuple[Any, ...]:
    """(thumbnails of the first matches, a note with the count or the refusal)."""
    if not terms:
        return [], None
    try:
        found = client.search_items(dataset, terms, limit=N_FOUND)
    except BackendError as err:
        return [], refusal(err, terms, "search the items")
    shown = f" (the first {len(found.items)} below)" if found.total > len(found.items) else ""
    return (thumbs(images, dataset, found.items, "found-item"),
            f"{found.total:,} items of {dataset} match {', '.join(terms)}{shown}.")


def neighbours_view(client: BackendClient, images: ImageUrls, run: Mapping[str, Any], item: int | None
                    ) -> tuple[Any, ...]:
    """(thumbnails of the base item's nearest neighbours, captioned with their distances; a note)."""
    if item is None:
        return [], "Choose a dataset item as the base to see its nearest neighbours."
    try:
        near = client.neighbours(run["run_id"], item, N_NEIGHBOURS, NEIGHBOUR_SAMPLE, 0, run["version"])
    except BackendError as err:
        return [], create_error_alert(err, "find the base item's neighbours")
    items = [row.item for row in near.neighbours]
    captions = [f"d {row.distance:.3g}" for row in near.neighbours]  # 3 digits: close neighbours differ too
    note = (f"The {len(items)} items of a {near.n:,}-item sample whose posterior means lie nearest item {item}'s "
            "(d: Euclidean distance), nearest first.")
    return thumbs(images, run["dataset"], items, "neighbour-item", captions), note


def clicked_item() -> int:
    """The item of the thumbnail just clicked (gallery, search or neighbours); PreventUpdate when the trigger was
    thumbnails being drawn, not clicked."""
    if not ctx.triggered or not ctx.triggered[0].get("value") or not isinstance(ctx.triggered_id, Mapping):
        raise PreventUpdate
    return int(ctx.triggered_id["index"])

