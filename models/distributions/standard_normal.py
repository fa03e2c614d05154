"""The standard-normal prior N(0, I): exact KL to a diagonal Gaussian, exact quantiles."""

from __future__ import annotations

import torch
from torch import Tensor

from .gaussian import LOG_2PI, kl_to_standard_normal
from .posterior import Posterior
from .prior import FactorisedPrior, check_probs


class StandardNormal(FactorisedPrior):
    """p(z) = N(0, I_K). No parameters: a model holding it has the same weights file as before priors were
    objects."""

    def marginal_log_prob(self, z: Tensor) -> Tensor:
        return -0.5 * (LOG_2PI + z**2)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return torch.randn(n, self.latent_dim, generator=generator, device=self.anchor.device,
                           dtype=self.anchor.dtype)

    def kl(self, posterior: Posterior, z: Tensor | None = None) -> Tensor:
        """Exact for a diagonal Gaussian posterior (``z`` unused then), else Monte Carlo; (B,)."""
        if posterior.gaussian is None:
            return super().kl(posterior, z)
        return self.kl_per_dim(posterior, z).sum(1)

    def kl_per_dim(self, posterior: Posterior, z: Tensor | None = None) -> Tensor:
        """Exact (``kl_to_standard_normal``) for a diagonal Gaussian posterior, else Monte Carlo; (B, K)."""
        if posterior.gaussian is None:
            return super().kl_per_dim(posterior, z)
        return kl_to_standard_normal(*posterior.gaussian)

    def marginal_std(self) -> Tensor:
        return torch.ones(self.latent_dim, device=self.anchor.device)

    def marginal_quantiles(self, probs: Tensor) -> Tensor:
        """Phi^-1(p) for every dim: (P,) -> (P, K)."""
        check_probs(probs)
        return torch.special.ndtri(probs)[:, None].expand(-1, self.latent_dim).clone()

    def marginal_quantiles_at_scores(self, scores: Tensor) -> Tensor:
        """t itself for every dim, (P,) -> (P, K) float64: Phi^-1(Phi(t)) = t exactly, for any t (the round trip
        through float64 probabilities would lose the upper tail past about 5 sd)."""
        return scores.double()[:, None].expand(-1, self.latent_dim).to(self.anchor.device).clone()
