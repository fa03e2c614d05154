"""Which latent dim encodes which ground-truth factor (the matrix MIG (dlib) is built from), or, for a dataset without
factors or on request, which dim encodes which attribute (side information); and the run's typical item (the default
base of a traversal). Both read the same cached sample of encoded items (``analysis.encoded``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from models import Dataset, dim_factor_information, get_dataset

from ..convert import to_int_lists, to_lists
from ..errors import Problem
from ..inference import InferenceExecutor
from ..runs import RunRecord
from ..store import LoadedRun, RunStore
from .analysis import encoded

N_BINS = 20  # equal-width bins per dim (and per continuous attribute), as dlib's MIG
Source = Literal["factors", "attributes"]
BINNING = (f"every latent dim, and every continuous attribute, is cut into {N_BINS} equal-width bins over its range "
           "on the sample (the discretisation MIG (dlib) applies to codes); factors and categorical attributes are "
           "used as they are")


class NoFactors(Problem):
    status, slug = 409, "no-factors"


@dataclass(frozen=True)
class MiColumns:
    """The columns v_c of the matrix for a sample of N items: their names, kinds ("factor", "categorical" or
    "continuous") and (N, C) values (integers, except a continuous attribute's reals, binned by the metric)."""

    names: list[str]
    kinds: list[str]
    values: np.ndarray

    @property
    def continuous(self) -> list[bool]:
        return [kind == "continuous" for kind in self.kinds]


def available_sources(dataset: Dataset) -> list[Source]:
    """What the dataset can give the matrix's columns: its ground-truth factors and/or its attributes."""
    info = dataset.info
    offered: tuple[tuple[Source, tuple[str, ...]], ...] = (("factors", info.factor_names),
                                                           ("attributes", info.attribute_names))
    return [source for source, names in offered if names]


def check_source(record: RunRecord, asked: Source | None) -> Source:
    """``resolve_source`` for the run's dataset, before its model is loaded."""
    return resolve_source(get_dataset(record.dataset), asked)


def resolve_source(dataset: Dataset, asked: Source | None) -> Source:
    """The columns to use: ``asked``, or without it the dataset's factors, else its attributes; 409 when the
    dataset has none of what is asked."""
    sources = available_sources(dataset)
    name = dataset.info.name
    if not sources:
        raise NoFactors(f"dataset {name!r} has neither ground-truth factors nor attributes, so there is no dim x "
                        "factor matrix; the page still shows the information per latent dim, and Explore its "
                        "traversals")
    if asked is not None and asked not in sources:
        raise NoFactors(f"dataset {name!r} has no {asked}; source: expected one of {sources}")
    return asked or sources[0]


def mi_columns(dataset: Dataset, source: Source, index: np.ndarray) -> MiColumns:
    """The ``source`` columns for the items ``index`` (B,): the factors, or the attributes (class indices and
    reals)."""
    info = dataset.info
    if source == "factors":
        return MiColumns(list(info.factor_names), ["factor"] * len(info.factor_names), dataset.factors(index))
    return MiColumns(list(info.attribute_names), list(info.attribute_kinds), dataset.attributes(index))


def factor_mi_view(store: RunStore, loaded: LoadedRun, executor: InferenceExecutor, n: int, seed: int,
                   source: Source) -> dict[str, Any]:
    """I(z_k; v_c) / H(v_c) on the binned mean codes of ``n`` sampled items for the ``source`` columns (resolved by
    ``check_source``), each column's best dim and gap; cached per run version."""

    def compute() -> dict[str, Any]:
        enc = encoded(store, loaded, executor, n, seed)
        columns = mi_columns(loaded.dataset, source, enc.index)
        info = dim_factor_information(enc.mu, columns.values, N_BINS, columns.continuous)
        return {"run_id": loaded.run_id, "version": loaded.version, "n_items": len(enc.index), "seed": seed,
                "n_bins": N_BINS, "source": source, "sources": available_sources(loaded.dataset),
                "binning": BINNING, "factors": columns.names, "kinds": columns.kinds,
                "dims": list(range(enc.mu.shape[1])), "mutual_info": to_lists(info.mutual_info),
                "entropy": to_lists(info.entropy), "normalised": to_lists(info.normalised),
                "best_dim": to_int_lists(info.best_dim), "gap": to_lists(info.gap), "mig": float(np.mean(info.gap))}

    return store.memo((loaded.run_id, loaded.version, "factor_mi", source, n, seed), compute)


def typical_row(factors: np.ndarray, sizes: Sequence[int], codes: np.ndarray) -> int:
    """The row nearest the middle of every factor: the least sum over factors f of |v_f - (size_f - 1) / 2| /
    size_f (for dSprites a centred mid-size sprite); ties (every row when there are no factors) go to the row whose
    code is nearest the sample's mean code, then to the first. factors: (N, F) ints; codes: (N, K)."""
    middle = (np.asarray(sizes, dtype=np.float64) - 1) / 2  # (F,)
    off_middle = (np.abs(factors - middle) / np.asarray(sizes, dtype=np.float64)).sum(axis=1)  # (N,)
    off_mean = np.linalg.norm(codes - codes.mean(axis=0), axis=1)  # (N,)
    return int(np.lexsort((np.arange(len(codes)), off_mean, np.round(off_middle, 9)))[0])


def typical_item_view(store: RunStore, loaded: LoadedRun, executor: InferenceExecutor, n: int, seed: int
                      ) -> dict[str, Any]:
    """The typical item among ``n`` sampled items (``typical_row``), with its factor values and why it was chosen."""
    enc = encoded(store, loaded, executor, n, seed)
    info = loaded.dataset.info
    factors = loaded.dataset.factors(enc.index) if info.factor_names else np.zeros((len(enc.index), 0), np.int64)
    row = typical_row(factors, info.factor_sizes, enc.mu)
    rule = ("the item nearest the middle value of every factor, then nearest the mean code" if info.factor_names
            else "the item whose code is nearest the mean code")
    return {"run_id": loaded.run_id, "version": loaded.version, "index": int(enc.index[row]),
            "factors": {name: int(v) for name, v in zip(info.factor_names, factors[row], strict=True)},
            "factor_sizes": {name: int(s) for name, s in zip(info.factor_names, info.factor_sizes, strict=True)},
            "rule": rule, "n_items": len(enc.index), "seed": seed}
