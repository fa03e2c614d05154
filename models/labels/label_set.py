"""LabelSet: for each attribute of one dataset, the values known for some of its items.

Immutable: every array is read-only and every change (``merge``, ``extend``) returns a new set. Wherever
labels come from (the simulated oracle, an upload, the label store's rows), they arrive as (item, attribute,
value) rows or as arrays and leave through ``indices``/``values``, so a lens never asks where they came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from ..datasets import Attribute, Dataset, UnknownAttributeError
from ..datasets.base import check_indices
from .rows import check_rows


@dataclass(frozen=True, eq=False)
class Column:
    """One attribute's labels: ``indices`` (L,) int64 item indices, sorted and distinct, and ``values`` (L,)
    (int64 class indices, or float64), both read-only."""

    attribute: Attribute
    indices: np.ndarray
    values: np.ndarray


class LabelSet:
    """Labels of some items of dataset ``dataset`` (``n_items`` items), per attribute. Build with ``from_rows``,
    ``from_arrays`` or ``models.labels.reveal``."""

    def __init__(self, dataset: str, n_items: int, columns: Iterable[Column]) -> None:
        self.dataset, self.n_items = dataset, n_items
        self._columns = {c.attribute.name: c for c in columns}

    @classmethod
    def from_arrays(cls, dataset: Dataset, arrays: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> LabelSet:
        """{attribute: ((L,) item indices, (L,) values)} -> a LabelSet; ValueError when an index repeats or a
        value does not fit the attribute (class index out of range, non-finite or out-of-range float)."""
        columns = [_column(dataset.attribute(name), indices, values, len(dataset))
                   for name, (indices, values) in arrays.items()]
        return cls(dataset.info.name, len(dataset), columns)

    @classmethod
    def from_rows(cls, rows: Iterable[object], dataset: Dataset, first_row: int = 1) -> LabelSet:
        """(item, attribute, value) rows -> a LabelSet; the k-th row (from 0) is row ``first_row + k`` in errors."""
        return cls.from_numbered(enumerate(rows, start=first_row), dataset)

    @classmethod
    def from_numbered(cls, rows: Iterable[tuple[int, object]], dataset: Dataset) -> LabelSet:
        """(row number, (item, attribute, value)) pairs -> a LabelSet, every row checked (``check_rows``)."""
        return cls.from_arrays(dataset, check_rows(rows, dataset))

    @property
    def attributes(self) -> tuple[str, ...]:
        """The attributes this set holds labels for (possibly none yet for some), in order."""
        return tuple(self._columns)

    @property
    def n_labels(self) -> int:
        """Labelled (item, attribute) pairs, over every attribute."""
        return sum(len(c.indices) for c in self._columns.values())

    def attribute(self, name: str) -> Attribute:
        """The schema of attribute ``name`` (kind, classes or range)."""
        return self._column(name).attribute

    def indices(self, name: str) -> np.ndarray:
        """(L,) int64 sorted item indices labelled for attribute ``name`` (read-only)."""
        return self._column(name).indices

    def values(self, name: str) -> np.ndarray:
        """(L,) their values, aligned with ``indices(name)``: int64 class indices or float64 (read-only)."""
        return self._column(name).values

    def rows(self) -> Iterator[tuple[int, str, int | float]]:
        """Every label as (item, attribute, value), attribute by attribute, items in order."""
        for name, column in self._columns.items():
            for item, value in zip(column.indices.tolist(), column.values.tolist(), strict=True):
                yield item, name, value

    def merge(self, later: LabelSet) -> LabelSet:
        """This set and ``later``'s labels; where both label an item's attribute, ``later``'s value stands."""
        if (later.dataset, later.n_items) != (self.dataset, self.n_items):
            raise ValueError(f"labels of dataset {later.dataset!r} cannot merge into labels of {self.dataset!r}")
        columns = dict(self._columns)
        for name, new in later._columns.items():
            old = columns.get(name)
            if old is not None and old.attribute != new.attribute:
                raise ValueError(f"attribute {name!r} has another schema in the later labels")
            columns[name] = new if old is None else _replace(old, new)
        return LabelSet(self.dataset, self.n_items, columns.values())

    def extend(self, rows: Iterable[object], dataset: Dataset, first_row: int = 1) -> LabelSet:
        """``merge`` with the labels of (item, attribute, value) ``rows`` (checked as in ``from_rows``)."""
        return self.merge(LabelSet.from_rows(rows, dataset, first_row))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LabelSet):
            return NotImplemented
        same = (self.dataset, self.n_items, self.attributes) == (other.dataset, other.n_items, other.attributes)
        return same and all(
            a.attribute == b.attribute and np.array_equal(a.indices, b.indices) and np.array_equal(a.values, b.values)
            for a, b in zip(self._columns.values(), other._columns.values(), strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}: {len(c.indices)}" for name, c in self._columns.items())
        return f"LabelSet({self.dataset!r}, {{{counts}}})"

    def _column(self, name: str) -> Column:
        if name not in self._columns:
            raise UnknownAttributeError(f"the label set has no attribute {name!r}; expected one of {self.attributes}")
        return self._columns[name]


def _column(attribute: Attribute, indices: np.ndarray, values: np.ndarray, n_items: int) -> Column:
    """Checked, sorted by item and frozen."""
    indices = check_indices(indices, n_items)  # (L,) int64
    values = np.asarray(values).reshape(-1)
    if len(values) != len(indices) or len(np.unique(indices)) != len(indices):
        raise ValueError(f"attribute {attribute.name!r}: expected one value per item and distinct items, got "
                         f"{len(indices)} indices ({len(np.unique(indices))} distinct) and {len(values)} values")
    _check_values(attribute, values)
    order = np.argsort(indices, kind="stable")
    return Column(attribute, _frozen(indices[order]), _frozen(values[order].astype(attribute.dtype)))


def _check_values(attribute: Attribute, values: np.ndarray) -> None:
    """ValueError unless every value fits ``attribute``: class indices in range, or finite floats in [lo, hi]."""
    if attribute.kind == "categorical":
        ok = (np.issubdtype(values.dtype, np.integer) or values.size == 0) and bool(
            np.all((values >= 0) & (values < len(attribute.classes))))
        expected = f"class indices 0..{len(attribute.classes) - 1}"
    else:
        ok = np.issubdtype(values.dtype, np.number) and bool(
            np.all(np.isfinite(values) & (values >= attribute.lo) & (values <= attribute.hi)))
        expected = f"finite numbers in [{attribute.lo}, {attribute.hi}]"
    if not ok:
        raise ValueError(f"attribute {attribute.name!r}: expected {expected}, got values of dtype {values.dtype}")


def _replace(old: Column, new: Column) -> Column:
    """``old``'s labels with ``new``'s added, ``new``'s value standing where both label an item."""
    indices = np.concatenate([new.indices, old.indices])  # new first: np.unique keeps the first occurrence
    values = np.concatenate([new.values, old.values])
    kept = np.unique(indices, return_index=True)[1]
    return Column(old.attribute, _frozen(indices[kept]), _frozen(values[kept]))


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
