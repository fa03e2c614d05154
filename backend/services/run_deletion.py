"""Deleting runs through the API (DELETE /runs/{id} and DELETE /runs/{id}/lenses/{lens_id}): what goes with a run;
and what a run made anew under a deleted run's id must not inherit."""

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


def forget_item_sets(jobs: JobStore, run_id: str) -> None:
    """Remove the item sets stored under the id of ``run_id``, a run just made (not trained yet, so none of them is
    its own): sets an earlier run of the id left (made before deletions took a run's sets, or with the run deleted by
    hand), whose items need not fit the new run's dataset."""
    ItemSetStore(jobs.engine).delete_run(run_id)
