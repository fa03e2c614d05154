"""The simulated oracle: ground truth revealed for items drawn with a seed, as experiments label without a person."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..datasets import Dataset
from ..datasets.base import check_indices
from .label_set import LabelSet


def reveal(dataset: Dataset, attributes: Sequence[str], n: int, seed: int, pool: np.ndarray | None = None) -> LabelSet:
    """The true values of ``attributes`` for ``n`` items drawn uniformly without replacement from ``pool`` (any
    item indices, read as a set; every item when None) by ``np.random.default_rng(seed)``: the same seed draws
    the same items. Every attribute is revealed for the same items. Never renders an item."""
    if len(set(attributes)) != len(attributes):
        raise ValueError(f"attributes must be distinct, got {list(attributes)}")
    every = np.arange(len(dataset), dtype=np.int64)
    candidates = every if pool is None else np.unique(check_indices(pool, len(dataset)))
    if not 0 <= n <= len(candidates):
        raise ValueError(f"n must be in 0..{len(candidates)} (the pool's size), got {n}")
    items = np.random.default_rng(seed).choice(candidates, size=n, replace=False)  # (n,) distinct
    return LabelSet.from_arrays(dataset, {name: (items, dataset.attribute_values(name, items)) for name in attributes})
