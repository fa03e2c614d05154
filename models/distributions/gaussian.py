"""Diagonal Gaussian helpers (nats). Shapes broadcast; the last dim is the latent dim K."""

from __future__ import annotations

import math

import torch
from torch import Tensor

LOG_2PI = math.log(2 * math.pi)


def log_density_gaussian(x: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """Elementwise log N(x; mu, exp(logvar)); no reduction."""
    return -0.5 * (LOG_2PI + logvar + (x - mu) ** 2 * torch.exp(-logvar))


def log_standard_normal(z: Tensor) -> Tensor:
    """(..., K) -> (...): log N(z; 0, I)."""
    return (-0.5 * (LOG_2PI + z**2)).sum(-1)


def kl_to_standard_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    """(B, K) -> (B, K): KL(N(mu, exp(logvar)) || N(0, 1)) per dimension."""
    return 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar)


def reparameterize(mu: Tensor, logvar: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """z = mu + sigma * eps, eps ~ N(0, I) (from ``generator`` when given)."""
    eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps
