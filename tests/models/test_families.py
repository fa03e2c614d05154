"""ONE contract, parametrized over the family registry: a new family is tested automatically."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from models import DataSpec, get_family
from models.checkpoint import load_model, save_model
from models.datasets import Group
from models.registry import families

DATA = {
    "mlp-8x8-bernoulli": DataSpec((1, 8, 8), 500, "bernoulli"),
    "conv-28-bernoulli": DataSpec((1, 28, 28), 500, "bernoulli"),
    "conv-64-bernoulli": DataSpec((1, 64, 64), 500, "bernoulli"),
    "grouped-30-gaussian": DataSpec((30,), 500, "gaussian", tuple(Group(f"g{i}", 3 * i, 3 * i + 3) for i in range(10))),
}
CASES = [(f, d) for f in families() for d in DATA]


def _model(family: str, data: str):
    spec = get_family(family)
    return spec.build(spec.config({"latent_dim": 4, "hidden": [32]}), DATA[data])


def _batch(data: DataSpec, n: int = 6) -> torch.Tensor:
    x = torch.rand(n, *data.shape)
    return x.round() if data.likelihood == "bernoulli" else x


@pytest.mark.parametrize(("family", "data"), CASES)
def test_shapes_loss_and_backward(family: str, data: str) -> None:
    model, spec = _model(family, data), DATA[data]
    x = _batch(spec)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (6, 4)
    assert model.decode(mu).shape == x.shape
    assert model.log_likelihood(x, mu).shape == (6,)
    out = model.loss(x)
    assert out.total.ndim == 0 and torch.isfinite(out.total)
    out.total.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
    assert model.family == family


@pytest.mark.parametrize(("family", "data"), CASES)
def test_save_load_round_trip_is_bit_identical(family: str, data: str, tmp_path: Path) -> None:
    model = _model(family, data).eval()
    z = torch.randn(5, 4)
    x = _batch(DATA[data], 5)
    save_model(model, tmp_path)
    loaded, header = load_model(tmp_path)
    assert header["family"] == family
    with torch.inference_mode():
        assert torch.equal(model.decode(z), loaded.decode(z))
        for a, b in zip(model.encode(x), loaded.encode(x), strict=True):
            assert torch.equal(a, b)


@pytest.mark.parametrize("family", list(families()))
def test_family_declares_config_and_capabilities(family: str) -> None:
    spec = get_family(family)
    defaults = spec.defaults()
    assert set(defaults) == {f.name for f in dataclasses.fields(spec.config_cls)}  # every field, with its default
    assert spec.config(defaults) == spec.config_cls()
    assert "traversal" in spec.capabilities
    assert spec.summary
