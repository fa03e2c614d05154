"""The dataset contract: every dataset serves items by index with its ground truth and metadata.

Arrays, not tensors: datasets are numpy-only so that metrics, the API and notebooks can use them
without torch. Training wraps them (see ``models.training``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from .attributes import Attribute, find_attribute

Kind = Literal["image", "grouped_vector", "sequence"]
Likelihood = Literal["bernoulli", "gaussian"]


@dataclass(frozen=True)
class Group:
    """A named slice ``[start, stop)`` of the flattened item (oi-VAE's groups)."""

    name: str
    start: int
    stop: int


@dataclass(frozen=True)
class DatasetInfo:
    """What a client needs to know about a dataset before touching an item."""

    name: str
    kind: Kind
    shape: tuple[int, ...]  # one item, e.g. (1, 64, 64) for images, (30,) for vectors
    n_items: int
    likelihood: Likelihood  # the natural decoder likelihood for this data
    description: str
    factor_names: tuple[str, ...] = ()  # discrete ground-truth factors (for MIG etc.)
    factor_sizes: tuple[int, ...] = ()  # number of values of each factor
    attribute_names: tuple[str, ...] = ()  # side information (continuous or categorical)
    attribute_kinds: tuple[Literal["categorical", "continuous"], ...] = ()
    groups: tuple[Group, ...] = ()  # empty for non-grouped data
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def n_features(self) -> int:
        return int(np.prod(self.shape))

    @property
    def group_starts(self) -> tuple[int, ...]:
        """The flattened-feature index where each group begins (empty for non-grouped data)."""
        return tuple(g.start for g in self.groups)


class FactorGrid:
    """A full grid of discrete factors, indexed row-major (mixed radix, last factor fastest)."""

    def __init__(self, sizes: tuple[int, ...]) -> None:
        if not sizes or any(int(s) < 1 for s in sizes):
            raise ValueError(f"factor sizes must be positive, got {sizes!r}")
        self.sizes = tuple(int(s) for s in sizes)
        # strides[f] = prod(sizes[f+1:]), so index = sum_f factor[f] * strides[f]
        self.strides = np.cumprod((self.sizes[1:] + (1,))[::-1])[::-1].astype(np.int64)  # (F,)

    @property
    def size(self) -> int:
        """Number of grid points (= number of items)."""
        return int(np.prod(self.sizes))

    @property
    def n_factors(self) -> int:
        return len(self.sizes)

    def to_index(self, factors: np.ndarray) -> np.ndarray:
        """(B, F) int factor indices -> (B,) int64 grid indices."""
        factors = np.asarray(factors, dtype=np.int64).reshape(-1, self.n_factors)
        if np.any(factors < 0) or np.any(factors >= np.asarray(self.sizes)):
            raise IndexError("factor index out of range")
        return factors @ self.strides

    def to_factors(self, indices: np.ndarray) -> np.ndarray:
        """(B,) int grid indices -> (B, F) int64 factor indices."""
        indices = check_indices(indices, self.size)
        return (indices[:, None] // self.strides[None, :]) % np.asarray(self.sizes, dtype=np.int64)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, F) int64 factor indices, each factor uniform and independent (= uniform over the grid)."""
        return np.stack([rng.integers(0, s, size=n) for s in self.sizes], axis=1).astype(np.int64)

    def __repr__(self) -> str:
        return f"FactorGrid({self.sizes})"


def evenly_spaced(indices: np.ndarray, cap: int) -> np.ndarray:
    """At most ``cap`` of ``indices`` (sorted), evenly spaced over them; all of them when there are no more.
    A subset that spans the whole dataset, where the first ``cap`` would be one corner of a dataset stored
    in factor order (dSprites' first thousand items are all small squares)."""
    if len(indices) <= cap:
        return indices
    return indices[np.linspace(0, len(indices) - 1, cap).round().astype(np.int64)]


def check_indices(indices: np.ndarray, n_items: int) -> np.ndarray:
    """Any int array-like -> (B,) int64, after checking every index lies in [0, n_items)."""
    indices = np.asarray(indices)
    if indices.size and not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"indices must be integers, got {indices.dtype}")
    indices = indices.astype(np.int64).reshape(-1)
    if indices.size and (indices.min() < 0 or indices.max() >= n_items):
        raise IndexError(f"index out of range [0, {n_items})")
    return indices


class Dataset(ABC):
    """Items by index. ``items`` returns float32 of shape (B, *info.shape)."""

    info: DatasetInfo
    grid: FactorGrid | None = None  # set when the items are exactly a full factor grid (index = grid index)
    _schema: tuple[Attribute, ...] = ()  # the schema of each column of ``attributes``, in info.attribute_names order

    def __len__(self) -> int:
        return self.info.n_items

    @abstractmethod
    def items(self, indices: np.ndarray) -> np.ndarray:
        """(B,) int indices -> (B, *shape) float32."""

    def factors(self, indices: np.ndarray) -> np.ndarray:
        """(B,) -> (B, n_factors) int64 ground-truth factor indices (0 columns when none)."""
        return np.zeros((len(indices), 0), dtype=np.int64)

    def attributes(self, indices: np.ndarray) -> np.ndarray:
        """(B,) -> (B, n_attributes) float64 side information (0 columns when none)."""
        return np.zeros((len(indices), 0), dtype=np.float64)

    def attribute_specs(self) -> tuple[Attribute, ...]:
        """What each attribute is: name, kind, class names or range and unit (empty when none)."""
        return self._schema

    def attribute(self, name: str) -> Attribute:
        """The schema of attribute ``name``; UnknownAttributeError listing the dataset's attributes."""
        return find_attribute(self._schema, name, f"dataset {self.info.name!r}")[1]

    def attribute_values(self, name: str, indices: np.ndarray | None = None) -> np.ndarray:
        """(B,) values of attribute ``name`` for ``indices`` ((N,) for every item when None): int64 class
        indices for a categorical attribute, float64 for a continuous one. Never renders an item."""
        j, spec = find_attribute(self._schema, name, f"dataset {self.info.name!r}")
        every = np.arange(len(self), dtype=np.int64) if indices is None else indices
        return self.attributes(every)[:, j].astype(spec.dtype)


def check_schema(info: DatasetInfo, schema: tuple[Attribute, ...]) -> tuple[Attribute, ...]:
    """``schema`` after checking that it describes exactly info's attribute names and kinds, in order."""
    if tuple((a.name, a.kind) for a in schema) != tuple(zip(info.attribute_names, info.attribute_kinds, strict=True)):
        raise ValueError(f"dataset {info.name!r}: the attribute schema {[a.name for a in schema]} does not match "
                         f"info.attribute_names {list(info.attribute_names)} and their kinds")
    return schema


class ArrayDataset(Dataset):
    """A dataset held in memory: items (N, *shape), factors (N, F) and attributes (N, A) described by
    ``schema`` (one Attribute per column)."""

    def __init__(
        self,
        info: DatasetInfo,
        x: np.ndarray,
        factors: np.ndarray | None = None,
        attributes: np.ndarray | None = None,
        schema: tuple[Attribute, ...] = (),
    ) -> None:
        n = info.n_items
        self.info = info
        self._schema = check_schema(info, schema)
        self._x = np.ascontiguousarray(x, dtype=np.float32).reshape((n, *info.shape))  # (N, *shape)
        f = np.zeros((n, 0)) if factors is None else factors
        a = np.zeros((n, 0)) if attributes is None else attributes
        self._factors = np.asarray(f, dtype=np.int64).reshape(n, len(info.factor_names))  # (N, F)
        self._attributes = np.asarray(a, dtype=np.float64).reshape(n, len(info.attribute_names))  # (N, A)

    def items(self, indices: np.ndarray) -> np.ndarray:
        return self._x[check_indices(indices, len(self))]

    def factors(self, indices: np.ndarray) -> np.ndarray:
        return self._factors[check_indices(indices, len(self))]

    def attributes(self, indices: np.ndarray) -> np.ndarray:
        return self._attributes[check_indices(indices, len(self))]
