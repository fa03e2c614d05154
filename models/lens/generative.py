"""The lens's generative path: p(z*) = N(0, I) and p_theta(z | z*) = N(MLP(z*), diag sigma^2) (SCIENCE.md
section 6). sigma^2 is learned per dimension of z, or fixed at 1 (``learn_variance=False``). ``mean`` is the
decoding a manipulated z* goes through (the flow cannot be inverted for an edited z*, seed 004 Discussion).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ..distributions import log_density_gaussian
from ..nn.mlp import mlp


def log_prior(z_star: Tensor) -> Tensor:
    """log N(z*; 0, I): (..., k) -> (...)."""
    return -0.5 * (z_star * z_star + math.log(2 * math.pi)).sum(-1)


class Generative(nn.Module):
    """p(z | z*) over the base representation z (D dims)."""

    def __init__(self, k: int, output_dim: int, hidden: Sequence[int], learn_variance: bool) -> None:
        super().__init__()
        self.net = mlp([k, *hidden, output_dim])
        log_var = torch.zeros(output_dim)  # (D,)
        if learn_variance:
            self.log_var = nn.Parameter(log_var)
        else:
            self.register_buffer("log_var", log_var)

    def mean(self, z_star: Tensor) -> Tensor:
        """E p(z | z*): (..., k) -> (..., D)."""
        return self.net(z_star)

    def log_prob(self, z: Tensor, z_star: Tensor) -> Tensor:
        """log p(z | z*): z (..., D), z* (..., k) -> (...)."""
        return log_density_gaussian(z, self.mean(z_star), self.log_var).sum(-1)
