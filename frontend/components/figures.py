"""Figures as pure functions: plain data in, ``go.Figure`` out (tests call them directly)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from dash import dcc
from plotly.colors import qualitative

from ..api_client import Embedding, FactorDim, GroupHeatmap, GroupSlice, PriorSubspace, TopKRow, Traversal

MI_LABELS = {"mi_gaussian": "MI (Gaussian)", "mi_monte_carlo": "MI (Monte Carlo)"}
HISTORY_SERIES = {"train_loss": "train loss", "val_loss": "validation loss", "train_recon": "train recon",
                  "train_kl": "train KL"}
MARGIN = {"l": 50, "r": 20, "t": 40, "b": 40}
# every dcc.Graph's config: no Plotly logo, and no "Share chart" / "Edit in Chart Studio" buttons, which upload
# the figure's data to Plotly's cloud (plotly.js shows them by default)
GRAPH_CONFIG: dcc.Graph.Config = {"displaylogo": False, "responsive": True, "showSendToCloud": False,
                                  "showEditInChartStudio": False}


def base_layout(fig: go.Figure, title: str, height: int = 340) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01, "font": {"size": 14}}, height=height, margin=MARGIN,
                      template="plotly_white", legend={"orientation": "h", "y": -0.2})
    return fig


def empty_figure(message: str, height: int = 300) -> go.Figure:
    """A blank figure that says why there is nothing to plot."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 14, "color": "#6c757d"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return base_layout(fig, "", height)


def sort_dims(dims: Sequence[FactorDim], estimator: str) -> list[FactorDim]:
    """Most informative first under ``estimator``; ties keep dim order."""
    return sorted(dims, key=lambda d: (-getattr(d, estimator), d.dim))


SUBSPACE_COLOURS = qualitative.D3  # one colour per prior subspace, cycling past ten


def mi_bar_figure(dims: Sequence[FactorDim], estimator: str = "mi_gaussian",
                  subspaces: Sequence[PriorSubspace] | None = None) -> go.Figure:
    """One bar per latent dim: MI under ``estimator`` (sorted), KL beside it, variance as markers (right axis).
    Each MI bar's customdata is its dim, for click-through. With ``subspaces`` (an Lp-nested prior's) the dims are
    grouped by subspace, sorted within each, one MI colour per subspace labelled with its learned exponent."""
    if not dims:
        return empty_figure("no latent dims")
    groups = subspace_groups(dims, estimator, subspaces)  # [(label or None, dims of the group)]
    ordered = [d for _, group in groups for d in group]
    names = [f"z{d.dim}" for d in ordered]
    fig = go.Figure()
    for i, (label, group) in enumerate(groups):
        fig.add_bar(x=[f"z{d.dim}" for d in group], y=[getattr(d, estimator) for d in group],
                    name=label or MI_LABELS[estimator], customdata=[d.dim for d in group], offsetgroup="mi",
                    marker_color=SUBSPACE_COLOURS[i % len(SUBSPACE_COLOURS)] if label else "#0d6efd",
                    hovertemplate="%{x}: %{y:.3f} nats<br>click to explore<extra></extra>")
    fig.add_bar(x=names, y=[d.kl for d in ordered], name="KL to prior", customdata=[d.dim for d in ordered],
                offsetgroup="kl", marker_color="#adb5bd", hovertemplate="%{x}: KL %{y:.3f} nats<extra></extra>")
    fig.add_scatter(x=names, y=[d.variance for d in ordered], name="variance of mean", mode="markers",
                    yaxis="y2", customdata=[d.dim for d in ordered], marker={"color": "#d63384", "size": 9},
                    hovertemplate="%{x}: variance %{y:.3f}<extra></extra>")
    grouped = subspaces is not None
    fig.update_layout(barmode="group", clickmode="event", hovermode="closest",
                      yaxis={"title": "nats", "rangemode": "tozero"},
                      yaxis2={"title": "variance", "overlaying": "y", "side": "right", "rangemode": "tozero",
                              "showgrid": False},
                      xaxis={"title": "latent dim (grouped by prior subspace, sorted by MI within each)" if grouped
                             else "latent dim (sorted by MI)", "type": "category", "categoryorder": "array",
                             "categoryarray": names})
    if grouped:
        mark_subspaces(fig, [len(group) for _, group in groups])
    title = "Information per latent dim by prior subspace" if grouped else "Information per latent dim"
    return base_layout(fig, f"{title} — {MI_LABELS[estimator]}", 380 if grouped else 340)


