"""Health, readiness, families, datasets, and the error contract (404 routes, 405, 500 without leaks)."""

from __future__ import annotations

import io
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from backend.config import Settings
from backend.db import make_engine
from backend.jobs import run_worker
from backend.main import create_app
from models.datasets import get_dataset
from models.registry import families

API = "/api/v1"
RUN = "tiny"


def test_health_and_ready(client: TestClient) -> None:
    assert client.get(f"{API}/health").json()["status"] == "ok"
    ready = client.get(f"{API}/ready").json()
    assert ready == {"status": "ready", "checks": {"runs": True, "inference": True, "jobs": True}, "workers": 0}


def test_ready_counts_the_running_workers(tmp_path: Path, settings_for: Callable[..., Settings]) -> None:
    settings = settings_for(tmp_path, worker_poll_s=0.05)
    with TestClient(create_app(settings)) as c:
        assert c.get(f"{API}/ready").json()["workers"] == 0  # queued jobs would wait: the dashboard says so
        stop = threading.Event()
        worker = threading.Thread(target=run_worker, args=(settings, stop))
        worker.start()
        try:
            deadline = time.monotonic() + 60
            while c.get(f"{API}/ready").json()["workers"] != settings.worker_slots:  # each slot is a worker
                assert time.monotonic() < deadline, "the worker's slots never showed up"
                time.sleep(0.02)
        finally:
            stop.set()
            worker.join()
        assert c.get(f"{API}/ready").json()["workers"] == 0  # it signed off


def test_not_ready_names_what_fails(tmp_path: Path, settings_for: Callable[..., Settings],
                                   problem: Callable[..., Any]) -> None:
    with TestClient(create_app(settings_for(tmp_path))) as c:
        assert c.get(f"{API}/ready").status_code == 200
        (tmp_path / "runs").rmdir()  # the artifact store went away (an unmounted volume, say)
        problem(c.get(f"{API}/ready"), 503, "not ready: runs failing")
        (tmp_path / "runs").mkdir()
        jobs = c.app.state.jobs
        jobs.engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")  # no server
        problem(c.get(f"{API}/ready"), 503, "not ready: jobs failing")
        assert c.get(f"{API}/health").status_code == 200  # alive, just not ready


def test_families_list_every_registered_family_with_schema_and_defaults(client: TestClient) -> None:
    listed = {f["name"]: f for f in client.get(f"{API}/families").json()["families"]}
    assert set(listed) == set(families())
    vae = listed["vae"]
    assert vae["config_schema"]["properties"]["latent_dim"]["type"] == "integer"
    assert vae["defaults"]["latent_dim"] == 10 and "traversal" in vae["capabilities"]
    for name, family in listed.items():  # the dashboard's form shows each field's meaning beside it
        undescribed = [k for k, v in family["config_schema"]["properties"].items() if not v.get("description")]
        assert undescribed == [], (name, undescribed)
    assert "group-lasso" in listed["oi_vae"]["config_schema"]["properties"]["lam"]["description"]


def test_datasets_list_and_item_png(client: TestClient) -> None:
    datasets = {d["name"]: d for d in client.get(f"{API}/datasets").json()["datasets"]}
    assert datasets["digits"]["shape"] == [1, 8, 8] and datasets["digits"]["n_items"] == 1797
    assert datasets["breast_cancer"]["groups"][0] == {"name": "radius", "start": 0, "stop": 3}
    r = client.get(datasets["digits"]["item_url"].format(index=3))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(r.content)).size == (36, 36)  # 8 px x 4 + 2 x 2 gap
    strip = client.get(f"{API}/datasets/breast_cancer/items/0.png")
    assert strip.status_code == 200 and strip.content.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(strip.content)).size == (30 * 4 + 9 + 4, 12 + 4)  # 10 groups: 9 lines
    again = client.get(f"{API}/datasets/digits/items/3.png", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_dataset_errors_are_problems(client: TestClient, problem: Callable[..., Any]) -> None:
    problem(client.get(f"{API}/datasets/nope/items/0.png"), 404, "unknown dataset 'nope'", "expected")
    problem(client.get(f"{API}/datasets/digits/items/1797.png"), 404, "no item 1797")
    problem(client.get(f"{API}/datasets/digits/items/-1.png"), 422, "greater than or equal to 0")
    problem(client.get(f"{API}/datasets/digits/items/abc.png"), 422, "integer")


def test_a_dataset_whose_extra_is_missing_is_listed_as_unavailable_and_refused_with_409(
        client: TestClient, problem: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    get_dataset.cache_clear()
    monkeypatch.setitem(sys.modules, "pybullet_data", None)  # as if the `mocap` extra were not installed
    try:
        body = client.get(f"{API}/datasets").json()
        assert "humanoid_mocap" not in {d["name"] for d in body["datasets"]}
        (missing,) = [u for u in body["unavailable"] if u["name"] == "humanoid_mocap"]
        assert "factorscope[mocap]" in missing["reason"]
        problem(client.get(f"{API}/datasets/humanoid_mocap/items/0.png"), 409, "factorscope[mocap]")
    finally:
        get_dataset.cache_clear()


def test_unknown_route_and_wrong_method_are_problems(client: TestClient, problem: Callable[..., Any]) -> None:
    problem(client.get(f"{API}/nowhere"), 404, "no route /api/v1/nowhere")
    for method, path, allowed in (("PUT", "/runs", "GET, HEAD, POST"), ("PATCH", f"/runs/{RUN}", "DELETE, GET, HEAD"),
                                  ("POST", "/health", "GET, HEAD"), ("PUT", f"/runs/{RUN}/metrics", "GET, HEAD, POST")):
        response = client.request(method, f"{API}{path}")
        r = problem(response, 405, f"method {method} is not allowed here; expected one of: {allowed}")
        assert r["type"] == "about:blank" and response.headers["allow"] == allowed


def test_head_is_get_without_the_body(client: TestClient) -> None:
    for path in ("/health", f"/runs/{RUN}/traversal.png?dims=0&steps=3"):
        got, head = client.get(f"{API}{path}"), client.head(f"{API}{path}")
        assert head.status_code == got.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == got.headers["content-length"] == str(len(got.content))
        assert head.headers.get("etag") == got.headers.get("etag")


def test_unexpected_errors_answer_500_without_details(trained_home: Path, settings_for: Callable[..., Settings],
                                                      problem: Callable[..., Any]) -> None:
    app = create_app(settings_for(trained_home))

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internal state /etc/passwd")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/boom")
    body = problem(r, 500, "unexpected error")
    assert "secret" not in r.text and "RuntimeError" not in r.text and body["type"].endswith("internal")


def test_openapi_documents_problem_responses(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert "Problem" in doc["components"]["schemas"]
    op = doc["paths"]["/api/v1/runs/{run_id}/traversal.png"]["get"]
    assert "image/png" in op["responses"]["200"]["content"] and "304" in op["responses"]
    for code in ("404", "409", "422", "500", "503"):
        assert "application/problem+json" in op["responses"][code]["content"], code
    assert "HTTPValidationError" not in doc["components"]["schemas"]
