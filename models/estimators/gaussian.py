"""Closed-form per-dimension quantities of a diagonal-Gaussian encoder q(z|x) = N(mu(x), diag exp(logvar(x))).

All functions take mu, logvar of shape (N, K) (numpy or torch) and return float64 numpy of shape (K,), in nats.
"""

from __future__ import annotations

import numpy as np

from .arrays import ArrayLike, gaussian_params, to_float_array


def gaussian_factor_mi(mu: ArrayLike, logvar: ArrayLike) -> np.ndarray:
    """I_hat(X; Z_j) with the aggregate posterior fitted as q_hat(z_j) = N(0, s_j^2), shape (K,).

    Seed 002 ("Discovering Influential Factors in VAEs"), SCIENCE.md section 1:
        s_j^2 = E_x[mu_j^2 + sigma_j^2],   I_hat_j = 0.5 * (log s_j^2 - E_x[log sigma_j^2]).
    Non-negative by Jensen's inequality; exact for a linear-Gaussian encoder.
    """
    mu_arr, logvar_arr = gaussian_params(mu, logvar)
    s2 = np.mean(np.square(mu_arr) + np.exp(logvar_arr), axis=0)  # (K,)
    return 0.5 * (np.log(s2) - np.mean(logvar_arr, axis=0))


def mean_variance(mu: ArrayLike) -> np.ndarray:
    """Var_x[mu_j(x)] (population variance, ddof=0) per dimension, shape (K,).

    The "active units" statistic of Burda et al. 2016 (a unit is active when this exceeds 0.01).
    """
    return np.var(to_float_array(mu, "mu"), axis=0)
