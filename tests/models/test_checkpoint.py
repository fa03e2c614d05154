"""Model files load without unpickling, and anything edited or corrupted is refused clearly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from models import DataSpec, get_family
from models.checkpoint import CheckpointError, load_model, save_model


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    spec = get_family("vae")
    model = spec.build(spec.config({"latent_dim": 3, "hidden": [16]}), DataSpec((1, 8, 8), 100, "bernoulli"))
    save_model(model, tmp_path)
    return tmp_path


def test_loads_back(saved: Path) -> None:
    model, header = load_model(saved)
    assert header["family"] == "vae" and len(header["weights_sha256"]) == 64
    assert not model.training


def test_hand_edited_weights_are_rejected(saved: Path) -> None:
    tensors = load_file(str(saved / "weights.safetensors"))
    name = next(iter(tensors))
    tensors[name] = tensors[name] + 1.0  # a valid file with different numbers
    save_file(tensors, str(saved / "weights.safetensors"))
    with pytest.raises(CheckpointError, match="modified or corrupted"):
        load_model(saved)


def test_truncated_weights_are_rejected(saved: Path) -> None:
    path = saved / "weights.safetensors"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="modified or corrupted"):
        load_model(saved)


def test_garbage_with_a_matching_hash_is_not_unpickled(saved: Path) -> None:
    import hashlib
    import pickle

    payload = pickle.dumps({"evil": 1})
    (saved / "weights.safetensors").write_bytes(payload)
    header = json.loads((saved / "config.json").read_text())
    header["weights_sha256"] = hashlib.sha256(payload).hexdigest()
    (saved / "config.json").write_text(json.dumps(header))
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_model(saved)


def test_weights_for_another_architecture_are_rejected(saved: Path, tmp_path: Path) -> None:
    header = json.loads((saved / "config.json").read_text())
    header["config"]["latent_dim"] = 5
    (saved / "config.json").write_text(json.dumps(header))
    with pytest.raises(CheckpointError, match="does not fit the vae model"):
        load_model(saved)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda h: h.update(family="nope"), "unknown family"),
        (lambda h: h["config"].update(beta="x"), "expected a finite number"),
        (lambda h: h.pop("weights_sha256"), "no finished weights"),
    ],
)
def test_bad_config_json_is_rejected(saved: Path, edit, message: str) -> None:
    header = json.loads((saved / "config.json").read_text())
    edit(header)
    (saved / "config.json").write_text(json.dumps(header))
    with pytest.raises(CheckpointError, match=message):
        load_model(saved)


def test_invalid_json_and_missing_files(saved: Path) -> None:
    (saved / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_model(saved)
    with pytest.raises(CheckpointError, match="config.json is missing"):
        load_model(saved / "elsewhere")


def test_no_pickle_in_the_model_library() -> None:
    src = Path(__file__).resolve().parents[2] / "models"
    for f in src.rglob("*.py"):
        text = f.read_text()
        assert not re.search(r"import pickle|pickle\.load|torch\.load\(", text), f
    assert torch.__version__.startswith("2.13.0")