def subspace_groups(dims: Sequence[FactorDim], estimator: str, subspaces: Sequence[PriorSubspace] | None
                    ) -> list[tuple[str | None, list[FactorDim]]]:
    """The bars' groups, each sorted by ``estimator``: one unlabelled group of every dim, or one per subspace
    labelled "S<i> (z<a>–z<b>) p = <learned exponent>"."""
    if subspaces is None:
        return [(None, sort_dims(dims, estimator))]
    by_dim = {d.dim: d for d in dims}
    return [(subspace_label(i, s), sort_dims([by_dim[j] for j in s.dims if j in by_dim], estimator))
            for i, s in enumerate(subspaces)]


def subspace_label(i: int, subspace: PriorSubspace) -> str:
    """"S1 (z0–z3) p = 2.13": the subspace's number, its dims and its (learned) inner exponent."""
    first, last = subspace.dims[0], subspace.dims[-1]
    span = f"z{first}" if first == last else f"z{first}–z{last}"
    return f"S{i + 1} ({span}) p = {subspace.p:.2f}"


def mark_subspaces(fig: go.Figure, sizes: Sequence[int]) -> None:
    """A dashed line between neighbouring subspaces' bars and "S<i>" above each group (x in category units)."""
    start = 0
    for i, size in enumerate(sizes):
        if i:
            fig.add_vline(x=start - 0.5, line={"color": "#6c757d", "width": 1, "dash": "dash"})
        fig.add_annotation(x=start + (size - 1) / 2, y=1.0, yref="paper", yanchor="bottom", showarrow=False,
                           text=f"S{i + 1}", font={"size": 12, "color": SUBSPACE_COLOURS[i % len(SUBSPACE_COLOURS)]})
        start += size


def topk_figure(topk: Sequence[TopKRow] | None) -> go.Figure:
    """Reconstruction error keeping the k most informative dims (others at 0), with the MI kept."""
    if not topk:
        return empty_figure("no top-k curve for this run")
    rows = sorted(topk, key=lambda r: r.k)
    fig = go.Figure()
    fig.add_scatter(x=[r.k for r in rows], y=[r.mse for r in rows], name="reconstruction MSE",
                    mode="lines+markers", line={"color": "#0d6efd"})
    fig.add_scatter(x=[r.k for r in rows], y=[r.kept_mi for r in rows], name="MI kept (nats)", yaxis="y2",
                    mode="lines+markers", line={"color": "#fd7e14", "dash": "dot"})
    fig.update_layout(xaxis={"title": "k most informative dims kept", "dtick": 1},
                      yaxis={"title": "MSE", "rangemode": "tozero"},
                      yaxis2={"title": "MI kept", "overlaying": "y", "side": "right", "showgrid": False,
                              "rangemode": "tozero"})
    return base_layout(fig, "Top-k reconstruction")


def colour_values(emb: Embedding, colour: str) -> tuple[str, list[float]] | None:
    """"factor:<name>" / "attribute:<name>" -> (name, values per point), or None (one colour)."""
    kind, _, name = colour.partition(":")
    source: Mapping[str, Sequence[float]] = emb.factors if kind == "factor" else emb.attributes
    values = source.get(name) if kind in ("factor", "attribute") else None
    return (name, [float(v) for v in values]) if values is not None and len(values) == len(emb.x) else None


MAX_CATEGORIES = 12  # a colour variable with at most this many whole-number values gets one colour per value
CATEGORY_COLOURS = qualitative.D3 + qualitative.Dark2[:2]  # 12 distinct colours, the classic 10 first


def categories(values: Sequence[float]) -> list[float] | None:
    """The distinct values when they are few whole numbers (a class label, a small factor), else None."""
    distinct = sorted(set(values))
    return distinct if len(distinct) <= MAX_CATEGORIES and all(v.is_integer() for v in distinct) else None


def embedding_traces(emb: Embedding, coloured: tuple[str, list[float]] | None) -> list[go.Scattergl]:
    """One WebGL trace (one colour, or a colour scale), or one per category with a legend entry each; hovering a
    point shows its item and the value its colour stands for."""
    marker: dict[str, Any] = {"size": 6, "opacity": 0.8}
    if coloured is None:
        return [go.Scattergl(x=emb.x, y=emb.y, customdata=emb.index, marker={**marker, "color": "#0d6efd"},
                             mode="markers", hovertemplate=point_hover())]
    name, values = coloured
    kinds = categories(values)
    if kinds is None:
        return [go.Scattergl(x=emb.x, y=emb.y, customdata=emb.index, mode="markers",
                             hovertemplate=point_hover(f"{name} %{{marker.color:.4g}}"), marker={
                                 **marker, "color": values, "colorscale": "Viridis", "showscale": True,
                                 "colorbar": {"title": name}})]
    traces = []
    for k, kind in enumerate(kinds):
        rows = [i for i, v in enumerate(values) if v == kind]
        traces.append(go.Scattergl(x=[emb.x[i] for i in rows], y=[emb.y[i] for i in rows], name=f"{name} {kind:g}",
                                   customdata=[emb.index[i] for i in rows], mode="markers",
                                   hovertemplate=point_hover(f"{name} {kind:g}"),
                                   marker={**marker, "color": CATEGORY_COLOURS[k]}))
    return traces


