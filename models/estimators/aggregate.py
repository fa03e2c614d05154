"""Monte-Carlo entropy of the aggregate posterior q(z_j) = 1/N sum_n N(z_j; mu_nj, sigma_nj^2), tiled.

As Chen et al. 2018 ("Isolating Sources of Disentanglement in VAEs"), rtqichen/beta-tcvae
`disentanglement_metrics.py::estimate_entropies`: -log q(z_j) = log N - logsumexp_n log N(z_j; mu_nj, sigma_nj^2),
averaged over samples z ~ q(z|x_m). Chen evaluates (N, K, 10-sample) blocks; here the (sample x component)
plane is cut into tiles of at most `tile_elements` log-densities, so memory is O(tile_elements + N * K)
and never (S, N) at once: N may be the whole of dSprites (737,280). Time is O(S * N * K): on one CPU
thread about 6e7 log-densities per second in float64; pass a torch `device` such as "cuda" for more.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np
import torch

from .arrays import ArrayLike, gaussian_params, to_float_array

LOG_2PI = math.log(2.0 * math.pi)
DEFAULT_TILE_ELEMENTS = 1 << 19  # 4 MiB of float64 per tile: stays in cache
COMPONENT_CHUNK = 1024  # mixture components per tile


def _lse_numpy(z: np.ndarray, mu: np.ndarray, inv_var: np.ndarray, const: np.ndarray) -> np.ndarray:
    """logsumexp_n log N(z_js; mu_jn, var_jn) over all N components, shape (K, s).

    z: (K, s) samples; mu, inv_var, const = logvar + log 2 pi: (K, N). Works in (K, s, COMPONENT_CHUNK) tiles.
    """
    parts = []
    for n0 in range(0, mu.shape[1], COMPONENT_CHUNK):
        sl = slice(n0, n0 + COMPONENT_CHUNK)
        d = z[:, :, None] - mu[:, None, sl]  # (K, s, n)
        np.square(d, out=d)
        d *= inv_var[:, None, sl]
        d += const[:, None, sl]
        d *= -0.5
        peak = d.max(axis=2, keepdims=True)
        d -= peak
        np.exp(d, out=d)
        parts.append(np.log(d.sum(axis=2)) + peak[:, :, 0])  # (K, s)
    stacked = np.stack(parts)  # (n_chunks, K, s)
    peak = stacked.max(axis=0)
    return np.log(np.exp(stacked - peak).sum(axis=0)) + peak


def _lse_torch(z: torch.Tensor, mu: torch.Tensor, inv_var: torch.Tensor, const: torch.Tensor) -> torch.Tensor:
    """`_lse_numpy` in torch (for a GPU), shape (K, s)."""
    parts = []
    for n0 in range(0, mu.shape[1], COMPONENT_CHUNK):
        sl = slice(n0, n0 + COMPONENT_CHUNK)
        d = z[:, :, None] - mu[:, None, sl]  # (K, s, n)
        d.square_().mul_(inv_var[:, None, sl]).add_(const[:, None, sl]).mul_(-0.5)
        parts.append(torch.logsumexp(d, dim=2))
    return torch.logsumexp(torch.stack(parts), dim=0)


def _block_sums(
    z: np.ndarray, mu: np.ndarray, logvar: np.ndarray, step: int, dtype: torch.dtype, device: str | torch.device | None
) -> Iterator[np.ndarray]:
    """For each block of `step` samples, sum over the block of logsumexp_n log q(z|x_n), shape (K,).

    Inputs are transposed to (K, S) / (K, N) so each tile's reduction runs over contiguous memory.
    """
    if device is None:
        zt, mt, lt = (np.ascontiguousarray(a.T) for a in (z, mu, logvar))
        inv_var, const = np.exp(-lt), lt + LOG_2PI
        for s0 in range(0, zt.shape[1], step):
            yield _lse_numpy(zt[:, s0 : s0 + step], mt, inv_var, const).sum(axis=1)
        return
    zt_t, mt_t, lt_t = (torch.as_tensor(np.ascontiguousarray(a.T), dtype=dtype, device=device) for a in (z, mu, logvar))
    inv_var_t, const_t = torch.exp(-lt_t), lt_t + LOG_2PI
    for s0 in range(0, zt_t.shape[1], step):
        yield _lse_torch(zt_t[:, s0 : s0 + step], mt_t, inv_var_t, const_t).double().sum(dim=1).cpu().numpy()


def aggregate_posterior_entropy(
    z: ArrayLike,
    mu: ArrayLike,
    logvar: ArrayLike,
    *,
    tile_elements: int = DEFAULT_TILE_ELEMENTS,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float64,
    on_samples: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Mean over samples of -log q(z_sj), q(z_j) = 1/N sum_n N(z_j; mu_nj, exp(logvar_nj)); shape (K,), nats.

    z: (S, K) samples (usually z_s ~ q(z|x_s) for a subset of the N points); mu, logvar: (N, K).
    device=None computes in float64 numpy on one CPU thread (robust on shared machines; its memory is
    visible to tracemalloc); a torch device (e.g. "cuda") computes tiles in torch with `dtype`.
    `on_samples(s)` is called after each block of s samples (each block costs s * N * K log-densities).
    """
    z, mu, logvar = to_float_array(z, "z"), *gaussian_params(mu, logvar)
    if z.shape[1] != mu.shape[1]:
        raise ValueError(f"z and mu: expected the same number of latents K, got {z.shape} and {mu.shape}")
    n_points, k = mu.shape
    step = max(1, tile_elements // (k * min(n_points, COMPONENT_CHUNK)))
    total = np.zeros(k)
    for s0, block in zip(range(0, z.shape[0], step), _block_sums(z, mu, logvar, step, dtype, device), strict=True):
        total += block
        if on_samples is not None:
            on_samples(min(step, z.shape[0] - s0))
    return math.log(n_points) - total / z.shape[0]


def sample_posterior(mu: np.ndarray, logvar: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One reparameterised draw z = mu + exp(logvar / 2) * eps per row, shape (N, K)."""
    return mu + np.exp(0.5 * logvar) * rng.standard_normal(mu.shape)


def gaussian_entropy(logvar: np.ndarray) -> np.ndarray:
    """E_x H(Z_j | x) = mean_n 0.5 * log(2 pi e sigma_nj^2), shape (K,); logvar: (N, K)."""
    return 0.5 * (LOG_2PI + 1.0 + np.mean(logvar, axis=0))
