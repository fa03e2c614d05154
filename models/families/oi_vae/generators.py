"""oi-VAE's generative side: per group g, x^(g) = f_g(W^(g) z) (seed 000, Sec. 4; SCIENCE.md section 4).

All G generators run as one batched MLP: layer l holds a (G, n_in, n_out) weight, and groups smaller than
the largest are padded with output weights that start at zero and stay zero (they never reach the output,
so no gradient moves them, and the weight prior keeps zeros at zero).
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import Tensor, nn

from ...base import DataSpec
from ...datasets import Group


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


def _uniform(shape: tuple[int, ...], fan_in: int) -> nn.Parameter:
    """nn.Linear's default initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / math.sqrt(fan_in)
    return nn.Parameter(torch.empty(shape).uniform_(-bound, bound))


class GroupedGenerator(nn.Module):
    """z (B, K) -> raw output (B, D): the concatenated f_g(W^(g) z) over groups in feature order.

    ``W`` (G, p, K) holds every latent-to-group matrix; column W[g, :, j] links latent j to group g.
    """

    columns: Tensor  # buffer (D,): the valid columns of the padded (G * d_max) output, in feature order

    def __init__(self, groups: tuple[Group, ...], latent_dim: int, group_input_dim: int,
                 hidden: tuple[int, ...], w_init_std: float) -> None:
        super().__init__()
        sizes = [g.stop - g.start for g in groups]  # plain ints: no data-dependent op (builds on "meta" too)
        n_groups, d_max = len(groups), max(sizes)
        self.W = nn.Parameter(w_init_std * torch.randn(n_groups, group_input_dim, latent_dim))
        widths = [group_input_dim, *hidden, d_max]
        self.weights = nn.ParameterList(_uniform((n_groups, a, b), a) for a, b in itertools.pairwise(widths))
        self.biases = nn.ParameterList(_uniform((n_groups, 1, b), a) for a, b in itertools.pairwise(widths))
        valid = torch.arange(d_max) < torch.tensor(sizes)[:, None]  # (G, d_max): real outputs of each group
        with torch.no_grad():
            self.weights[-1].mul_(valid[:, None, :])
            self.biases[-1].mul_(valid[:, None, :])
        columns = [g * d_max + i for g, size in enumerate(sizes) for i in range(size)]  # valid.flatten().nonzero()
        self.register_buffer("columns", torch.tensor(columns), persistent=False)  # (D,)

    def forward(self, z: Tensor) -> Tensor:
        h = torch.einsum("gpk,bk->gbp", self.W, z)  # (G, B, p): W^(g) z for every group
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(bias, h, weight)  # (G, B, n_out)
            h = torch.relu(h) if i < len(self.weights) - 1 else h
        return h.transpose(0, 1).flatten(1)[:, self.columns]  # (B, G * d_max) -> (B, D)

    def column_norms(self) -> Tensor:
        """(G, K): ||W^(g)[:, j]||_2 (exact zeros stay exactly zero)."""
        return torch.linalg.vector_norm(self.W, dim=1)

    def theta_sq_norm(self) -> Tensor:
        """||theta||^2 over the generator MLPs' weights and biases (not W); -log N(theta; 0, I) = this / 2 + c."""
        params = [*self.weights, *self.biases]
        return torch.stack([p.pow(2).sum() for p in params]).sum()
