"""GET /api/v1/datasets/{name}/attributes: the attribute schemas, and their values for a bounded range of items."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from backend.config import Settings
from backend.main import create_app
from backend.schemas.datasets import MAX_ATTRIBUTE_VALUES
from models.datasets import DatasetInfo, get_dataset, registry
from models.datasets.base import ArrayDataset

API = "/api/v1/datasets"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, settings_for: Callable[..., Settings]) -> Iterator[TestClient]:
    """A real app on an empty home: dataset routes need no run."""
    with TestClient(create_app(settings_for(tmp_path_factory.mktemp("attributes-home")))) as c:
        yield c


def test_attributes_of_glyphs(client: TestClient) -> None:
    body = client.get(f"{API}/glyphs/attributes").json()
    assert body["dataset"] == "glyphs" and body["n_items"] == 6250
    assert body["values"] is None and body["start"] is None and body["stop"] is None
    label, stroke = body["attributes"][:2]
    assert [a["name"] for a in body["attributes"]] == ["label", "stroke_width", "slant", "scale", "rotation"]
    assert label == {"name": "label", "kind": "categorical", "description": "the digit drawn",
                     "classes": [str(d) for d in range(10)], "lo": None, "hi": None, "unit": None}
    assert stroke["kind"] == "continuous" and stroke["classes"] is None
    assert (stroke["lo"], stroke["hi"]) == (0.0, 1.2) and "pixels" in stroke["unit"]


@pytest.mark.parametrize("name", ["breast_cancer", "digits", "dsprites",
                                  pytest.param("humanoid_mocap", marks=pytest.mark.extra("mocap"))])
def test_attributes_match_the_dataset(client: TestClient, name: str) -> None:
    ds = get_dataset(name)
    body = client.get(f"{API}/{name}/attributes").json()
    assert body["attributes"] == [a.to_json() for a in ds.attribute_specs()]


def test_values_of_a_range_of_items(client: TestClient) -> None:
    body = client.get(f"{API}/dsprites/attributes", params={"values": "true", "start": 1000, "stop": 1010}).json()
    ds = get_dataset("dsprites")
    assert (body["start"], body["stop"]) == (1000, 1010)
    for spec in ds.attribute_specs():
        expected = ds.attribute_values(spec.name, np.arange(1000, 1010))
        assert body["values"][spec.name] == pytest.approx(expected.tolist())
    assert all(isinstance(v, int) for v in body["values"]["shape"])  # class indices stay integers
    default = client.get(f"{API}/dsprites/attributes", params={"values": "true", "start": 5}).json()
    assert (default["start"], default["stop"]) == (5, 5 + MAX_ATTRIBUTE_VALUES)
    assert len(default["values"]["posX"]) == MAX_ATTRIBUTE_VALUES
    tail = client.get(f"{API}/digits/attributes", params={"values": "true", "start": 1790}).json()
    assert (tail["start"], tail["stop"]) == (1790, 1797)  # the default stop ends at the last item
    assert tail["values"]["label"] == get_dataset("digits").attribute_values("label", np.arange(1790, 1797)).tolist()


def test_unknown_dataset_is_404(client: TestClient, problem: Callable[..., dict[str, Any]]) -> None:
    problem(client.get(f"{API}/nope/attributes"), 404, "unknown dataset 'nope'", "expected one of")
    problem(client.get(f"{API}/nope/attributes", params={"values": "true"}), 404, "unknown dataset 'nope'")


@pytest.mark.parametrize(("params", "words"), [
    ({"value": "true"}, "value: Extra inputs are not permitted"),  # a typo is refused, never ignored
    ({"values": "maybe"}, "values: Input should be a valid boolean"),
    ({"values": "true", "start": -1}, "start: Input should be greater than or equal to 0"),
    ({"values": "true", "stop": "ten"}, "stop: Input should be a valid integer"),
    ({"start": 3}, "expected values=true with them"),
    ({"values": "false", "stop": 3}, "expected values=true with them"),
    ({"values": "true", "start": 1797}, "expected an item index below n_items = 1797, got 1797"),
    ({"values": "true", "start": 10, "stop": 1798}, "expected start < stop <= n_items = 1797"),
    ({"values": "true", "start": 10, "stop": 10}, "expected start < stop"),
])
def test_bad_query_is_422(client: TestClient, problem: Callable[..., dict[str, Any]], params: dict[str, Any],
                          words: str) -> None:
    problem(client.get(f"{API}/digits/attributes", params=params), 422, words)


def test_at_most_so_many_values_a_request(client: TestClient, problem: Callable[..., dict[str, Any]]) -> None:
    params = {"values": "true", "start": 0, "stop": MAX_ATTRIBUTE_VALUES + 1}
    problem(client.get(f"{API}/dsprites/attributes", params=params), 422,
            f"stop - start is {MAX_ATTRIBUTE_VALUES + 1}; expected at most {MAX_ATTRIBUTE_VALUES}")


def test_a_dataset_without_attributes_has_an_empty_list(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    info = DatasetInfo("plain", "grouped_vector", (2,), 3, "gaussian", "no side information")
    registry.dataset_names()  # every real dataset is registered before the test one is added
    monkeypatch.setitem(registry._LOADERS, "plain", lambda: ArrayDataset(info, np.zeros((3, 2))))
    r = client.get(f"{API}/plain/attributes", params={"values": "true"})
    assert r.status_code == 200, r.text
    assert r.json() == {"dataset": "plain", "n_items": 3, "attributes": [], "start": 0, "stop": 3, "values": {}}


def test_the_route_is_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"][f"{API}/{{name}}/attributes"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"name", "values", "start", "stop"}
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/DatasetAttributes"}
    attribute = spec["components"]["schemas"]["AttributePublic"]
    assert set(attribute["properties"]) == {"name", "kind", "description", "classes", "lo", "hi", "unit"}
    assert {"404", "422"} <= set(operation["responses"])
