"""Decoders: z (B, K) -> raw output (B, *shape) (logits or means; see likelihoods)."""

from __future__ import annotations

import math

from torch import nn

from ..base import DataSpec
from .conv import channel_plan, halvings, up_stack
from .mlp import mlp
from .net_config import NetConfig, resolve_architecture


def build_decoder(config: NetConfig, data: DataSpec) -> nn.Module:
    if resolve_architecture(config, data) == "conv":
        return _conv_decoder(config, data)
    n_out = math.prod(data.shape)
    return nn.Sequential(mlp([config.latent_dim, *reversed(config.hidden), n_out]), nn.Unflatten(1, data.shape))


def _conv_decoder(config: NetConfig, data: DataSpec) -> nn.Module:
    sides = halvings(data.shape[1])
    plan = channel_plan(data.shape[0], len(sides), config.conv_channels)
    flat = plan[-1] * sides[-1] ** 2
    return nn.Sequential(
        nn.Linear(config.latent_dim, config.hidden[-1]),
        nn.ReLU(inplace=True),
        nn.Linear(config.hidden[-1], flat),
        nn.ReLU(inplace=True),
        nn.Unflatten(1, (plan[-1], sides[-1], sides[-1])),
        up_stack(plan),
    )
