"""beta-TCVAE's minibatch estimates of log q(z) against the exact aggregate posterior over all N items."""

from __future__ import annotations

import math

import pytest
import torch

from models import DataSpec, get_family
from models.distributions import DiagonalGaussian, StandardNormal, log_density_gaussian
from models.families.beta_tcvae.decomposition import log_qz_and_product, mws_offsets, stratified_log_weights

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


def _latents(b: int = 8, k: int = 3) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    mu, logvar = torch.randn(b, k, generator=gen), 0.5 * torch.randn(b, k, generator=gen)
    return DiagonalGaussian(mu, logvar).rsample(gen), mu, logvar


def _regulariser(estimator: str, alpha: float, beta: float, gamma: float, z, mu, logvar):
    spec = get_family("beta_tcvae")
    config = spec.config({"latent_dim": 3, "hidden": [8], "estimator": estimator,
                          "alpha": alpha, "beta": beta, "gamma": gamma})
    return spec.build(config, DataSpec((4,), 1000, "gaussian")).regulariser(z, DiagonalGaussian(mu, logvar))


@pytest.mark.parametrize("estimator", ["mss", "mws"])
def test_the_three_terms_add_up_to_the_kl_sample_and_each_weight_picks_its_own(estimator: str) -> None:
    """Chen et al. 2018, Eq. 2 (SCIENCE.md section 3): per item, with log q(z) and sum_k log q(z_k) from the
    minibatch estimator, mi = log q(z|x) - log q(z), tc = log q(z) - sum_k log q(z_k),
    dim_kl = sum_k log q(z_k) - log p(z); so mi + tc + dim_kl = log q(z|x) - log p(z)."""
    z, mu, logvar = _latents()
    log_qz, log_prod = log_qz_and_product(z, mu, logvar, 1000, estimator)
    log_qz_x, log_pz = log_density_gaussian(z, mu, logvar).sum(1), StandardNormal(3).log_prob(z)
    total, terms = _regulariser(estimator, 1.0, 1.0, 1.0, z, mu, logvar)
    assert torch.allclose(total, log_qz_x - log_pz, atol=1e-4)
    assert (terms["mi"] + terms["tc"] + terms["dim_kl"]).item() == pytest.approx((log_qz_x - log_pz).mean().item(),
                                                                                   abs=1e-4)
    for weights, term in (((1.0, 0.0, 0.0), log_qz_x - log_qz), ((0.0, 1.0, 0.0), log_qz - log_prod),
                          ((0.0, 0.0, 1.0), log_prod - log_pz)):
        penalty, _ = _regulariser(estimator, *weights, z, mu, logvar)
        assert torch.allclose(penalty, term, atol=1e-4), weights


def test_mws_matches_the_authors_formula() -> None:
    """Chen et al. 2018, Eq. S5 / vae_quant.py: with mat[i, j, k] = log q(z_ik | x_j),
    log q(z_i) = logsumexp_j(sum_k mat[i, j, k]) - log(B N),
    sum_k log q(z_ik) = sum_k (logsumexp_j mat[i, j, k] - log(B N))."""
    z, mu, logvar = _latents()
    b, n = z.shape[0], 1000
    mat = log_density_gaussian(z[:, None, :], mu[None], logvar[None])  # (B, B, K)
    log_qz, log_prod = log_qz_and_product(z, mu, logvar, n, "mws")
    assert torch.allclose(log_qz, torch.logsumexp(mat.sum(2), 1) - math.log(b * n), atol=1e-5)
    assert torch.allclose(log_prod, (torch.logsumexp(mat, 1) - math.log(b * n)).sum(1), atol=1e-5)


