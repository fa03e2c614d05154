"""Exact marginalisation over the classes of unlabelled categorical attributes (Kingma et al. 2014, M2).

For an item whose categorical attributes J_u are unlabelled, the objective is
    sum_{c in prod_{j in J_u} classes_j} q(c | z) * (ELBO(z, c) - log q(c | z)),  q(c | z) = prod_j q(s_j = c_j | z),
so it costs prod_{j in J_u} C_j recognition passes (one for a fully labelled item). Every item is expanded into
its (item, joint class) pairs at once: with P = prod_j C_j joint classes of all categorical attributes (bounded
by ``LensConfig.max_configurations``), a pair (i, c) is kept when c agrees with item i's labelled attributes.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from .attributes import AttributeSpec, LabelBatch


def configuration_table(specs: Sequence[AttributeSpec]) -> Tensor:
    """(P, Jc) int64: every joint class of the categorical attributes of ``specs`` (in order), one per row;
    (1, 0) when there is none."""
    sizes = [range(s.n_classes) for s in specs if s.is_categorical]
    rows = list(itertools.product(*sizes))  # [()] when there is none
    return torch.tensor(rows, dtype=torch.int64).reshape(len(rows), len(sizes))


@dataclass(frozen=True)
class Expansion:
    """E (item, joint class) pairs."""

    item: Tensor  # (E,) the item of each pair
    classes: dict[str, Tensor]  # {categorical attribute: (E,) its class in the pair}
    log_weight: Tensor  # (E,) log q(c | z) over the item's unlabelled categorical attributes (0 if none)


def expand(table: Tensor, specs: Sequence[AttributeSpec], labels: LabelBatch, log_q: Mapping[str, Tensor],
           dtype: torch.dtype) -> Expansion:
    """Pairs of each item with every joint class that agrees with its labels. ``table`` is
    ``configuration_table(specs)``; ``log_q[name]`` (B, C) are q(s | z)'s log-probabilities of each categorical
    attribute; ``dtype`` is the weights' dtype."""
    categorical = [s for s in specs if s.is_categorical]
    batch = next(iter(labels.mask.values())).shape[0]
    agrees = torch.ones(batch, table.shape[0], dtype=torch.bool, device=table.device)  # (B, P)
    for j, spec in enumerate(categorical):
        known = labels.mask[spec.name].unsqueeze(1)  # (B, 1)
        agrees &= ~known | (table[:, j].unsqueeze(0) == labels.values[spec.name].unsqueeze(1))
    item, config = agrees.nonzero(as_tuple=True)  # (E,), (E,)
    classes = {s.name: table[config, j] for j, s in enumerate(categorical)}
    log_weight = torch.zeros(item.shape[0], dtype=dtype, device=item.device)
    for spec in categorical:
        log_p = log_q[spec.name][item, classes[spec.name]]  # (E,)
        log_weight = log_weight + torch.where(labels.mask[spec.name][item], 0.0, log_p)
    return Expansion(item, classes, log_weight)


def per_item(values: Tensor, item: Tensor, batch: int) -> Tensor:
    """Sum pair values (E,) into their items: (B,)."""
    return values.new_zeros(batch).index_add(0, item, values)
