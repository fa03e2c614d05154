"""METRICS: every metric registered once, each returning a variant-labelled, JSON-ready MetricResult."""

import json

import numpy as np
import pytest

from models.metrics import METRICS, MetricResult, register_metric


def small_inputs(name: str) -> tuple[tuple[object, ...], dict[str, object]]:
    """Minimal valid arguments for each metric: 4 latents that copy 3 factors (plus one noise latent)."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=(300, 3))
    codes = np.hstack([y, rng.standard_normal((300, 1))]).astype(float)
    if name == "mig_chen":
        return (codes, np.full(codes.shape, -4.0), y, [3, 3, 3]), {"n_samples": 100}
    if name == "factor_vae":
        votes = np.broadcast_to(codes[:20, None, :], (20, 4, 4)) + rng.standard_normal((20, 4, 4))
        return (codes, votes, np.arange(20) % 3), {}
    if name == "dci":
        return (codes, y), {"n_estimators": 5}
    return (codes, y), {}


def test_registry_lists_every_metric() -> None:
    assert set(METRICS) == {"mig_dlib", "mig_chen", "sap", "dci", "factor_vae", "modularity"}


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_returns_a_labelled_json_ready_result(name: str) -> None:
    args, kwargs = small_inputs(name)
    result = METRICS[name](*args, **kwargs)
    assert isinstance(result, MetricResult)
    assert result.variant.startswith(name.split("_")[0]) and np.isfinite(result.value)
    payload = json.loads(json.dumps(result.as_dict()))
    assert payload["variant"] == result.variant and payload["value"] == pytest.approx(result.value)


def test_a_name_registers_once() -> None:
    with pytest.raises(ValueError, match="metric 'sap' is already registered"):
        register_metric("sap")(lambda: None)
