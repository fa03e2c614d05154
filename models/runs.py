"""Runs on disk: ``<home>/runs/<run_id>/`` with config.json, weights.safetensors, metrics.json,
history.json, train_log.jsonl and, while training, checkpoint/ (resumable).

A run's version is the first 12 hex digits of its weights' sha256.
"""

from __future__ import annotations

import json
import platform
import re
import secrets
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .base import DataSpec, LatentModel
from .checkpoint import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    CheckpointError,
    load_model,
    read_json,
    save_model,
    write_json,
)
from .config import config_from_dict, config_to_dict
from .datasets import get_dataset
from .registry import get_family
from .train_state import saved_step
from .training import Progress, ProgressFn, TrainConfig, TrainingCancelled, fit, split_indices

CHECKPOINT_DIR = "checkpoint"  # a run's resumable training state, removed when training ends
TRASH_PREFIX = ".deleted-"  # a deleted run's folder is renamed to this (not a run id), then removed
RUN_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
VERSION_LEN = 12


class RunNotFoundError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class RunGone(TrainingCancelled):
    """The run's folder was deleted (or is now another run of the same id) while a job worked on it."""


@dataclass(frozen=True)
class RunRecord:
    """A run as listed: identity, what it is, and whether it has finished weights."""

    run_id: str
    family: str
    dataset: str
    created: str
    version: str | None  # None while training
    config: dict[str, Any]
    train: dict[str, Any]

    @property
    def finished(self) -> bool:
        return self.version is not None


def run_dir(home: Path, run_id: str) -> Path:
    """The folder of ``run_id``; the id is checked against a strict pattern (never a path)."""
    if not RUN_ID.fullmatch(run_id):  # fullmatch: "$" alone lets a trailing newline through
        raise RunNotFoundError(f"invalid run id {run_id!r}: expected lowercase letters, digits, '-' or '_'")
    return home / "runs" / run_id


def new_run_id(family: str, dataset: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{family}-{dataset}-{stamp}-{secrets.token_hex(2)}".replace("_", "-").lower()


def versions() -> dict[str, str]:
    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__}


def record_of(header: dict[str, Any]) -> RunRecord:
    sha = header.get("weights_sha256")
    return RunRecord(header["run_id"], header["family"], header["dataset"], header["created"],
                     sha[:VERSION_LEN] if sha else None, header["config"], header["train"])


class ModelTooLarge(ValueError):
    """A config whose model would have more ``unit`` ("parameters" or "layers") than the caller allows."""

    def __init__(self, count: int, maximum: int, unit: str) -> None:
        super().__init__(f"the model would have {count:,} {unit}; expected at most {maximum:,}")
        self.count, self.maximum, self.unit = count, maximum, unit


@dataclass(frozen=True)
class ModelLimits:
    """The most a model made by ``create_run`` may have; None: no limit."""

    parameters: int | None = None
    layers: int | None = None  # modules holding parameters of their own (a Linear, a conv, a norm)


def create_run(home: Path, family: str, config: dict[str, Any], dataset: str, train: TrainConfig,
               run_id: str | None = None, limits: ModelLimits = ModelLimits()) -> RunRecord:
    """Validate everything and write the run's config.json (no weights yet); training comes next.
    ``limits``: refuse (ModelTooLarge) a bigger model before any memory is allocated for it."""
    spec, data = get_family(family), get_dataset(dataset)
    typed = spec.config(config)
    run_id = run_id or new_run_id(family, dataset)
    folder = run_dir(home, run_id)
    if folder.exists():
        raise FileExistsError(f"run {run_id!r} already exists")
    n_train = len(split_indices(len(data), train.val_fraction, train.seed)[0])
    with torch.device("meta"):  # checks the config and counts parameters without allocating them
        model = spec.build(typed, DataSpec.from_info(data.info, n_train), train.seed)
    n_parameters = check_size(model, limits)
    folder.mkdir(parents=True)
    header = {"run_id": run_id, "nonce": secrets.token_hex(8),  # tells this run from a later one of its id
              "dataset": dataset, "created": datetime.now(UTC).isoformat(timespec="seconds"),
              "train": asdict(train), "seed": train.seed, "versions": versions(),
              "n_parameters": n_parameters, **_header_without_sha(model)}
    write_json(folder / CONFIG_FILE, header)
    return record_of(header)


def check_size(model: LatentModel, limits: ModelLimits) -> int:
    """ModelTooLarge when ``model`` (best built on the meta device) has more parameters or layers than ``limits``
    allow; returns its parameter count."""
    n_parameters = sum(p.numel() for p in model.parameters())
    n_layers = sum(1 for m in model.modules() if next(m.parameters(recurse=False), None) is not None)
    for count, maximum, unit in ((n_parameters, limits.parameters, "parameters"), (n_layers, limits.layers, "layers")):
        if maximum is not None and count > maximum:
            raise ModelTooLarge(count, maximum, unit)
    return n_parameters


