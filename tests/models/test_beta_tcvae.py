"""beta-TCVAE's minibatch estimates of log q(z) against the exact aggregate posterior over all N items."""

from __future__ import annotations

import math

import pytest
import torch

from models.distributions import log_density_gaussian
from models.families.beta_tcvae.decomposition import log_qz_and_product, stratified_log_weights

CPU = torch.device("cpu")


def test_stratified_weights_put_one_over_n_on_the_diagonal() -> None:
    w = stratified_log_weights(5, 100, CPU).exp()  # M = 4
    assert torch.allclose(w.diagonal(), torch.full((5,), 1 / 100))
    assert torch.allclose(w.sum(1), torch.ones(5))
    assert torch.allclose(w[torch.arange(5), (torch.arange(5) + 1) % 5], torch.full((5,), 96 / 400))
    assert (w > 0).all() and (w.diagonal() < w[0, 2]).all()


@pytest.mark.parametrize("batch_size", [2, 64])
def test_stratified_weights_are_normalised_for_any_batch(batch_size: int) -> None:
    assert torch.allclose(stratified_log_weights(batch_size, 1000, CPU).exp().sum(1), torch.ones(batch_size))


def test_the_stratified_estimate_of_log_qz_is_unbiased_where_each_posterior_is_sharp() -> None:
    """Sharp posteriors (sd 0.05, means spread by 2): q(z_i) is mostly x_i's own term, weighted 1/N.
    Weighting it 1/M (the authors' stride bug) reads log(N / M) = 3.5 nats high."""
    gen = torch.Generator().manual_seed(0)
    n, k, b = 2000, 3, 64
    mu = 2.0 * torch.randn(n, k, generator=gen)
    logvar = torch.full((n, k), 2 * math.log(0.05))
    z_all = mu + 0.05 * torch.randn(n, k, generator=gen)
    errors = []
    for _ in range(100):
        idx = torch.randperm(n, generator=gen)[:b]
        exact = torch.logsumexp(log_density_gaussian(z_all[idx, None], mu[None], logvar[None]).sum(2), 1) - math.log(n)
        log_qz, _ = log_qz_and_product(z_all[idx], mu[idx], logvar[idx], n, "mss")
        errors.append((log_qz - exact).mean())
    assert abs(torch.stack(errors).mean().item()) < 0.2
