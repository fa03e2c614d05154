"""oi-VAE's generative side: per group g, x^(g) = f_g(W^(g) z) (seed 000, Sec. 4; SCIENCE.md section 4)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ...base import DataSpec
from ...datasets import Group
from ...nn import mlp


def resolve_groups(data: DataSpec) -> tuple[Group, ...]:
    """The DataSpec's groups, which must tile the flattened item in order; none = one group of all features."""
    n = math.prod(data.shape)
    if not data.groups:
        return (Group("all", 0, n),)
    groups = tuple(sorted(data.groups, key=lambda g: g.start))
    edges = [(g.start, g.stop) for g in groups]
    tiles = all(a < b for a, b in edges) and all(edges[i][1] == edges[i + 1][0] for i in range(len(edges) - 1))
    if not tiles or edges[0][0] != 0 or edges[-1][1] != n:
        raise ValueError(f"oi_vae needs groups that tile features [0, {n}) without gaps or overlaps, got {edges}")
    return groups


class GroupedGenerator(nn.Module):
    """z (B, K) -> raw output (B, D): the concatenated f_g(W^(g) z) over groups in feature order.

    ``W`` (G, p, K) holds every latent-to-group matrix; column W[g, :, j] links latent j to group g.
    """

    def __init__(self, groups: tuple[Group, ...], latent_dim: int, group_input_dim: int,
                 hidden: tuple[int, ...], w_init_std: float) -> None:
        super().__init__()
        self.W = nn.Parameter(w_init_std * torch.randn(len(groups), group_input_dim, latent_dim))
        self.nets = nn.ModuleList(mlp([group_input_dim, *hidden, g.stop - g.start]) for g in groups)

    def forward(self, z: Tensor) -> Tensor:
        h = torch.einsum("gpk,bk->gbp", self.W, z)  # (G, B, p): W^(g) z for every group
        return torch.cat([f(h_g) for f, h_g in zip(self.nets, h, strict=True)], dim=1)  # (B, D)

    def column_norms(self) -> Tensor:
        """(G, K): ||W^(g)[:, j]||_2 (exact zeros stay exactly zero)."""
        return torch.linalg.vector_norm(self.W, dim=1)

    def theta_sq_norm(self) -> Tensor:
        """||theta||^2 over the generator nets' weights and biases (not W): -log N(theta; 0, I) + const, x2."""
        return sum((p.pow(2).sum() for p in self.nets.parameters()), torch.zeros((), device=self.W.device))
