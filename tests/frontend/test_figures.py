"""Figure builders: trace types, order and data from plain inputs."""

from __future__ import annotations

from fake_backend import EMBEDDING, FACTORS

from frontend.api_client import Embedding, Factors
from frontend.components.figures import (
    colour_values,
    embedding_figure,
    empty_figure,
    mi_bar_figure,
    topk_figure,
    training_figure,
)

DIMS = Factors.model_validate(FACTORS).dims


def test_mi_bars_are_sorted_with_kl_and_variance_beside() -> None:
    fig = mi_bar_figure(DIMS, "mi_gaussian")
    mi, kl, var = fig.data
    assert (mi.type, kl.type, var.type) == ("bar", "bar", "scatter")
    assert list(mi.x) == ["z3", "z2", "z1", "z0"] and list(mi.customdata) == [3, 2, 1, 0]
    assert list(mi.y) == sorted(mi.y, reverse=True)
    assert list(kl.y) == [1.39, 0.06, 0.06, 0.08] and var.yaxis == "y2"
    assert fig.layout.clickmode == "event"


def test_the_other_estimator_reorders() -> None:
    fig = mi_bar_figure(DIMS, "mi_monte_carlo")
    assert list(fig.data[0].x) == ["z3", "z0", "z2", "z1"]
    assert "Monte Carlo" in fig.layout.title.text


def test_empty_inputs_say_so() -> None:
    assert mi_bar_figure([], "mi_gaussian").layout.annotations[0].text == "no latent dims"
    assert "top-k" in topk_figure(None).layout.annotations[0].text
    assert training_figure([]).layout.annotations[0].text == "no training history"
    assert empty_figure("x").data == ()


def test_topk_curve() -> None:
    rows = Factors.model_validate(FACTORS).topk
    fig = topk_figure(list(reversed(rows or [])))
    assert list(fig.data[0].x) == [0, 1, 4] and list(fig.data[0].y) == [0.128, 0.085, 0.084]
    assert fig.data[1].yaxis == "y2"


def test_training_curve_has_the_recorded_series() -> None:
    fig = training_figure([{"step": 50, "train_loss": 3.0, "val_loss": 3.5}, {"step": 100, "train_loss": 2.0}])
    assert [t.name for t in fig.data] == ["train loss", "validation loss"]
    assert list(fig.data[1].x) == [50]


def test_embedding_is_webgl_with_item_indices() -> None:
    emb = Embedding.model_validate(EMBEDDING)
    fig = embedding_figure(emb, "attribute:thickness")
    (scatter,) = fig.data
    assert scatter.type == "scattergl" and list(scatter.customdata) == [484, 553, 917]
    assert list(scatter.marker.color) == [1.7, 1.74, 1.67] and scatter.marker.colorbar.title.text == "thickness"
    assert "64%" in fig.layout.xaxis.title.text
    assert embedding_figure(emb, "").data[0].marker.color == "#0d6efd"
    assert colour_values(emb, "factor:label") == ("label", [3.0, 9.0, 2.0])
    assert colour_values(emb, "factor:nope") is None and colour_values(emb, "junk") is None
