"""The API says its limits (#19 item 5): the request limits that are settings appear in the OpenAPI document with
the values the routes enforce, and each family's config schema carries the ranges its config checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RUN, make_settings, serve
from fastapi.testclient import TestClient

from backend.config import Settings
from backend.main import create_app
from backend.schemas.limits import LIMIT_KEY, marked_schemas
from models import families, field_bounds

API = "/api/v1"
# lower than the defaults, so that a bound taken from anywhere but these settings shows
LIMITS = {"max_embedding_n": 40, "max_steps": 5, "max_items": 3, "max_decode_batch": 2, "max_train_steps": 50,
          "max_train_batch": 16}
SMALL_TRAINING = {"steps": 10, "batch_size": 8}  # inside those limits, so that the config is what gets refused


@pytest.fixture(scope="module")
def limited(trained_home: Path) -> Iterator[TestClient]:
    with serve(make_settings(trained_home, **LIMITS)) as c:
        yield c




def parameter(doc: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    """The schema of query parameter ``name`` of GET ``path``."""
    params = doc["paths"][f"{API}{path}"]["get"]["parameters"]
    return next(p["schema"] for p in params if p["name"] == name)


def body_field(doc: dict[str, Any], model: str, *names: str) -> dict[str, Any]:
    """The schema of ``model``'s field ``names[0]`` (and of its object fields below, by name)."""
    schemas = doc["components"]["schemas"]
    schema = schemas[model]
    for name in names:
        schema = schema["properties"][name]
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema
    return schema


def test_every_limit_in_the_document_is_its_settings_value(limited: TestClient) -> None:
    settings = make_settings(Path("unused"), **LIMITS)
    found = list(marked_schemas(limited.get("/openapi.json").json()))  # the document as served
    assert {s[LIMIT_KEY] for s in found} >= set(LIMITS)
    for schema in found:
        value = getattr(settings, schema[LIMIT_KEY])
        bound = next(b for b in schema.get("anyOf", [schema]) if b.get("type") != "null")
        count = f"{{0,{value - 1}}}$"  # a comma-separated list of at most value items
        assert value in (bound.get("maximum"), bound.get("maxItems"), bound.get("maxLength")) or \
            bound["pattern"].endswith(count)


@pytest.mark.parametrize(("where", "setting", "keyword"), [
    (lambda d: parameter(d, "/runs/{run_id}/factors", "n"), "max_embedding_n", "maximum"),
    (lambda d: parameter(d, "/runs/{run_id}/embedding", "n"), "max_embedding_n", "maximum"),
    (lambda d: parameter(d, "/runs/{run_id}/lenses/{lens_id}/embedding", "n"), "max_embedding_n", "maximum"),
    (lambda d: parameter(d, "/runs/{run_id}/traversal.png", "steps"), "max_steps", "maximum"),
    (lambda d: parameter(d, "/runs/{run_id}/traversal", "steps"), "max_steps", "maximum"),
    (lambda d: parameter(d, "/runs/{run_id}/lenses/{lens_id}/manipulation.png", "steps"), "max_steps", "maximum"),
    (lambda d: body_field(d, "DecodeRequest", "z"), "max_decode_batch", "maxItems"),
    (lambda d: body_field(d, "LensCreate", "fit", "steps"), "max_train_steps", "maximum"),
    (lambda d: body_field(d, "LensCreate", "fit", "batch_size"), "max_train_batch", "maximum"),
    (lambda d: body_field(d, "LensRefit", "steps")["anyOf"][0], "max_train_steps", "maximum"),
    (lambda d: body_field(d, "RunCreate", "train")["properties"]["steps"], "max_train_steps", "maximum"),
    (lambda d: body_field(d, "RunCreate", "train")["properties"]["batch_size"], "max_train_batch", "maximum"),
])
def test_each_limited_field_documents_its_setting(limited: TestClient, where: Callable[[dict[str, Any]], Any],
                                                  setting: str, keyword: str) -> None:
    assert where(limited.get("/openapi.json").json())[keyword] == LIMITS[setting]


def test_the_training_fields_are_documented_with_their_ranges(limited: TestClient) -> None:
    train = body_field(limited.get("/openapi.json").json(), "RunCreate", "train")
    assert train["additionalProperties"] is False and train["properties"]["lr"]["exclusiveMinimum"] == 0
    assert train["properties"]["seed"]["maximum"] == 2**32 - 1 and train["properties"]["batch_size"]["minimum"] == 2


def test_a_list_in_a_query_string_documents_its_count(limited: TestClient) -> None:
    pattern = parameter(limited.get("/openapi.json").json(), "/runs/{run_id}/reconstruct.png", "items")["pattern"]
    assert pattern == "^[0-9]{1,9}(,[0-9]{1,9}){0,2}$"  # at most max_items = 3 numbers


