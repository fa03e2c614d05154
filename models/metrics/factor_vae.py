"""FactorVAE score (Kim & Mnih 2018), the pure core of google-research/disentanglement_lib
`evaluation/metrics/factor_vae.py`. The caller samples the batches: for vote v, a batch of B points
sharing the value of factor fixed_factors[v], encoded to mean codes vote_codes[v] (dlib: B = 64)."""

from __future__ import annotations

import numpy as np

from ..estimators.arrays import ArrayLike, to_float_array, to_label_array
from .registry import register_metric
from .result import MetricResult


def _votes(argmin_dims: np.ndarray, fixed: np.ndarray, n_factors: int, n_latents: int) -> np.ndarray:
    """votes[f, k] = how many batches with factor f fixed had latent k as the least-varying, (F, K)."""
    votes = np.zeros((n_factors, n_latents), dtype=np.int64)
    np.add.at(votes, (fixed, argmin_dims), 1)
    return votes


def _accuracy(votes: np.ndarray, classifier: np.ndarray) -> float:
    """Share of votes (F, K) that the majority-vote classifier (K,) -> factor gets right."""
    total = votes.sum()
    return float(votes[classifier, np.arange(votes.shape[1])].sum() / total) if total else 0.0


def _check(global_codes: ArrayLike, vote_codes: ArrayLike, fixed_factors: ArrayLike) -> tuple[np.ndarray, ...]:
    """global (N, K) and vote (V, B, K) codes with B >= 2, and fixed factors (V,) >= 0."""
    g = to_float_array(global_codes, "global_codes")
    v = to_float_array(vote_codes, "vote_codes", ndim=3)
    fixed = to_label_array(fixed_factors, "fixed_factors", ndim=1)
    if v.shape[2] != g.shape[1] or v.shape[1] < 2 or g.shape[0] < 2:
        raise ValueError(
            f"vote_codes: expected shape (V, B >= 2, K={g.shape[1]}) with global_codes (N >= 2, K), "
            f"got {v.shape} and {g.shape}"
        )
    if fixed.shape != (v.shape[0],) or np.any(fixed < 0):
        raise ValueError(f"fixed_factors: expected {v.shape[0]} non-negative indices, got shape {fixed.shape}")
    return g, v, fixed


@register_metric("factor_vae")
def factor_vae_score(
    global_codes: ArrayLike,
    vote_codes: ArrayLike,
    fixed_factors: ArrayLike,
    *,
    n_factors: int | None = None,
    prune_threshold: float = 0.05,
    train_fraction: float = 2 / 3,
) -> MetricResult:
    """Majority-vote accuracy of predicting the fixed factor from the least-varying normalised latent.

    global_codes: (N, K) codes of random points, for the per-latent scale (dlib: 10,000 points);
    vote_codes: (V, B, K); fixed_factors: (V,). Latents with global std < prune_threshold are dropped;
    the rest are divided by their global std. The first round(V * train_fraction) votes train the
    classifier (dlib: 10,000), the rest evaluate it (dlib: 5,000). value = eval accuracy.
    details: "train_votes", "eval_votes" (F, K), "classifier" (K,) factor per latent, "active" (K,).
    """
    g, v, fixed = _check(global_codes, vote_codes, fixed_factors)
    n_factors = int(fixed.max()) + 1 if n_factors is None else n_factors
    n_train = round(v.shape[0] * train_fraction)
    if not 1 <= n_train < v.shape[0] or fixed.max() >= n_factors:
        raise ValueError(f"expected >= 1 train and eval vote and fixed_factors < n_factors, got V={v.shape[0]}")
    global_var = np.var(g, axis=0, ddof=1)  # (K,)
    active = np.flatnonzero(np.sqrt(global_var) >= prune_threshold)
    if active.size == 0:
        scores = {"train_accuracy": 0.0, "eval_accuracy": 0.0, "num_active_dims": 0.0}
        return MetricResult("factor_vae_dlib", 0.0, scores, {"active": np.zeros(g.shape[1], dtype=bool)})
    local_var = np.var(v[:, :, active], axis=1, ddof=1)  # (V, K_active)
    argmin_dims = active[np.argmin(local_var / global_var[active], axis=1)]  # (V,) latent index
    train = _votes(argmin_dims[:n_train], fixed[:n_train], n_factors, g.shape[1])
    evaluation = _votes(argmin_dims[n_train:], fixed[n_train:], n_factors, g.shape[1])
    classifier = np.argmax(train, axis=0)  # (K,)
    scores = {
        "train_accuracy": _accuracy(train, classifier),
        "eval_accuracy": _accuracy(evaluation, classifier),
        "num_active_dims": float(active.size),
    }
    details = {
        "train_votes": train,
        "eval_votes": evaluation,
        "classifier": classifier,
        "active": np.isin(np.arange(g.shape[1]), active),
    }
    return MetricResult("factor_vae_dlib", scores["eval_accuracy"], scores, details)
