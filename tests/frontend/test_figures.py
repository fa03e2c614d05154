"""Figure builders: trace types, order and data from plain inputs."""

from __future__ import annotations

from fake_backend import EMBEDDING, FACTORS, GROUPED_TRAVERSAL, HEATMAP

from frontend.api_client import Embedding, Factors, GroupHeatmap, PriorSubspace, Traversal
from frontend.components.figures import (
    PICKED,
    TOP,
    ZERO_GREY,
    categories,
    colour_values,
    embedding_figure,
    empty_figure,
    group_heatmap_figure,
    group_traversal_figure,
    mi_bar_figure,
    topk_figure,
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


def test_an_lp_nested_priors_subspaces_group_the_bars_with_their_exponents() -> None:
    subspaces = [PriorSubspace(dims=[0, 1], p=2.134, p_init=2.2), PriorSubspace(dims=[2, 3], p=1.5, p_init=2.2)]
    fig = mi_bar_figure(DIMS, "mi_gaussian", subspaces)
    s1, s2, kl, var = fig.data
    assert list(s1.x) == ["z1", "z0"] and list(s2.x) == ["z3", "z2"]  # by subspace, by MI within each
    assert list(s1.customdata) == [1, 0] and list(s2.customdata) == [3, 2]  # click-through keeps the dim
    assert (s1.name, s2.name) == ("S1 (z0–z1) p = 2.13", "S2 (z2–z3) p = 1.50")
    assert s1.marker.color != s2.marker.color and s1.offsetgroup == s2.offsetgroup != kl.offsetgroup
    assert list(kl.x) == list(var.x) == list(fig.layout.xaxis.categoryarray) == ["z1", "z0", "z3", "z2"]
    assert [a.text for a in fig.layout.annotations] == ["S1", "S2"]
    assert [shape.x0 for shape in fig.layout.shapes] == [1.5]  # one line between the two subspaces
    assert "by prior subspace" in fig.layout.title.text and "subspace" in fig.layout.xaxis.title.text
    one = mi_bar_figure(DIMS, "mi_gaussian", [PriorSubspace(dims=[0, 1, 2, 3], p=2.0)])
    assert one.data[0].name == "S1 (z0–z3) p = 2.00" and not one.layout.shapes


def test_without_subspaces_the_bars_are_one_sorted_group() -> None:
    fig = mi_bar_figure(DIMS, "mi_gaussian", None)
    assert len(fig.data) == 3 and fig.data[0].name == "MI (Gaussian)" and not fig.layout.annotations
    assert "subspace" not in fig.layout.title.text


def test_empty_inputs_say_so() -> None:
    assert mi_bar_figure([], "mi_gaussian").layout.annotations[0].text == "no latent dims"
    assert "top-k" in topk_figure(None).layout.annotations[0].text
    assert empty_figure("x").data == ()


def test_topk_curve() -> None:
    rows = Factors.model_validate(FACTORS).topk
    fig = topk_figure(list(reversed(rows or [])))
    assert list(fig.data[0].x) == [0, 1, 4] and list(fig.data[0].y) == [0.128, 0.085, 0.084]
    assert fig.data[1].yaxis == "y2"


def test_embedding_is_webgl_with_item_indices() -> None:
    emb = Embedding.model_validate(EMBEDDING)
    fig = embedding_figure(emb, "attribute:thickness")
    (scatter,) = fig.data
    assert scatter.type == "scattergl" and list(scatter.customdata) == [484, 553, 917]
    assert list(scatter.marker.color) == [1.7, 1.74, 1.67] and scatter.marker.colorbar.title.text == "thickness"
    assert "64%" in fig.layout.xaxis.title.text
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1  # one latent unit each way
    assert "thickness %{marker.color:.4g}" in scatter.hovertemplate  # hovering shows what the colour means
    assert embedding_figure(emb, "").data[0].marker.color == "#0d6efd"
    assert colour_values(emb, "factor:label") == ("label", [3.0, 9.0, 2.0])
    assert colour_values(emb, "factor:nope") is None and colour_values(emb, "junk") is None


def test_a_few_whole_number_values_get_one_colour_each() -> None:
    emb = Embedding.model_validate({**EMBEDDING, "factors": {"label": [3, 9, 3]}})
    fig = embedding_figure(emb, "factor:label")
    assert [t.name for t in fig.data] == ["label 3", "label 9"] and all(t.type == "scattergl" for t in fig.data)
    assert [list(t.customdata) for t in fig.data] == [[484, 917], [553]]  # clicks still give the item
    assert fig.data[0].marker.color != fig.data[1].marker.color
    assert "<br>label 9<br>" in fig.data[1].hovertemplate
    assert categories([0.5, 1.0]) is None and categories(list(map(float, range(13)))) is None
    assert categories(list(map(float, range(12)))) == list(range(12))  # 12 values: still one colour each


HEATMAP_MODEL = GroupHeatmap.model_validate(HEATMAP)


def test_group_heatmap_draws_exact_zeros_grey_and_small_values_in_colour() -> None:
    fig = group_heatmap_figure(HEATMAP_MODEL)
    norms, zeros = fig.data
    assert (norms.type, zeros.type) == ("heatmap", "heatmap") and len(norms.z) == 3 and len(norms.z[0]) == 4
    assert list(norms.z[2]) == [0.3, None, 1e-7, None]  # 1e-7 keeps its colour; exact zeros are left to the grey layer
    assert list(zeros.z[2]) == [None, 1.0, None, 1.0] and not zeros.showscale
    assert {c[1] for c in zeros.colorscale} == {ZERO_GREY}
    assert "grey = exactly zero (pruned), 7 of 12" in fig.layout.title.text
    assert list(fig.layout.yaxis.ticktext) == ["head", "arm", "leg"] and list(fig.layout.xaxis.ticktext)[3] == "z3"
    assert norms.text[2][2] == "group leg<br>dim z2<br>‖W‖ = 1e-07" and "0 (pruned)" in norms.text[2][1]
    assert fig.layout.clickmode == "event" and fig.layout.shapes == ()


def test_the_selected_cell_and_its_column_are_boxed() -> None:
    column, cell = group_heatmap_figure(HEATMAP_MODEL, 2, "arm").layout.shapes
    assert (column.x0, column.x1, column.y0, column.y1) == (1.5, 2.5, -0.5, 2.5)
    assert (cell.x0, cell.y0, cell.y1, cell.line.width) == (1.5, 0.5, 1.5, 3)
    assert len(group_heatmap_figure(HEATMAP_MODEL, 2, None).layout.shapes) == 1
    assert group_heatmap_figure(HEATMAP_MODEL, 9, "arm").layout.shapes == ()
    assert group_heatmap_figure(GroupHeatmap.model_validate({**HEATMAP, "groups": [], "norms": []})).data == ()


def test_a_dims_traversal_is_features_by_steps_in_groups() -> None:
    tr = Traversal.model_validate(GROUPED_TRAVERSAL)
    fig = group_traversal_figure(tr, HEATMAP_MODEL.group_slices, ["head", "leg"], ["head"], "leg")
    (cells,) = fig.data
    assert len(cells.z) == 6 and list(cells.z[0]) == [-1.0, 0.0, 1.0]  # F x S: feature 0 across the steps
    assert [row[0] for row in cells.customdata] == ["head", "head", "arm", "arm", "leg", "leg"]
    assert list(fig.layout.xaxis.ticktext) == ["-2.5", "0", "2.5"] and fig.layout.xaxis.title.text == "z0"
    ticks = list(fig.layout.yaxis.ticktext)
    assert ticks[0] == "<b>head</b>" and "color:#8c8c8c" in ticks[1] and "▶ leg" in ticks[2]
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    boxes = [s for s in fig.layout.shapes if s.type == "rect"]
    assert sorted(s.y0 for s in lines) == [1.5, 3.5]  # between the groups
    assert [(b.y0, b.y1, b.line.color, b.line.width) for b in boxes] == [(-0.5, 1.5, TOP, 2), (3.5, 5.5, PICKED, 4)]
    assert (boxes[0].x0, boxes[0].x1) == (-0.5, 2.5)
    assert group_traversal_figure(Traversal.model_validate({**GROUPED_TRAVERSAL, "outputs": None}), [], [], []
                                  ).layout.annotations[0].text == "no traversal outputs"
