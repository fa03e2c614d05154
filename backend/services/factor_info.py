"""Which latent dim encodes which ground-truth factor (the matrix MIG (dlib) is built from), and the run's typical
item (the default base of a traversal). Both read the same cached sample of encoded items (``analysis.encoded``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from models import dim_factor_information, get_dataset

from ..convert import to_int_lists, to_lists
from ..errors import Problem
from ..inference import InferenceExecutor
from ..runs import RunRecord
from ..store import LoadedRun, RunStore
from .analysis import encoded

N_BINS = 20  # equal-width bins per dim, as dlib's MIG


class NoFactors(Problem):
    status, slug = 409, "no-factors"


def check_factors(record: RunRecord) -> list[str]:
    """The run's dataset's ground-truth factors (before its model is loaded); 409 when it has none."""
    names = list(get_dataset(record.dataset).info.factor_names)
    if not names:
        raise NoFactors(f"dataset {record.dataset!r} has no ground-truth factors, so there is no dim x factor "
                        "matrix; expected a run on a dataset with factors (e.g. dsprites, glyphs)")
    return names


def factor_mi_view(store: RunStore, loaded: LoadedRun, executor: InferenceExecutor, n: int, seed: int
                   ) -> dict[str, Any]:
    """I(z_k; v_f) / H(v_f) on the binned mean codes of ``n`` sampled items, each factor's best dim and gap;
    cached per run version (``check_factors`` first)."""
    names = list(loaded.dataset.info.factor_names)

    def compute() -> dict[str, Any]:
        enc = encoded(store, loaded, executor, n, seed)
        info = dim_factor_information(enc.mu, loaded.dataset.factors(enc.index), N_BINS)
        return {"run_id": loaded.run_id, "version": loaded.version, "n_items": len(enc.index), "seed": seed,
                "n_bins": N_BINS, "factors": names, "dims": list(range(enc.mu.shape[1])),
                "mutual_info": to_lists(info.mutual_info), "entropy": to_lists(info.entropy),
                "normalised": to_lists(info.normalised), "best_dim": to_int_lists(info.best_dim),
                "gap": to_lists(info.gap), "mig": float(np.mean(info.gap))}

    return store.memo((loaded.run_id, loaded.version, "factor_mi", n, seed), compute)


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
