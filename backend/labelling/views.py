"""What the label-session routes answer: a session with its progress, serving lens version and refit state; the
next item (lease, rank, the lens's guess and why it was chosen); the learning curve."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np

from models import Attribute, categorical_entropy

from ..jobs import JobStore
from ..store import RunStore
from .export import label_json
from .loop import refit_state
from .model import Label, LabelSession, Lease
from .rankings import Queue, Rankings
from .session_files import load_held_out, load_points
from .store import LabelStore

STRATEGY_REASONS = {
    "bald": "the lens's samples of z* disagree most about its {attribute} (mutual information {score:.3f} nats)",
    "bald_batch": "the lens's samples of z* disagree about its {attribute} (mutual information {score:.3f} nats), "
                  "and it is unlike the other items picked before the next refit",
    "max_entropy": "the lens is least sure of its {attribute} (predictive entropy {score:.3f} nats)",
}


def attribute_json(attribute: Attribute) -> dict[str, Any]:
    return {**attribute.to_json(), "low": attribute.lo, "high": attribute.hi}


def session_json(session: LabelSession, labels: LabelStore, jobs: JobStore, store: RunStore,
                 rankings: Rankings) -> dict[str, Any]:
    progress = labels.progress(session.session_id)
    refit = refit_state(jobs, session)
    return {**session.to_json(), "attributes": [attribute_json(a) for a in session.attributes],
            "progress": _progress_json(progress), "lens_version": serving_version(session, store, rankings),
            "refit": {"state": refit.state, "job_id": refit.job_id, "labels_at_last_refit": refit.labels_at_last_refit,
                      "next_refit_at": refit.next_refit_at},
            "held_out": int(load_held_out(store.home, session.session_id).size)}


def _progress_json(progress: Any) -> dict[str, Any]:
    return {"labels": progress.labels, "retractions": progress.retractions, "skips": progress.skips,
            "flags": progress.flags, "labels_last_hour": progress.labels_last_hour,
            "labels_per_hour": progress.labels_per_hour,
            "labellers": {name: vars(p) for name, p in progress.labellers.items()}}


def serving_version(session: LabelSession, store: RunStore, rankings: Rankings) -> str | None:
    if session.lens_id is None:
        return None
    lens = store.record(session.lens_id)
    return rankings.serving_version(store, lens, session, session.attributes[0].name)


def next_json(session: LabelSession, attribute: Attribute, lease: Lease | None, queue: Queue, done: set[int],
              labelled_total: int) -> dict[str, Any]:
    """The contract's next-item answer for ``lease`` (None: nothing left) from ``queue``."""
    done_in_queue = np.array([queue.positions[i] for i in done if queue.positions[i] >= 0], dtype=np.int64)
    pool = int(queue.items.size - done_in_queue.size)
    base = {"attribute": attribute.name, "pool": pool, "labelled_total": labelled_total,
            "lens_version": queue.ranking.lens_version}
    if lease is None:
        return {**base, "item": None, "expires_at": None, "score": None, "rank": None, "prediction": None,
                "image_url": None, "reconstruction_url": None, "reason": "every item is labelled, held by another "
                "labeller, or passed over by you: nothing is left to label"}
    position = int(queue.positions[lease.item])
    rank = position + 1 - int(np.count_nonzero(done_in_queue < position))
    return {**base, "item": lease.item, "expires_at": lease.expires_at, "lens_version": lease.lens_version,
            "score": lease.score, "rank": rank, "prediction": prediction(attribute, queue, lease.item),
            "reason": reason(session.strategy, attribute.name, lease.score, rank, pool),
            "image_url": f"/api/v1/datasets/{session.dataset}/items/{lease.item}.png",
            "reconstruction_url": f"/api/v1/runs/{session.run_id}/reconstruct.png?items={lease.item}"}


def prediction(attribute: Attribute, queue: Queue, item: int) -> dict[str, Any] | None:
    """The lens's guess for ``item``: class probabilities and their entropy, or a mean and sd."""
    predictive = queue.ranking.predictive
    if "probs" in predictive:
        probs = predictive["probs"][item].astype(np.float64)
        probs = probs / probs.sum()
        return {"kind": "categorical", "classes": list(attribute.classes), "probs": probs.tolist(),
                "entropy": float(categorical_entropy(probs))}
    if "mean" in predictive:
        return {"kind": "continuous", "mean": float(predictive["mean"][item]), "sd": float(predictive["sd"][item])}
    return None


def reason(strategy: str, attribute: str, score: float | None, rank: int, pool: int) -> str:
    """One sentence a person reads: why this item."""
    if strategy == "random" or score is None or not math.isfinite(score):
        return f"Drawn at random (the random baseline): item {rank:,} of {pool:,} unlabelled in a shuffled order."
    why = STRATEGY_REASONS[strategy].format(attribute=attribute, score=score)
    return f"Chosen because {why}: rank {rank:,} of {pool:,} unlabelled items."


def curve_json(session: LabelSession, store: RunStore, attribute: str) -> dict[str, Any]:
    return {"attribute": attribute, "held_out": int(load_held_out(store.home, session.session_id).size),
            "points": load_points(store.home, session.session_id, attribute)}


def labels_json(session: LabelSession, labels: list[Label]) -> list[dict[str, Any]]:
    return [label_json(session, label) for label in labels]


def now() -> datetime:
    return datetime.now(UTC)
