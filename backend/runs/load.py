"""Loading a finished run for inference: its parent (for a run built on another) first, then its own weights."""

from __future__ import annotations

from pathlib import Path

import torch

from models import LatentModel, load_model

from .folders import read_record, run_dir
from .parents import ParentLoader, resolve_parent
from .records import RunRecord, record_of


def load_run(home: Path, run_id: str, device: str | torch.device = "cpu", load_parent: ParentLoader | None = None
             ) -> tuple[LatentModel, RunRecord]:
    """(model in eval mode on ``device``, record). A run built on another gets its parent, checked to be at the
    pinned version (StaleParent otherwise), from ``load_parent`` (default: ``load_run`` of the parent's folder;
    the API's run store passes its cache)."""
    record = read_record(home, run_id)  # RunNotFoundError when the run has no config.json
    parent = resolve_parent(home, record, load_parent or (lambda parent_id: load_run(home, parent_id, device)))
    model, header = load_model(run_dir(home, run_id), device, parent)
    return model, record_of(header)
