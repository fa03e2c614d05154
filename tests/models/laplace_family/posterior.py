"""A factorised Laplace posterior q(z|x) = prod_j Laplace(z_j; m_j(x), b_j(x)): not a Gaussian, so code that needs
Gaussian parameters refuses it (``.gaussian`` is None)."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from models.distributions import FactorisedPosterior


class LaplacePosterior(FactorisedPosterior):
    """loc, log_scale: (B, K)."""

    def __init__(self, loc: Tensor, log_scale: Tensor) -> None:
        self.loc, self.log_scale = loc, log_scale

    @property
    def mean(self) -> Tensor:
        return self.loc

    def rsample(self, generator: torch.Generator | None = None, sample_shape: tuple[int, ...] = ()) -> Tensor:
        """z = m - b sign(u) log(1 - 2|u|), u ~ U(-1/2, 1/2): (*sample_shape, B, K), differentiable in m and b."""
        u = torch.rand((*sample_shape, *self.loc.shape), generator=generator, device=self.loc.device,
                       dtype=self.loc.dtype) - 0.5
        u = u.clamp(-0.5 + torch.finfo(u.dtype).eps, 0.5 - torch.finfo(u.dtype).eps)
        return self.loc - self.log_scale.exp() * u.sign() * torch.log1p(-2.0 * u.abs())

    def marginal_log_prob(self, z: Tensor) -> Tensor:
        return -math.log(2.0) - self.log_scale - (z - self.loc).abs() / self.log_scale.exp()
