"""Item sets of a run: making one (its items checked against the run's dataset, and kept only while the run it was
checked against is still there), and a set's mean posterior code beside the run's default sample's: what a selection
has that the rest has not."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress

import numpy as np

from ..convert import to_lists
from ..errors import InvalidInput, Problem
from ..inference import InferenceExecutor
from ..item_sets import ItemSet, ItemSetNotFoundError, ItemSetStore
from ..runs import RunGone, RunNotFoundError, owner_check, run_nonce
from ..store import LoadedRun, RunStore
from .analysis import encoded
from .encode_chunks import encode_index

BASELINE_N, BASELINE_SEED = 500, 0  # GET .../embedding's default sample


class ItemSetMisfitError(Problem):
    """A set whose items do not fit its run's dataset (kept from an earlier run of the id): a 409 problem."""

    status, slug = 409, "item-set-misfit"


def create_set(store: RunStore, sets: ItemSetStore, run_id: str, name: str, items: Sequence[int],
               created_by: str | None) -> ItemSet:
    """A new set of the ready run ``run_id``'s ``items``: 422 naming the first item beyond its dataset, or a repeated
    one; 404 when the run is deleted (or made anew under its id) while the set is made: the set is not kept."""
    record = store.ready(run_id)
    still_there = owner_check(store.home, run_id, run_nonce(store.home, run_id))
    n_items = len(store.load(record).dataset)
    for i, item in enumerate(items):
        if item >= n_items:
            raise InvalidInput(f"body.items.{i}", f"expected an item index below the dataset's n_items = {n_items}, "
                               f"got {item}")
    if len(set(items)) != len(items):
        raise InvalidInput("body.items", "expected distinct item indices; some appear more than once")
    made = sets.create(run_id, name, items, created_by)
    try:  # a DELETE of the run between the checks above and the insert took the run's sets before this one came
        still_there()
    except RunGone:
        with suppress(ItemSetNotFoundError):  # (or after it: then it took this one too)
            sets.delete(made.set_id)
        raise RunNotFoundError(f"no run {run_id!r}: it was deleted while the set was made (the set is not kept); "
                               "expected one of the ids listed by GET /api/v1/runs") from None
    return made


def check_fits(item_set: ItemSet, loaded: LoadedRun) -> None:
    """409 naming the set when an item lies beyond ``loaded``'s dataset: a set an earlier run under the id left (made
    before deleting a run took its sets, or with that run deleted by hand)."""
    n_items = len(loaded.dataset)
    beyond = [i for i in item_set.items or [] if i >= n_items]
    if beyond:
        raise ItemSetMisfitError(
            f"item set {item_set.set_id!r} ({item_set.name!r}) cannot be read: its items do not fit the dataset of "
            f"run {loaded.run_id!r} ({loaded.dataset.info.name!r}, {n_items} items; item {beyond[0]} is beyond it): "
            "it was kept from an earlier run under this id. Expected a set of this run's items: DELETE this one and "
            f"make it again (POST /api/v1/runs/{loaded.run_id}/item-sets)")


def code_means(store: RunStore, loaded: LoadedRun, executor: InferenceExecutor, item_set: ItemSet
               ) -> tuple[list[float], list[float]]:
    """((K,) mean of the posterior means over the set's items, (K,) the same over the default sample); the set's
    mean is cached per run version; 409 when the set's items do not fit the run's dataset (``check_fits``)."""
    check_fits(item_set, loaded)

    def set_mean() -> np.ndarray:
        mu, _ = encode_index(executor, loaded, np.asarray(item_set.items, dtype=np.int64))
        return mu.mean(axis=0)

    mean = store.memo((loaded.run_id, loaded.version, "item-set", item_set.set_id), set_mean)
    baseline = encoded(store, loaded, executor, BASELINE_N, BASELINE_SEED).mu.mean(axis=0)
    return to_lists(mean), to_lists(baseline)
