"""Embedding axes and precomputed projections (issue 20, item 5): method=dims on GET .../embedding; POST
.../projections queues a ``projection`` job that the real worker runs (t-SNE and UMAP of 200 and 60 items, PCA of the
whole dataset), and GET .../projections/{method} serves what it stored, with ETags; limits and bad input are 422s
naming the field."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from app_client import AppClient as TestClient
from conftest import copy_home

from backend.config import Settings
from backend.jobs import run_worker
from backend.jobs.handlers import JOB_KINDS
from backend.main import create_app
from backend.projections import projection_path
from backend.services.analysis import sample_items
from models import get_dataset

API = "/api/v1"
RUN = "tiny"  # conftest's shared tiny vae on digits (K = 4)
K = 4
N_ITEMS = 1797  # digits
PROJECTIONS = f"{API}/runs/{RUN}/projections"


@pytest.fixture(scope="module")
def home(trained_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the trained run: the projection jobs write into its folder."""
    return copy_home(trained_home, tmp_path_factory.mktemp("projections-home"))


@pytest.fixture(scope="module")
def settings(home: Path, settings_for: Callable[..., Settings]) -> Settings:
    return settings_for(home, max_manifold_n=1000, device="cpu")


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def test_dims_puts_dim_x_against_dim_y(app: TestClient) -> None:
    dims = app.get(f"{API}/runs/{RUN}/embedding?method=dims&dim_x=3&dim_y=0&n=300&seed=1")
    assert dims.status_code == 200, dims.text
    body = dims.json()
    assert body["method"] == "dims" and body["axes"] == ["z3", "z0"] and body["explained_variance"] is None
    mi = app.get(f"{API}/runs/{RUN}/embedding?method=mi&n=300&seed=1").json()  # mi's axes are two dims too
    first, second = (int(a[1:]) for a in mi["axes"])
    again = app.get(f"{API}/runs/{RUN}/embedding?method=dims&dim_x={first}&dim_y={second}&n=300&seed=1").json()
    assert (again["x"], again["y"], again["index"]) == (mi["x"], mi["y"], mi["index"])
    assert again["axes"] == mi["axes"] and body["index"] == mi["index"]
    assert app.get(f"{API}/runs/{RUN}/embedding?method=dims&n=300&seed=1").json()["axes"] == ["z0", "z1"]


@pytest.mark.parametrize(("query", "words"), [
    ("method=dims&dim_x=4&dim_y=0", ["query.dim_x", "latent_dim = 4"]),
    ("method=dims&dim_x=1&dim_y=9", ["query.dim_y", "latent_dim = 4"]),
    ("method=dims&dim_x=2&dim_y=2", ["query.dim_y", "another dim than dim_x = 2"]),
    ("method=pca&dim_x=1", ["query.dim_x", "method=dims only"]),
    ("method=dims&dim_x=-1", ["greater than or equal to 0"]),
    ("method=dims&dim_x=a", ["valid integer"]),
])
def test_bad_dims_are_422s_naming_the_field(app: TestClient, problem: Callable[..., Any], query: str,
                                           words: list[str]) -> None:
    problem(app.get(f"{API}/runs/{RUN}/embedding?{query}"), 422, *words)


