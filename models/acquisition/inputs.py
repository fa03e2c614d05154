"""Checking the arrays that acquisition functions take: numpy or torch in, float64 numpy out."""

from __future__ import annotations

import numpy as np

from ..estimators.arrays import ArrayLike, check_same_shape, to_float_array

SUM_TOLERANCE = 1e-5  # float32 softmax outputs sum to 1 within ~1e-7 per class


def as_probs(probs: ArrayLike) -> np.ndarray:
    """Predictive probabilities (M, N, C) as float64: M samples of z*, N candidates, C >= 2 classes.

    Every entry in [0, 1] and every probs[m, n, :] summing to 1 within SUM_TOLERANCE, else ValueError.
    """
    arr = to_float_array(probs, "probs", ndim=3)
    if arr.shape[2] < 2:
        raise ValueError(f"probs: expected shape (M samples, N candidates, C >= 2 classes), got {arr.shape}")
    outside = np.argwhere((arr < 0.0) | (arr > 1.0))
    if outside.size:
        m, n, c = outside[0]
        raise ValueError(f"probs: expected probabilities in [0, 1], probs[{m}, {n}, {c}] = {float(arr[m, n, c])!r}")
    error = np.abs(arr.sum(axis=2) - 1.0)  # (M, N)
    if np.any(error > SUM_TOLERANCE):
        m, n = np.unravel_index(np.argmax(error), error.shape)
        raise ValueError(
            f"probs: expected each probs[m, n, :] to sum to 1 (within {SUM_TOLERANCE}), "
            f"probs[{m}, {n}, :] sums to {float(arr[m, n].sum())!r}"
        )
    return arr


def as_gaussian_moments(means: ArrayLike, variances: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Predictive means and variances (M, N) as float64, the same shape, every variance > 0."""
    mean_arr = to_float_array(means, "means")
    var_arr = to_float_array(variances, "variances")
    check_same_shape(mean_arr, var_arr, ("means", "variances"))
    if np.any(var_arr <= 0.0):
        raise ValueError(f"variances: expected every variance > 0, found minimum {float(var_arr.min())!r}")
    return mean_arr, var_arr


def as_scores(scores: ArrayLike) -> np.ndarray:
    """Acquisition scores (N,) as float64, each finite and >= 0 (nats, or uniform draws for random)."""
    arr = to_float_array(scores, "scores", ndim=1)
    if np.any(arr < 0.0):
        raise ValueError(f"scores: expected scores >= 0, found minimum {float(arr.min())!r}")
    return arr
