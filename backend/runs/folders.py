"""Runs on disk: ``<home>/runs/<run_id>/`` with config.json, weights.safetensors, metrics.json, history.json,
train_log.jsonl and, while training, checkpoint/ (resumable). Run ids name folders, so only plain names pass."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models import CONFIG_FILE, CheckpointError, read_json

from .records import RunRecord, record_of

CHECKPOINT_DIR = "checkpoint"  # a run's resumable training state, removed when training ends
TRASH_PREFIX = ".deleted-"  # a deleted run's folder is renamed to this (not a run id), then removed
RUN_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


class RunNotFoundError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def run_dir(home: Path, run_id: str) -> Path:
    """The folder of ``run_id``; the id is checked against a strict pattern (never a path)."""
    if not RUN_ID.fullmatch(run_id):  # fullmatch: "$" alone lets a trailing newline through
        raise RunNotFoundError(f"invalid run id {run_id!r}: expected lowercase letters, digits, '-' or '_'")
    return home / "runs" / run_id


def new_run_id(family: str, dataset: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{family}-{dataset}-{stamp}-{secrets.token_hex(2)}".replace("_", "-").lower()


def read_header(home: Path, run_id: str) -> dict[str, Any]:
    """The run's config.json; RunNotFoundError when the run has none, CheckpointError when it is unreadable."""
    path = run_dir(home, run_id) / CONFIG_FILE
    if not path.is_file():
        raise RunNotFoundError(f"no run {run_id!r} in this artifact store")
    return read_json(path)


def read_record(home: Path, run_id: str) -> RunRecord:
    """``record_of`` the run's config.json (errors as ``read_header``; CheckpointError when it lacks a field)."""
    header = read_header(home, run_id)
    try:
        return record_of(header)
    except KeyError as err:
        raise CheckpointError(f"config.json of run {run_id!r} lacks {err}") from err


def list_runs(home: Path) -> list[RunRecord]:
    """Every run with a readable config.json, newest first (unreadable folders are skipped)."""
    root = home / "runs"
    records = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if not RUN_ID.fullmatch(folder.name):
            continue
        try:
            records.append(record_of(read_json(folder / CONFIG_FILE)))
        except (CheckpointError, KeyError):
            continue
    return sorted(records, key=lambda r: r.created, reverse=True)
