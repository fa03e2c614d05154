"""Opening a labelling session on a lens: the lens must be a ready lens of the run, the attributes its own; the
session's fixed held-out set is drawn among the items the lens has no label for, and the lens's current version
gives the learning curve's first point (0 labels)."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidInput
from ..lenses.create import base_dataset
from ..lenses.labels import load_labels
from ..lenses.views import lens_record
from ..runs import run_dir
from ..store import RunStore
from .curve import curve_point
from .model import LabelSession
from .session_files import choose_held_out, save_held_out, save_point
from .store import LabelStore


def open_session(store: RunStore, labels: LabelStore, run_id: str, lens_id: str, attributes: list[str] | None,
                 strategy: str, batch_size: int, refit_every: int) -> LabelSession:
    """A new open session (404 unknown run or lens, 409 a lens not ready, 422 an attribute the lens lacks)."""
    record = store.ready(lens_record(store, run_id, lens_id).run_id)
    own = [a["name"] for a in record.config["attributes"]]
    names = attributes or own
    if not set(names) <= set(own):
        raise InvalidInput("body.attributes", f"expected attributes of lens {lens_id!r} ({own}), got {names}")
    dataset = base_dataset(record)
    session = labels.create_session(run_id, dataset, names, strategy, batch_size, refit_every, lens_id)
    lens_labels = load_labels(run_dir(store.home, lens_id), dataset)
    labelled = [lens_labels.labels.indices(n) for n in lens_labels.labels.attributes]
    held_out = choose_held_out(len(dataset), np.unique(np.concatenate(labelled)) if labelled else np.zeros(0))
    save_held_out(store.home, session.session_id, held_out)
    loaded = store.load(record)
    assert record.version is not None
    for name in names:
        save_point(store.home, session.session_id, name,
                   curve_point(loaded.model, dataset, lens_labels, held_out, name, 0, record.version))
    return session
