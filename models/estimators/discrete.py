"""Plug-in (contingency-table) estimators on discretised codes, as google-research/disentanglement_lib
`evaluation/metrics/utils.py` (`_histogram_discretize`, `discrete_mutual_info`, `discrete_entropy`).

dlib stores arrays as (n_dims, n_points); here every array is (N, n_dims), the usual numpy layout.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import mutual_info_score

from .arrays import ArrayLike, check_rows, to_float_array, to_label_array


def histogram_discretize(x: ArrayLike, n_bins: int = 20) -> np.ndarray:
    """Bin each column on its own into `n_bins` equal-width bins over its min..max, shape (N, K) int64.

    Exactly dlib's `np.digitize(x[:, i], np.histogram(x[:, i], n_bins)[1][:-1])`: labels run 1..n_bins
    (the maximum lands in the last bin); a constant column gets a single label.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins: expected a positive integer, got {n_bins}")
    arr = to_float_array(x, "x")
    binned = np.empty(arr.shape, dtype=np.int64)
    for i in range(arr.shape[1]):
        edges = np.histogram(arr[:, i], n_bins)[1]  # (n_bins + 1,)
        binned[:, i] = np.digitize(arr[:, i], edges[:-1])
    return binned


def discrete_mutual_info(codes_binned: ArrayLike, factors: ArrayLike) -> np.ndarray:
    """Plug-in mutual information m[k, f] = I(code_k; factor_f) in nats, shape (K, F).

    codes_binned: (N, K) discrete codes (e.g. from `histogram_discretize`); factors: (N, F) labels.
    Uses sklearn.metrics.mutual_info_score(factor, code), argument order as dlib.
    """
    codes = to_label_array(codes_binned, "codes_binned")
    labels = to_label_array(factors, "factors")
    check_rows(codes, labels, ("codes_binned", "factors"))
    m = np.zeros((codes.shape[1], labels.shape[1]))
    for k in range(codes.shape[1]):
        for f in range(labels.shape[1]):
            m[k, f] = mutual_info_score(labels[:, f], codes[:, k])
    return m


def discrete_entropy(factors: ArrayLike) -> np.ndarray:
    """Plug-in entropy H(factor_f) in nats, shape (F,); dlib computes it as mutual_info_score(y, y)."""
    labels = to_label_array(factors, "factors")
    return np.array([mutual_info_score(labels[:, f], labels[:, f]) for f in range(labels.shape[1])])
