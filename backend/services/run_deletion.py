"""Deleting runs through the API (DELETE /runs/{id} and DELETE /runs/{id}/lenses/{lens_id}): what goes with a run."""

from __future__ import annotations

from ..item_sets import ItemSetStore
from ..jobs import JobStore
from ..store import RunStore
from .jobs import cancel_run_jobs


def delete_runs(store: RunStore, jobs: JobStore, doomed: list[str]) -> None:
    """Delete the runs ``doomed``, in order (``RunStore.deletion``: children first). For each: its unfinished jobs
    are cancelled first (a job that then meets the deleted folder ends cancelled, not failed), then its folder goes
    (with its projections, stored inside it), then its item sets (after the folder: a set asked for from then on gets
    a 404; a run made later under the same id starts with none)."""
    sets = ItemSetStore(jobs.engine)  # item sets live in the jobs database
    for run_id in doomed:
        cancel_run_jobs(jobs, run_id)
        store.delete(run_id)
        sets.delete_run(run_id)
