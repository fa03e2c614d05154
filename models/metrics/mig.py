"""Mutual Information Gap, disentanglement_lib variant (SCIENCE.md section 2, "MIG (dlib)").

As google-research/disentanglement_lib `evaluation/metrics/mig.py::_compute_mig` (Chen et al. 2018's gap,
computed on binned mean codes with plug-in estimates).
"""

from __future__ import annotations

import numpy as np

from ..estimators.arrays import ArrayLike
from ..estimators.discrete import discrete_entropy, discrete_mutual_info, histogram_discretize
from .inputs import codes_and_factors, require_varying
from .registry import register_metric
from .result import MetricResult


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
    m = discrete_mutual_info(histogram_discretize(codes_arr, n_bins), factors_arr)  # (K, F)
    entropy = discrete_entropy(factors_arr)  # (F,)
    gap = normalised_gap(m, entropy)
    return MetricResult(
        variant="mig_dlib",
        value=float(np.mean(gap)),
        scores={"discrete_mig": float(np.mean(gap))},
        details={"mutual_info": m, "entropy": entropy, "gap": gap},
    )
