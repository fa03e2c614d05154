"""Runs whose job is not queued yet. The API makes a run (its config.json), then queues the job that trains it: two
writes to two stores. ``create_run(..., pending_job=True)`` leaves a marker in the folder before its config.json;
a process killed between the two writes leaves a run with its marker and no job, which ``half_made`` finds once the
marker is older than PENDING_GRACE_S (a creation still in progress is younger) and the worker repairs
(``jobs.repair``): a run with a job loses its marker, one without is rolled back. ``crash_point`` lets a test kill
this process between the two writes (FACTORSCOPE_CRASH_AT)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from .folders import RUN_ID

PENDING_FILE = ".job-pending"
# longer than the slowest creation: a job insert may wait out SQLite's 30 s busy timeout
PENDING_GRACE_S = 120.0
CRASH_ENV = "FACTORSCOPE_CRASH_AT"


def mark_pending(folder: Path) -> None:
    """Mark the run in ``folder`` as waiting for its job to be queued."""
    (folder / PENDING_FILE).touch()


def clear_pending(folder: Path) -> None:
    """The run in ``folder`` has its job: drop its marker."""
    (folder / PENDING_FILE).unlink(missing_ok=True)


def half_made(home: Path, grace_s: float = PENDING_GRACE_S) -> list[str]:
    """The ids of runs whose marker is older than ``grace_s`` seconds (their job may or may not be queued), sorted."""
    now, found = time.time(), []
    for marker in (home / "runs").glob(f"*/{PENDING_FILE}"):
        try:
            old = now - marker.stat().st_mtime > grace_s
        except FileNotFoundError:  # cleared (or the run deleted) since the glob
            continue
        if old and RUN_ID.fullmatch(marker.parent.name):
            found.append(marker.parent.name)
    return sorted(found)


def crash_point(name: str) -> None:
    """Kill this process (SIGKILL: no clean-up runs) when FACTORSCOPE_CRASH_AT is ``name``: fault injection for the
    tests of what a crash at this point leaves behind. Unset (always, outside those tests): does nothing."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
