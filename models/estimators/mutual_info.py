"""Per-dimension mutual information I(X; Z_j) between data and each latent (SCIENCE.md section 1)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from .aggregate import DEFAULT_TILE_ELEMENTS, aggregate_posterior_entropy, gaussian_entropy, sample_posterior
from .arrays import ArrayLike, gaussian_params
from .gaussian import gaussian_factor_mi


def monte_carlo_factor_mi(
    mu: ArrayLike,
    logvar: ArrayLike,
    *,
    n_samples: int | None = None,
    rng: np.random.Generator | int | None = 0,
    tile_elements: int = DEFAULT_TILE_ELEMENTS,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float64,
) -> np.ndarray:
    """I(X; Z_j) = H(Z_j) - E_x H(Z_j|x) by Monte Carlo over the aggregate posterior, shape (K,), nats.

    mu, logvar: (N, K). H(Z_j) is averaged over one z ~ q(z|x_m) for each of `n_samples` points drawn
    without replacement (all N when None), each scored against all N mixture components (Chen et al. 2018).
    No Gaussian assumption on q(z_j). Clamped to [0, log N]. Reproducible for a fixed `rng` seed.
    Cost O(n_samples * N * K); device=None runs numpy on the CPU, a torch device (e.g. "cuda") runs torch
    tiles in `dtype` (see `aggregate_posterior_entropy`).
    """
    mu_arr, logvar_arr = gaussian_params(mu, logvar)
    n_points = mu_arr.shape[0]
    if n_samples is not None and n_samples < 1:
        raise ValueError(f"n_samples: expected a positive integer or None, got {n_samples}")
    generator = np.random.default_rng(rng)
    idx = np.arange(n_points)
    if n_samples is not None and n_samples < n_points:
        idx = np.sort(generator.choice(n_points, size=n_samples, replace=False))
    z = sample_posterior(mu_arr[idx], logvar_arr[idx], generator)  # (M, K)
    h_marginal = aggregate_posterior_entropy(
        z, mu_arr, logvar_arr, tile_elements=tile_elements, device=device, dtype=dtype
    )
    return np.clip(h_marginal - gaussian_entropy(logvar_arr), 0.0, math.log(n_points))


MI_METHODS: dict[str, Callable[..., np.ndarray]] = {
    "gaussian": gaussian_factor_mi,
    "monte_carlo": monte_carlo_factor_mi,
}


def factor_mutual_information(
    mu: ArrayLike, logvar: ArrayLike, method: str = "gaussian", **options: object
) -> np.ndarray:
    """I(X; Z_j) per latent, shape (K,) in nats, by `method` in MI_METHODS.

    "gaussian": seed 002 closed form (`gaussian_factor_mi`, no options).
    "monte_carlo": Chen et al. estimator (`monte_carlo_factor_mi`; options n_samples, rng, tile_elements,
    device, dtype).
    """
    if method not in MI_METHODS:
        raise ValueError(f"method: expected one of {sorted(MI_METHODS)}, got {method!r}")
    return MI_METHODS[method](mu, logvar, **options)
