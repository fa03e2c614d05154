"""Which run a job works on: a run's nonce tells it from a later run of the same id, and ``owner_check`` stops a
job (``RunGone``) before it writes into a run deleted, or made anew, since it started."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from models import CheckpointError, TrainingCancelled

from .folders import RunNotFoundError, read_header


class RunGone(TrainingCancelled):
    """The run's folder was deleted (or is now another run of the same id) while a job worked on it."""


def run_nonce(home: Path, run_id: str) -> str | None:
    """The nonce in the run's config.json (None: a run made before runs had one)."""
    return read_header(home, run_id).get("nonce")


def owner_check(home: Path, run_id: str, nonce: str | None) -> Callable[[], None]:
    """A check to call before writing into run ``run_id``: raises RunGone once its folder was deleted or holds
    another run of that id than the one whose config.json had ``nonce``, so a job never writes into another run."""

    def check() -> None:
        try:
            same = run_nonce(home, run_id) == nonce
        except (RunNotFoundError, CheckpointError):
            same = False
        if not same:
            raise RunGone(f"run {run_id!r} was deleted while this job worked on it")

    return check
