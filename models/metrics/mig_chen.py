"""Mutual Information Gap, Chen et al. 2018 variant (SCIENCE.md section 2, "MIG (Chen)").

As rtqichen/beta-tcvae `disentanglement_metrics.py` (`mutual_info_metric_shapes`, `estimate_entropies`,
`compute_metric_shapes`): one z ~ q(z|x) per point; H(z_j) by Monte Carlo over the aggregate posterior of
all N points; H(z_j | v_f) for each factor value v by the same estimator restricted to the points with
that value, averaged with weights p(v) (1/|V_f| on a full grid, as Chen); MI = H(z_j) - H(z_j | v_f)
clamped at 0; normalised by log |V_f|; MIG = mean over factors of the top-two gap.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import torch

from ..estimators.aggregate import DEFAULT_TILE_ELEMENTS, aggregate_posterior_entropy, sample_posterior
from ..estimators.arrays import ArrayLike, check_rows, gaussian_params, to_label_array
from .mig import normalised_gap
from .registry import register_metric
from .result import MetricResult


def _factor_sizes(factors: np.ndarray, factor_sizes: ArrayLike | None) -> np.ndarray:
    """|V_f| per factor (F,): given, or the number of distinct values seen; every size must be >= 2."""
    if factor_sizes is None:
        sizes = np.array([np.unique(factors[:, f]).size for f in range(factors.shape[1])])
    else:
        sizes = to_label_array(factor_sizes, "factor_sizes", ndim=1)
        if sizes.shape != (factors.shape[1],):
            raise ValueError(f"factor_sizes: expected shape ({factors.shape[1]},), got {sizes.shape}")
        if np.any(factors < 0) or np.any(factors >= sizes):
            raise ValueError("factors: expected values in [0, factor_sizes[f]) for every factor f")
    if np.any(sizes < 2):
        raise ValueError(f"factor_sizes: expected every factor to have >= 2 values, got {sizes.tolist()}")
    return sizes


def _groups(factors: np.ndarray) -> list[tuple[int, float, np.ndarray]]:
    """(factor f, weight p(v), row indices) for each value v of each factor present in the sample."""
    groups = []
    for f in range(factors.shape[1]):
        for v in np.unique(factors[:, f]):
            rows = np.flatnonzero(factors[:, f] == v)
            groups.append((f, rows.size / factors.shape[0], rows))
    return groups


class _Progress:
    """Reports on_progress(fraction of all log-density evaluations done) as blocks complete."""

    def __init__(self, total: float, callback: Callable[[float], None] | None) -> None:
        self.total, self.done, self.callback = total, 0.0, callback

    def advance(self, evaluations: float) -> None:
        self.done += evaluations
        if self.callback is not None:
            self.callback(min(1.0, self.done / self.total))


def _group_entropies(
    mu: np.ndarray,
    logvar: np.ndarray,
    groups: list[np.ndarray],
    n_samples: int,
    generator: np.random.Generator,
    on_progress: Callable[[float], None] | None,
    estimate: Callable[..., np.ndarray],
) -> list[np.ndarray]:
    """H(z | group) (K,) for each group of rows, as `estimate_entropies`; mu, logvar: (N, K).

    `estimate` is `aggregate_posterior_entropy` with its tiling options bound.
    One z ~ q(z|x) per point (shared by all groups); each group's entropy averages over at most
    `n_samples` of its samples, each scored against every component of the group.
    """
    z = sample_posterior(mu, logvar, generator)  # (N, K)
    progress = _Progress(sum(min(n_samples, g.size) * g.size for g in groups), on_progress)
    entropies = []
    for rows in groups:
        picked = rows[generator.permutation(rows.size)[:n_samples]]
        entropies.append(
            estimate(z[picked], mu[rows], logvar[rows], on_samples=lambda s, n=rows.size: progress.advance(s * n))
        )
    return entropies


@register_metric("mig_chen")
def mig_chen(
    mu: ArrayLike,
    logvar: ArrayLike,
    factors: ArrayLike,
    factor_sizes: ArrayLike | None = None,
    *,
    n_samples: int = 10_000,
    rng: np.random.Generator | int | None = 0,
    tile_elements: int = DEFAULT_TILE_ELEMENTS,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float64,
    on_progress: Callable[[float], None] | None = None,
) -> MetricResult:
    """MIG as Chen et al. 2018 over all N points; mu, logvar: (N, K), K >= 2; factors: (N, F) values.

    factor_sizes: (F,) |V_f| (default: distinct values seen). Pass only the factors to score (Chen's
    dSprites MIG uses scale, orientation, posX, posY; shape excluded). Each entropy averages over at most
    `n_samples` samples (Chen: 10,000), so the cost is about (F + 1) * n_samples * N * K log-densities:
    device=None runs numpy on one CPU thread; pass device="cuda" for dSprites-sized N.
    on_progress(fraction) is called as the work proceeds.
    details: "mutual_info" (K, F) nats, "normalised_mutual_info" (K, F), "marginal_entropy" (K,),
    "conditional_entropy" (K, F), "gap" (F,).
    """
    mu_arr, logvar_arr = gaussian_params(mu, logvar)
    factors_arr = to_label_array(factors, "factors")
    check_rows(mu_arr, factors_arr, ("mu", "factors"))
    if mu_arr.shape[1] < 2:
        raise ValueError(f"mu: expected at least 2 latents, got shape {mu_arr.shape}")
    if n_samples < 1:
        raise ValueError(f"n_samples: expected a positive integer, got {n_samples}")
    log_sizes = np.log(_factor_sizes(factors_arr, factor_sizes).astype(np.float64))  # (F,)
    groups = _groups(factors_arr)
    estimate = partial(aggregate_posterior_entropy, tile_elements=tile_elements, dtype=dtype, device=device)
    h_marginal, *h_groups = _group_entropies(
        mu_arr,
        logvar_arr,
        [np.arange(mu_arr.shape[0])] + [rows for _, _, rows in groups],
        n_samples,
        np.random.default_rng(rng),
        on_progress,
        estimate,
    )
    h_conditional = np.zeros((mu_arr.shape[1], factors_arr.shape[1]))  # (K, F)
    for (f, weight, _), h in zip(groups, h_groups, strict=True):
        h_conditional[:, f] += weight * h
    mi = np.maximum(h_marginal[:, None] - h_conditional, 0.0)  # (K, F)
    gap = normalised_gap(mi, log_sizes)
    return MetricResult(
        variant="mig_chen",
        value=float(np.mean(gap)),
        scores={"mig": float(np.mean(gap))},
        details={
            "mutual_info": mi,
            "normalised_mutual_info": mi / log_sizes,
            "marginal_entropy": h_marginal,
            "conditional_entropy": h_conditional,
            "gap": gap,
        },
    )