def _grid_posteriors(per_axis: int = 10, k: int = 3, sd: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, K) means on a full per_axis^K grid and (N, K) log-variances: q(z) = (1/N) sum_n q(z|n) is then the
    product of K one-dim mixtures, a factorised aggregate posterior whose total correlation is exactly 0."""
    axis = torch.linspace(-1.5, 1.5, per_axis)
    mu = torch.cartesian_prod(*[axis] * k)
    return mu, torch.full_like(mu, 2 * math.log(sd))


def _exact_terms(z: torch.Tensor, mu_all: torch.Tensor, logvar_all: torch.Tensor, own: torch.Tensor) -> torch.Tensor:
    """(3,) batch means of mi, tc, dim_kl with log q(z) and log q(z_j) summed over all N items."""
    mat = log_density_gaussian(z[:, None], mu_all[None], logvar_all[None])  # (B, N, K)
    log_n = math.log(len(mu_all))
    log_qz, log_prod = torch.logsumexp(mat.sum(2), 1) - log_n, (torch.logsumexp(mat, 1) - log_n).sum(1)
    log_qz_x = log_density_gaussian(z, mu_all[own], logvar_all[own]).sum(1)
    log_pz = StandardNormal(z.shape[1]).log_prob(z)
    return torch.stack([(log_qz_x - log_qz).mean(), (log_qz - log_prod).mean(), (log_prod - log_pz).mean()])


def batch_means(estimator: str, batches: int = 20, size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """((3,) logged mi, tc, dim_kl, (3,) exact ones) on the factorised grid (N = 1000, K = 3), each averaged over
    ``batches`` random batches of ``size`` (bench/beta_tcvae_logged_terms.py prints them for docs/results.md)."""
    mu_all, logvar_all = _grid_posteriors()
    n, k = mu_all.shape
    spec = get_family("beta_tcvae")
    model = spec.build(spec.config({"latent_dim": k, "hidden": [8], "estimator": estimator}),
                       DataSpec((4,), n, "gaussian"))
    gen = torch.Generator().manual_seed(0)
    logged, exact = [], []
    for _ in range(batches):
        idx = torch.randperm(n, generator=gen)[:size]
        posterior = DiagonalGaussian(mu_all[idx], logvar_all[idx])
        z = posterior.rsample(gen)
        _, terms = model.regulariser(z, posterior)
        logged.append(torch.stack([terms["mi"], terms["tc"], terms["dim_kl"]]))
        exact.append(_exact_terms(z, mu_all, logvar_all, idx))
    return torch.stack(logged).mean(0), torch.stack(exact).mean(0)


@pytest.mark.parametrize("estimator", ["mss", "mws"])
def test_logged_terms_are_the_estimates_so_a_factorised_aggregate_posterior_logs_tc_near_zero(estimator: str) -> None:
    """On a factorised q(z) (N = 1000, K = 3), the logged tc averages ~0, not the (K - 1) log N = 13.8 nats the
    authors' minibatch-weighted values read; mi and dim_kl match the exact full-data decomposition."""
    logged_mean, exact_mean = batch_means(estimator)
    assert abs(exact_mean[1].item()) < 0.01  # the known answer: no total correlation
    assert abs(logged_mean[1].item()) < 0.05, (logged_mean, 2 * math.log(1000))
    torch.testing.assert_close(logged_mean, exact_mean, atol=0.1, rtol=0)


def test_mws_loss_keeps_the_authors_value_while_its_logged_terms_add_the_offsets() -> None:
    """The loss is alpha mi + beta tc + gamma dim_kl over the authors' values (as published and as before); the logged
    terms differ from those by log N, (K - 1) log N and -K log N."""
    z, mu, logvar = _latents()
    n, k = 1000, 3
    log_qz, log_prod = log_qz_and_product(z, mu, logvar, n, "mws")
    log_qz_x, log_pz = log_density_gaussian(z, mu, logvar).sum(1), StandardNormal(k).log_prob(z)
    penalty, terms = _regulariser("mws", 1.0, 6.0, 1.0, z, mu, logvar)
    mi, tc, dim_kl = log_qz_x - log_qz, log_qz - log_prod, log_prod - log_pz
    torch.testing.assert_close(penalty, mi + 6.0 * tc + dim_kl)
    assert mws_offsets(k, n) == pytest.approx((math.log(n), k * math.log(n)))
    assert terms["mi"].item() == pytest.approx(mi.mean().item() - math.log(n), abs=1e-4)
    assert terms["tc"].item() == pytest.approx(tc.mean().item() - (k - 1) * math.log(n), abs=1e-4)
    assert terms["dim_kl"].item() == pytest.approx(dim_kl.mean().item() + k * math.log(n), abs=1e-4)
