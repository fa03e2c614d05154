"""BALD and max entropy for a continuous attribute: a moment-matched Gaussian APPROXIMATION.

means, variances (M, N): the Gaussian p(s | z*^(m)) = N(means[m, n], variances[m, n]) for M samples of
z* per candidate. The predictive (1/M) sum_m N(mean_m, var_m) is a mixture with no closed-form entropy;
it is replaced by the Gaussian of the same variance, total = mean_m var_m + var_m mean_m (law of total
variance). The Gaussian has the largest entropy for a given variance, so the BALD below is an upper
bound on the mixture's exact mutual information, equal to it when M = 1 and tight when the means and
variances agree. The expected conditional entropy term is exact.
"""

from __future__ import annotations

import math

import numpy as np

from ..estimators.arrays import ArrayLike
from .inputs import as_gaussian_moments


def total_variance(means: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """Variance of the predictive mixture: mean_m var_m + var_m(mean_m), (N,)."""
    return variances.mean(axis=0) + means.var(axis=0)


def gaussian_max_entropy(means: ArrayLike, variances: ArrayLike) -> np.ndarray:
    """Approximate H[predictive] = 0.5 log(2 pi e total variance), (N,) in nats (moment-matched Gaussian)."""
    mean_arr, var_arr = as_gaussian_moments(means, variances)
    return 0.5 * np.log(2.0 * math.pi * math.e * total_variance(mean_arr, var_arr))


def gaussian_bald(means: ArrayLike, variances: ArrayLike) -> np.ndarray:
    """Approximate BALD = 0.5 log(total variance) - (1/M) sum_m 0.5 log(var_m), (N,) in nats, >= 0.

    Moment-matched Gaussian predictive (module docstring). With equal variances s^2 it is
    0.5 log(1 + var_m(mean_m) / s^2); with equal means it is 0.5 (log mean_m var_m - mean_m log var_m).
    """
    mean_arr, var_arr = as_gaussian_moments(means, variances)
    score = 0.5 * (np.log(total_variance(mean_arr, var_arr)) - np.log(var_arr).mean(axis=0))
    return np.maximum(score, 0.0)  # >= 0 by Jensen; clipped against rounding
