"""The learning curve (SCIENCE.md section 7, the seed's Fig. 8): per lens version, the interpretability score of
the lens's z* (``models.interpretability`` through ``lenses.score.score_one``) with the lens's labels as the
training items and the session's fixed held-out items, scored against the dataset's ground truth (the oracle), as
the test items. A continuous attribute is binned as the lens's score table bins it (``lenses.score``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import torch

from models import Dataset, quantile_classes

from ..lenses.create import lens_of
from ..lenses.fit import representation
from ..lenses.labels import Labels, load_labels
from ..lenses.score import N_BINS, score_one
from ..runs import run_dir
from ..store import RunStore
from .model import LabelSession, stamp
from .session_files import has_point, load_held_out, save_point
from .store import LabelStore

SEED = 0


def curve_point(model: Any, dataset: Dataset, labels: Labels, held_out: np.ndarray, attribute: str, n_labels: int,
                version: str) -> dict[str, Any]:
    """One point: {"labels": n_labels (the session's labels the version was fitted with), "score", "accuracy"
    (None when the items cannot be scored: "error" says why), "lens_version", "created_at"}."""
    known = labels.labels.indices(attribute) if attribute in labels.labels.attributes else np.zeros(0, np.int64)
    keep = ~np.isin(known, held_out)
    train_items = known[keep]
    items = np.concatenate([train_items, held_out]).astype(np.int64)  # (L + H,)
    values = np.concatenate([labels.labels.values(attribute)[keep] if keep.size else np.zeros(0),
                             dataset.attribute_values(attribute, held_out)])
    train, test = np.arange(len(train_items)), np.arange(len(train_items), len(items))
    if dataset.attribute(attribute).kind == "continuous" and len(train):
        values = quantile_classes(values, train, N_BINS)[0]
    row = score_one(lens_codes(model, dataset, items), values.astype(np.int64), train, test, SEED) \
        if len(train) and len(test) else {"value": None, "error": "no labelled or no held-out items to score"}
    return {"labels": n_labels, "score": row["value"], "accuracy": row.get("accuracy"), "lens_version": version,
            "created_at": stamp(datetime.now(UTC)), **({"error": row["error"]} if "error" in row else {})}


@torch.inference_mode()
def lens_codes(model: Any, dataset: Dataset, items: np.ndarray) -> np.ndarray:
    """z* (mean path) of ``items``, (N, k) float64."""
    device = next(model.parameters()).device
    return lens_of(model).encode(representation(model, dataset, items, device)).double().cpu().numpy()


def ensure_point(store: RunStore, labels: LabelStore, session: LabelSession, attribute: str) -> None:
    """Add the lens's current version to the curve when the lens_fit job did not (a lens refitted outside the
    loop, or a job whose last step failed)."""
    if session.lens_id is None:
        return
    record = store.ready(session.lens_id)
    assert record.version is not None
    if has_point(store.home, session.session_id, attribute, record.version):
        return
    loaded = store.load(record)
    held_out = load_held_out(store.home, session.session_id)
    lens_labels = load_labels(run_dir(store.home, session.lens_id), loaded.dataset)
    point = curve_point(loaded.model, loaded.dataset, lens_labels, held_out, attribute,
                        labels.progress(session.session_id).labels, record.version)
    save_point(store.home, session.session_id, attribute, point)
