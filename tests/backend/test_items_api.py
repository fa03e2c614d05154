"""Items by what they are (GET /datasets/{name}/items/search) and by where they lie in latent space
(GET /runs/{run_id}/neighbours), issue 20 item 4."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from app_client import AppClient as TestClient
from conftest import copy_home, make_settings, serve

from backend.jobs import run_worker
from backend.runs import load_run
from backend.schemas.items import MAX_WHERE, MAX_WHERE_CHARS
from backend.services.analysis import sample_items
from models.datasets import get_dataset
from models.evaluation import encode_dataset

API = "/api/v1"
RUN = "tiny"  # vae on digits, K = 4 (conftest.py)
N_DSPRITES = 737_280


def search(client: TestClient, dataset: str, query: str) -> dict[str, Any]:
    r = client.get(f"{API}/datasets/{dataset}/items/search?{query}")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize(("where", "total", "read"), [
    ("shape=heart", N_DSPRITES // 3, {"shape": 2}),
    ("shape=2", N_DSPRITES // 3, {"shape": 2}),
    ("shape=heart,scale=3", N_DSPRITES // 3 // 6, {"shape": 2, "scale": 3}),
    ("shape=ellipse,scale=2,posX=16,posY=15", 40, {"shape": 1, "scale": 2, "posX": 16, "posY": 15}),
    ("orientation=39,posX=0,posY=31,scale=5,shape=square", 1,
     {"orientation": 39, "posX": 0, "posY": 31, "scale": 5, "shape": 0}),
])
def test_dsprites_search_counts_the_grid_exactly(client: TestClient, where: str, total: int,
                                                 read: dict[str, int]) -> None:
    body = search(client, "dsprites", f"where={where}&limit=50")
    assert body["total"] == total and body["where"] == read and body["offset"] == 0
    items = np.array(body["items"])
    assert len(items) == min(50, total) and np.all(np.diff(items) > 0)
    factors = get_dataset("dsprites").factors(items)  # (B, 5)
    names = list(get_dataset("dsprites").info.factor_names)
    for name, level in read.items():
        assert np.all(factors[:, names.index(name)] == level), name


def test_pages_of_one_search_join_up(client: TestClient) -> None:
    whole = search(client, "dsprites", "where=shape=heart,scale=0,orientation=7&limit=500")
    assert whole["total"] == 1024  # 32 x 32 positions
    pages = [search(client, "dsprites", f"where=shape=heart,scale=0,orientation=7&limit=100&offset={o}")["items"]
             for o in range(0, 1024, 100)]
    assert [i for page in pages for i in page][:500] == whole["items"]
    assert len(pages[-1]) == 24 and search(client, "dsprites", "where=shape=0&offset=300000")["items"] == []


def test_no_condition_is_every_item(client: TestClient) -> None:
    body = search(client, "dsprites", "limit=3&offset=5")
    assert body == {"dataset": "dsprites", "total": N_DSPRITES, "offset": 5, "items": [5, 6, 7], "where": {}}


def test_glyphs_by_a_categorical_attribute_that_is_no_factor(client: TestClient) -> None:
    body = search(client, "glyphs", "where=label=7,rotation=1&limit=500")
    assert body["total"] == 6250 // 10 // 5 and body["where"] == {"label": 7, "rotation": 1}
    assert body["items"] == search(client, "glyphs", "where=digit=7,rotation=1&limit=500")["items"]


def test_digits_by_label_and_by_a_range_of_a_continuous_attribute(client: TestClient) -> None:
    digits = get_dataset("digits")
    label = digits.attribute_values("label")  # (N,)
    thickness = digits.attribute_values("thickness")
    body = search(client, "digits", "where=label=3&limit=500")
    assert body["total"] == int((label == 3).sum()) > 100 and body["items"] == np.flatnonzero(label == 3).tolist()
    body = search(client, "digits", "where=thickness=1.5..1.8,label=7&limit=500")
    expected = np.flatnonzero((thickness >= 1.5) & (thickness <= 1.8) & (label == 7))
    assert 0 < body["total"] == len(expected) and body["items"] == expected.tolist()
    assert body["where"] == {"thickness": [1.5, 1.8], "label": 7}


@pytest.mark.parametrize(("dataset", "query", "words"), [
    ("dsprites", "where=colour=red", ["query.where[0]", "no factor or attribute 'colour'", "shape"]),
    ("dsprites", "where=shape=heart,scale=6", ["query.where[1] (scale)", "level index 0..5", "'6'"]),
    ("dsprites", "where=shape=star", ["query.where[0] (shape)", "'heart'", "'star'"]),
    ("dsprites", "where=shape", ["query.where[0]", "expected name=value"]),
    ("dsprites", "where=shape=1,shape=2", ["query.where[1]", "'shape' is given twice"]),
    ("dsprites", "where=scale=-1", ["query.where[0] (scale)", "level index"]),
    ("digits", "where=label=ten", ["query.where[0] (label)", "level index 0..9", "'ten'"]),
    ("glyphs", "where=label=ten", ["query.where[0] (label)", "class name", "'ten'"]),
    ("breast_cancer", "where=diagnosis=maybe", ["query.where[0] (diagnosis)", "'benign'"]),
    ("digits", "where=thickness=2", ["query.where[0] (thickness)", "range lo..hi"]),
    ("digits", "where=thickness=2..1", ["query.where[0] (thickness)", "lo <= hi"]),
    ("digits", "where=thickness=1e999..2", ["query.where[0] (thickness)", "finite"]),
    ("digits", "where=label=1,,label=2", ["query.where", f"at most {MAX_WHERE} comma-separated"]),
    ("digits", "where=" + ",".join(["label=1"] * (MAX_WHERE + 1)), ["query.where", f"at most {MAX_WHERE}"]),
    ("digits", "where=label=" + "1" * MAX_WHERE_CHARS, ["query.where", f"{MAX_WHERE_CHARS} characters"]),
    ("digits", "where=label=1&where=label=2", ["query.where", "given 2 times"]),
    ("digits", "limit=0", ["query.limit"]),
    ("digits", "limit=501", ["query.limit"]),
    ("digits", "wher=label=1", ["wher"]),
])
def test_bad_searches_are_422_naming_the_condition(client: TestClient, problem: Callable[..., dict[str, Any]],
                                                   dataset: str, query: str, words: list[str]) -> None:
    problem(client.get(f"{API}/datasets/{dataset}/items/search?{query}"), 422, *words)


def test_search_limits_are_in_openapi(client: TestClient) -> None:
    params = client.get("/openapi.json").json()["paths"][f"{API}/datasets/{{name}}/items/search"]["get"]["parameters"]
    where = next(p for p in params if p["name"] == "where")["schema"]["anyOf"][0]
    assert where["pattern"] == f"^[^,]{{1,{MAX_WHERE_CHARS}}}(,[^,]{{1,{MAX_WHERE_CHARS}}}){{0,{MAX_WHERE - 1}}}$"
    assert next(p for p in params if p["name"] == "limit")["schema"]["maximum"] == 500


def test_an_unknown_dataset_is_404(client: TestClient, problem: Callable[..., dict[str, Any]]) -> None:
    problem(client.get(f"{API}/datasets/nope/items/search?where=a=1"), 404, "nope")


# -- neighbours ------------------------------------------------------------------------------------------------

def means(home: Path, index: np.ndarray) -> np.ndarray:
    """(B, K) posterior means of digits items ``index`` under the trained run, computed directly."""
    model, _ = load_run(home, RUN)
    return encode_dataset(model, get_dataset("digits"), index)[0]


@pytest.mark.parametrize(("item", "k", "n", "seed"), [(5, 10, 400, 0), (1000, 3, 300, 7)])
def test_neighbours_are_the_nearest_sampled_means(client: TestClient, trained_home: Path, item: int, k: int, n: int,
                                                  seed: int) -> None:
    body = client.get(f"{API}/runs/{RUN}/neighbours?item={item}&k={k}&n={n}&seed={seed}").json()
    assert (body["run_id"], body["item"], body["n"], body["seed"]) == (RUN, item, n, seed)
    found = [row["item"] for row in body["neighbours"]]
    distances = np.array([row["distance"] for row in body["neighbours"]])
    assert len(found) == k and item not in found and np.all(np.diff(distances) >= 0)
    index = sample_items(get_dataset("digits"), n, seed)
    others = index[index != item]
    direct = np.linalg.norm(means(trained_home, others) - means(trained_home, np.array([item])), axis=1)
    np.testing.assert_allclose(distances, np.sort(direct)[:k], rtol=1e-4, atol=1e-5)
    assert set(found) <= set(others.tolist())
    np.testing.assert_allclose(distances, direct[np.searchsorted(others, found)], rtol=1e-4, atol=1e-5)


def test_an_item_in_the_sample_is_left_out(client: TestClient) -> None:
    sampled = int(sample_items(get_dataset("digits"), 200, 0)[17])
    body = client.get(f"{API}/runs/{RUN}/neighbours?item={sampled}&k=100&n=200").json()
    assert len(body["neighbours"]) == 100 and sampled not in [row["item"] for row in body["neighbours"]]
    assert body["neighbours"][0]["distance"] > 0


def test_neighbours_have_an_etag_and_answer_304(client: TestClient) -> None:
    first = client.get(f"{API}/runs/{RUN}/neighbours?item=3&n=300")
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    again = client.get(f"{API}/runs/{RUN}/neighbours?item=3&n=300", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.headers["etag"] == tag
    pinned = client.get(f"{API}/runs/{RUN}/neighbours?item=3&n=300&v={first.json()['version']}")
    assert "immutable" in pinned.headers["cache-control"] and pinned.json() == first.json()
    assert client.get(f"{API}/runs/{RUN}/neighbours?item=4&n=300").headers["etag"] != tag


@pytest.mark.parametrize(("query", "status", "words"), [
    ("item=100000", 422, ["query.item", "below 1797"]),
    ("item=-1", 422, ["item"]),
    ("item=1&k=101", 422, ["query.k"]),
    ("item=1&k=0", 422, ["query.k"]),
    ("item=1&n=1000001", 422, ["query.n", "max_projection_n"]),
    ("k=3", 422, ["item"]),
    ("item=1&v=0123456789ab", 409, ["0123456789ab"]),
])
def test_bad_neighbour_queries_are_problems(client: TestClient, problem: Callable[..., dict[str, Any]], query: str,
                                            status: int, words: list[str]) -> None:
    problem(client.get(f"{API}/runs/{RUN}/neighbours?{query}"), status, *words)


def test_n_past_the_dataset_is_every_item(client: TestClient) -> None:
    """digits has 1,797 items, under max_embedding_n = 5,000: n = 100,000 is the sample of every item, encoded now."""
    every = client.get(f"{API}/runs/{RUN}/neighbours?item=5&k=8&n=1797").json()
    past = client.get(f"{API}/runs/{RUN}/neighbours?item=5&k=8&n=100000")
    assert past.status_code == 200, past.text
    assert past.json()["n"] == 1797 and past.json()["neighbours"] == every["neighbours"]


def test_past_max_embedding_n_the_404_names_a_projection_that_can_be_posted(
        client: TestClient, trained_home: Path, tmp_path: Path, problem: Callable[..., dict[str, Any]]) -> None:
    """With max_embedding_n = 1,000, every digit (n = 100,000 means all 1,797) is a sample of stored codes: the 404
    names the projection to POST (n = 1,797, the run's version); once its job ran, the neighbours are those found
    when every item is encoded on request."""
    home = copy_home(trained_home, tmp_path / "home")
    settings = make_settings(home, max_embedding_n=1000)
    live = client.get(f"{API}/runs/{RUN}/neighbours?item=5&k=8&n=1797").json()
    url = f"{API}/runs/{RUN}/neighbours?item=5&k=8&n=100000"
    with serve(settings) as small:
        version = small.get(f"{API}/runs/{RUN}").json()["version"]
        detail = problem(small.get(url), 404, "not computed yet", "max_embedding_n = 1000")["detail"]
        body = json.loads(detail[detail.index("{"):detail.index("}") + 1])
        assert body == {"method": "pca", "n": 1797, "seed": 0, "v": version}
        posted = small.post(f"{API}/runs/{RUN}/projections", json=body)
        assert posted.status_code == 202, posted.text
        run_worker(settings, once=True, store=small.app.state.jobs)
        got = small.get(url)
        assert got.status_code == 200, got.text
        assert got.json()["n"] == 1797
        assert [r["item"] for r in got.json()["neighbours"]] == [r["item"] for r in live["neighbours"]]
        np.testing.assert_allclose([r["distance"] for r in got.json()["neighbours"]],
                                   [r["distance"] for r in live["neighbours"]], rtol=1e-5, atol=1e-6)