def test_projections_are_computed_by_the_worker_and_served(app: TestClient, settings: Settings,
                                                          problem: Callable[..., Any]) -> None:
    problem(app.get(f"{PROJECTIONS}/tsne?n=200&seed=4"), 404, f"not computed yet: POST {PROJECTIONS}")
    asked = {"tsne": {"method": "tsne", "n": 200, "seed": 4}, "umap": {"method": "umap", "n": 60, "seed": 0},
             "pca": {"method": "pca", "n": N_ITEMS, "seed": 0}}
    jobs = {}
    for method, body in asked.items():
        r = app.post(PROJECTIONS, json=body)
        assert r.status_code == 202, r.text
        assert r.headers["location"] == r.json()["job_url"]
        jobs[method] = r.json()["job_id"]
        assert app.post(PROJECTIONS, json=body).json()["job_id"] == jobs[method]  # the same job, not a second
    assert len(set(jobs.values())) == 3
    assert app.post(PROJECTIONS, json={**asked["tsne"], "seed": 5}).json()["job_id"] != jobs["tsne"]
    run_worker(settings, once=True, store=app.app.state.jobs)
    for job_id in jobs.values():
        job = app.get(f"{API}/jobs/{job_id}").json()
        assert job["state"] == "succeeded", job
        assert job["kind"] == "projection" and job["progress"] == 1.0 and "stored" in job["message"]
    version = app.get(f"{API}/runs/{RUN}").json()["version"]
    tsne = app.get(f"{PROJECTIONS}/tsne?n=200&seed=4")
    assert tsne.status_code == 200, tsne.text
    body = tsne.json()
    assert body["method"] == "tsne" and body["axes"] == ["t-SNE 1", "t-SNE 2"] and body["version"] == version
    assert body["index"] == sample_items(get_dataset("digits"), 200, 4).tolist()
    coords = np.array([body["x"], body["y"]]).T  # (200, 2)
    assert np.isfinite(coords).all() and coords.std(axis=0).min() > 0.1  # spread out, not a collapsed point
    labels = np.array(body["factors"]["label"])
    assert labels.tolist() == get_dataset("digits").factors(np.array(body["index"]))[:, 0].tolist()
    assert neighbour_agreement(coords, labels) > 0.3  # digits that look alike land together (chance: ~0.1)
    umap = app.get(f"{PROJECTIONS}/umap?n=60").json()
    assert umap["axes"] == ["UMAP 1", "UMAP 2"] and len(umap["x"]) == 60 and np.isfinite(umap["y"]).all()


