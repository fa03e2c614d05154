"""Per-dimension I(X; Z_j): the linear-Gaussian oracle of SCIENCE.md section 1, for both estimators."""

import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp

from models.estimators import aggregate_posterior_entropy, factor_mutual_information, monte_carlo_factor_mi

# Rows a_j of A and encoder std sigma_j; true I_j = 0.5 * log((|a_j|^2 + sigma_j^2) / sigma_j^2) ~ 1.9-2.1 nats.
A = np.array([[1.5, 0.5, 0, 0, 0, 0], [0, 2.0, 1.0, 0, 0, 0], [0, 0, 0, 1.0, 0.8, 0.3]])
SIGMA = np.array([0.2, 0.3, 0.2])
TRUE_MI = 0.5 * np.log((np.sum(A**2, axis=1) + SIGMA**2) / SIGMA**2)


def linear_gaussian_encoder(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x ~ N(0, I_6); mu = A x (n, 3); logvar = log sigma^2 for every x."""
    x = np.random.default_rng(seed).standard_normal((n, A.shape[1]))
    return x @ A.T, np.tile(np.log(SIGMA**2), (n, 1))


def test_gaussian_closed_form_matches_linear_gaussian_oracle() -> None:
    mu, logvar = linear_gaussian_encoder(20_000, seed=0)
    np.testing.assert_allclose(factor_mutual_information(mu, logvar, "gaussian"), TRUE_MI, rtol=0.02)


def test_monte_carlo_matches_linear_gaussian_oracle() -> None:
    # MC standard error ~ 0.71 / sqrt(n_samples) nats = 0.0071, i.e. 2% of ~2 nats is > 5 standard errors.
    mu, logvar = linear_gaussian_encoder(20_000, seed=1)
    estimate = factor_mutual_information(mu, logvar, "monte_carlo", n_samples=10_000, rng=1)
    np.testing.assert_allclose(estimate, TRUE_MI, rtol=0.02)


def test_monte_carlo_is_reproducible_for_a_seed_and_accepts_torch() -> None:
    mu, logvar = linear_gaussian_encoder(2_000, seed=2)
    first = monte_carlo_factor_mi(torch.from_numpy(mu), torch.from_numpy(logvar), n_samples=500, rng=7)
    second = monte_carlo_factor_mi(mu, logvar, n_samples=500, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(first, second)
    assert first.dtype == np.float64 and first.shape == (3,)


def test_monte_carlo_is_clamped_to_zero_and_log_n() -> None:
    n = 500
    constant = monte_carlo_factor_mi(np.zeros((n, 2)), np.zeros((n, 2)), rng=0)  # z independent of x
    assert np.all(constant >= 0.0) and np.all(constant < 0.05)
    # Isolated, near-deterministic codes: the raw estimate is log N + MC noise; seed 2 draws noise > 0.
    spread = np.tile(np.arange(n, dtype=float)[:, None], (1, 2)) * 100.0
    np.testing.assert_array_equal(monte_carlo_factor_mi(spread, np.full((n, 2), -10.0), rng=2), math.log(n))
    assert np.all(monte_carlo_factor_mi(spread, np.full((n, 2), -10.0), rng=0) <= math.log(n))


def test_tiled_entropy_equals_naive_full_matrix() -> None:
    rng = np.random.default_rng(3)
    z, mu = rng.standard_normal((300, 3)), rng.standard_normal((2_500, 3))  # > 1 component chunk
    logvar = rng.uniform(-2.0, 0.5, size=(2_500, 3))
    log_q = -0.5 * (np.log(2 * np.pi) + logvar + (z[:, None, :] - mu[None]) ** 2 / np.exp(logvar))  # (S, N, K)
    naive = np.mean(math.log(2_500) - logsumexp(log_q, axis=1), axis=0)
    for tile in (7, 4_096, 1 << 22):  # one sample per block, several, all at once
        np.testing.assert_allclose(aggregate_posterior_entropy(z, mu, logvar, tile_elements=tile), naive, rtol=1e-12)
    torch_tiles = aggregate_posterior_entropy(z, mu, logvar, tile_elements=1 << 16, device="cpu")  # GPU code path
    np.testing.assert_allclose(torch_tiles, naive, rtol=1e-10)  # torch sums in another order (1.2e-11 seen)


def test_bad_inputs_say_what_was_expected() -> None:
    with pytest.raises(ValueError, match="method: expected one of"):
        factor_mutual_information(np.zeros((4, 2)), np.zeros((4, 2)), "kde")
    with pytest.raises(ValueError, match=r"mu and logvar: expected equal shapes, got \(4, 2\) and \(4, 3\)"):
        factor_mutual_information(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="mu: expected a 2-D array"):
        factor_mutual_information(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="logvar: expected finite values"):
        factor_mutual_information(np.zeros((4, 2)), np.full((4, 2), np.nan))
