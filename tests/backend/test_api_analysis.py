"""Factors (per-dim MI, KL, variance, order, top-k), embedding (pca / mi) and the metrics report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from app_client import AppClient as TestClient

from backend.config import Settings
from backend.main import create_app
from backend.runs import load_run
from models.datasets import get_dataset
from models.distributions import kl_to_standard_normal
from models.estimators import factor_mutual_information
from models.evaluation import encode_dataset

API = "/api/v1"
RUN = "tiny"
K = 4


def test_factors_per_dim_sorted_with_topk(client: TestClient, trained_home: Path) -> None:
    body = client.get(f"{API}/runs/{RUN}/factors?n=300&seed=1").json()
    assert body["run_id"] == RUN and body["n_items"] == 300 and body["seed"] == 1
    dims = body["dims"]
    assert [d["dim"] for d in dims] == list(range(K))
    mi = np.array([d["mi_gaussian"] for d in dims])
    assert body["order"] == np.argsort(-mi).tolist() and all(d["mi_monte_carlo"] >= 0 for d in dims)
    assert [row["k"] for row in body["topk"]] == list(range(K + 1))
    assert body["topk"][-1]["kept_fraction"] == pytest.approx(1.0)
    # the same numbers as the estimators on the same items
    model, _ = load_run(trained_home, RUN)
    data = get_dataset("digits")
    idx = np.sort(np.random.default_rng(1).choice(len(data), size=300, replace=False))
    mu, logvar = encode_dataset(model, data, idx)
    assert mi == pytest.approx(factor_mutual_information(mu, logvar, "gaussian"), rel=1e-4, abs=1e-6)
    kl = kl_to_standard_normal(torch.from_numpy(mu), torch.from_numpy(logvar)).mean(0).numpy()  # its prior: N(0, I)
    assert [d["kl"] for d in dims] == pytest.approx(kl, rel=1e-4, abs=1e-6)
    batches = client.app.state.executor.batches
    assert client.get(f"{API}/runs/{RUN}/factors?n=300&seed=1").json() == body  # identical,
    assert client.app.state.executor.batches == batches  # and cached: the model did not run again


@pytest.mark.parametrize("method", ["pca", "mi"])
def test_embedding_coordinates_with_factors_and_attributes(client: TestClient, method: str) -> None:
    body = client.get(f"{API}/runs/{RUN}/embedding?method={method}&n=120&seed=3").json()
    n = len(body["index"])
    assert n == 120 and body["method"] == method and len(body["x"]) == len(body["y"]) == n
    assert body["index"] == sorted(set(body["index"]))
    data = get_dataset("digits")
    assert body["factors"]["label"] == data.factors(np.array(body["index"]))[:, 0].tolist()
    assert body["attributes"]["thickness"] == pytest.approx(data.attributes(np.array(body["index"]))[:, 1].tolist())
    if method == "pca":
        assert body["axes"] == ["PC1", "PC2"] and body["explained_variance"][0] >= body["explained_variance"][1]
        assert abs(np.mean(body["x"])) < 1e-6  # centred
        assert np.var(body["x"]) >= np.var(body["y"])
    else:
        assert len(body["axes"]) == 2 and all(a.startswith("z") for a in body["axes"])
        assert body["explained_variance"] is None
    assert client.get(f"{API}/runs/{RUN}/embedding?method={method}&n=120&seed=3").json() == body


def test_n_may_be_max_embedding_n_itself(client: TestClient) -> None:
    body = client.get(f"{API}/runs/{RUN}/embedding?n=5000").json()
    assert len(body["index"]) == len(get_dataset("digits"))  # 5000 asked, every one of the 1,797 items given


@pytest.mark.parametrize(("url", "words"), [
    ("embedding?n=5001", ["max_embedding_n = 5000"]),
    ("embedding?n=1", ["greater than or equal to 2"]),
    ("embedding?method=tsne", ["'pca', 'mi' or 'dims'"]),
    ("embedding?seed=-1", ["greater than or equal to 0"]),
    ("factors?n=6000", ["max_embedding_n"]),
    ("factors?n=many", ["valid integer"]),
])
def test_analysis_limits_and_bad_input(client: TestClient, problem: Callable[..., Any], url: str,
                                       words: list[str]) -> None:
    problem(client.get(f"{API}/runs/{RUN}/{url}"), 422, *words)


def test_metrics_report_and_evaluate_job(fresh_home: Path, settings_for: Callable[..., Settings],
                                         problem: Callable[..., Any]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        body = c.get(f"{API}/runs/{RUN}/metrics").json()
        assert body["run_id"] == RUN and body["metrics"]["training"]["steps"] == 100
        r = c.post(f"{API}/runs/{RUN}/metrics")
        assert r.status_code == 202 and r.headers["location"] == r.json()["job_url"]
        job = c.get(r.json()["job_url"]).json()
        assert job["kind"] == "evaluate" and job["state"] == "queued"
        assert job["payload"] == {"run_id": RUN, "full": False, "seed": 0}
        assert c.post(f"{API}/runs/{RUN}/metrics").json()["job_id"] == job["job_id"]  # queued already: that job
        c.delete(job["job_url"])
        again = c.post(f"{API}/runs/{RUN}/metrics", json={"full": True, "seed": 7}).json()  # cancelled: a new one
        assert again["job_id"] != job["job_id"]
        assert c.get(again["job_url"]).json()["payload"] == {"run_id": RUN, "full": True, "seed": 7}
        problem(c.post(f"{API}/runs/{RUN}/metrics", json={"fulll": True}), 422, "body.fulll", "Extra inputs")
        problem(c.post(f"{API}/runs/{RUN}/metrics?v=0123456789ab"), 409, "expected v=")
        problem(c.post(f"{API}/runs/nope/metrics"), 404, "no run")
        (fresh_home / "runs" / RUN / "metrics.json").unlink()
        problem(c.get(f"{API}/runs/{RUN}/metrics"), 404, "no metrics.json yet", "POST")
