"""The Factors page's dim x factor information heatmap (pure figure builder), its caption (factors, or attributes with
the continuous ones binned) and its keyboard path: a table of each column's best dim with a link to that dim's
traversal, and the options of the page's dim picker."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from ..api_client import FactorMi
from .figures import PICKED, base_layout, cell_box, empty_figure

MIN_HEIGHT = 260
ROW_PX = 44  # height of one factor's row


def is_attributes(fm: FactorMi) -> bool:
    return fm.source == "attributes"


def column_word(fm: FactorMi) -> str:
    """What the rows are: "factor" or "attribute"."""
    return "attribute" if is_attributes(fm) else "factor"


def column_name(fm: FactorMi, f: int) -> str:
    """A row's name, with "(binned)" for a continuous attribute."""
    binned = f < len(fm.kinds) and fm.kinds[f] == "continuous"
    return fm.factors[f] + (" (binned)" if binned else "")


def factor_tick(fm: FactorMi, f: int) -> str:
    """A row's label: the factor or attribute, its best dim and gap."""
    return f"{column_name(fm, f)}<br><span style='font-size:11px'>z{fm.best_dim[f]} · gap {fm.gap[f]:.2f}</span>"


def source_caption(fm: FactorMi) -> str:
    """What the rows are and how they were discretised, for the text under the heatmap."""
    if not is_attributes(fm):
        return (f"Rows: the dataset's ground-truth factors, the values the items were generated from. Each latent "
                f"dim's posterior mean is cut into {fm.n_bins} equal-width bins over its range on the {fm.n_items} "
                "sampled items, as MIG (dlib) does.")
    kinds = dict(zip(fm.factors, fm.kinds, strict=False))
    binned = [name for name in fm.factors if kinds.get(name) == "continuous"]
    caption = (f"Rows: the dataset's attributes ({', '.join(fm.factors)}): side information recorded with each item, "
               "not the generative factors it was made from, so the gaps are a guide rather than MIG.")
    if binned:
        caption += (f" Continuous attributes ({', '.join(binned)}) were binned into {fm.n_bins} equal-width bins over "
                    f"their range on the {fm.n_items} sampled items, the discretisation MIG (dlib) applies to the "
                    "latent codes; categorical ones are used as they are. Each row is divided by its own entropy.")
    return caption


def factor_mi_figure(fm: FactorMi) -> go.Figure:
    """Factors (rows, y = factor index) x latent dims (columns, x = dim): I(z_k; v_f) / H(v_f) with the value in
    each cell; each factor's best dim is boxed and its row labelled with that dim and its gap. A click gives the
    cell's x, the dim."""
    if not fm.factors or not fm.dims:
        return empty_figure("no factors")
    z = [[fm.normalised[k][f] for k in range(len(fm.dims))] for f in range(len(fm.factors))]  # F x K
    hover = [[f"{column_name(fm, f)} · z{dim}<br>I(z; v) / H(v) = {z[f][k]:.3f}<br>click: traverse z{dim}"
              for k, dim in enumerate(fm.dims)] for f in range(len(fm.factors))]
    fig = go.Figure(go.Heatmap(x=fm.dims, y=list(range(len(fm.factors))), z=z, zmin=0, zmax=1, colorscale="Blues",
                               colorbar={"title": "I / H"}, text=[[f"{v:.2f}" for v in row] for row in z],
                               texttemplate="%{text}", customdata=hover, hovertemplate="%{customdata}<extra></extra>",
                               xgap=1, ygap=1))
    for f, dim in enumerate(fm.best_dim):
        fig.add_shape(cell_box(dim, f, PICKED, 3))
    fig.update_layout(clickmode="event", hovermode="closest",
                      xaxis={"title": "latent dim", "tickvals": fm.dims, "ticktext": [f"z{d}" for d in fm.dims]},
                      yaxis={"title": "", "tickvals": list(range(len(fm.factors))), "autorange": "reversed",
                             "ticktext": [factor_tick(fm, f) for f in range(len(fm.factors))]})
    word = column_word(fm)
    score = f"mean gap {fm.mig:.2f}" if is_attributes(fm) else f"MIG {fm.mig:.2f}"
    title = f"I(z; {word}) / H({word}) on {fm.n_items} items — boxed: each {word}'s best dim · {score}"
    return base_layout(fig, title, height=max(MIN_HEIGHT, 110 + ROW_PX * len(fm.factors)))


def clicked_dim(click: Mapping[str, Any] | None) -> int | None:
    """The dim (x) of a clicked heatmap cell."""
    points = (click or {}).get("points") or []
    x = points[0].get("x") if points else None
    return int(x) if isinstance(x, int | float) else None


def best_dims_table(fm: FactorMi, href: Callable[[int], str]) -> dbc.Table:
    """One row per factor (or attribute): its best dim, that dim's share of the column's entropy, the gap, and a
    link (focusable) to the dim's traversal; ``href(dim)`` is the traversal's address."""
    head = html.Thead(html.Tr([html.Th(column_word(fm)), html.Th("best dim"), html.Th("I / H"), html.Th("gap"),
                               html.Th("traversal")]))
    rows = [html.Tr([html.Td(column_name(fm, f)), html.Td(f"z{dim}"), html.Td(f"{fm.normalised[dim][f]:.2f}"),
                     html.Td(f"{fm.gap[f]:.2f}"),
                     html.Td(dcc.Link(f"Traverse z{dim}", href=href(dim), className="fs-best-link"))])
            for f, dim in enumerate(fm.best_dim)]
    return dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, id="factors-mi-table", className="mb-2 small")


def dim_picker_options(fm: FactorMi) -> tuple[list[dict[str, str]], str | None]:
    """The dim picker's options (each dim, with the factors it is best for) and its first value (the first
    factor's best dim)."""
    best = {dim: [name for name, b in zip(fm.factors, fm.best_dim, strict=True) if b == dim] for dim in fm.dims}
    options = [{"label": f"z{d}" + (f" (best for {', '.join(best[d])})" if best[d] else ""), "value": str(d)}
               for d in fm.dims]
    return options, str(fm.best_dim[0]) if fm.best_dim else None