def check_run_size(home: Path, run_id: str, limits: ModelLimits) -> None:
    """``check_size`` for a run on disk (one made elsewhere, e.g. by the CLI, before it trains here)."""
    from .checkpoint import build_from_header

    with torch.device("meta"):
        check_size(build_from_header(read_json(run_dir(home, run_id) / CONFIG_FILE)), limits)


def _header_without_sha(model: LatentModel) -> dict[str, Any]:
    return {"family": model.family, "config": config_to_dict(model.config), "data": model.data.to_json(),
            "format": 1}


def resume_step(home: Path, run_id: str) -> int:
    """The step ``train_run`` would continue ``run_id`` from (its last checkpoint); 0: from the start."""
    return saved_step(run_dir(home, run_id) / CHECKPOINT_DIR)


def train_run(home: Path, run_id: str, on_progress: ProgressFn | None = None,
              check_stop: Callable[[], None] | None = None) -> RunRecord:
    """Train (or resume) ``run_id`` to the end; writes weights, metrics, history. Idempotent when done.
    ``check_stop``: called after every step; it may raise ``TrainingCancelled`` (see ``fit``)."""
    folder = run_dir(home, run_id)
    header = read_json(folder / CONFIG_FILE) if folder.is_dir() else None
    if header is None:
        raise RunNotFoundError(f"no run {run_id!r} in this artifact store")
    if header.get("weights_sha256"):
        return record_of(header)
    from .checkpoint import build_from_header

    model, data = build_from_header(header), get_dataset(header["dataset"])
    cfg = config_from_dict(TrainConfig, header["train"])
    train, val = split_indices(len(data), cfg.val_fraction, cfg.seed)
    still_ours = owner_check(home, run_id, header.get("nonce"))  # the run this job read, not whatever is there now
    still_ours()
    log = _Log(folder / "train_log.jsonl", on_progress, still_ours)
    loop = fit(model, data, train, val, cfg, on_progress=log, checkpoint_dir=folder / CHECKPOINT_DIR,
               before_checkpoint=still_ours, check_stop=check_stop)
    still_ours()
    write_json(folder / "history.json", loop.history)  # (a folder deleted by now fails these writes)
    write_json(folder / "metrics.json", _final_metrics(loop, log.last))
    still_ours()
    save_model(model, folder, {k: v for k, v in header.items() if k not in {"weights_sha256", "version"}},
               make_dir=False)
    shutil.rmtree(folder / CHECKPOINT_DIR, ignore_errors=True)
    return record_of(read_json(folder / CONFIG_FILE))


def run_nonce(home: Path, run_id: str) -> str | None:
    """The nonce in the run's config.json (None: a run made before runs had one)."""
    path = run_dir(home, run_id) / CONFIG_FILE
    if not path.is_file():
        raise RunNotFoundError(f"no run {run_id!r} in this artifact store")
    return read_json(path).get("nonce")


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


class _Log:
    """Appends every progress event to train_log.jsonl (after ``guard``), then forwards it."""

    def __init__(self, path: Path, forward: ProgressFn | None, guard: Callable[[], None]) -> None:
        self.path, self.forward, self.guard, self.last = path, forward, guard, None

    def __call__(self, p: Progress) -> None:
        self.last = p
        self.guard()
        with self.path.open("a") as f:
            f.write(json.dumps({"step": p.step, "val_loss": p.val_loss, **p.terms}) + "\n")
        if self.forward:
            self.forward(p)


def _final_metrics(loop: Any, last: Progress | None) -> dict[str, Any]:
    return {"training": {"steps": loop.step, "stopped_early": loop.stopped_early,
                         "val_loss": loop.history[-1]["val_loss"] if loop.history else None,
                         "best_val_loss": loop.best_val, "train_terms": last.terms if last else {}}}


def load_run(home: Path, run_id: str, device: str | torch.device = "cpu") -> tuple[LatentModel, RunRecord]:
    folder = run_dir(home, run_id)
    if not (folder / CONFIG_FILE).is_file():
        raise RunNotFoundError(f"no run {run_id!r} in this artifact store")
    model, header = load_model(folder, device)
    return model, record_of(header)


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


def delete_run(home: Path, run_id: str) -> None:
    """Remove the run's folder, whatever it holds. It is first renamed out of the way in one step, so the id
    is free at once and a job still writing to the run fails (RunGone) instead of racing the removal."""
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


__all__ = [
    "WEIGHTS_FILE",
    "ModelLimits",
    "ModelTooLarge",
    "RunGone",
    "RunNotFoundError",
    "RunRecord",
    "check_run_size",
    "config_from_dict",
    "create_run",
    "delete_run",
    "list_runs",
    "load_run",
    "new_run_id",
    "owner_check",
    "purge_deleted",
    "run_dir",
    "run_nonce",
    "train_run",
]
