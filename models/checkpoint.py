"""Model files without pickle: ``config.json`` (family, typed config, data spec, sha256) +
``weights.safetensors``. Loading verifies the sha256 before it reads a single tensor.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .base import DataSpec, LatentModel
from .config import ConfigError, config_to_dict
from .protocols import HasParent
from .registry import UnknownFamilyError, get_family

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
FORMAT = 1


class CheckpointError(ValueError):
    """A model directory that cannot be loaded safely; the message says what is wrong."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_json(path: Path, data: Any) -> None:
    """Atomic JSON write: a temp file in the same folder, then rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as err:
        raise CheckpointError(f"{path.name} is missing in {path.parent}") from err
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path} is not valid JSON ({err})") from err


def save_tensors(tensors: dict[str, torch.Tensor], path: Path) -> str:
    """Atomic safetensors write; returns the file's sha256."""
    tmp = path.with_name(f".{path.name}.tmp")
    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp))
    os.replace(tmp, path)
    return sha256_file(path)


def model_header(model: LatentModel) -> dict[str, Any]:
    """What rebuilds the module: family, typed config, data spec."""
    return {"format": FORMAT, "family": model.family, "config": config_to_dict(model.config),
            "data": model.data.to_json()}


def save_model(model: LatentModel, directory: Path, extra: dict[str, Any] | None = None,
               make_dir: bool = True) -> str:
    """Write weights then config.json (with the weights' sha256); returns the sha256. ``make_dir=False``: the
    folder must exist (a run deleted meanwhile is not made again). A model built on a parent leaves the parent
    out of its state dict, so the parent's weights are never written here."""
    if make_dir:
        directory.mkdir(parents=True, exist_ok=True)
    digest = save_tensors(model.state_dict(), directory / WEIGHTS_FILE)
    write_json(directory / CONFIG_FILE, {**(extra or {}), **model_header(model), "weights_sha256": digest})
    return digest


def build_from_header(header: dict[str, Any]) -> LatentModel:
    """An untrained module from a config.json dict (CheckpointError when it does not fit)."""
    try:
        spec = get_family(header["family"])
        return spec.build(spec.config(header["config"]), DataSpec.from_json(header["data"]), header.get("seed", 0))
    except KeyError as err:
        raise CheckpointError(f"config.json lacks {err} or names an unknown family") from err
    except (ConfigError, UnknownFamilyError, TypeError, ValueError) as err:
        raise CheckpointError(f"config.json does not describe a model: {err}") from err


def build_model(header: dict[str, Any], parent: LatentModel | None = None) -> LatentModel:
    """``build_from_header``, then ``attach`` the parent of a model built on another run."""
    return attach(build_from_header(header), parent)


def attach(model: LatentModel, parent: LatentModel | None) -> LatentModel:
    """``model`` with ``parent`` attached when it is built on another run (``HasParent``), before any weights of
    its own load; CheckpointError when its parent is missing, or a parent is given to a model that takes none."""
    if isinstance(model, HasParent) != (parent is not None):
        needs = "is built on another run; expected its parent model" if parent is None else "takes no parent"
        raise CheckpointError(f"the {model.family} model {needs}")
    if isinstance(model, HasParent) and parent is not None:
        model.attach_parent(parent)
    return model


def load_state(path: Path, expected_sha256: str | None) -> dict[str, torch.Tensor]:
    """Tensors from a safetensors file after checking its sha256 against the recorded one."""
    if not path.is_file():
        raise CheckpointError(f"{path.name} is missing in {path.parent}")
    actual = sha256_file(path)
    if expected_sha256 is not None and actual != expected_sha256:
        raise CheckpointError(
            f"{path} was modified or corrupted: its sha256 is {actual[:12]}..., "
            f"config.json records {expected_sha256[:12]}...; refusing to load it"
        )
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{path} is not a readable safetensors file ({err})") from err


def load_weights_into(model: LatentModel, state: dict[str, torch.Tensor], source: Path) -> None:
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise CheckpointError(f"{source} does not fit the {model.family} model in config.json: {err}") from err


def load_model(directory: Path, device: str | torch.device = "cpu", parent: LatentModel | None = None
               ) -> tuple[LatentModel, dict[str, Any]]:
    """Rebuild and load a model directory; returns (model in eval mode, config.json dict). ``parent``: the loaded
    model of the run it is built on (``HasParent`` models only), attached before its own weights load."""
    header = read_json(directory / CONFIG_FILE)
    if "weights_sha256" not in header:
        raise CheckpointError(f"{directory} has no finished weights (config.json lacks weights_sha256)")
    model = build_model(header, parent)
    load_weights_into(model, load_state(directory / WEIGHTS_FILE, header["weights_sha256"]), directory)
    return model.to(device).eval(), header
