"""The Embedding page's point arithmetic, pure over an ``Embedding`` (N points): which points a box or lasso outline
holds, which match a search, which lie nearest a point. Outlines are kept as text ("box:x0,x1,y0,y1" or
"lasso:x,y,x,y,...", data units) so the page's link can carry them (``EmbeddingState.sel``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..api_client import Embedding

MAX_VERTICES = 120  # a lasso's outline in the link: longer paths are thinned to this many vertices


def _num(value: float) -> str:
    return f"{value:.5g}"


def outline_of(selected: Mapping[str, Any] | None) -> str:
    """Plotly's selectedData as outline text: its box ``range`` or its ``lassoPoints``; "" for neither."""
    if not selected:
        return ""
    box = selected.get("range") or {}
    if box.get("x") and box.get("y"):
        return "box:" + ",".join(_num(v) for v in (*sorted(box["x"]), *sorted(box["y"])))
    lasso = selected.get("lassoPoints") or {}
    xs, ys = lasso.get("x") or [], lasso.get("y") or []
    if len(xs) < 3 or len(xs) != len(ys):
        return ""
    keep = np.unique(np.linspace(0, len(xs) - 1, min(len(xs), MAX_VERTICES)).round().astype(int))
    return "lasso:" + ",".join(f"{_num(xs[i])},{_num(ys[i])}" for i in keep)


def polygon(outline: str) -> np.ndarray | None:
    """The outline's vertices, shape (V, 2); a box as its 4 corners; None for "" or a malformed outline."""
    kind, _, text = outline.partition(":")
    try:
        values = np.array([float(v) for v in text.split(",")], dtype=float)
    except ValueError:
        return None
    if kind == "box" and values.size == 4:
        x0, x1, y0, y1 = values
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    if kind == "lasso" and values.size >= 6 and values.size % 2 == 0:
        return values.reshape(-1, 2)
    return None


def inside(xs: np.ndarray, ys: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Boolean mask (N,): points strictly inside the polygon (even-odd ray casting, vectorised over the points)."""
    mask = np.zeros(xs.shape, dtype=bool)
    x0, y0 = vertices[-1]
    for x1, y1 in vertices:
        crosses = (y1 > ys) != (y0 > ys)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = (x0 - x1) * (ys - y1) / (y0 - y1) + x1
        mask ^= crosses & (xs < at)
        x0, y0 = x1, y1
    return mask


def selected_items(emb: Embedding, outline: str) -> list[int]:
    """The dataset indices of the points inside ``outline`` (in the embedding's order); [] without one."""
    vertices = polygon(outline)
    if vertices is None or not emb.x:
        return []
    mask = inside(np.asarray(emb.x), np.asarray(emb.y), vertices)
    return np.asarray(emb.index)[mask].tolist()


def search_terms(text: str | None) -> list[str]:
    """"shape=heart, scale=3" -> ["shape=heart", "scale=3"] (commas, semicolons or "&" between conditions)."""
    return [t.strip() for t in re.split(r"[,;&]", text or "") if t.strip()]


def matching_items(emb: Embedding, where: Mapping[str, int | Sequence[float]]) -> list[int]:
    """The shown points whose values meet every condition as the backend read it (a factor level or class index, or
    [lo, hi]); a factor wins over an attribute of the same name, as in the backend's search."""
    mask = np.ones(len(emb.index), dtype=bool)
    for name, value in where.items():
        column = emb.factors.get(name, emb.attributes.get(name))
        if column is None:
            return []
        values = np.asarray(column, dtype=float)
        if isinstance(value, int | float):
            mask &= values == float(value)
        else:
            mask &= (values >= value[0]) & (values <= value[1])
    return np.asarray(emb.index)[mask].tolist()


def nearest_points(emb: Embedding, item: int | None, k: int) -> list[int]:
    """The ``k`` shown points nearest ``item`` on the plot (the item first), or the first ``k`` without one."""
    if item not in emb.index:
        return emb.index[:k]
    at = emb.index.index(item)
    xy = np.column_stack([emb.x, emb.y])
    order = np.argsort(((xy - xy[at]) ** 2).sum(axis=1), kind="stable")[:k]
    return np.asarray(emb.index)[order].tolist()


def value_columns(emb: Embedding) -> dict[str, Sequence[float]]:
    """Each attribute's and factor's values over the N points, by name (a factor wins over an attribute of the same
    name, as in the backend's search)."""
    return {**emb.attributes, **emb.factors}


def point_values(emb: Embedding, item: int) -> str:
    """A shown point's factor and attribute values, e.g. "label 3 · thickness 1.72"."""
    if item not in emb.index:
        return ""
    at = emb.index.index(item)
    return " · ".join(f"{name} {float(values[at]):.4g}" for name, values in value_columns(emb).items())


def hover_values(emb: Embedding) -> dict[str, list[Any]]:
    """What the browser's hover card reads (``factorscope.spriteHover``): the value columns' names and values, the
    values of point i at [i] of each column (in the embedding's order), continuous ones to 4 decimals."""
    columns = value_columns(emb)
    return {"names": list(columns), "columns": [np.round(np.asarray(v, dtype=float), 4).tolist()
                                                if name in emb.attributes and name not in emb.factors else list(v)
                                                for name, v in columns.items()]}

