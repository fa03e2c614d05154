"""Per-attribute distributions over s in model units, shared by the heads p(s|z*) and q(s|z).

Categorical: softmax over logits (..., C). Continuous: Gaussian N(mean, exp(log_var)) over the standardised
value, mean (...) and log_var (...) (broadcastable: a head's variance is one learned number per attribute).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..distributions import log_density_gaussian


@dataclass(frozen=True)
class CategoricalOut:
    logits: Tensor  # (..., C)

    def log_probs(self) -> Tensor:
        """(..., C) log-probabilities of every class."""
        return torch.log_softmax(self.logits, dim=-1)

    def log_prob(self, value: Tensor) -> Tensor:
        """value (...) int64 class indices -> (...) log-probability."""
        return self.log_probs().gather(-1, value.unsqueeze(-1)).squeeze(-1)

    def probs(self) -> Tensor:
        return torch.softmax(self.logits, dim=-1)


@dataclass(frozen=True)
class GaussianOut:
    mean: Tensor  # (...)
    log_var: Tensor  # (...) or broadcastable to mean

    def log_prob(self, value: Tensor) -> Tensor:
        """value (...) standardised -> (...) log-density (nats)."""
        return log_density_gaussian(value, self.mean, self.log_var)

    def rsample(self, noise: Tensor) -> Tensor:
        """noise (...) standard normal -> a reparameterised draw (...)."""
        return self.mean + (0.5 * self.log_var).exp() * noise

    def variance(self) -> Tensor:
        return self.log_var.exp().expand_as(self.mean)


AttributeOut = CategoricalOut | GaussianOut
