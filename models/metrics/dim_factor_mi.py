"""The latent-dim x factor information matrix that MIG (dlib) is built from (SCIENCE.md section 2, steps 2-5).

m[k, f] = I(z_k; v_f) on binned mean codes (20 equal-width bins per dim), divided by H(v_f): which dims encode
which factor, each factor's best dim, and the gap to its runner-up. The same helpers as `mig_dlib`, so the mean
of ``gap`` is that run's MIG (dlib) on the same sample. Columns marked continuous (real-valued side information,
e.g. a stroke thickness) are binned the same way as the codes before they enter the matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..estimators.arrays import ArrayLike, to_float_array
from ..estimators.discrete import histogram_discretize
from .inputs import codes_and_factors
from .mig import contingency_entropy, contingency_mutual_info, normalised_gap


@dataclass(frozen=True)
class DimFactorInformation:
    """What `dim_factor_information` returns; K latent dims, F factors.

    mutual_info: (K, F) plug-in I(z_k; v_f) in nats.
    entropy:     (F,) plug-in H(v_f) in nats (0 for a factor constant on the sample).
    normalised:  (K, F) mutual_info / entropy, in [0, 1]; a constant factor's column is 0.
    best_dim:    (F,) the dim with the largest normalised information about each factor.
    gap:         (F,) its normalised information minus the runner-up's (the runner-up is 0 when K = 1).
    """

    mutual_info: np.ndarray
    entropy: np.ndarray
    normalised: np.ndarray
    best_dim: np.ndarray
    gap: np.ndarray


def dim_factor_information(codes: ArrayLike, factors: ArrayLike, n_bins: int = 20,
                           continuous: Sequence[bool] | None = None) -> DimFactorInformation:
    """I(z_k; v_f) / H(v_f) for every latent dim k and factor f, as dlib's MIG computes it.

    codes: (N, K) mean representation; factors: (N, F) integer factor values (or class labels), except in the
    columns that ``continuous`` (F flags) marks, which may hold any finite reals. Each dim, and each continuous
    column, is binned on its own into `n_bins` equal-width bins over its observed range.
    """
    codes_arr, factors_arr = codes_and_factors(codes, discretise_continuous(factors, continuous, n_bins))
    m = contingency_mutual_info(histogram_discretize(codes_arr, n_bins), factors_arr)  # (K, F)
    entropy = contingency_entropy(factors_arr)  # (F,)
    varying = entropy > 0
    normalised = np.zeros_like(m)
    normalised[:, varying] = m[:, varying] / entropy[varying]
    runner_up = np.zeros((1, m.shape[1]))  # a K = 1 code's second-best dim carries nothing
    gap = normalised_gap(np.concatenate([normalised, runner_up]), np.ones(m.shape[1]))
    return DimFactorInformation(mutual_info=m, entropy=entropy, normalised=normalised,
                                best_dim=np.argmax(normalised, axis=0), gap=gap)


def discretise_continuous(factors: ArrayLike, continuous: Sequence[bool] | None, n_bins: int) -> ArrayLike:
    """(N, F) ``factors`` with the columns ``continuous`` marks replaced by their bin (1..n_bins,
    `histogram_discretize`); unchanged when nothing is marked."""
    if continuous is None or not any(continuous):
        return factors
    arr = to_float_array(factors, "factors")
    mask = np.asarray(continuous, dtype=bool)
    if mask.shape != (arr.shape[1],):
        raise ValueError(f"continuous: expected one flag per factor column ({arr.shape[1]}), got {len(mask)}")
    out = arr.copy()
    out[:, mask] = histogram_discretize(arr[:, mask], n_bins)
    return out
