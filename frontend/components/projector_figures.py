"""The Embedding page's figures, pure: the scatter with what the user marked drawn over it (search matches, the
selection's outline and points, the clicked point), the patches that change one of those parts in the browser's copy
of the figure (``dash.Patch``: only the changed arrays go down), and a set's mean latent code against the sample's.

The scatter's traces sit at fixed places so a patch can name them: the points (MAIN, one WebGL trace in the
embedding's order, so a point's number is its place in the sample), the selected points, the search matches, the
clicked item, then MAX_CATEGORIES legend entries (the colours of a categorical colouring; unused ones hidden)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go
from dash import Patch

from ..api_client import Embedding, ItemSet
from .figures import (
    CATEGORY_COLOURS,
    MAX_CATEGORIES,
    base_layout,
    categories,
    colour_values,
    embedding_layout,
    empty_figure,
    point_hover,
)
from .projector_data import polygon

MATCH, SELECTED, CURRENT = "#fd7e14", "#212529", "#dc3545"
MAIN, SELECTED_TRACE, MATCH_TRACE, ITEM_TRACE, LEGEND = 0, 1, 2, 3, 4  # the traces' places
POINT = {"size": 6, "opacity": 0.8}
ONE_COLOUR = "#0d6efd"


@dataclass(frozen=True)
class Marks:
    """What is drawn over the points: dataset indices of search ``matches`` and of the ``selected`` points, the
    selection's ``outline`` (projector_data's text) and the clicked ``item``."""

    matches: Collection[int] = field(default_factory=frozenset)
    selected: Collection[int] = field(default_factory=frozenset)
    outline: str = ""
    item: int | None = None


SIGNIFICANT = 5  # digits of a plotted coordinate, relative to the largest: 1/10,000 of the spread is < 0.1 px


def coords(values: Sequence[float]) -> list[float]:
    """Plot coordinates rounded to SIGNIFICANT digits of the largest magnitude: ~7 characters of JSON a point, not
    ~19 (plain lists, not base64 typed arrays, so the browser's ``gd.data[t].x`` stays an array)."""
    array = np.asarray(values, dtype=float)
    scale = float(np.abs(array).max()) if array.size else 0.0
    decimals = max(0, SIGNIFICANT - 1 - int(np.floor(np.log10(scale)))) if scale > 0 else 0
    return np.round(array, decimals).tolist()


def stepped(kinds: Sequence[float]) -> list[list[Any]]:
    """A colour scale over [kinds[0], kinds[-1]] that is CATEGORY_COLOURS[k] exactly at kinds[k]: categories drawn
    by one trace with their values as marker colours (so a colour change patches one array)."""
    low, span = kinds[0], (kinds[-1] - kinds[0]) or 1.0
    scale = [[(kind - low) / span, CATEGORY_COLOURS[k]] for k, kind in enumerate(kinds)]
    return scale if len(scale) > 1 else [[0.0, scale[0][1]], [1.0, scale[0][1]]]


def main_style(emb: Embedding, colour: str) -> dict[str, Any]:
    """The points' marker and hover for ``colour``: one colour, a colour scale, or one colour per category."""
    coloured = colour_values(emb, colour)
    if coloured is None:
        return {"marker": {**POINT, "color": ONE_COLOUR}, "hovertemplate": point_hover()}
    name, values = coloured
    kinds = categories(values)
    if kinds is None:
        return {"hovertemplate": point_hover(f"{name} %{{marker.color:.4g}}"), "marker": {
            **POINT, "color": np.round(values, 4).tolist(), "colorscale": "Viridis", "showscale": True,
            "colorbar": {"title": {"text": name}}}}
    return {"hovertemplate": point_hover(f"{name} %{{marker.color}}"), "marker": {
        **POINT, "color": [int(v) for v in values], "colorscale": stepped(kinds), "cmin": kinds[0], "cmax": kinds[-1],
        "showscale": False}}


def legend_traces(emb: Embedding, colour: str) -> list[go.Scattergl]:
    """MAX_CATEGORIES legend entries: one per category of a categorical colouring, the rest hidden."""
    coloured = colour_values(emb, colour)
    kinds = categories(coloured[1]) if coloured else None
    names = [f"{coloured[0]} {kind:g}" for kind in kinds] if coloured and kinds else []
    return [go.Scattergl(x=[None], y=[None], mode="markers", name=names[k] if k < len(names) else "",
                         visible=k < len(names), showlegend=k < len(names), hoverinfo="skip",
                         marker={**POINT, "color": CATEGORY_COLOURS[k]}) for k in range(MAX_CATEGORIES)]


def overlay(emb: Embedding, items: Collection[int], name: str, marker: dict[str, object]) -> go.Scattergl:
    """The points of ``items`` again, drawn on top with ``marker``; not hoverable, so hover and clicks reach the
    points beneath."""
    wanted = np.isin(np.asarray(emb.index), np.fromiter(items, dtype=np.int64, count=len(items)))
    return go.Scattergl(x=np.asarray(coords(emb.x))[wanted].tolist(), y=np.asarray(coords(emb.y))[wanted].tolist(),
                        name=name, mode="markers", marker=marker, hoverinfo="skip", showlegend=bool(wanted.any()))


def mark_traces(emb: Embedding, marks: Marks) -> dict[int, go.Scattergl]:
    """The selected points, the search matches and the clicked item, by their places."""
    item = [] if marks.item is None else [marks.item]
    return {
        SELECTED_TRACE: overlay(emb, marks.selected, f"selected ({len(marks.selected)})",
                                {"size": 7, "color": "rgba(0,0,0,0)", "line": {"color": SELECTED, "width": 1}}),
        MATCH_TRACE: overlay(emb, marks.matches, f"search matches ({len(marks.matches)})",
                             {"size": 11, "color": "rgba(0,0,0,0)", "line": {"color": MATCH, "width": 2}}),
        ITEM_TRACE: overlay(emb, item, f"item {marks.item}",
                            {"size": 16, "color": "rgba(0,0,0,0)", "line": {"color": CURRENT, "width": 3}}),
    }


def outline_shape(outline: str) -> dict[str, object] | None:
    """The selection's outline as a dashed layout shape (data units), or None."""
    vertices = polygon(outline)
    if vertices is None:
        return None
    path = "M" + "L".join(f"{x},{y}" for x, y in vertices) + "Z"
    return {"type": "path", "path": path, "line": {"color": SELECTED, "width": 1, "dash": "dot"}, "layer": "above"}


def outline_layout(outline: str) -> dict[str, Any]:
    """The layout's part that shows the selection: its outline, and a selectionrevision that changes with it (Plotly
    keeps its own selection while that stays; the page draws the selection itself, so a new or cleared one starts
    Plotly's afresh)."""
    shape = outline_shape(outline)
    return {"shapes": [shape] if shape else [], "selectionrevision": outline or "none"}


def projector_figure(emb: Embedding, colour: str, marks: Marks, revision: str = "") -> go.Figure:
    """The points coloured by ``colour`` with the marks over them; ``revision`` keeps the user's zoom while it stays
    the same."""
    if not emb.x:
        return empty_figure("no points")
    points = go.Scattergl(x=coords(emb.x), y=coords(emb.y), customdata=emb.index, mode="markers", name="points",
                          showlegend=False, **main_style(emb, colour))
    fig = go.Figure([points, *mark_traces(emb, marks).values(), *legend_traces(emb, colour)])
    fig.update_layout(uirevision=revision or None, dragmode="lasso", legend={"itemclick": False,
                                                                             "itemdoubleclick": False},
                      **outline_layout(marks.outline))
    return embedding_layout(fig, emb)


PARTS = ("colour", "matches", "selection", "item")  # what projector_patch can change


def projector_patch(emb: Embedding, colour: str, marks: Marks, changed: Collection[str]) -> Patch:
    """The changes to ``projector_figure``'s figure for the ``changed`` PARTS: the points' colours and the legend, or
    one mark's trace (and the selection's outline)."""
    patch = Patch()
    if "colour" in changed:
        for name, value in main_style(emb, colour).items():
            patch["data"][MAIN][name] = value
        for k, trace in enumerate(legend_traces(emb, colour)):
            patch["data"][LEGEND + k] = trace.to_plotly_json()
    traces = mark_traces(emb, marks)
    for part, place in (("selection", SELECTED_TRACE), ("matches", MATCH_TRACE), ("item", ITEM_TRACE)):
        if part in changed:
            patch["data"][place] = traces[place].to_plotly_json()
    if "selection" in changed:
        for name, value in outline_layout(marks.outline).items():
            patch["layout"][name] = value
    return patch


def means_figure(item_set: ItemSet) -> go.Figure:
    """Per latent dim: the set's mean posterior code beside the mean over the run's sample."""
    if not item_set.mean_code:
        return empty_figure("no mean code for this set", height=260)
    dims = [f"z{j}" for j in range(len(item_set.mean_code))]
    fig = go.Figure()
    fig.add_bar(x=dims, y=item_set.mean_code, name=f"{item_set.name} ({len(item_set.items)} items)",
                marker_color=SELECTED, hovertemplate="%{x}: set mean %{y:.3f}<extra></extra>")
    if item_set.baseline_code:
        sample = f"sample mean ({item_set.baseline_n} items)" if item_set.baseline_n else "sample mean"
        fig.add_bar(x=dims, y=item_set.baseline_code, name=sample, marker_color="#adb5bd",
                    hovertemplate="%{x}: sample mean %{y:.3f}<extra></extra>")
    fig.update_layout(barmode="group", xaxis={"title": "latent dim", "type": "category"},
                      yaxis={"title": "mean posterior code"})
    return base_layout(fig, "Latent means: the set against the sample", height=300)
