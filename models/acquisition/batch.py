"""Choosing a batch of n candidates: greedy top-n (the seed's), and BALD with a diversity penalty.

Greedy top-n of BALD picks n near-duplicates when the best candidates sit together. `choose_batch`
multiplies each candidate's score by a local penalty around every item already chosen (the local
penalisation of Gonzalez et al. 2016, "Batch Bayesian Optimization via Local Penalization", with a
Gaussian-shaped penalty), so the next pick is the best score away from the picks so far.
"""

from __future__ import annotations

import numpy as np

from ..estimators.arrays import ArrayLike, to_float_array
from .categorical import bald
from .inputs import as_probs, as_scores


def check_batch_size(n: int, n_candidates: int) -> int:
    """n as an int in 1..n_candidates, else ValueError."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= n_candidates:
        raise ValueError(f"n: expected a batch size between 1 and the {n_candidates} candidates, got {n!r}")
    return int(n)


def top_n(scores: ArrayLike, n: int) -> np.ndarray:
    """Indices (n,) of the n largest scores, best first (ties: lower index first); the seed's greedy batch."""
    arr = as_scores(scores)
    return np.argsort(-arr, kind="stable")[: check_batch_size(n, arr.size)]


def scores_and_embedding(scores_or_probs: ArrayLike, codes: ArrayLike | None) -> tuple[np.ndarray, np.ndarray]:
    """(scores (N,), embedding (N, D)) from scores (N,) or probs (M, N, C) and optional codes (N, D).

    Without codes, probs give each candidate's predictions under the M samples, probs[:, j, :] flattened
    and divided by sqrt(M) (the root-mean-square over samples of the L2 distance between predictives):
    two candidates that every sample of z* predicts alike add little over one.
    """
    if np.ndim(scores_or_probs) == 3:
        probs = as_probs(scores_or_probs)
        scores = bald(probs)
        fallback = probs.transpose(1, 0, 2).reshape(probs.shape[1], -1) / np.sqrt(probs.shape[0])
    elif np.ndim(scores_or_probs) == 1:
        scores, fallback = as_scores(scores_or_probs), None
    else:
        raise ValueError(
            f"scores_or_probs: expected scores (N,) or probs (M, N, C), got shape {np.shape(scores_or_probs)}"
        )
    if codes is None:
        if fallback is None:
            raise ValueError("codes: expected codes (N, D) to spread a batch chosen from scores (or pass probs)")
        return scores, fallback
    embedding = to_float_array(codes, "codes")
    if embedding.shape[0] != scores.size:
        raise ValueError(f"codes: expected {scores.size} rows, one per candidate, got shape {embedding.shape}")
    return scores, embedding


def choose_batch(
    scores_or_probs: ArrayLike, n: int, codes: ArrayLike | None = None, length_scale: float = 0.5
) -> np.ndarray:
    """n distinct candidate indices (n,), in the order chosen: BALD with a diversity penalty in z* space.

    scores_or_probs: scores (N,) >= 0 (BALD, max entropy, ...) or probs (M, N, C), scored by `bald`.
    codes: (N, D) where the candidates sit, e.g. the mean of q(z* | z_j); without codes, probs' own
    per-sample predictions (see `scores_and_embedding`). Greedy: pick j maximising
    score_j * prod_{c chosen} (1 - exp(-|x_j - x_c|^2 / (2 length_scale^2))); length_scale is in the units
    of codes (z* has a N(0, I) prior, so 0.5 is half a prior standard deviation). Chosen items are never
    picked again, even when every remaining adjusted score is 0.
    """
    if not np.isfinite(length_scale) or length_scale <= 0:
        raise ValueError(f"length_scale: expected a positive distance, got {length_scale!r}")
    scores, embedding = scores_and_embedding(scores_or_probs, codes)
    n = check_batch_size(n, scores.size)
    penalty = np.ones(scores.size)
    available = np.ones(scores.size, dtype=bool)
    chosen = np.empty(n, dtype=np.int64)
    for step in range(n):
        pick = int(np.argmax(np.where(available, scores * penalty, -np.inf)))
        chosen[step], available[pick] = pick, False
        squared = np.sum((embedding - embedding[pick]) ** 2, axis=1)  # (N,)
        penalty *= -np.expm1(-squared / (2.0 * length_scale**2))
    return chosen
