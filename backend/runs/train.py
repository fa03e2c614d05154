"""Training a run made by ``create_run``: resumable from its checkpoint/, idempotent once done, and never writing
into a run deleted or made anew meanwhile (``owner_check``). A child run trains with its parent attached."""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models import (
    Progress,
    ProgressFn,
    TrainConfig,
    build_model,
    config_from_dict,
    fit,
    get_dataset,
    save_model,
    saved_step,
    select_device,
    split_indices,
    write_json,
)

from .folders import CHECKPOINT_DIR, LOG_FILE, read_header, run_dir
from .load import load_run
from .ownership import owner_check
from .parents import resolve_parent
from .records import RunRecord, record_of


def resume_step(home: Path, run_id: str) -> int:
    """The step ``train_run`` would continue ``run_id`` from (its last checkpoint); 0: from the start."""
    return saved_step(run_dir(home, run_id) / CHECKPOINT_DIR)


def train_run(home: Path, run_id: str, on_progress: ProgressFn | None = None,
              check_stop: Callable[[], None] | None = None) -> RunRecord:
    """Train (or resume) ``run_id`` to the end; writes weights, metrics, history. Idempotent when done.
    ``check_stop``: called after every step; it may raise ``TrainingCancelled`` (see ``fit``)."""
    folder = run_dir(home, run_id)
    header = read_header(home, run_id)  # RunNotFoundError, or CheckpointError for an unreadable config.json
    if header.get("weights_sha256"):
        return record_of(header)
    cfg = config_from_dict(TrainConfig, header["train"])
    device = select_device(cfg.device)  # where ``fit`` puts the model: its parent goes there too
    parent = resolve_parent(home, record_of(header), lambda parent_id: load_run(home, parent_id, device))
    model, data = build_model(header, parent), get_dataset(header["dataset"])
    train, val = split_indices(len(data), cfg.val_fraction, cfg.seed)
    still_ours = owner_check(home, run_id, header.get("nonce"))  # the run this job read, not whatever is there now
    still_ours()
    log_path = folder / LOG_FILE
    keep_log_until(log_path, saved_step(folder / CHECKPOINT_DIR))  # a resumed fit logs its steps once
    log = _Log(log_path, on_progress, still_ours)
    loop = fit(model, data, train, val, cfg, on_progress=log, checkpoint_dir=folder / CHECKPOINT_DIR,
               before_checkpoint=still_ours, check_stop=check_stop)
    still_ours()
    write_json(folder / "history.json", loop.history)  # (a folder deleted by now fails these writes)
    write_json(folder / "metrics.json", _final_metrics(loop, log.last))
    still_ours()
    save_model(model, folder, {k: v for k, v in header.items() if k not in {"weights_sha256", "version"}},
               make_dir=False)
    shutil.rmtree(folder / CHECKPOINT_DIR, ignore_errors=True)
    return record_of(read_header(home, run_id))


def keep_log_until(path: Path, step: int) -> None:
    """Keep only the lines of the training log at ``path`` up to ``step`` (where training resumes; 0: none), so the
    steps redone after a resume are not logged twice; a line cut short by a crash goes too. Replaced atomically."""
    if not path.is_file():
        return
    kept = [line for line in path.read_text(errors="replace").splitlines(keepends=True)
            if line.endswith("\n") and _logged_step(line) <= step]
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text("".join(kept))
    os.replace(partial, path)


def _logged_step(line: str) -> float:
    """The step a log line records; infinity for a line that is not a log entry (so it is dropped)."""
    try:
        step = json.loads(line).get("step")
    except (ValueError, AttributeError):
        return math.inf
    return step if isinstance(step, int) else math.inf


class _Log:
    """Appends every progress event to train_log.jsonl (after ``guard``), then forwards it."""

    def __init__(self, path: Path, forward: ProgressFn | None, guard: Callable[[], None]) -> None:
        self.path, self.forward, self.guard = path, forward, guard
        self.last: Progress | None = None

    def __call__(self, p: Progress) -> None:
        self.last = p
        self.guard()
        with self.path.open("a") as f:
            entry = {"step": p.step, "time": round(time.time(), 3), "val_loss": p.val_loss, **p.terms}
            f.write(json.dumps(entry) + "\n")
        if self.forward:
            self.forward(p)


def _final_metrics(loop: Any, last: Progress | None) -> dict[str, Any]:
    return {"training": {"steps": loop.step, "stopped_early": loop.stopped_early,
                         "val_loss": loop.history[-1]["val_loss"] if loop.history else None,
                         "best_val_loss": loop.best_val, "train_terms": last.terms if last else {}}}