def point_hover(value: str = "") -> str:
    """An embedding point's hover: its item, the value its colour stands for, what a click does."""
    return f"item %{{customdata}}<br>{value + '<br>' if value else ''}click: its neighbours<extra></extra>"


def embedding_figure(emb: Embedding, colour: str = "") -> go.Figure:
    """A WebGL scatter of the encoded items; customdata is each point's dataset index (click-through)."""
    if not emb.x:
        return empty_figure("no points")
    return embedding_layout(go.Figure(embedding_traces(emb, colour_values(emb, colour))), emb)


def embedding_layout(fig: go.Figure, emb: Embedding) -> go.Figure:
    """An embedding scatter's title and axes (named by the embedding's axes and their share of the variance)."""
    axes = [_axis_title(emb, i) for i in range(2)]
    # both axes are in latent units: drawn to the same scale, so a small spread looks small
    fig.update_layout(xaxis={"title": axes[0]}, yaxis={"title": axes[1], "scaleanchor": "x", "scaleratio": 1},
                      clickmode="event", hovermode="closest")
    return base_layout(fig, f"Embedding ({emb.method.upper()}) of {len(emb.x)} items", height=520)


def _axis_title(emb: Embedding, i: int) -> str:
    name = emb.axes[i] if i < len(emb.axes) else ""
    explained = emb.explained_variance
    return f"{name} ({explained[i]:.0%} of variance)" if explained and i < len(explained) else name


# -- grouped runs -------------------------------------------------------------------------------------

ZERO_GREY = "#c8c8c8"
PICKED = "#dc3545"  # the clicked cell / group
TOP = "#fd7e14"  # a dim's top groups


def masked(norms: Sequence[Sequence[float]], zeros: bool) -> list[list[float | None]]:
    """G x K norms with the exact zeros (``zeros=False``) or the nonzero cells (``zeros=True``) blanked."""
    return [[(1.0 if zeros else None) if v == 0.0 else (None if zeros else v) for v in row] for row in norms]


def cell_text(hm: GroupHeatmap) -> list[list[str]]:
    """G x K hover texts with the exact value (``repr`` of the float, so nothing is rounded away)."""
    return [[f"group {g}<br>dim z{j}<br>‖W‖ = {'0 (pruned)' if v == 0.0 else repr(v)}"
             for j, v in zip(hm.dims, row, strict=True)] for g, row in zip(hm.groups, hm.norms, strict=True)]


def cell_box(x: float, y: float, colour: str, width: float, half: tuple[float, float] = (0.5, 0.5)) -> dict[str, Any]:
    """An outline around the cell (x, y) of a heatmap drawn on index axes."""
    return {"type": "rect", "x0": x - half[0], "x1": x + half[0], "y0": y - half[1], "y1": y + half[1],
            "line": {"color": colour, "width": width}, "layer": "above"}


UNUSED_MI = 0.01  # nats: a dim below this carries (next to) no information about the data


def dim_tick(dim: int, mi: Sequence[float] | None) -> str:
    """A heatmap column's label: the dim, and its MI (greyed "unused" when the encoder ignores it)."""
    if mi is None or dim >= len(mi):
        return f"z{dim}"
    if mi[dim] < UNUSED_MI:
        return f"<span style='color:#8c8c8c'>z{dim}<br>unused</span>"
    return f"z{dim}<br>MI {mi[dim]:.2f}"


