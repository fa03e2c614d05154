"""Repair what a crash between making a run and queuing its job left (``runs.pending``): a marked run whose job is
in the database keeps going (its marker goes); one without a job is rolled back (its folder removed: the request
that made it never got an answer), with a log line saying so. The worker runs this at start and between jobs."""

from __future__ import annotations

import logging
from pathlib import Path

from ..runs import RunNotFoundError, delete_run, run_dir
from ..runs.pending import PENDING_GRACE_S, clear_pending, half_made
from .store import JobStore

log = logging.getLogger("factorscope.worker")


def repair_half_made(store: JobStore, home: Path, grace_s: float = PENDING_GRACE_S) -> list[str]:
    """Roll back the runs made more than ``grace_s`` seconds ago whose job was never queued; unmark those whose job
    was. Returns the ids of the runs rolled back."""
    removed = []
    for run_id in half_made(home, grace_s):
        if store.list(limit=1, run_id=run_id):
            clear_pending(run_dir(home, run_id))
            continue
        try:
            delete_run(home, run_id)
        except RunNotFoundError:  # deleted meanwhile
            continue
        log.warning("run %s was made but its job was never queued (the process stopped between the two): "
                    "removed it; create it again", run_id)
        removed.append(run_id)
    return removed
