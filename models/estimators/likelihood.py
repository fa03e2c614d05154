"""Importance-weighted test log-likelihood (SCIENCE.md section 8; Burda et al. 2016, eq. 8)."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

from .arrays import ArrayLike, check_same_shape, to_float_array


def iw_log_likelihood(log_px_z: ArrayLike, log_pz: ArrayLike, log_qz_x: ArrayLike) -> np.ndarray:
    """log p(x) ~ logsumexp_s [log p(x|z_s) + log p(z_s) - log q(z_s|x)] - log S, shape (N,).

    Each input has shape (S, N): S samples z_s ~ q(z|x_n) for each of N data points. Any prior with a
    log density works (ISA included). Unbiased for p(x) (not log p(x)); use S >= 100 for comparisons.
    """
    a = to_float_array(log_px_z, "log_px_z")
    b = to_float_array(log_pz, "log_pz")
    c = to_float_array(log_qz_x, "log_qz_x")
    check_same_shape(a, b, ("log_px_z", "log_pz"))
    check_same_shape(a, c, ("log_px_z", "log_qz_x"))
    log_w = a + b - c  # (S, N) log importance weights
    return logsumexp(log_w, axis=0) - math.log(log_w.shape[0])
