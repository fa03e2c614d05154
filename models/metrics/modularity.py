"""Modularity (Ridgeway & Mozer 2018), as google-research/disentanglement_lib
`evaluation/metrics/modularity_explicitness.py::modularity`, on histogram-discretised codes."""

from __future__ import annotations

import numpy as np

from ..estimators.arrays import ArrayLike
from ..estimators.discrete import discrete_mutual_info, histogram_discretize
from .inputs import codes_and_factors
from .registry import register_metric
from .result import MetricResult


def modularity_per_code(mutual_info: np.ndarray) -> np.ndarray:
    """1 - (sum of squared MI off the best factor) / (max squared MI * (F - 1)), shape (K,).

    mutual_info: (K, F) with F >= 2. A latent carrying no information scores 0 (dlib).
    """
    squared = np.square(mutual_info)
    best = np.max(squared, axis=1)  # (K,)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = 1.0 - (np.sum(squared, axis=1) - best) / (best * (squared.shape[1] - 1.0))
    return np.where(best == 0.0, 0.0, score)


def modularity_from_mi(mutual_info: np.ndarray) -> float:
    """Mean of `modularity_per_code` over latents; mutual_info: (K, F)."""
    if mutual_info.ndim != 2 or mutual_info.shape[1] < 2:
        raise ValueError(f"mutual_info: expected shape (K, F) with F >= 2, got {mutual_info.shape}")
    return float(np.mean(modularity_per_code(mutual_info)))


@register_metric("modularity")
def modularity(codes: ArrayLike, factors: ArrayLike, n_bins: int = 20) -> MetricResult:
    """Modularity of codes (N, K) w.r.t. integer factors (N, F), F >= 2; plug-in MI on `n_bins` bins.

    dlib also reports explicitness (a logistic-regression ROC AUC); that is not computed here.
    details: "mutual_info" (K, F), "modularity_per_code" (K,).
    """
    codes_arr, factors_arr = codes_and_factors(codes, factors)
    if factors_arr.shape[1] < 2:
        raise ValueError(f"factors: expected at least 2 factors, got shape {factors_arr.shape}")
    m = discrete_mutual_info(histogram_discretize(codes_arr, n_bins), factors_arr)  # (K, F)
    score = modularity_from_mi(m)
    return MetricResult(
        variant="modularity_dlib",
        value=score,
        scores={"modularity_score": score},
        details={"mutual_info": m, "modularity_per_code": modularity_per_code(m)},
    )
