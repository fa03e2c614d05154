"""Opening a labelling session on a lens: the lens must be a ready lens of the run, the attributes its own; an item
set (optional) must be one of the run's, its items in the lens's dataset: it becomes the session's pool. The
session's fixed held-out set is drawn among the items the lens has no label for, first among those the set does not
hold (so every item of the set can be asked for), then, when those are too few, among the set's own
(``session_files.choose_held_out``); the queue leaves held-out items out. The lens's current version gives the
learning curve's first point (0 labels)."""

from __future__ import annotations

import numpy as np

from models import Dataset

from ..errors import InvalidInput
from ..item_sets import ItemSetStore
from ..lenses.create import base_dataset
from ..lenses.labels import load_labels
from ..lenses.views import lens_record
from ..runs import run_dir
from ..store import RunStore
from .curve import curve_point
from .model import LabelSession, SessionSet
from .session_files import choose_held_out, save_held_out, save_point
from .store import LabelStore


def open_session(store: RunStore, labels: LabelStore, run_id: str, lens_id: str, attributes: list[str] | None,
                 strategy: str, batch_size: int, refit_every: int, item_set: str | None = None) -> LabelSession:
    """A new open session (404 unknown run, lens or item set, 409 a lens not ready, 422 an attribute the lens lacks
    or a set of another run or dataset)."""
    record = store.ready(lens_record(store, run_id, lens_id).run_id)
    own = [a["name"] for a in record.config["attributes"]]
    names = attributes or own
    if not set(names) <= set(own):
        raise InvalidInput("body.attributes", f"expected attributes of lens {lens_id!r} ({own}), got {names}")
    dataset = base_dataset(record)
    pool = None if item_set is None else session_set(labels, item_set, run_id, dataset)
    session = labels.create_session(run_id, dataset, names, strategy, batch_size, refit_every, lens_id,
                                    item_set=pool)
    lens_labels = load_labels(run_dir(store.home, lens_id), dataset)
    labelled = [np.empty(0, dtype=np.int64), *(lens_labels.labels.indices(n) for n in lens_labels.labels.attributes)]
    held_out = choose_held_out(len(dataset), np.concatenate(labelled),
                               None if pool is None else np.asarray(pool.items, dtype=np.int64))
    save_held_out(store.home, session.session_id, held_out)
    loaded = store.load(record)
    assert record.version is not None
    for name in names:
        save_point(store.home, session.session_id, name,
                   curve_point(loaded.model, dataset, lens_labels, held_out, name, 0, record.version))
    return session


def session_set(labels: LabelStore, set_id: str, run_id: str, dataset: Dataset) -> SessionSet:
    """Item set ``set_id`` as a session's pool: 404 when there is none, 422 when it is another run's or holds an
    item beyond ``dataset`` (the lens's)."""
    found = ItemSetStore(labels.engine).get(set_id)  # the sets live in the same (jobs) database
    if found.run_id != run_id:
        raise InvalidInput("body.item_set", f"item set {set_id!r} holds items of run {found.run_id!r}; expected a "
                           f"set of run {run_id!r} (GET /api/v1/runs/{run_id}/item-sets)")
    items = found.items or []
    beyond = [i for i in items if i >= len(dataset)]
    if beyond:
        raise InvalidInput("body.item_set", f"item set {set_id!r} holds items beyond the lens's dataset "
                           f"{dataset.info.name!r} of {len(dataset)} items (e.g. {beyond[0]}); expected a set of its "
                           "items")
    return SessionSet(found.set_id, found.name, tuple(items))
