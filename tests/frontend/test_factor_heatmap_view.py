"""The Factors page's dim x factor heatmap and its keyboard path, and Explore's default traversal (typical item, prior
span, the base item's reconstruction), as plain functions against the fake backend (issue 20, items 2 and 3)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import pytest
from component_text import text_of
from dash import Dash
from fake_backend import FACTOR_MI, TYPICAL, VERSION

from frontend.api_client import BackendClient, Dataset, FactorMi, ImageUrls, TypicalItem
from frontend.components.factor_heatmap import best_dims_table, dim_picker_options, factor_mi_figure, source_caption
from frontend.state import Base, FactorsState

IMAGES = ImageUrls("http://localhost:8000")
DSPRITES = FactorMi.model_validate({  # K = 3, F = 2: z2 knows posX, z0 knows posY a little, z1 nothing
    **FACTOR_MI, "factors": ["posX", "posY"], "dims": [0, 1, 2], "normalised": [[0.05, 0.3], [0.01, 0.02], [0.6, 0.1]],
    "entropy": [3.4, 3.4], "mutual_info": [[0.17, 1.0], [0.03, 0.07], [2.0, 0.34]], "best_dim": [2, 0],
    "gap": [0.55, 0.2], "mig": 0.375})
DIGITS_ATTRIBUTES = FactorMi.model_validate({  # K = 2, digits' attributes: z1 knows the label, z0 the thickness
    **FACTOR_MI, "source": "attributes", "factors": ["label", "thickness"], "kinds": ["categorical", "continuous"],
    "dims": [0, 1], "normalised": [[0.1, 0.4], [0.5, 0.05]], "entropy": [2.3, 2.6],
    "mutual_info": [[0.23, 1.04], [1.15, 0.13]], "best_dim": [1, 0], "gap": [0.4, 0.35], "mig": 0.375})


@pytest.fixture(scope="module")
def pages(app: Dash) -> dict[str, ModuleType]:
    return {name: importlib.import_module(f"frontend.pages.{name}") for name in ("explore", "factors")}


def test_the_heatmap_has_factors_as_rows_dims_as_columns_and_boxes_each_best_dim() -> None:
    fig = factor_mi_figure(DSPRITES)
    heat = fig.data[0]
    assert list(heat.x) == [0, 1, 2] and [list(row) for row in heat.z] == [[0.05, 0.01, 0.6], [0.3, 0.02, 0.1]]
    assert heat.zmin == 0 and heat.zmax == 1 and heat.text[0][2] == "0.60"
    boxes = [((s.x0 + s.x1) / 2, (s.y0 + s.y1) / 2) for s in fig.layout.shapes]
    assert boxes == [(2, 0), (0, 1)]  # posX's best is z2, posY's z0
    assert fig.layout.yaxis.ticktext[0].startswith("posX<br>") and "z2 · gap 0.55" in fig.layout.yaxis.ticktext[0]
    assert "MIG 0.38" in fig.layout.title.text and "click: traverse z1" in heat.customdata[0][1]


def test_the_best_dims_table_links_each_factors_dim_and_the_picker_names_them() -> None:
    table = best_dims_table(DSPRITES, lambda dim: f"/explore?dims={dim}")
    rows = table.children[1].children
    assert [text_of(r.children[0]) for r in rows] == ["posX", "posY"]
    assert [r.children[-1].children.href for r in rows] == ["/explore?dims=2", "/explore?dims=0"]
    assert text_of(rows[0]).split()[1:4] == ["z2", "0.60", "0.55"]
    options, value = dim_picker_options(DSPRITES)
    assert [o["label"] for o in options] == ["z0 (best for posY)", "z1", "z2 (best for posX)"] and value == "2"


def test_factors_loads_the_matrix_and_hides_it_without_factors(pages: dict[str, ModuleType],
                                                                 client: BackendClient) -> None:
    factors = pages["factors"]
    data, _ = factors.factors_store(client, client.run("tiny"), None, FactorsState())
    assert data["factor_mi"]["best_dim"] == [3]
    fig, table, options, value, style, caption, source, source_box = factors.factor_heatmap(data)
    assert [o["value"] for o in options] == ["0", "1", "2", "3"]
    assert fig.data[0].z[0][3] == pytest.approx(0.1304) and value == "3" and style == {}
    assert table.children[1].children[0].children[-1].children.href == (
        f"/explore?run=tiny&v={VERSION}&dims=3&steps=9&span=2.5&base=typical&unit=prior")
    assert "ground-truth factors" in caption and source == "factors" and source_box == {}  # digits has both
    assert factors.linked_source(data) == ""  # the default rows stay out of the link
    _, _, _, _, hidden, _, _, source_hidden = factors.factor_heatmap({**data, "factor_mi": None})
    assert hidden == source_hidden == {"display": "none"}


def test_attribute_rows_say_they_are_side_information_and_which_were_binned() -> None:
    caption = source_caption(DIGITS_ATTRIBUTES)
    assert "attributes (label, thickness): side information" in caption and "not the generative factors" in caption
    assert "Continuous attributes (thickness) were binned into 20 equal-width bins" in caption
    assert "MIG (dlib) applies to the latent codes" in caption and "categorical ones are used as they are" in caption
    fig = factor_mi_figure(DIGITS_ATTRIBUTES)
    assert fig.layout.yaxis.ticktext[1].startswith("thickness (binned)<br>")
    assert "I(z; attribute) / H(attribute)" in fig.layout.title.text and "mean gap 0.38" in fig.layout.title.text
    table = best_dims_table(DIGITS_ATTRIBUTES, lambda dim: f"/explore?dims={dim}")
    assert text_of(table.children[0]).split()[0] == "attribute"
    assert [text_of(r.children[0]) for r in table.children[1].children] == ["label", "thickness (binned)"]


def test_the_link_keeps_the_chosen_rows_and_asks_only_for_what_the_dataset_has(pages: dict[str, ModuleType]) -> None:
    factors = pages["factors"]
    data = {"run_id": "tiny", "version": VERSION, "factor_mi": DIGITS_ATTRIBUTES.model_dump() | {
        "sources": ["factors", "attributes"]}}
    assert factors.linked_source(data) == "attributes"
    assert factors.query(data, "mi_gaussian") == f"?run=tiny&v={VERSION}&est=mi_gaussian&source=attributes"
    assert FactorsState.from_query({"source": ["attributes"]}).source == "attributes"
    assert FactorsState.from_query({"source": ["labels"]}).source == ""
    digits = Dataset(name="digits", factor_names=["label"], attribute_names=["label", "thickness"])
    assert factors.offered_source(digits, "attributes") == "attributes"
    assert factors.offered_source(digits, "") is None
    assert factors.offered_source(digits.model_copy(update={"attribute_names": []}), "attributes") is None
    assert factors.offered_source(None, "attributes") is None


def typical_run(pages: dict[str, ModuleType]) -> dict[str, Any]:
    return pages["explore"].run_data("tiny", VERSION, 4, "digits", 1797, None, None,
                                     typical=TypicalItem.model_validate(TYPICAL))


def test_the_typical_base_draws_its_item_with_a_prior_span_and_says_why(pages: dict[str, ModuleType]) -> None:
    explore = pages["explore"]
    src, _, caption, *_ = explore.traversal_view(IMAGES, typical_run(pages), [3], 5, 2.5, Base("typical"), "prior")
    assert "base=item:42&span_mode=prior" in src
    assert "from −2.5 to +2.5 (prior sd) around dataset item 42 (its posterior mean)" in caption
    assert explore.PRIOR_WHY in caption
    assert "Item 42 is the run's typical item: the item nearest the middle value" in caption
    assert "(label 4 of 0–9)" in caption
    without = explore.run_data("tiny", VERSION, 4, "digits", 1797, None, None)
    *_, note, _ = explore.traversal_view(IMAGES, without, [3], 5, 2.5, Base("typical"), "prior")
    assert "no typical item" in text_of(note)


def test_the_base_item_is_shown_over_its_reconstruction(pages: dict[str, ModuleType]) -> None:
    view = pages["explore"].base_item_view
    src, caption = view(IMAGES, typical_run(pages), Base("typical"))
    assert src == f"http://localhost:8000/api/v1/runs/tiny/reconstruct.png?items=42&v={VERSION}"
    assert caption == "Base item 42 (top) and its reconstruction (bottom)."
    assert view(IMAGES, typical_run(pages), Base("item", index=7))[0].endswith(f"items=7&v={VERSION}")
    assert view(IMAGES, typical_run(pages), Base("prior", seed=1)) == (None, "")  # not a dataset item
    assert view(IMAGES, typical_run(pages), Base("item", index=5000)) == (None, "")  # out of range
    assert view(IMAGES, None, Base("typical")) == (None, "")


def test_explore_loads_the_typical_item(pages: dict[str, ModuleType], client: BackendClient) -> None:
    data, *_ = pages["explore"].load_explore(client, "tiny", {"run": "tiny"}, None)
    assert data["typical"]["index"] == 42 and data["typical"]["factors"] == {"label": 4}
