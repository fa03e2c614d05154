"""Loading a finished run for inference: its parent (for a run built on another) first, then its own weights."""

from __future__ import annotations

from pathlib import Path

import torch

from models import CONFIG_FILE, CheckpointError, LatentModel, load_model

from .folders import checked_record, read_config, read_record, run_dir
from .parents import ParentLoader, resolve_parent
from .records import RunRecord, record_of
from .versions import archived_dir


def load_run(home: Path, run_id: str, device: str | torch.device = "cpu", load_parent: ParentLoader | None = None,
             version: str | None = None) -> tuple[LatentModel, RunRecord]:
    """(model in eval mode on ``device``, record). A run built on another gets its parent, checked to be at the
    pinned version (StaleParent otherwise), from ``load_parent`` (default: ``load_run`` of the parent's folder;
    the API's run store passes its cache). ``version``: an older version kept in ``versions/`` instead of the
    run's current one."""
    folder = run_dir(home, run_id) if version is None else archived_dir(home, run_id, version)
    if folder is None:
        raise CheckpointError(f"run {run_id!r} keeps no version {version!r}")
    # RunNotFoundError when the run has no config.json
    record = (read_record(home, run_id) if version is None else
              checked_record({**read_config(folder / CONFIG_FILE), "run_id": run_id}, run_id))
    parent = resolve_parent(home, record, load_parent or (lambda parent_id: load_run(home, parent_id, device)))
    model, header = load_model(folder, device, parent)
    return model, record_of({**header, "run_id": run_id})  # the folder names the run
