"""Items chosen by what they are (factor levels, attribute values) and by where they lie in a run's latent space.

A search reads each ``name=value`` condition against the dataset's factors and attributes and matches them on the
factor or attribute column of every item at once (numpy masks over the N items; dSprites' 737,280 take a few ms).
Neighbours are found among the sample the embedding encodes (``analysis.sample_items``, cached by ``encoded``), or
among the codes a projection job stored for a larger sample.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import torch

from models import Dataset, get_dataset

from ..config import Settings
from ..convert import to_int_lists, to_numpy
from ..errors import InvalidInput, NotFound
from ..inference import InferenceExecutor
from ..projections import codes_path, read_codes
from ..schemas.common import NUMBER
from ..store import LoadedRun, RunStore
from .analysis import encoded

LEVEL = re.compile(r"[0-9]{1,9}")  # a factor level or class index written as text
FIELD = "query.where"


@dataclass(frozen=True)
class Condition:
    """Items whose factor (``factor``) or attribute column ``column`` lies in [lo, hi]; ``exact``: a single level or
    class index (lo == hi), else a continuous range."""

    name: str
    factor: bool
    column: int
    lo: float
    hi: float
    exact: bool

    @property
    def shown(self) -> int | list[float]:
        """The condition as the search read it: the index, or [lo, hi]."""
        return int(self.lo) if self.exact else [self.lo, self.hi]


def level_names(dataset: Dataset, factor: str) -> tuple[str, ...]:
    """The names of a factor's levels: the classes of the categorical attribute of the same name with one class per
    level (dSprites' shape: square, ellipse, heart); () when the dataset names none."""
    info = dataset.info
    size = info.factor_sizes[info.factor_names.index(factor)]
    named = [a.classes for a in dataset.attribute_specs()
             if a.name == factor and a.kind == "categorical" and len(a.classes) == size]
    return named[0] if named else ()


def parse_where(dataset: Dataset, where: str | None) -> list[Condition]:
    """Each comma-separated ``name=value`` as a Condition; 422 naming the condition (``query.where[i]``, from 0) and
    what was expected."""
    conditions: list[Condition] = []
    for i, entry in enumerate(where.split(",") if where else []):
        field = f"{FIELD}[{i}]"
        name, sep, value = (part.strip() for part in entry.partition("="))
        if not sep or not name or not value:
            raise InvalidInput(field, f"expected name=value (e.g. shape=heart, label=3, thickness=1.5..2), got "
                               f"{entry[:60]!r}")
        if any(c.name == name for c in conditions):
            raise InvalidInput(field, f"{name!r} is given twice; expected each name once")
        conditions.append(parse_condition(dataset, name, value, field))
    return conditions


def parse_condition(dataset: Dataset, name: str, value: str, field: str) -> Condition:
    """One condition: a factor's level first, else an attribute's class or range."""
    info = dataset.info
    if name in info.factor_names:
        j = info.factor_names.index(name)
        level = parse_level(value, info.factor_sizes[j], level_names(dataset, name), f"{field} ({name})")
        return Condition(name, True, j, level, level, True)
    if name not in info.attribute_names:
        raise InvalidInput(field, f"{dataset.info.name!r} has no factor or attribute {name[:60]!r}; expected one of "
                           f"{sorted({*info.factor_names, *info.attribute_names})}")
    j = info.attribute_names.index(name)
    spec = dataset.attribute_specs()[j]
    if spec.kind == "categorical":
        try:
            index = spec.parse(value)
        except ValueError as err:
            raise InvalidInput(f"{field} ({name})", str(err)) from None
        return Condition(name, False, j, index, index, True)
    lo, hi = parse_range(value, f"{field} ({name})", spec.lo, spec.hi)
    return Condition(name, False, j, lo, hi, False)


def parse_level(value: str, size: int, names: Sequence[str], field: str) -> int:
    """A factor level: its name (names win) or its index 0..size-1."""
    if value in names:
        return list(names).index(value)
    if LEVEL.fullmatch(value) and int(value) < size:
        return int(value)
    named = f" or one of {list(names)}" if names else ""
    raise InvalidInput(field, f"expected a level index 0..{size - 1}{named}, got {value[:60]!r}")


def parse_range(value: str, field: str, low: float | None, high: float | None) -> tuple[float, float]:
    """``lo..hi`` -> (lo, hi): two finite numbers, lo <= hi."""
    lo, sep, hi = value.partition("..")
    expected = f"a range lo..hi of this continuous attribute (values in [{low:g}, {high:g}])"
    if not (sep and re.fullmatch(NUMBER, lo.strip()) and re.fullmatch(NUMBER, hi.strip())):
        raise InvalidInput(field, f"expected {expected}, got {value[:60]!r}")
    a, b = float(lo), float(hi)
    if not (math.isfinite(a) and math.isfinite(b) and a <= b):
        raise InvalidInput(field, f"expected {expected} with finite lo <= hi, got {value[:60]!r}")
    return a, b


@lru_cache(maxsize=8)  # at most 8 x 5.9 MB (every dSprites index)
def matching(name: str, conditions: tuple[Condition, ...]) -> np.ndarray:
    """(M,) int64 indices of the items of dataset ``name`` meeting every condition, ascending (read-only; cached, so
    paging through one search computes it once)."""
    dataset = get_dataset(name)
    every = np.arange(len(dataset), dtype=np.int64)  # (N,)
    read = {kind: (dataset.factors if kind else dataset.attributes)(every)  # (N, F) or (N, A): only those read
            for kind in {c.factor for c in conditions}}
    mask = np.ones(len(dataset), dtype=bool)
    for c in conditions:
        column = read[c.factor][:, c.column]  # (N,)
        mask &= (column >= c.lo) & (column <= c.hi)
    found = every[mask]
    found.setflags(write=False)
    return found


def search_view(name: str, where: str | None, limit: int, offset: int) -> dict[str, Any]:
    """GET /datasets/{name}/items/search: how many items meet ``where``, and those from ``offset`` on (at most
    ``limit``)."""
    conditions = parse_where(get_dataset(name), where)
    found = matching(name, tuple(conditions))
    return {"dataset": name, "total": len(found), "offset": offset,
            "items": to_int_lists(found[offset:offset + limit]), "where": {c.name: c.shown for c in conditions}}


def nearest(codes: np.ndarray, index: np.ndarray, code: np.ndarray, item: int, k: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """(rows, distances) of the ``k`` rows of ``codes`` (N, K) nearest ``code`` (K,) in Euclidean distance, nearest
    first (ties: lower row first), leaving out the row whose dataset ``index`` (N,) is ``item``."""
    distance = np.linalg.norm(codes - code, axis=1)  # (N,)
    rows = np.flatnonzero(index != item)
    rows = rows[np.argsort(distance[rows], kind="stable")[:k]]
    return rows, distance[rows]


def check_item(dataset: Dataset, item: int) -> None:
    if item >= len(dataset):
        raise InvalidInput("query.item", f"expected an item index below {len(dataset)} ({dataset.info.name!r} has "
                           f"{len(dataset)} items), got {item}")


def sample_codes(store: RunStore, loaded: LoadedRun, executor: InferenceExecutor, settings: Settings, n: int,
                 seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(index (M,), mu (M, K)) of the (n, seed) sample, M = min(n, the dataset's N) (``analysis.sample_items``):
    encoded now up to max_embedding_n items (``analysis.encoded``), beyond that the codes the projection job of
    (M, seed) stored (404 saying which projection to POST while none has run)."""
    m = min(n, len(loaded.dataset))  # n past the dataset's size is every item: the sample of M = N
    if m <= settings.max_embedding_n:
        enc = encoded(store, loaded, executor, m, seed)
        return enc.index, enc.mu
    path = codes_path(store.home, loaded.run_id, loaded.version, m, seed)
    if not path.is_file():
        raise NotFound(f"the codes of a sample of {m} items (over max_embedding_n = {settings.max_embedding_n}, "
                       f"encoded on request) are not computed yet: POST /api/v1/runs/{loaded.run_id}/projections with "
                       f'{{"method": "pca", "n": {m}, "seed": {seed}, "v": "{loaded.version}"}} first, then GET this '
                       "again")
    return store.memo((loaded.run_id, loaded.version, "codes", m, seed), lambda: read_codes(path))


def neighbours_view(loaded: LoadedRun, executor: InferenceExecutor, sample: tuple[np.ndarray, np.ndarray], item: int,
                    k: int, seed: int) -> dict[str, Any]:
    """GET /runs/{id}/neighbours: the ``k`` items of ``sample`` ((N,) indices and their (N, K) posterior means: the
    embedding's (n, seed) sample) whose means lie nearest item's; the item is encoded through the executor like the
    sample. The caller checks ``item`` (``check_item``)."""
    index, codes = sample
    mu, _ = executor.run(loaded, "encode", torch.from_numpy(loaded.dataset.items(np.array([item]))))
    rows, distances = nearest(codes, index, to_numpy(mu)[0].astype(np.float64), item, k)
    return {"run_id": loaded.run_id, "version": loaded.version, "item": item, "n": len(index), "seed": seed,
            "neighbours": [{"item": int(index[r]), "distance": float(d)} for r, d in zip(rows, distances,
                                                                                           strict=True)]}
