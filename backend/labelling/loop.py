"""The loop's refits: every ``refit_every`` standing labels of a session, its lens is refitted (a ``lens_fit`` job
from the lens's last weights) with the session's standing labels added through the lens's pending labels
(``lenses.labels.add_pending``). The job's payload names the session and the standing labels it was queued at, so
the jobs table is the record of a session's refits: the newest such job gives the refit state.

A burst of labels queues one job: the check and the queueing hold a lock (one per API process), and a queued
job is reused (``JobStore.submit_once``; it reads the pending labels when it starts). A running job has read its
labels already, so another is queued behind it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from models import Dataset

from ..jobs import Job, JobStore
from ..lenses.create import base_dataset
from ..lenses.labels import Labels, add_pending
from ..runs import RunNotFoundError, run_dir, run_nonce
from ..store import RunStore
from .model import LabelSession
from .store import LabelStore

KIND = "lens_fit"
MAX_JOBS = 1000  # lens_fit jobs of a lens looked at for a session's refits
REFIT_PRIORITY = 10  # a refit's job starts before others queued (a person labelling waits for it)
_lock = threading.Lock()


@dataclass(frozen=True)
class RefitState:
    """``state``: idle | queued | running | failed (of the session's newest refit job, ``job_id``)."""

    state: str
    job_id: str | None
    labels_at_last_refit: int
    next_refit_at: int


def session_jobs(jobs: JobStore, session: LabelSession) -> list[Job]:
    """The lens_fit jobs queued for the session's labels, newest first."""
    if session.lens_id is None:
        return []
    listed = jobs.list(limit=MAX_JOBS, kind=KIND, run_id=session.lens_id)
    return [job for job in listed if job.payload.get("session_id") == session.session_id]


def refit_state(jobs: JobStore, session: LabelSession) -> RefitState:
    newest = next(iter(session_jobs(jobs, session)), None)
    if newest is None:
        return RefitState("idle", None, 0, session.refit_every)
    at = int(newest.payload.get("labels", 0))
    state = newest.state if newest.state in ("queued", "running", "failed") else "idle"
    return RefitState(state, newest.job_id, at, at + session.refit_every)


def maybe_refit(store: RunStore, jobs: JobStore, labels: LabelStore, session: LabelSession, standing: int
                ) -> Job | None:
    """Queue a refit when ``standing`` (the session's standing labels now) reached the next refit; the job, or
    None when it is not time yet or the lens is gone or unfinished (the label stands either way)."""
    if session.lens_id is None or standing < refit_state(jobs, session).next_refit_at:
        return None
    try:
        record = store.record(session.lens_id)
    except RunNotFoundError:
        return None
    if record.version is None:
        return None
    with _lock:
        if standing < refit_state(jobs, session).next_refit_at:
            return None  # another request queued it meanwhile
        return _queue(store.home, jobs, labels, session, base_dataset(record), standing)


def _queue(home: Path, jobs: JobStore, labels: LabelStore, session: LabelSession, dataset: Dataset,
           standing: int) -> Job:
    assert session.lens_id is not None
    lens_id = session.lens_id
    added = Labels(labels.standing_labels(session.session_id, dataset),
                   ({"session": {"id": session.session_id, "labels": standing}},))
    add_pending(run_dir(home, lens_id), dataset, added)
    newest = jobs.newest_by_run(KIND).get(lens_id)
    submit = jobs.submit if newest is not None and newest.state == "running" else jobs.submit_once
    return submit(KIND, {"run_id": lens_id, "nonce": run_nonce(home, lens_id), "session_id": session.session_id,
                         "labels": standing}, REFIT_PRIORITY)
