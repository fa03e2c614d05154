"""Observation models p(x|z) over a decoder's raw output (B, *shape)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..base import DataSpec
from .net_config import NetConfig


class Likelihood(nn.Module):
    """Bernoulli (raw = logits) or Gaussian with a learned per-feature log-scale (raw = mean)."""

    def __init__(self, kind: str, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.kind = kind
        if kind == "gaussian":
            self.log_scale = nn.Parameter(torch.zeros(shape))

    def log_prob(self, raw: Tensor, x: Tensor) -> Tensor:
        """(B, *shape) x2 -> (B,): log p(x|z) summed over features."""
        if self.kind == "bernoulli":
            ll = -F.binary_cross_entropy_with_logits(raw, x, reduction="none")
        else:
            log_scale = self.log_scale.clamp(-7.0, 5.0)
            ll = -0.5 * math.log(2 * math.pi) - log_scale - 0.5 * ((x - raw) * torch.exp(-log_scale)) ** 2
        return ll.flatten(1).sum(1)

    def mean(self, raw: Tensor) -> Tensor:
        return torch.sigmoid(raw) if self.kind == "bernoulli" else raw


def build_likelihood(config: NetConfig, data: DataSpec) -> Likelihood:
    kind = data.likelihood if config.likelihood == "auto" else config.likelihood
    if kind == "bernoulli" and data.likelihood != "bernoulli":
        raise ValueError("likelihood 'bernoulli' needs data in [0, 1], and this dataset's values are real numbers; "
                         "expected 'auto' or 'gaussian'")
    return Likelihood(kind, data.shape)
