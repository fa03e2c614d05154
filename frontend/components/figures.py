"""Figures as pure functions: plain data in, ``go.Figure`` out (tests call them directly)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from ..api_client import Embedding, FactorDim, TopKRow

MI_LABELS = {"mi_gaussian": "MI (Gaussian)", "mi_monte_carlo": "MI (Monte Carlo)"}
HISTORY_SERIES = {"train_loss": "train loss", "val_loss": "validation loss", "train_recon": "train recon",
                  "train_kl": "train KL"}
MARGIN = {"l": 50, "r": 20, "t": 40, "b": 40}


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


def mi_bar_figure(dims: Sequence[FactorDim], estimator: str = "mi_gaussian") -> go.Figure:
    """One bar per latent dim: MI under ``estimator`` (sorted), KL beside it, variance as markers (right axis).
    Each MI bar's customdata is its dim, for click-through."""
    if not dims:
        return empty_figure("no latent dims")
    ordered = sort_dims(dims, estimator)
    names = [f"z{d.dim}" for d in ordered]
    fig = go.Figure()
    fig.add_bar(x=names, y=[getattr(d, estimator) for d in ordered], name=MI_LABELS[estimator],
                customdata=[d.dim for d in ordered], marker_color="#0d6efd",
                hovertemplate="%{x}: %{y:.3f} nats<br>click to explore<extra></extra>")
    fig.add_bar(x=names, y=[d.kl for d in ordered], name="KL to prior", customdata=[d.dim for d in ordered],
                marker_color="#adb5bd", hovertemplate="%{x}: KL %{y:.3f} nats<extra></extra>")
    fig.add_scatter(x=names, y=[d.variance for d in ordered], name="variance of mean", mode="markers",
                    yaxis="y2", customdata=[d.dim for d in ordered], marker={"color": "#d63384", "size": 9},
                    hovertemplate="%{x}: variance %{y:.3f}<extra></extra>")
    fig.update_layout(barmode="group", clickmode="event", hovermode="closest",
                      yaxis={"title": "nats", "rangemode": "tozero"},
                      yaxis2={"title": "variance", "overlaying": "y", "side": "right", "rangemode": "tozero",
                              "showgrid": False},
                      xaxis={"title": "latent dim (sorted by MI)", "type": "category"})
    return base_layout(fig, f"Information per latent dim — {MI_LABELS[estimator]}")


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


def training_figure(history: Sequence[Mapping[str, Any]] | None) -> go.Figure:
    """The loss terms recorded during training, against the step."""
    rows = [r for r in history or [] if "step" in r]
    series = [key for key in HISTORY_SERIES if any(key in r for r in rows)]
    if not rows or not series:
        return empty_figure("no training history")
    fig = go.Figure()
    for key in series:
        points = [(r["step"], r[key]) for r in rows if r.get(key) is not None]
        fig.add_scatter(x=[p[0] for p in points], y=[p[1] for p in points], name=HISTORY_SERIES[key],
                        mode="lines+markers")
    fig.update_layout(xaxis={"title": "step"}, yaxis={"title": "loss (nats per item)"})
    return base_layout(fig, "Training curve", height=300)


def colour_values(emb: Embedding, colour: str) -> tuple[str, list[float]] | None:
    """"factor:<name>" / "attribute:<name>" -> (name, values per point), or None (one colour)."""
    kind, _, name = colour.partition(":")
    source: Mapping[str, Sequence[float]] = emb.factors if kind == "factor" else emb.attributes
    values = source.get(name) if kind in ("factor", "attribute") else None
    return (name, [float(v) for v in values]) if values is not None and len(values) == len(emb.x) else None


def embedding_figure(emb: Embedding, colour: str = "") -> go.Figure:
    """A WebGL scatter of the encoded items; customdata is each point's dataset index (click-through)."""
    if not emb.x:
        return empty_figure("no points")
    coloured = colour_values(emb, colour)
    marker: dict[str, Any] = {"size": 6, "opacity": 0.8}
    if coloured is None:
        marker["color"] = "#0d6efd"
    else:
        marker.update(color=coloured[1], colorscale="Viridis", showscale=True, colorbar={"title": coloured[0]})
    fig = go.Figure(go.Scattergl(x=emb.x, y=emb.y, mode="markers", marker=marker, customdata=emb.index,
                                 hovertemplate="item %{customdata}<br>click: traverse from here<extra></extra>"))
    axes = [_axis_title(emb, i) for i in range(2)]
    fig.update_layout(xaxis={"title": axes[0]}, yaxis={"title": axes[1]}, clickmode="event", hovermode="closest")
    return base_layout(fig, f"Embedding ({emb.method.upper()}) of {len(emb.x)} items", height=520)


def _axis_title(emb: Embedding, i: int) -> str:
    name = emb.axes[i] if i < len(emb.axes) else ""
    explained = emb.explained_variance
    return f"{name} ({explained[i]:.0%} of variance)" if explained and i < len(explained) else name
