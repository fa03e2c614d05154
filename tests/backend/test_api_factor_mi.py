"""The dim x factor information matrix (GET .../factor-mi), the typical item (GET .../typical-item), traversals in
prior units around an item, and the reconstruction image of the typical item (issue 20, items 2 and 3)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from app_client import AppClient as TestClient
from PIL import Image
from sklearn.metrics import mutual_info_score

from backend.convert import grid_png
from backend.errors import Problem
from backend.runs import load_run
from backend.services.analysis import sample_items
from backend.services.factor_info import mi_columns, resolve_source, typical_row
from models import dim_factor_information
from models.datasets import Attribute, get_dataset
from models.datasets.attributes import attribute_fields
from models.datasets.base import ArrayDataset, DatasetInfo
from models.evaluation import encode_dataset

API = "/api/v1"
RUN = "tiny"
K = 4


def sample_codes(home: Path, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The items the API samples for (n, seed) and their posterior means (N, K)."""
    model, _ = load_run(home, RUN)
    index = sample_items(get_dataset("digits"), n, seed)
    mu, _ = encode_dataset(model, get_dataset("digits"), index)
    return index, mu


def test_the_matrix_is_the_metric_functions_on_the_sampled_codes(client: TestClient, trained_home: Path) -> None:
    r = client.get(f"{API}/runs/{RUN}/factor-mi?n=600&seed=2")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["factors"] == ["label"] and body["dims"] == list(range(K)) and body["n_items"] == 600
    assert body["n_bins"] == 20 and body["seed"] == 2
    assert body["source"] == "factors" and body["kinds"] == ["factor"] and body["sources"] == ["factors", "attributes"]
    index, mu = sample_codes(trained_home, 600, 2)
    info = dim_factor_information(mu, get_dataset("digits").factors(index))
    np.testing.assert_allclose(body["normalised"], info.normalised, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(body["mutual_info"], info.mutual_info, rtol=1e-4, atol=1e-6)
    assert body["best_dim"] == info.best_dim.tolist() and body["gap"] == pytest.approx(info.gap, abs=1e-5)
    assert body["mig"] == pytest.approx(float(np.mean(info.gap)), abs=1e-5)
    assert max(max(row) for row in body["normalised"]) > 0.1  # the trained run's dims know the digit


def binned(column: np.ndarray) -> np.ndarray:
    """(N,) -> (N,) dlib's binning, written out: 20 equal-width bins over the column's range."""
    return np.digitize(column, np.histogram(column, 20)[1][:-1])


def test_attributes_give_the_columns_on_request_continuous_ones_binned(client: TestClient,
                                                                        trained_home: Path) -> None:
    body = client.get(f"{API}/runs/{RUN}/factor-mi?n=500&seed=3&source=attributes").json()
    assert body["source"] == "attributes" and body["factors"] == ["label", "thickness"]
    assert body["kinds"] == ["categorical", "continuous"] and "20 equal-width bins" in body["binning"]
    index, mu = sample_codes(trained_home, 500, 3)
    digits = get_dataset("digits")
    columns = [digits.attribute_values("label", index), binned(digits.attribute_values("thickness", index))]
    for c, column in enumerate(columns):  # sklearn's plug-in MI of each binned dim with the column, over H(column)
        entropy = mutual_info_score(column, column)
        expected = [mutual_info_score(column, binned(mu[:, k])) / entropy for k in range(K)]
        np.testing.assert_allclose([row[c] for row in body["normalised"]], expected, rtol=1e-6, atol=1e-9)
        assert body["entropy"][c] == pytest.approx(entropy)
        assert body["best_dim"][c] == int(np.argmax(expected))
    assert len(np.unique(columns[1])) > 10  # thickness was binned, not taken as 500 classes
    factors = client.get(f"{API}/runs/{RUN}/factor-mi?n=500&seed=3").json()
    assert [row[0] for row in body["normalised"]] == [row[0] for row in factors["normalised"]]  # label = the factor


def small_dataset(factors: bool, attributes: bool) -> ArrayDataset:
    """Six 1-pixel items, with or without a factor and (categorical, continuous) attributes."""
    schema = (Attribute.categorical("side", ["left", "right"], "which side"),
              Attribute.continuous("width", 0.0, 3.0, "px", "stroke width")) if attributes else ()
    info = DatasetInfo(name="six", kind="image", shape=(1, 1, 1), n_items=6, likelihood="gaussian", description="six",
                       factor_names=("row",) if factors else (), factor_sizes=(3,) if factors else (),
                       **attribute_fields(schema))
    values = np.array([[0, 0.5], [0, 1.0], [1, 1.5], [1, 2.0], [0, 2.5], [1, 3.0]])
    return ArrayDataset(info, np.zeros((6, 1, 1, 1)), factors=np.arange(6)[:, None] % 3 if factors else None,
                        attributes=values if attributes else None, schema=schema)


def test_a_dataset_without_factors_falls_back_to_its_attributes_and_with_neither_is_409() -> None:
    assert resolve_source(small_dataset(True, True), None) == "factors"
    assert resolve_source(small_dataset(True, True), "attributes") == "attributes"
    without = small_dataset(False, True)
    assert resolve_source(without, None) == "attributes"
    columns = mi_columns(without, "attributes", np.arange(6))
    assert columns.names == ["side", "width"] and columns.continuous == [False, True]
    np.testing.assert_array_equal(columns.values[:, 0], [0, 0, 1, 1, 0, 1])
    with pytest.raises(Problem, match="has no factors; source: expected one of \\['attributes'\\]") as asked:
        resolve_source(without, "factors")
    assert asked.value.status == 409
    with pytest.raises(Problem, match="neither ground-truth factors nor attributes.*information per latent dim"):
        resolve_source(small_dataset(False, False), None)


def test_the_matrix_has_an_etag_answers_304_and_is_cached(client: TestClient) -> None:
    first = client.get(f"{API}/runs/{RUN}/factor-mi?n=300")
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"  # no v=: the run may get a new version
    batches = client.app.state.executor.batches
    again = client.get(f"{API}/runs/{RUN}/factor-mi?n=300", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert client.get(f"{API}/runs/{RUN}/factor-mi?n=300").json() == first.json()
    assert client.app.state.executor.batches == batches  # neither the 304 nor the repeat ran the model
    version = first.json()["version"]
    pinned = client.get(f"{API}/runs/{RUN}/factor-mi?n=300&v={version}")
    assert "immutable" in pinned.headers["cache-control"]
    assert client.get(f"{API}/runs/{RUN}/factor-mi?n=301").headers["etag"] != tag
    assert client.get(f"{API}/runs/{RUN}/factor-mi?n=300&source=attributes").headers["etag"] != tag


@pytest.mark.parametrize("route", ["factor-mi", "typical-item"])
@pytest.mark.parametrize(("query", "status", "words"), [
    ("n=100000", 422, ["max_embedding_n"]),
    ("n=1", 422, ["n"]),
    ("v=0123456789ab", 409, ["0123456789ab"]),
    ("bins=3", 422, ["bins"]),
])
def test_bad_queries_are_problems_naming_the_field(client: TestClient, problem: Callable[..., dict[str, Any]],
                                                   route: str, query: str, status: int, words: list[str]) -> None:
    problem(client.get(f"{API}/runs/{RUN}/{route}?{query}"), status, *words)


def test_an_unknown_run_is_404(client: TestClient, problem: Callable[..., dict[str, Any]]) -> None:
    problem(client.get(f"{API}/runs/nope/factor-mi"), 404, "no run 'nope'")


def test_an_unknown_source_is_422_naming_the_choices(client: TestClient, problem: Callable[..., dict[str, Any]]
                                                      ) -> None:
    problem(client.get(f"{API}/runs/{RUN}/factor-mi?source=labels"), 422, "source", "factors", "attributes")


def test_typical_row_is_the_middle_of_every_factor_then_the_mean_code() -> None:
    sizes = (3, 5)
    factors = np.array([[0, 0], [1, 2], [2, 4], [1, 2], [1, 1]])
    codes = np.array([[0.0], [5.0], [0.0], [0.5], [0.0]])  # mean 1.1: row 3 is nearer than row 1
    assert typical_row(factors, sizes, codes) == 3
    assert typical_row(factors[:, :0], (), codes) == 3  # no factors: the code nearest the mean
    assert typical_row(np.zeros((3, 0), np.int64), (), np.array([[0.0], [2.0], [0.0]])) == 0  # a tie: the first


def test_the_typical_item_comes_from_the_sample(client: TestClient, trained_home: Path) -> None:
    body = client.get(f"{API}/runs/{RUN}/typical-item?n=400&seed=1").json()
    index, mu = sample_codes(trained_home, 400, 1)
    digits = get_dataset("digits")
    assert body["index"] == int(index[typical_row(digits.factors(index), digits.info.factor_sizes, mu)])
    assert body["factors"] == {"label": int(digits.factors(np.array([body["index"]]))[0, 0])}
    assert body["factors"]["label"] in (4, 5)  # the middle of 0..9
    assert body["factor_sizes"] == {"label": 10} and "middle" in body["rule"] and body["n_items"] == 400


def test_a_prior_span_around_an_item_steps_by_prior_sd_from_its_code(client: TestClient) -> None:
    body = client.get(f"{API}/runs/{RUN}/traversal?dims=1,3&steps=5&span=2&span_mode=prior&base=item:7"
                      "&outputs=false").json()
    assert body["span_unit"] == "prior_quantile" and body["centre"] == "posterior_mean"
    t = np.linspace(-2, 2, 5)  # a standard normal prior: its quantiles at Phi(t) are t
    np.testing.assert_allclose(body["values"], [[body["base_z"][d] + s for s in t] for d in (1, 3)], atol=1e-5)
    posterior = client.get(f"{API}/runs/{RUN}/traversal?dims=1&steps=5&span=2&base=item:7&outputs=false").json()
    assert posterior["span_unit"] == "posterior_sd" and posterior["values"] != body["values"][:1]


def test_the_reconstruction_image_shows_the_item_over_its_reconstruction(client: TestClient) -> None:
    index = client.get(f"{API}/runs/{RUN}/typical-item").json()["index"]
    r = client.get(f"{API}/runs/{RUN}/reconstruct.png?items={index}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and "etag" in r.headers
    image = np.asarray(Image.open(io.BytesIO(r.content)).convert("L"), dtype=np.float64)
    digits = get_dataset("digits")
    alone = np.asarray(Image.open(io.BytesIO(grid_png(digits.items(np.array([index])), 1, 1, digits.info)))
                       .convert("L"), dtype=np.float64)
    height = alone.shape[0]
    np.testing.assert_array_equal(image[:height], alone)  # the top cell is the item itself
    top, bottom = image[:height], image[height - 2:2 * height - 2]  # the rows share their 2 px gap
    assert np.corrcoef(top.ravel(), bottom.ravel())[0, 1] > 0.3  # the reconstruction resembles it
