"""Gaussian encoders: x (B, *shape) -> mu (B, K), logvar (B, K)."""

from __future__ import annotations

import math

from torch import Tensor, nn

from ..base import DataSpec
from .conv import channel_plan, down_stack, halvings
from .mlp import mlp
from .net_config import NetConfig, resolve_architecture


class GaussianEncoder(nn.Module):
    """A body mapping x to features, then one linear head giving (mu, logvar)."""

    def __init__(self, body: nn.Module, features: int, latent_dim: int) -> None:
        super().__init__()
        self.body = body
        self.head = nn.Linear(features, 2 * latent_dim)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mu, logvar = self.head(self.body(x)).chunk(2, dim=-1)
        return mu, logvar.clamp(-20.0, 10.0)


def build_encoder(config: NetConfig, data: DataSpec) -> GaussianEncoder:
    if resolve_architecture(config, data) == "conv":
        return _conv_encoder(config, data)
    n_in = math.prod(data.shape)
    body = nn.Sequential(nn.Flatten(), mlp([n_in, *config.hidden]), nn.ReLU())
    return GaussianEncoder(body, config.hidden[-1], config.latent_dim)


def _conv_encoder(config: NetConfig, data: DataSpec) -> GaussianEncoder:
    sides = halvings(data.shape[1])
    plan = channel_plan(data.shape[0], len(sides), config.conv_channels)
    flat = plan[-1] * sides[-1] ** 2
    body = nn.Sequential(down_stack(plan), nn.Flatten(), nn.Linear(flat, config.hidden[-1]), nn.ReLU(inplace=True))
    return GaussianEncoder(body, config.hidden[-1], config.latent_dim)
