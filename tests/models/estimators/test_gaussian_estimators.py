"""mean_variance and the closed-form Gaussian MI on cases with known answers."""

import math

import numpy as np

from models.estimators import gaussian_factor_mi, mean_variance


def test_mean_variance_is_population_variance_of_the_means() -> None:
    mu = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]])
    np.testing.assert_allclose(mean_variance(mu), [8.0 / 3.0, 0.0])


def test_gaussian_mi_is_zero_when_codes_ignore_x() -> None:
    logvar = np.full((10, 2), math.log(0.3))
    np.testing.assert_allclose(gaussian_factor_mi(np.zeros((10, 2)), logvar), 0.0, atol=1e-12)


def test_gaussian_mi_averages_log_variances_not_variances() -> None:
    """SCIENCE.md section 1: 0.5 * (log s^2 - E_x[log sigma^2]), with s^2 = E_x[mu^2 + sigma^2]; the posterior
    variance that changes with x (0.1 for half the items, 1.0 for the rest) carries information about x."""
    logvar = np.log(np.repeat([[0.1], [1.0]], 50, axis=0))  # (100, 1)
    expected = 0.5 * (math.log(0.55) - 0.5 * math.log(0.1))  # 0.276 nats; log E[sigma^2] would give 0
    np.testing.assert_allclose(gaussian_factor_mi(np.zeros((100, 1)), logvar), [expected], rtol=1e-12)
