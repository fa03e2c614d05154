"""The evaluation layer: known answers through the model path, and a full report on dsprites."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import torch
from torch import Tensor, nn

from models import DataSpec, get_dataset
from models.base import LatentModel, LossOutput
from models.datasets.base import ArrayDataset, DatasetInfo, FactorGrid
from models.distributions import DiagonalGaussian
from models.evaluation import (
    EvalConfig,
    encode_dataset,
    factor_table,
    iw_log_likelihood_of,
    reconstruction,
    sample_indices,
    top_k_table,
)
from models.metrics import factor_vae_score
from models.report import _classifier_points, _factor_vae_inputs, build_report

A, S = 1.7, 0.6  # x | z ~ N(A z, S^2), z ~ N(0, 1): p(x) = N(0, A^2 + S^2), posterior exact


class LinearGaussian(LatentModel):
    """A 1-D model whose encoder is the exact posterior q(z|x) = p(z|x)."""

    family = "linear_gaussian_test"

    def __init__(self) -> None:
        super().__init__(type("C", (), {"latent_dim": 1})(), DataSpec((1,), 10, "gaussian"))
        self.anchor = nn.Parameter(torch.zeros(1))

    def encode(self, x: Tensor) -> DiagonalGaussian:
        mu = A * x / (A**2 + S**2)
        return DiagonalGaussian(mu, torch.full_like(mu, math.log(S**2 / (A**2 + S**2))))

    def decode(self, z: Tensor) -> Tensor:
        return A * z

    def log_likelihood(self, x: Tensor, z: Tensor) -> Tensor:
        return (-0.5 * math.log(2 * math.pi * S**2) - (x - A * z) ** 2 / (2 * S**2)).sum(1)

    def loss(self, x: Tensor) -> LossOutput:
        return LossOutput(self.anchor.sum())


def test_iw_log_likelihood_with_an_exact_posterior_is_analytic() -> None:
    x = torch.linspace(-3, 3, 13, dtype=torch.float64)[:, None]
    model = LinearGaussian().double()
    est = iw_log_likelihood_of(model, x, samples=100, generator=torch.Generator().manual_seed(0))
    var = A**2 + S**2
    exact = -0.5 * np.log(2 * np.pi * var) - x[:, 0].numpy() ** 2 / (2 * var)
    np.testing.assert_allclose(est, exact, atol=1e-9)


def _tiny_model(dataset: str, latent_dim: int = 3):
    from models import get_family

    data = get_dataset(dataset)
    spec = get_family("vae")
    cfg = spec.config({"latent_dim": latent_dim, "hidden": [32], "conv_channels": [8]})
    return spec.build(cfg, DataSpec.from_info(data.info, len(data)), seed=1).eval(), data


def test_top_k_table_ends_at_the_full_reconstruction_and_starts_at_the_prior_mean() -> None:
    model, data = _tiny_model("digits")
    idx = np.arange(40)
    mu, _ = encode_dataset(model, data, idx, batch_size=16)
    x = torch.from_numpy(data.items(idx))
    mi = np.array([0.2, 1.5, 0.7])
    rows = top_k_table(model, x, torch.as_tensor(mu, dtype=torch.float32), mi)
    assert [r["k"] for r in rows] == [0, 1, 2, 3]
    np.testing.assert_allclose([r["kept_mi"] for r in rows], [0, 1.5, 2.2, 2.4])
    assert math.isclose(rows[-1]["kept_fraction"], 1.0)
    assert math.isclose(rows[-1]["mse"], reconstruction(model, data, idx)["mse"], rel_tol=1e-5)
    with torch.inference_mode():
        prior_mse = float(((model.decode(torch.zeros(40, 3)) - x) ** 2).mean())
    assert math.isclose(rows[0]["mse"], prior_mse, rel_tol=1e-5)


def test_factor_table_orders_dims_by_mi() -> None:
    model, data = _tiny_model("bars")
    table = factor_table(model, data, n=300)
    mi = [d["mi_gaussian"] for d in table["dims"]]
    assert table["order"] == sorted(range(3), key=lambda j: -mi[j])
    assert all(d["mi_monte_carlo"] >= 0 and d["kl"] >= 0 and d["variance"] >= 0 for d in table["dims"])
    assert len(table["topk"]) == 4


class Blank(LatentModel):
    """Decodes every code to a blank 64x64 image: a reconstruction's MSE is then the items' mean ink."""

    family = "blank_test"

    def __init__(self) -> None:
        super().__init__(type("C", (), {"latent_dim": 2})(), DataSpec((1, 64, 64), 10, "bernoulli"))
        self.anchor = nn.Parameter(torch.zeros(1))

    def encode(self, x: Tensor) -> DiagonalGaussian:
        return DiagonalGaussian(x.flatten(1)[:, :2], torch.zeros(len(x), 2))

    def decode(self, z: Tensor) -> Tensor:
        return torch.zeros(len(z), 1, 64, 64)

    def log_likelihood(self, x: Tensor, z: Tensor) -> Tensor:
        return torch.zeros(len(x))

    def loss(self, x: Tensor) -> LossOutput:
        return LossOutput(self.anchor.sum())


def test_the_top_k_curve_is_measured_on_items_spanning_the_sample() -> None:
    data = get_dataset("dsprites")  # stored in factor order: its first items are the smallest squares
    table = factor_table(Blank(), data, n=2000, seed=0)
    idx = np.sort(np.random.default_rng(0).choice(len(data), size=2000, replace=False))
    ink = float(data.items(idx).mean())
    assert abs(table["topk"][0]["mse"] - ink) < 0.15 * ink, (table["topk"][0]["mse"], ink)


def test_grid_sampling_is_uniform_over_factors() -> None:
    data = get_dataset("dsprites")
    idx = sample_indices(data, 20_000, np.random.default_rng(0))
    shapes = np.bincount(data.factors(idx)[:, 0], minlength=3) / 20_000
    np.testing.assert_allclose(shapes, 1 / 3, atol=0.02)


TINY = EvalConfig(n_points=600, n_info=300, chen_items=400, n_classifier=400, dci_estimators=2,
                  factor_vae_votes=30, ll_items=16, ll_samples=100)


def test_reconstruction_and_likelihood_are_measured_on_the_held_out_items_only() -> None:
    model, data = _tiny_model("breast_cancer")
    cfg = replace(TINY, n_info=100, ll_items=16)
    held = np.array([3, 50, 400, 511])
    report = build_report(model, data, cfg, lambda f, m: None, held_out=held)
    assert report["reconstruction"] == {**reconstruction(model, data, held), "n_items": 4, "items": "held out"}
    assert report["log_likelihood"]["n_items"] == 4
    anywhere = build_report(model, data, cfg, lambda f, m: None)
    assert anywhere["reconstruction"]["items"] == "all" and anywhere["reconstruction"]["n_items"] == 16


def test_sap_and_dci_get_distinct_items_even_when_the_dataset_is_small() -> None:
    model, data = _tiny_model("breast_cancer")  # 569 distinct items, fewer than the 3,000 classifier points
    codes, factors = _classifier_points(model, data, EvalConfig(), np.random.default_rng(0))
    assert len(codes) == len(factors) == len(data) == len(np.unique(codes, axis=0))


class Identity(LatentModel):
    """Encodes an item as itself (mu = x, logvar = 0): on a grid whose items are their factors, latent i = factor i."""

    family = "identity_test"

    def __init__(self, dim: int) -> None:
        super().__init__(type("C", (), {"latent_dim": dim})(), DataSpec((dim,), 10, "gaussian"))
        self.anchor = nn.Parameter(torch.zeros(1))

    def encode(self, x: Tensor) -> DiagonalGaussian:
        return DiagonalGaussian(x, torch.zeros_like(x))

    def decode(self, z: Tensor) -> Tensor:
        return z

    def log_likelihood(self, x: Tensor, z: Tensor) -> Tensor:
        return torch.zeros(len(x))

    def loss(self, x: Tensor) -> LossOutput:
        return LossOutput(self.anchor.sum())


def _grid_dataset(sizes: tuple[int, ...] = (4, 5, 6)) -> ArrayDataset:
    """A full factor grid whose items are their own factor values (index = grid index)."""
    grid = FactorGrid(sizes)
    factors = grid.to_factors(np.arange(grid.size))
    info = DatasetInfo(name="grid_test", kind="grouped_vector", shape=(len(sizes),), n_items=grid.size,
                       likelihood="gaussian", description="test grid", factor_names=("a", "b", "c"),
                       factor_sizes=sizes)
    data = ArrayDataset(info, factors.astype(np.float32), factors)
    data.grid = grid
    return data


def test_factor_vae_votes_hold_their_factor_fixed() -> None:
    # Each FactorVAE vote batch must share one value of its fixed factor; then an identity code's
    # least-varying latent names that factor every time (1.0). Unfixed batches score chance (~0.33).
    data = _grid_dataset()
    inputs = _factor_vae_inputs(Identity(3), data, replace(TINY, factor_vae_votes=90), np.random.default_rng(0))
    assert factor_vae_score(*inputs, n_factors=3).value >= 0.95


def test_non_grid_samples_are_drawn_without_replacement() -> None:
    # Without a grid, n <= N items must be distinct (a repeat would double-count an item).
    data = get_dataset("breast_cancer")
    for n in (100, len(data)):
        idx = sample_indices(data, n, np.random.default_rng(0))
        assert len(idx) == n == len(np.unique(idx))
