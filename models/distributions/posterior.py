"""q(z|x) as an object: a batch of B posteriors over K latents (nats throughout)."""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import Tensor

from .gaussian import log_density_gaussian


class NotGaussianError(ValueError):
    """Code that needs a posterior's Gaussian parameters (mu, logvar) was given another kind of posterior."""


class Posterior(ABC):
    """q(z|x) for B items. ``log_prob`` broadcasts over leading sample dims: z (..., B, K) -> (..., B)."""

    @property
    @abstractmethod
    def mean(self) -> Tensor:
        """E[z|x], shape (B, K)."""

    @abstractmethod
    def rsample(self, generator: torch.Generator | None = None, sample_shape: tuple[int, ...] = ()) -> Tensor:
        """Reparameterised draws (*sample_shape, B, K) (gradients flow to the posterior's parameters)."""

    @abstractmethod
    def log_prob(self, z: Tensor) -> Tensor:
        """log q(z|x): (..., B, K) -> (..., B)."""

    @property
    def gaussian(self) -> tuple[Tensor, Tensor] | None:
        """(mu, logvar), each (B, K), for a diagonal Gaussian; None for any other posterior."""
        return None


class FactorisedPosterior(Posterior):
    """A posterior that factorises over latent dims: q(z|x) = prod_j q(z_j|x)."""

    @abstractmethod
    def marginal_log_prob(self, z: Tensor) -> Tensor:
        """log q(z_j|x) per dim: (..., B, K) -> (..., B, K)."""

    def log_prob(self, z: Tensor) -> Tensor:
        return self.marginal_log_prob(z).sum(-1)


class DiagonalGaussian(FactorisedPosterior):
    """q(z|x) = N(mu, diag exp(logvar)); mu, logvar: (B, K)."""

    def __init__(self, mu: Tensor, logvar: Tensor) -> None:
        if mu.shape != logvar.shape:
            raise ValueError(f"mu and logvar: expected equal shapes, got {tuple(mu.shape)} and {tuple(logvar.shape)}")
        self.mu, self.logvar = mu, logvar

    @property
    def mean(self) -> Tensor:
        return self.mu

    @property
    def gaussian(self) -> tuple[Tensor, Tensor]:
        return self.mu, self.logvar

    def rsample(self, generator: torch.Generator | None = None, sample_shape: tuple[int, ...] = ()) -> Tensor:
        """z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) of shape (*sample_shape, B, K)."""
        eps = torch.randn((*sample_shape, *self.mu.shape), generator=generator, device=self.mu.device,
                          dtype=self.mu.dtype)
        return self.mu + torch.exp(0.5 * self.logvar) * eps

    def marginal_log_prob(self, z: Tensor) -> Tensor:
        return log_density_gaussian(z, self.mu, self.logvar)


def gaussian_params(posterior: Posterior, need: str, instead: str) -> tuple[Tensor, Tensor]:
    """The posterior's (mu, logvar), each (B, K); NotGaussianError saying that ``need`` needs them (``instead``:
    what to use otherwise) when the posterior is not a diagonal Gaussian."""
    params = posterior.gaussian
    if params is None:
        raise NotGaussianError(f"{need} needs a Gaussian encoder; {instead} (this model's posterior is a "
                               f"{type(posterior).__name__})")
    return params