def test_the_default_document_carries_the_default_settings(trained_home: Path) -> None:
    doc = create_app(make_settings(trained_home)).openapi()
    assert parameter(doc, "/runs/{run_id}/factors", "n")["maximum"] == Settings().max_embedding_n == 5000


@pytest.mark.parametrize(("url", "setting"), [
    ("runs/tiny/factors?n={}", "max_embedding_n"),
    ("runs/tiny/embedding?n={}", "max_embedding_n"),
    ("runs/tiny/traversal?outputs=false&dims=0&steps={}", "max_steps"),
    ("runs/tiny/reconstruct.png?items={}", "max_items"),
])
def test_the_documented_bound_is_allowed_and_one_more_is_refused_naming_it(
        limited: TestClient, problem: Callable[..., Any], url: str, setting: str) -> None:
    value = LIMITS[setting]
    at, over = (",".join(["0"] * value), ",".join(["0"] * (value + 1))) if "items" in url else (value, value + 1)
    assert limited.get(f"{API}/{url.format(at)}").status_code == 200
    assert problem(limited.get(f"{API}/{url.format(over)}"), 422, f"{setting} = {value}")["limit"] == setting


def test_decode_at_and_over_its_documented_batch(limited: TestClient, problem: Callable[..., Any]) -> None:
    z = [[0.0] * 4] * LIMITS["max_decode_batch"]
    assert limited.post(f"{API}/runs/{RUN}/decode", json={"z": z}).status_code == 200
    problem(limited.post(f"{API}/runs/{RUN}/decode", json={"z": [*z, z[0]]}), 422, "max_decode_batch = 2")


def test_a_refit_over_max_train_steps_is_refused_before_anything_is_written(
        limited: TestClient, problem: Callable[..., Any]) -> None:
    body = {"labels": {"oracle": {"n": 5}}, "steps": LIMITS["max_train_steps"] + 1}
    detail = problem(limited.post(f"{API}/runs/{RUN}/lenses/no-such-lens/refit", json=body), 422, "max_train_steps")
    assert detail["maximum"] == LIMITS["max_train_steps"]


# --- family configs: the served schema's ranges are the ones the config checks


def served_ranges(client: TestClient) -> Iterator[tuple[str, str, dict[str, Any], bool]]:
    """(family, field, the number's schema, whether the field is a list of them) for every field of every served
    config schema with a range."""
    for family in client.get(f"{API}/families").json()["families"]:
        for name, prop in family["config_schema"]["properties"].items():
            for branch in prop.get("anyOf", [prop]):
                number = branch.get("items", branch)
                if {"minimum", "exclusiveMinimum", "maximum"} & set(number):
                    yield family["name"], name, number, "items" in branch


def test_every_checked_range_is_in_its_familys_schema(limited: TestClient) -> None:
    served = {(f, name): number for f, name, number, _ in served_ranges(limited)}
    expected = {(name, field): bound.keywords() for name, spec in families().items()
                for field, bound in field_bounds(spec.config_cls).items()}
    assert expected and set(served) == set(expected)
    for key, keywords in expected.items():
        assert {k: served[key][k] for k in keywords} == keywords, key
    ranges = {key: {k: v for k, v in number.items() if "imum" in k} for key, number in served.items()}
    assert ranges[("vae", "beta")] == {"minimum": 0, "maximum": 1e4}
    assert ranges[("oi_vae", "w_lr")] == {"exclusiveMinimum": 0, "maximum": 10.0}  # the non-null branch
    assert ranges[("vae", "hidden")] == {"minimum": 1, "maximum": 65536}  # each width


def just_outside(number: dict[str, Any]) -> float:
    """A value past the schema's range: above its maximum, else below its minimum (or at an exclusive one)."""
    if "maximum" in number:
        top: float = number["maximum"]
        return top + 1 if number["type"] == "integer" else top * 2 + 1  # an integer stays one
    return number["minimum"] - 1 if "minimum" in number else number["exclusiveMinimum"]


def test_a_value_outside_the_served_range_is_refused_naming_the_field(limited: TestClient,
                                                                      problem: Callable[..., Any]) -> None:
    checked = 0
    for family, name, number, listed in served_ranges(limited):
        if family == "lens":  # made by POST .../lenses: POST /runs refuses the family before reading its config
            continue
        bad = just_outside(number)
        answer = limited.post(f"{API}/runs", json={"family": family, "dataset": "digits", "train": SMALL_TRAINING,
                                                   "config": {name: [bad] if listed else bad}})
        problem(answer, 422, f".{name}: {name} must be")
        checked += 1
    assert checked >= 20
