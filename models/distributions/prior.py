"""p(z) as a submodule of the model: its learnable parameters (if any) are saved with the weights.

A ``Prior`` gives log_prob, sample, the KL to a posterior (Monte Carlo unless a subclass knows it exactly),
per-dim KL where the prior factorises, and each marginal's quantiles and standard deviation (empirical from
seeded draws unless a subclass knows them exactly).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import torch
from torch import Tensor, nn

from .posterior import FactorisedPosterior, Posterior

QUANTILE_SAMPLES = 1 << 15  # seeded draws behind the default (empirical) marginal quantiles and sd


class NotFactorisedError(ValueError):
    """A per-dim quantity asked of a prior or posterior that does not factorise over the latent dims."""


class Prior(nn.Module, ABC):
    """p(z) over K latents. Holds a non-persistent buffer so that ``sample`` follows the model's device and
    dtype without adding anything to its weights file."""

    anchor: Tensor  # () zero, non-persistent

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.register_buffer("anchor", torch.zeros(()), persistent=False)

    @abstractmethod
    def log_prob(self, z: Tensor) -> Tensor:
        """log p(z): (..., K) -> (...)."""

    @abstractmethod
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """(n, K) draws from p(z), on the prior's device (a generator must live there too)."""

    def kl(self, posterior: Posterior, z: Tensor | None = None) -> Tensor:
        """KL(q(z|x) || p(z)) per item (B,): the one-sample Monte Carlo estimate log q(z|x) - log p(z) at
        ``z`` (B, K) drawn from the posterior (the caller's training sample when given, else a fresh draw)."""
        z = posterior.rsample() if z is None else z
        return posterior.log_prob(z) - self.log_prob(z)

    def kl_per_dim(self, posterior: Posterior, z: Tensor | None = None) -> Tensor:
        """KL(q(z_j|x) || p(z_j)) per item and dim (B, K); only where the prior factorises."""
        raise NotFactorisedError(f"{type(self).__name__} does not factorise over the latent dims; per-dim KL "
                                 "needs a factorised prior")

    def marginal_quantiles(self, probs: Tensor) -> Tensor:
        """Quantiles of each marginal p(z_j): probs (P,) in (0, 1) -> (P, K). Empirical, from seeded draws."""
        check_probs(probs)
        draws = self._seeded_draws()  # (S, K)
        return torch.quantile(draws, probs.to(draws), dim=0).to(probs.dtype)

    def marginal_quantiles_at_scores(self, scores: Tensor) -> Tensor:
        """(P,) standard-normal scores t -> (P, K) float64: each marginal's quantile at Phi(t), the value with the
        coverage of t sd of a Gaussian (traversal spans in prior units). ValueError where Phi(t) is 0 or 1 in
        float64 (|t| past about 8.2), whose quantile no probability can name."""
        probs = torch.special.ndtr(scores.double())
        if not bool(((probs > 0) & (probs < 1)).all()):
            raise ValueError(f"scores: Phi(t) must lie strictly inside (0, 1) in float64 (|t| <= 8.2), got t from "
                             f"{float(scores.min()):g} to {float(scores.max()):g}")
        return self.marginal_quantiles(probs).double()

    def marginal_std(self) -> Tensor:
        """(K,) standard deviation of each marginal p(z_j). Empirical, from seeded draws."""
        return self._seeded_draws().std(0)

    def _seeded_draws(self) -> Tensor:
        """(QUANTILE_SAMPLES, K) float64 draws from a generator seeded with 0: the same numbers every call."""
        generator = torch.Generator(device=self.anchor.device).manual_seed(0)
        return self.sample(QUANTILE_SAMPLES, generator).double()


class FactorisedPrior(Prior):
    """p(z) = prod_j p_j(z_j): log_prob sums the marginals; per-dim KL is defined (Monte Carlo by default)."""

    @abstractmethod
    def marginal_log_prob(self, z: Tensor) -> Tensor:
        """log p_j(z_j) per dim: (..., K) -> (..., K)."""

    def log_prob(self, z: Tensor) -> Tensor:
        return self.marginal_log_prob(z).sum(-1)

    def kl_per_dim(self, posterior: Posterior, z: Tensor | None = None) -> Tensor:
        """One-sample Monte Carlo log q(z_j|x) - log p_j(z_j) at ``z`` (B, K) from the posterior; (B, K)."""
        return marginal_kl(posterior, z, self.marginal_log_prob)


def marginal_kl(posterior: Posterior, z: Tensor | None, prior_marginals: Callable[[Tensor], Tensor]) -> Tensor:
    """(B, K): the one-sample Monte Carlo log q(z_j|x) - log p_j(z_j) at ``z`` (B, K) drawn from the posterior (a
    fresh draw when None), with ``prior_marginals`` (..., K) -> (..., K) the log density of each marginal p_j."""
    if not isinstance(posterior, FactorisedPosterior):
        raise NotFactorisedError(f"per-dim KL needs a factorised posterior, got a {type(posterior).__name__}")
    z = posterior.rsample() if z is None else z
    return posterior.marginal_log_prob(z) - prior_marginals(z)


def check_probs(probs: Tensor) -> None:
    """ValueError unless ``probs`` is a 1-D tensor of values strictly inside (0, 1)."""
    if probs.ndim != 1 or not bool(((probs > 0) & (probs < 1)).all()):
        raise ValueError(f"probs: expected a 1-D tensor of values in (0, 1), got {probs.tolist()}")
