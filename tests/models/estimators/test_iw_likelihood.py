"""Importance-weighted log p(x) is exact when the proposal is the true posterior (SCIENCE.md section 8)."""

import math

import numpy as np
import pytest
from scipy.stats import norm

from models.estimators import iw_log_likelihood


@pytest.mark.parametrize("n_samples", [1, 7, 200])
def test_exact_posterior_proposal_gives_analytic_log_likelihood(n_samples: int) -> None:
    # z ~ N(0, 1), x | z ~ N(a z, s^2): p(x) = N(0, a^2 + s^2); q(z | x) = the exact Gaussian posterior.
    a, s = 1.7, 0.6
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, math.sqrt(a**2 + s**2), size=50)  # (N,)
    post_var = 1.0 / (1.0 + a**2 / s**2)
    post_mean = post_var * a * x / s**2
    z = post_mean + math.sqrt(post_var) * rng.standard_normal((n_samples, x.size))  # (S, N)
    log_px_z = norm.logpdf(x, loc=a * z, scale=s)
    log_pz = norm.logpdf(z)
    log_qz_x = norm.logpdf(z, loc=post_mean, scale=math.sqrt(post_var))
    expected = norm.logpdf(x, scale=math.sqrt(a**2 + s**2))
    np.testing.assert_allclose(iw_log_likelihood(log_px_z, log_pz, log_qz_x), expected, atol=1e-9, rtol=0)


def test_constant_weights_average_in_probability_space() -> None:
    log_w = np.log(np.array([[1.0], [3.0]]))  # two samples, weights 1 and 3 -> p(x) = 2
    out = iw_log_likelihood(log_w, np.zeros((2, 1)), np.zeros((2, 1)))
    np.testing.assert_allclose(out, [math.log(2.0)])


def test_shape_mismatch_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"log_px_z and log_qz_x: expected equal shapes"):
        iw_log_likelihood(np.zeros((3, 2)), np.zeros((3, 2)), np.zeros((3, 4)))
