"""Issue 20 item 3 on the demo's own runs (the home ``factorscope prepare`` makes, shared with the schemathesis
tests): the dashboard's default traversal, around the run's typical item with a span of 2.5 in prior units
(frontend/state.py's defaults), visibly changes the image along every informative dim and leaves it as it is along a
dim the model does not use. Informative: the posterior means vary (variance over 500 items above 0.01, the
reports' active-dim rule). Measured on 3 Dec 2026: informative dims moved the image by 0.067-0.97 (mean |last -
first| per pixel, outputs in [0, 1] or standardised), unused ones by at most 0.013."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from backend.config import Settings
from backend.demo_runs import DEMO_RUNS
from backend.main import create_app

pytestmark = pytest.mark.slow
SPAN, STEPS, SAMPLE = 2.5, 9, 500  # the dashboard's default span (prior units) and steps; items for the variances
ACTIVE_VAR = 0.01  # the reports' active-dim rule: the variance of a dim's posterior mean over the sample
VISIBLE, STILL = 0.05, 0.02  # mean |last - first| per output value: a change the eye sees, and one it does not


@pytest.fixture(scope="module")
def http(demo_home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(home=demo_home)), base_url="http://localhost") as client:
        yield client


def mean_variances(http: TestClient, run: str, k: int) -> np.ndarray:
    """(K,) the variance of each dim's posterior mean over the run's default sample of SAMPLE items."""
    var = np.zeros(k)
    for first in range(0, k, 2):
        pair = (first, first + 1) if first + 1 < k else (first - 1, first)
        body = http.get(f"/api/v1/runs/{run}/embedding",
                        params={"method": "dims", "dim_x": pair[0], "dim_y": pair[1], "n": SAMPLE}).json()
        var[list(pair)] = np.var(body["x"]), np.var(body["y"])
    return var


def end_to_end_change(http: TestClient, run: str) -> np.ndarray:
    """(K,) per dim, the mean |last - first| of the default traversal's outputs."""
    typical = http.get(f"/api/v1/runs/{run}/typical-item").json()["index"]
    body = http.get(f"/api/v1/runs/{run}/traversal", params={"base": f"item:{typical}", "span": SPAN,
                                                              "span_mode": "prior", "steps": STEPS}).json()
    out = np.asarray(body["outputs"], dtype=float)  # (K, steps, *output shape)
    return np.abs(out[:, -1] - out[:, 0]).reshape(len(out), -1).mean(1)


@pytest.mark.parametrize("run", [demo.run_id for demo in DEMO_RUNS])
def test_the_default_traversal_moves_every_informative_dim_of_every_demo_run(http: TestClient, run: str) -> None:
    k = http.get(f"/api/v1/runs/{run}").json()["latent_dim"]
    informative = mean_variances(http, run, k) > ACTIVE_VAR
    change = end_to_end_change(http, run)
    assert informative.sum() >= 3, f"{run}: a demo model with {informative.sum()} informative dims has not learned"
    assert (change[informative] > VISIBLE).all(), (run, change.round(3), informative)
    assert (change[~informative] < STILL).all(), (run, change.round(3), informative)
