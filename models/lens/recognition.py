"""Recognition q_phi(z* | z, s): an MLP from (z, encoded s) to a Gaussian base q0(z0) = N(mu0, sigma0^2) and the
T planar-flow parameter sets, z* = flow(z0) (SCIENCE.md section 6; seed 004, Sec. 2.3).

log q(z* | z, s) = log q0(z0) - sum_t log|det J_t|. The side input s is ``attributes.encode_side``'s (B, S).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..nn.mlp import mlp
from .flow import planar_flow


@dataclass(frozen=True)
class FlowParams:
    """One item's base Gaussian and flow, for B items."""

    mu0: Tensor  # (B, k)
    log_sigma0: Tensor  # (B, k)
    u: Tensor  # (B, T, k)
    w: Tensor  # (B, T, k)
    b: Tensor  # (B, T)


class Recognition(nn.Module):
    """q(z* | z, s) with a planar flow of length ``flow_length`` over a k-dim Gaussian base."""

    def __init__(self, input_dim: int, side_dim: int, k: int, flow_length: int, hidden: Sequence[int]) -> None:
        super().__init__()
        self.k, self.flow_length = k, flow_length
        self.net = mlp([input_dim + side_dim, *hidden, 2 * k + flow_length * (2 * k + 1)])

    def params(self, z: Tensor, s: Tensor) -> FlowParams:
        """z (B, D), s (B, S) -> the base and flow parameters of each item."""
        out = self.net(torch.cat([z, s], dim=-1))  # (B, 2k + T(2k+1))
        k, t = self.k, self.flow_length
        mu0, log_sigma0, uw, b = out.split([k, k, 2 * k * t, t], dim=-1)
        u, w = uw.reshape(out.shape[0], t, 2, k).unbind(dim=2)
        return FlowParams(mu0, log_sigma0, u, w, b)

    def sample(self, z: Tensor, s: Tensor, generator: torch.Generator | None = None,
               noise: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """A reparameterised draw z* (B, k) and log q(z* | z, s) (B,). ``noise`` (B, k) standard normal, when
        given, replaces the draw from ``generator`` (so several s can share one draw per item)."""
        p = self.params(z, s)
        if noise is None:
            noise = torch.randn(p.mu0.shape, generator=generator, device=z.device, dtype=z.dtype)
        z0 = p.mu0 + p.log_sigma0.exp() * noise
        log_q0 = -0.5 * (noise * noise + math.log(2 * math.pi)).sum(-1) - p.log_sigma0.sum(-1)  # (B,)
        z_star, log_det = planar_flow(z0, p.u, p.w, p.b)
        return z_star, log_q0 - log_det

    def mean(self, z: Tensor, s: Tensor) -> Tensor:
        """The mean path: z0 = mu0 pushed through the flow, (B, k)."""
        p = self.params(z, s)
        return planar_flow(p.mu0, p.u, p.w, p.b)[0]
