"""Runs on disk: ``<home>/runs/<run_id>/`` with config.json, weights.safetensors, metrics.json, history.json,
train_log.jsonl and, while training, checkpoint/ (resumable). Run ids name folders, so only plain names pass."""

from __future__ import annotations

import json
import logging
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models import CONFIG_FILE, CheckpointError

from .records import RunRecord, record_of

LOG_FILE = "train_log.jsonl"  # one JSON line per progress report: {"step", "time", "val_loss", loss terms...}
CHECKPOINT_DIR = "checkpoint"  # a run's resumable training state, removed when training ends
TRASH_PREFIX = ".deleted-"  # a deleted run's folder is renamed to this (not a run id), then removed
log = logging.getLogger("factorscope.runs")
RUN_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
MAX_CONFIG_BYTES = 4 * 1024 * 1024  # a run's config.json is a few KiB; one larger is not read at all
# the fields every run's config.json has, and their JSON types (``record_of`` reads them)
HEADER_FIELDS: dict[str, type] = {"run_id": str, "family": str, "dataset": str, "created": str, "config": dict,
                                  "train": dict}


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


def read_config(path: Path) -> dict[str, Any]:
    """A run's config.json (``path``) as a dict with every ``HEADER_FIELDS`` field of its type; CheckpointError
    naming what is wrong: missing, larger than MAX_CONFIG_BYTES (checked before anything is read), not UTF-8, not
    JSON (nested too deep, a number too long), not an object, or a field missing or of another type."""
    try:
        size = path.stat().st_size
    except FileNotFoundError as err:
        raise CheckpointError(f"{path.name} is missing in {path.parent}") from err
    if size > MAX_CONFIG_BYTES:
        raise CheckpointError(f"{path} is {size:,} bytes; expected a config.json of at most {MAX_CONFIG_BYTES:,}")
    try:
        header = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        raise CheckpointError(f"{path} is not UTF-8 text ({err.reason} at byte {err.start})") from err
    except (ValueError, RecursionError) as err:  # JSONDecodeError, a number too long, nesting too deep
        raise CheckpointError(f"{path} is not valid JSON ({type(err).__name__}: {str(err)[:200]})") from err
    if not isinstance(header, dict):
        raise CheckpointError(f"{path} holds a JSON {type(header).__name__}; expected an object")
    for name, kind in HEADER_FIELDS.items():
        if not isinstance(header.get(name), kind):
            raise CheckpointError(f"{path}: field {name!r} is {type(header.get(name)).__name__}; expected a JSON "
                                  f"{'object' if kind is dict else 'string'}")
    return header


def read_header(home: Path, run_id: str) -> dict[str, Any]:
    """The run's config.json (``read_config``) with ``run_id`` set to the folder's name (the folder names the run:
    a copied folder is the run of its new name); RunNotFoundError when the run has none, CheckpointError when it
    is unreadable."""
    path = run_dir(home, run_id) / CONFIG_FILE
    if not path.is_file():
        raise RunNotFoundError(f"no run {run_id!r} in this artifact store")
    return {**read_config(path), "run_id": run_id}


def read_record(home: Path, run_id: str) -> RunRecord:
    """``record_of`` the run's config.json (errors as ``read_header``)."""
    return checked_record(read_header(home, run_id), run_id)


def checked_record(header: dict[str, Any], run_id: str) -> RunRecord:
    """``record_of`` a config.json read by ``read_config``; CheckpointError for a value it cannot use (a version
    that is not a string, a parent reference without its run or version)."""
    try:
        return record_of(header)
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"config.json of run {run_id!r} is not a run's ({type(err).__name__}: {err})") from err


def list_runs(home: Path) -> list[RunRecord]:
    """Every run with a readable config.json, newest first, each under its folder's name; an unreadable one is
    left out of the list (and logged): reading that run alone says what is wrong with it."""
    root = home / "runs"
    records = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if not RUN_ID.fullmatch(folder.name) or not (folder / CONFIG_FILE).is_file():
            continue
        try:
            records.append(read_record(home, folder.name))
        except (CheckpointError, RunNotFoundError) as err:  # RunNotFoundError: deleted since iterdir
            log.warning("run %s left out of the list: %s", folder.name, err)
    return sorted(records, key=lambda r: r.created, reverse=True)
