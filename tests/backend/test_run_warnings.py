"""A collapsed model is said so on the run (issue 18): ``warnings`` in the run detail (from metrics.json) and in
the factors answer, both from ``models.collapse``."""

from __future__ import annotations

from typing import Any

from conftest import RUN
from fastapi.testclient import TestClient

from backend.services.catalog import run_warnings

API = "/api/v1"


def _factors(kl: float, mi: float) -> dict[str, Any]:
    """A factor table of two dims sharing ``kl`` and with total MI ``mi`` (what ``models.factor_table`` gives)."""
    dims = [{"dim": j, "mi_gaussian": mi / 2, "mi_monte_carlo": mi / 2, "kl": kl / 2, "variance": 0.0} for j in (0, 1)]
    return {"n_items": 500, "seed": 0, "dims": dims, "order": [0, 1], "total_mi_gaussian": mi, "topk": []}


def test_the_report_decides_when_there_is_one() -> None:
    collapsed = {"training": {"train_terms": {"kl": 9.0}}, "report": {"factors": _factors(0.004, 0.001)}}
    [warning] = run_warnings(collapsed)
    assert "total KL 0.004 nats and total MI 0.001 nats (500 items)" in warning
    assert run_warnings({"training": {"train_terms": {"kl": 0.0}}, "report": {"factors": _factors(6.0, 5.0)}}) == []


def test_without_a_report_training_s_last_kl_decides() -> None:
    [warning] = run_warnings({"training": {"train_terms": {"kl": 0.02, "recon": 40.0}}})
    assert "total KL 0.020 nats (training's last logged batch)" in warning
    assert run_warnings({"training": {"train_terms": {"kl": 3.1}}}) == []
    assert run_warnings({"training": {"train_terms": {"tc": 0.0}}}) == []  # a family that logs no "kl": unknown
    assert run_warnings(None) == [] and run_warnings({}) == []


def test_a_trained_run_carries_no_warning(client: TestClient) -> None:
    detail = client.get(f"{API}/runs/{RUN}").json()
    factors = client.get(f"{API}/runs/{RUN}/factors", params={"n": 200}).json()
    assert detail["warnings"] == [] and factors["warnings"] == []
    assert sum(d["kl"] for d in factors["dims"]) > 0.1  # what makes it so: the run's dims carry information