def group_heatmap_figure(hm: GroupHeatmap, dim: int | None = None, group: str | None = None,
                         mi: Sequence[float] | None = None) -> go.Figure:
    """Groups (rows, y = group index) x latent dims (columns, x = dim): ``||W^(g)[:, j]||``, exact zeros in
    grey by a second trace. A click gives the cell's (x, y) = (dim, group index); the selection is boxed.
    ``mi`` (nats per dim) labels each column with its information."""
    if not hm.groups or not hm.dims:
        return empty_figure("no groups")
    ys, text = list(range(len(hm.groups))), cell_text(hm)
    common = {"x": hm.dims, "y": ys, "text": text, "hovertemplate": "%{text}<extra></extra>", "hoverongaps": False,
              "xgap": 1, "ygap": 1}
    fig = go.Figure([
        go.Heatmap(z=masked(hm.norms, False), colorscale="Viridis", colorbar={"title": "‖W‖₂"}, zmin=0,
                   name="norm", **common),
        go.Heatmap(z=masked(hm.norms, True), colorscale=[[0, ZERO_GREY], [1, ZERO_GREY]], showscale=False,
                   name="exactly zero (pruned)", **common),
    ])
    if dim in hm.dims:  # the selected dim's column, and the clicked cell in it
        fig.add_shape(cell_box(dim, (len(ys) - 1) / 2, PICKED, 1, (0.5, len(ys) / 2)))
        if group in hm.groups:
            fig.add_shape(cell_box(dim, hm.groups.index(group), PICKED, 3))
    ticks = [dim_tick(j, mi) for j in hm.dims]
    fig.update_layout(clickmode="event", hovermode="closest",
                      xaxis={"title": "latent dim", "tickvals": hm.dims, "ticktext": ticks},
                      yaxis={"title": "output group", "tickvals": ys, "ticktext": hm.groups, "autorange": "reversed"})
    title = f"‖W⁽ᵍ⁾[:, j]‖₂ per group and dim — grey = exactly zero (pruned), {hm.n_zero} of {len(ys) * len(hm.dims)}"
    return base_layout(fig, title, height=max(320, 60 + 28 * len(ys)))


def group_label(name: str, affected: bool, picked: bool) -> str:
    """A y tick: the clicked group marked, groups linked to the dim in bold, pruned ones in grey."""
    if picked:
        return f"<b style='color:{PICKED}'>▶ {name}</b>"
    return f"<b>{name}</b>" if affected else f"<span style='color:#8c8c8c'>{name}</span>"


def group_axis(slices: Sequence[GroupSlice], affected: Collection[str], group: str | None) -> dict[str, Any]:
    """The y axis of a features plot: one tick per group, at its middle feature."""
    return {"title": "", "autorange": "reversed", "tickvals": [(s.start + s.stop - 1) / 2 for s in slices],
            "ticktext": [group_label(s.name, s.name in affected, s.name == group) for s in slices]}


def mark_groups(fig: go.Figure, slices: Sequence[GroupSlice], n_steps: int, top: Collection[str],
                group: str | None) -> None:
    """White lines between groups; ``top`` groups boxed in orange, the clicked ``group`` in red."""
    for s in slices:
        if s.start > 0:
            fig.add_hline(y=s.start - 0.5, line={"color": "white", "width": 2})
        if s.name == group or s.name in top:
            picked = s.name == group
            fig.add_shape(cell_box((n_steps - 1) / 2, (s.start + s.stop - 1) / 2, PICKED if picked else TOP,
                                   4 if picked else 2, (n_steps / 2, (s.stop - s.start) / 2)))


def group_traversal_figure(tr: Traversal, slices: Sequence[GroupSlice], affected: Collection[str],
                           top: Collection[str], group: str | None = None) -> go.Figure:
    """One dim's traversal as features (y, in groups) x steps (x): the decoded value of every feature.
    ``affected`` groups (a nonzero link to the dim) get bold labels; see ``mark_groups`` for the boxes."""
    if not tr.outputs or not tr.values:
        return empty_figure("no traversal outputs")
    values, dim = tr.values[0], tr.dims[0]  # values: the S values z_dim takes; tr.outputs[0]: S x F
    z = [list(feature) for feature in zip(*tr.outputs[0], strict=True)]  # F x S
    owner = [next((s.name for s in slices if s.start <= f < s.stop), "") for f in range(len(z))]
    fig = go.Figure(go.Heatmap(
        x=list(range(len(values))), z=z, colorscale="Cividis", colorbar={"title": "output"},
        customdata=[[name] * len(values) for name in owner], text=[[f"{v:.3g}" for v in values]] * len(z),
        hovertemplate=f"group %{{customdata}}, feature %{{y}}<br>z{dim} = %{{text}}<br>output %{{z:.4g}}"
                      "<extra></extra>"))
    mark_groups(fig, slices, len(values), top, group)
    fig.update_layout(yaxis=group_axis(slices, affected, group),
                      xaxis={"title": f"z{dim}", "tickvals": list(range(len(values))),
                             "ticktext": [f"{v:.2g}" for v in values]})
    return base_layout(fig, f"Traversal of z{dim}: each group's outputs across {len(values)} steps",
                       height=max(360, 80 + 7 * len(z)))
