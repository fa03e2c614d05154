"""Making a run: validate the family, config (its parent pinned), dataset and size, then write config.json (no
weights yet); ``train.train_run`` comes next."""

from __future__ import annotations

import platform
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models import (
    CONFIG_FILE,
    DataSpec,
    LatentModel,
    TrainConfig,
    attach,
    get_dataset,
    get_family,
    model_header,
    split_indices,
    write_json,
)

from .folders import new_run_id, run_dir
from .parents import meta_parent, pin_parent
from .pending import crash_point, mark_pending
from .records import RunRecord, parent_of, record_of


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


def versions() -> dict[str, str]:
    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__}


def create_run(home: Path, family: str, config: dict[str, Any], dataset: str, train: TrainConfig,
               run_id: str | None = None, limits: ModelLimits = ModelLimits(), pending_job: bool = False) -> RunRecord:
    """Validate everything and write the run's config.json (no weights yet); training comes next.
    ``pending_job``: the caller queues the run's job next; the run is marked until it has (see ``pending``).
    ``limits``: refuse (ModelTooLarge) a bigger model before any memory is allocated for it. A family built on
    another run names it in ``config`` (``{"run_id": ...}``): it must be finished, and its version is pinned."""
    spec, data = get_family(family), get_dataset(dataset)
    config = pin_parent(home, spec, config)
    typed = spec.config(config)  # ConfigError naming the field
    run_id = run_id or new_run_id(family, dataset)
    folder = run_dir(home, run_id)
    if folder.exists():
        raise FileExistsError(f"run {run_id!r} already exists")
    n_train = len(split_indices(len(data), train.val_fraction, train.seed)[0])
    with torch.device("meta"):  # checks the config (and its parent) and counts parameters without allocating them
        model = attach(spec.build(typed, DataSpec.from_info(data.info, n_train), train.seed),
                       _meta_parent_of(home, family, config))
    n_parameters = check_size(model, limits)
    model.check_dataset(data)  # ConfigError when the config does not fit the dataset (a JLVM's attributes)
    folder.mkdir(parents=True)
    if pending_job:
        mark_pending(folder)  # before config.json: a run that can be listed is never unmarked before its job is queued
    header = {"run_id": run_id, "nonce": secrets.token_hex(8),  # tells this run from a later one of its id
              "dataset": dataset, "created": datetime.now(UTC).isoformat(timespec="seconds"),
              "train": asdict(train), "seed": train.seed, "versions": versions(),
              "n_parameters": n_parameters, **model_header(model)}
    write_json(folder / CONFIG_FILE, header)
    crash_point("run_created")
    return record_of(header)


def _meta_parent_of(home: Path, family: str, config: dict[str, Any]) -> LatentModel | None:
    """The meta-device module of the run a pinned ``config`` names as its parent; None when it names none."""
    ref = parent_of(family, config)
    return meta_parent(home, ref.run_id) if ref else None


def check_size(model: LatentModel, limits: ModelLimits) -> int:
    """ModelTooLarge when ``model`` (best built on the meta device) has more parameters or layers than ``limits``
    allow; returns its parameter count. A parent's weights are not the child's: they do not count."""
    n_parameters = sum(p.numel() for p in model.parameters())
    n_layers = sum(1 for m in model.modules() if next(m.parameters(recurse=False), None) is not None)
    for count, maximum, unit in ((n_parameters, limits.parameters, "parameters"), (n_layers, limits.layers, "layers")):
        if maximum is not None and count > maximum:
            raise ModelTooLarge(count, maximum, unit)
    return n_parameters


def check_run_size(home: Path, run_id: str, limits: ModelLimits) -> None:
    """``check_size`` for a run on disk (one made elsewhere, e.g. by the CLI, before it trains here)."""
    with torch.device("meta"):
        check_size(meta_parent(home, run_id), limits)
