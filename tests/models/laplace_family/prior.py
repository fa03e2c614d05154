"""A factorised Laplace prior p(z) = prod_j Laplace(z_j; 0, b_j) with a learned log-scale per dim: exact
marginal densities, quantiles and standard deviations; the KL to a posterior by Monte Carlo (the base class)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from models.distributions import FactorisedPrior
from models.distributions.prior import check_probs


class LaplacePrior(FactorisedPrior):
    def __init__(self, latent_dim: int, scale: float) -> None:
        super().__init__(latent_dim)
        self.log_scale = nn.Parameter(torch.full((latent_dim,), math.log(scale)))  # (K,) log b_j

    @property
    def scale(self) -> Tensor:
        """(K,) b_j."""
        return self.log_scale.exp()

    def marginal_log_prob(self, z: Tensor) -> Tensor:
        """log Laplace(z_j; 0, b_j) = -log(2 b_j) - |z_j| / b_j: (..., K) -> (..., K)."""
        return -math.log(2.0) - self.log_scale - z.abs() / self.scale

    def marginal_quantiles(self, probs: Tensor) -> Tensor:
        """F^-1(p) = -b sign(p - 1/2) log(1 - 2 |p - 1/2|): (P,) -> (P, K)."""
        check_probs(probs)
        return self._inverse_cdf(probs.to(self.log_scale)[:, None])

    def marginal_std(self) -> Tensor:
        """sqrt(2) b_j."""
        return math.sqrt(2.0) * self.scale

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Inverse-CDF draws (n, K) from uniforms in (0, 1)."""
        u = torch.rand(n, self.latent_dim, generator=generator, device=self.log_scale.device,
                       dtype=self.log_scale.dtype)
        return self._inverse_cdf(u.clamp(min=torch.finfo(u.dtype).tiny))

    def _inverse_cdf(self, p: Tensor) -> Tensor:
        """p (..., 1 or K) in (0, 1) -> z (..., K)."""
        centred = p - 0.5
        return -self.scale * centred.sign() * torch.log1p(-2.0 * centred.abs())
