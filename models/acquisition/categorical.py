"""BALD and max entropy for a categorical attribute (SCIENCE.md section 7; seed 001, Sec. 3).

probs (M, N, C): p(s = c | z*^(m)) for M samples z*^(m) ~ q(z* | z_j, s) of each of N candidates.
"""

from __future__ import annotations

import numpy as np
from scipy.special import entr

from ..estimators.arrays import ArrayLike
from .inputs import as_probs


def categorical_entropy(p: np.ndarray) -> np.ndarray:
    """H[p] = -sum_c p_c log p_c in nats over the last axis, with 0 log 0 = 0; shape p.shape[:-1]."""
    return entr(p).sum(axis=-1)


def max_entropy(probs: ArrayLike) -> np.ndarray:
    """The seed's baseline: entropy of the predictive H[(1/M) sum_m p(s | z*^(m))], (N,) in nats."""
    return categorical_entropy(as_probs(probs).mean(axis=0))


def bald(probs: ArrayLike) -> np.ndarray:
    """The seed's MI (BALD): H[(1/M) sum_m p(s | z*^(m))] - (1/M) sum_m H[p(s | z*^(m))], (N,) in nats.

    I(s; z* | z_j): 0 when the samples agree, log C at most. Clipped at 0 against rounding.
    """
    p = as_probs(probs)
    predictive = categorical_entropy(p.mean(axis=0))  # (N,)
    expected = categorical_entropy(p).mean(axis=0)  # (N,)
    return np.maximum(predictive - expected, 0.0)
