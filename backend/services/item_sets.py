"""An item set's mean posterior code beside the run's default sample's: what a selection has that the rest has not."""

from __future__ import annotations

import numpy as np

from ..convert import to_lists
from ..inference import InferenceExecutor
from ..item_sets import ItemSet
from ..store import LoadedRun, RunStore
from .analysis import encoded
from .encode_chunks import encode_index

BASELINE_N, BASELINE_SEED = 500, 0  # GET .../embedding's default sample


def code_means(store: RunStore, loaded: LoadedRun, executor: InferenceExecutor, item_set: ItemSet
               ) -> tuple[list[float], list[float]]:
    """((K,) mean of the posterior means over the set's items, (K,) the same over the default sample); the set's
    mean is cached per run version."""
    def set_mean() -> np.ndarray:
        mu, _ = encode_index(executor, loaded, np.asarray(item_set.items, dtype=np.int64))
        return mu.mean(axis=0)

    mean = store.memo((loaded.run_id, loaded.version, "item-set", item_set.set_id), set_mean)
    baseline = encoded(store, loaded, executor, BASELINE_N, BASELINE_SEED).mu.mean(axis=0)
    return to_lists(mean), to_lists(baseline)
