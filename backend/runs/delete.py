"""Deleting runs: a folder is renamed out of the way in one step (its id is free at once, and a job still writing
to it fails with RunGone), then removed; what a crash interrupted is removed at the next start."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from .folders import TRASH_PREFIX, RunNotFoundError, run_dir


def delete_run(home: Path, run_id: str) -> None:
    """Remove the run's folder, whatever it holds (its children are the caller's concern: see
    ``parents.descendants``)."""
    folder = run_dir(home, run_id)
    if not folder.is_dir():
        raise RunNotFoundError(f"no run {run_id!r} in this artifact store")
    trash = folder.with_name(f"{TRASH_PREFIX}{run_id}-{secrets.token_hex(4)}")
    try:
        folder.rename(trash)
    except FileNotFoundError as err:  # another deletion of the run got there first
        raise RunNotFoundError(f"no run {run_id!r} in this artifact store") from err
    shutil.rmtree(trash, ignore_errors=True)


def purge_deleted(home: Path) -> None:
    """Remove what deletions interrupted by a crash left behind."""
    for trash in (home / "runs").glob(f"{TRASH_PREFIX}*"):
        shutil.rmtree(trash, ignore_errors=True)
