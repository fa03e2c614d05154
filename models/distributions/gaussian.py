"""Diagonal Gaussian helpers (nats). Shapes broadcast; the last dim is the latent dim K."""

from __future__ import annotations

import math

import torch
from torch import Tensor

LOG_2PI = math.log(2 * math.pi)


def log_density_gaussian(x: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """Elementwise log N(x; mu, exp(logvar)); no reduction."""
    return -0.5 * (LOG_2PI + logvar + (x - mu) ** 2 * torch.exp(-logvar))


def kl_to_standard_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    """(B, K) -> (B, K): KL(N(mu, exp(logvar)) || N(0, 1)) per dimension."""
    return 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar)