def neighbour_agreement(coords: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of points whose nearest other point has their label."""
    distances = ((coords[:, None] - coords[None]) ** 2).sum(-1) + np.diag(np.full(len(coords), np.inf))
    return float((labels[distances.argmin(axis=1)] == labels).mean())


def test_pca_of_every_item_matches_the_embedding_and_has_an_etag(app: TestClient, settings: Settings) -> None:
    """Runs after the worker test above: the PCA of all 1,797 items is the embedding GET .../embedding gives."""
    url = f"{PROJECTIONS}/pca?n={N_ITEMS}"
    stored = app.get(url)
    assert stored.status_code == 200, stored.text
    live = app.get(f"{API}/runs/{RUN}/embedding?method=pca&n={N_ITEMS}").json()
    assert stored.json() == live  # the worker's passes are the API's: the same bits
    assert len(live["index"]) == N_ITEMS and stored.headers["cache-control"] == "no-cache"
    again = app.get(url, headers={"If-None-Match": stored.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    pinned = app.get(f"{url}&v={live['version']}")
    assert "immutable" in pinned.headers["cache-control"]
    path = projection_path(settings.home, RUN, live["version"], "pca", N_ITEMS, 0)
    assert path.is_file() and not list(path.parent.glob(".*tmp*"))  # stored by rename: no temporary left


def test_neighbours_beyond_max_embedding_n_search_the_codes_the_job_stored(
        app: TestClient, home: Path, settings_for: Callable[..., Settings], problem: Callable[..., Any]) -> None:
    """Runs after the worker test above, whose PCA job of every item stored the sample's codes: with max_embedding_n
    below the dataset's size, the neighbours among all 1,797 items come from those codes, as found when encoded on
    request; a sample no job encoded is a 404 saying what to POST."""
    url = f"{API}/runs/{RUN}/neighbours?item=5&k=8&n={N_ITEMS}"
    live = app.get(url).json()  # 1,797 <= max_embedding_n = 5,000: encoded on request
    with TestClient(create_app(settings_for(home, max_embedding_n=500, device="cpu"))) as small:
        stored = small.get(url)
        assert stored.status_code == 200, stored.text
        body = stored.json()
        assert body["n"] == N_ITEMS and [r["item"] for r in body["neighbours"]] == [r["item"] for r in
                                                                                     live["neighbours"]]
        assert np.allclose([r["distance"] for r in body["neighbours"]], [r["distance"] for r in live["neighbours"]])
        assert small.get(url, headers={"If-None-Match": stored.headers["etag"]}).status_code == 304
        problem(small.get(f"{API}/runs/{RUN}/neighbours?item=5&n=1000"), 404,
                f"POST {API}/runs/{RUN}/projections", '"n": 1000')
        problem(small.get(f"{API}/runs/{RUN}/neighbours?item=5&n=1000001"), 422, "query.n", "max_projection_n")


@pytest.mark.parametrize(("body", "words"), [
    ({"method": "tsne", "n": 1001}, ["max_manifold_n = 1000", "body.n"]),
    ({"method": "pca", "n": N_ITEMS + 1}, ["body.n", f"{N_ITEMS} items"]),
    ({"method": "pca", "n": 1_000_001}, ["max_projection_n"]),
    ({"method": "tsne", "n": 10}, ["body.n", "at least 20"]),
    ({"method": "isomap", "n": 100}, ["'tsne', 'umap', 'pca' or 'mi'"]),
    ({"method": "pca"}, ["n", "Field required"]),
    ({"method": "pca", "n": 100, "seed": -1}, ["greater than or equal to 0"]),
    ({"method": "pca", "n": 100, "seed": True}, ["seed", "valid integer"]),
    ({"method": "pca", "n": 100.0}, ["n", "valid integer"]),
    ({"method": "pca", "n": 100, "colour": "red"}, ["colour"]),
])
def test_bad_projection_requests_are_422s(app: TestClient, problem: Callable[..., Any], body: dict[str, Any],
                                          words: list[str]) -> None:
    problem(app.post(PROJECTIONS, json=body), 422, *words)


def test_other_refusals(app: TestClient, problem: Callable[..., Any]) -> None:
    problem(app.post(f"{API}/runs/nope/projections", json={"method": "pca", "n": 100}), 404, "no run 'nope'")
    problem(app.post(PROJECTIONS, json={"method": "pca", "n": 100, "v": "0123456789ab"}), 409, "0123456789ab")
    problem(app.get(f"{PROJECTIONS}/isomap?n=100"), 422, "'tsne', 'umap', 'pca' or 'mi'")
    problem(app.get(f"{PROJECTIONS}/pca?n=1000001"), 422, "max_projection_n")
    problem(app.get(f"{PROJECTIONS}/pca"), 422, "n")


def test_identical_posts_at_the_same_instant_queue_one_job(app: TestClient) -> None:
    """Two identical POSTs at once (threads through the in-process server, which runs the route in its thread pool)
    answer one job: the lookup and the insert are one transaction (JobStore.submit_once, same_payload)."""
    start = threading.Barrier(2)

    def post(body: dict[str, Any]) -> str:
        start.wait()
        made = app.post(PROJECTIONS, json=body)
        assert made.status_code == 202, made.text
        return str(made.json()["job_id"])

    with ThreadPoolExecutor(2) as pool:
        pairs = [list(pool.map(post, [{"method": "pca", "n": 100, "seed": seed}] * 2)) for seed in range(100, 115)]
    assert all(first == second for first, second in pairs) and len({first for first, _ in pairs}) == 15
    listed = app.get(f"{API}/jobs", params={"kind": "projection", "active": "true", "limit": 1000}).json()["jobs"]
    assert {j["job_id"] for j in listed if j["payload"]["seed"] >= 100} == {first for first, _ in pairs}


def test_jobs_can_be_listed_by_every_kind_the_worker_runs(app: TestClient) -> None:
    """GET /jobs?kind= takes each kind of jobs.handlers.JOB_KINDS (projection and lens_fit too), and no other."""
    app.post(PROJECTIONS, json={"method": "pca", "n": 50, "seed": 1})
    for kind in JOB_KINDS:
        listed = app.get(f"{API}/jobs", params={"kind": kind})
        assert listed.status_code == 200, listed.text
        assert {j["kind"] for j in listed.json()["jobs"]} <= {kind}
    assert app.get(f"{API}/jobs", params={"kind": "projection"}).json()["jobs"]
    schema = app.get("/openapi.json").json()["paths"][f"{API}/jobs"]["get"]["parameters"]
    kind = next(p for p in schema if p["name"] == "kind")["schema"]["anyOf"][0]
    assert sorted(kind["enum"]) == sorted(JOB_KINDS)
