"""The Embedding page's figures, pure: the scatter with what the user marked drawn over it (search matches, the
selection's outline and points, the clicked point), and a set's mean latent code against the sample's."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import plotly.graph_objects as go

from ..api_client import Embedding, ItemSet
from .figures import base_layout, embedding_figure, empty_figure
from .projector_data import polygon

MATCH, SELECTED, CURRENT = "#fd7e14", "#212529", "#dc3545"


@dataclass(frozen=True)
class Marks:
    """What is drawn over the points: dataset indices of search ``matches`` and of the ``selected`` points, the
    selection's ``outline`` (projector_data's text) and the clicked ``item``."""

    matches: Collection[int] = field(default_factory=frozenset)
    selected: Collection[int] = field(default_factory=frozenset)
    outline: str = ""
    item: int | None = None


def overlay(emb: Embedding, items: Collection[int], name: str, marker: dict[str, object]) -> go.Scattergl:
    """The points of ``items`` again, drawn on top with ``marker``; not hoverable, so hover and clicks reach the
    points beneath."""
    wanted = set(items)
    rows = [i for i, item in enumerate(emb.index) if item in wanted]
    return go.Scattergl(x=[emb.x[i] for i in rows], y=[emb.y[i] for i in rows], name=name, mode="markers",
                        marker=marker, hoverinfo="skip", showlegend=bool(rows))


def outline_shape(outline: str) -> dict[str, object] | None:
    """The selection's outline as a dashed layout shape (data units), or None."""
    vertices = polygon(outline)
    if vertices is None:
        return None
    path = "M" + "L".join(f"{x},{y}" for x, y in vertices) + "Z"
    return {"type": "path", "path": path, "line": {"color": SELECTED, "width": 1, "dash": "dot"}, "layer": "above"}


def projector_figure(emb: Embedding, colour: str, marks: Marks, revision: str = "") -> go.Figure:
    """``embedding_figure`` with the marks over it; ``revision`` keeps the user's zoom while it stays the same."""
    fig = embedding_figure(emb, colour)
    if not emb.x:
        return fig
    if marks.selected:
        fig.add_trace(overlay(emb, marks.selected, f"selected ({len(marks.selected)})",
                              {"size": 7, "color": "rgba(0,0,0,0)", "line": {"color": SELECTED, "width": 1}}))
    if marks.matches:
        fig.add_trace(overlay(emb, marks.matches, f"search matches ({len(marks.matches)})",
                              {"size": 11, "color": "rgba(0,0,0,0)", "line": {"color": MATCH, "width": 2}}))
    if marks.item is not None:
        fig.add_trace(overlay(emb, [marks.item], f"item {marks.item}",
                              {"size": 16, "color": "rgba(0,0,0,0)", "line": {"color": CURRENT, "width": 3}}))
    shape = outline_shape(marks.outline)
    if shape is not None:
        fig.add_shape(shape)
    # Plotly keeps its own selection while selectionrevision stays; the page draws the selection itself (the outline
    # and the ringed points), so a new or cleared selection starts Plotly's afresh
    fig.update_layout(uirevision=revision or None, selectionrevision=marks.outline or "none", dragmode="lasso")
    return fig


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
