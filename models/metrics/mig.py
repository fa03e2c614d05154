"""Mutual Information Gap, disentanglement_lib variant (SCIENCE.md section 2, "MIG (dlib)").

As google-research/disentanglement_lib `evaluation/metrics/mig.py::_compute_mig` (Chen et al. 2018's gap,
computed on binned mean codes with plug-in estimates). dlib calls sklearn's `mutual_info_score` once per
(latent, factor) pair; here one bincount per factor fills the contingency tables of all K latents at once,
and the plug-in sums follow sklearn's formula term by term, so the values agree with dlib's to rounding.
"""

from __future__ import annotations

import math

import numpy as np

from ..estimators.arrays import ArrayLike
from ..estimators.discrete import histogram_discretize
from .inputs import codes_and_factors, require_varying
from .registry import register_metric
from .result import MetricResult


def dense_labels(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Relabel each column of an (N, D) int array as 0..n_d-1 in sorted order; returns (labels, n_values (D,)).

    Same order as np.unique(column, return_inverse=True); a bincount of the values present when a column's
    range is at most N (binned codes, factor indices), a sort otherwise.
    """
    out = np.empty(labels.shape, dtype=np.intp)
    n_values = np.empty(labels.shape[1], dtype=np.intp)
    for d in range(labels.shape[1]):
        column = labels[:, d]
        low = column.min()
        span = int(column.max() - low) + 1
        if span <= labels.shape[0]:
            present = np.bincount(column - low, minlength=span) > 0  # (span,)
            out[:, d] = (np.cumsum(present) - 1)[column - low]
            n_values[d] = int(present.sum())
        else:
            values, out[:, d] = np.unique(column, return_inverse=True)
            n_values[d] = values.size
    return out, n_values


def plugin_mi_terms(counts: np.ndarray, row_totals: np.ndarray, col_totals: np.ndarray, n: int) -> np.ndarray:
    """The summands of sklearn's `mutual_info_score` for the non-zero cells of one or more N-point tables.

    counts, row_totals, col_totals: int arrays of the same shape (the cell count and its row and column
    marginals). Term by term as sklearn 1.x (same operations in the same order, terms below float eps
    set to 0), so a sum over one table in row-major order reproduces sklearn's value.
    """
    log_n = math.log(n)
    share = counts / n
    log_outer = -np.log(row_totals.astype(np.int64) * col_totals.astype(np.int64)) + log_n + log_n
    terms = share * (np.log(counts) - log_n) + share * log_outer
    return np.where(np.abs(terms) < np.finfo(terms.dtype).eps, 0.0, terms)


def contingency_mutual_info(codes_binned: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Plug-in MI m[k, f] = I(code_k; factor_f) in nats, (K, F), equal to sklearn's mutual_info_score(factor, code).

    codes_binned: (N, K) int; factors: (N, F) int. Per factor, one bincount of the combined index
    (k, code value, factor value) over all N x K entries gives the K tables (rows: factor values).
    """
    n, n_latents = codes_binned.shape
    codes, n_codes = dense_labels(codes_binned)
    labels, n_labels = dense_labels(factors)
    width = int(n_codes.max())
    codes += np.arange(n_latents) * width  # (N, K): latent k's labels now run from k * width
    index = np.empty_like(codes)  # (N, K) combined index, reused for every factor
    m = np.zeros((n_latents, labels.shape[1]))
    for f in range(labels.shape[1]):
        rows = int(n_labels[f])
        np.add(codes, labels[:, f : f + 1] * (n_latents * width), out=index)
        table = np.bincount(index.ravel(), minlength=rows * n_latents * width)
        table = table.reshape(rows, n_latents, width).transpose(1, 0, 2)  # (K, rows, width)
        filled = table > 0
        row_totals = np.broadcast_to(table.sum(axis=2, keepdims=True), table.shape)
        col_totals = np.broadcast_to(table.sum(axis=1, keepdims=True), table.shape)
        terms = plugin_mi_terms(table[filled], row_totals[filled], col_totals[filled], n)  # (K, rows, width) order
        ends = np.cumsum(filled.sum(axis=(1, 2)))
        for k, part in enumerate(np.split(terms, ends[:-1])):
            if rows > 1 and n_codes[k] > 1:  # one value on either side: MI is 0, as sklearn
                m[k, f] = max(float(part.sum()), 0.0)
    return m


def contingency_entropy(factors: np.ndarray) -> np.ndarray:
    """Plug-in entropy H(factor_f) in nats, (F,): sklearn's mutual_info_score(y, y) as dlib computes it."""
    labels, n_labels = dense_labels(factors)
    entropy = np.zeros(labels.shape[1])
    for f in range(labels.shape[1]):
        counts = np.bincount(labels[:, f])
        if n_labels[f] > 1:
            entropy[f] = max(float(plugin_mi_terms(counts, counts, counts, labels.shape[0]).sum()), 0.0)
    return entropy


def normalised_gap(mutual_info: np.ndarray, normaliser: np.ndarray) -> np.ndarray:
    """(largest - second largest) of m[:, f] over latents, divided by normaliser[f]; shape (F,).

    mutual_info: (K, F) with K >= 2; normaliser: (F,) positive (factor entropy or log |V_f|).
    """
    ordered = np.sort(mutual_info, axis=0)  # (K, F), ascending
    return (ordered[-1] - ordered[-2]) / normaliser


@register_metric("mig_dlib")
def mig_dlib(codes: ArrayLike, factors: ArrayLike, n_bins: int = 20) -> MetricResult:
    """MIG as disentanglement_lib: mean over factors of the normalised top-two MI gap.

    codes: (N, K) mean representation, K >= 2; factors: (N, F) integer factor indices, each varying.
    Each latent is binned on its own into `n_bins` equal-width bins; m = plug-in MI (K, F) in nats;
    H_f = plug-in factor entropy. details: "mutual_info" (K, F), "entropy" (F,), "gap" (F,).
    """
    codes_arr, factors_arr = codes_and_factors(codes, factors, min_latents=2)
    require_varying(factors_arr)
    m = contingency_mutual_info(histogram_discretize(codes_arr, n_bins), factors_arr)  # (K, F)
    entropy = contingency_entropy(factors_arr)  # (F,)
    gap = normalised_gap(m, entropy)
    return MetricResult(
        variant="mig_dlib",
        value=float(np.mean(gap)),
        scores={"discrete_mig": float(np.mean(gap))},
        details={"mutual_info": m, "entropy": entropy, "gap": gap},
    )
