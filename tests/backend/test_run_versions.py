"""A run keeps each finished version it is asked to (``keep_version``): the files stay byte-identical after newer
weights replace them, the version loads as it was, and only a kept, well-formed version is found."""

from __future__ import annotations

from pathlib import Path

import torch

from backend.runs import archived_dir, create_run, keep_version, load_run, read_record, run_dir, train_run
from models import CONFIG_FILE, WEIGHTS_FILE, load_model, read_json, save_model
from models.training import TrainConfig

TRAIN = TrainConfig(steps=5, log_every=5, eval_every=5, checkpoint_every=5, seed=0)


def _retrain(folder: Path) -> None:
    """New weights in place, as a lens refit writes them (weights, then config.json naming their sha256)."""
    model, header = load_model(folder)
    with torch.no_grad():
        next(model.parameters()).add_(0.25)
    save_model(model, folder, {k: v for k, v in header.items() if k != "weights_sha256"}, make_dir=False)


def test_a_kept_version_survives_new_weights_and_loads_as_it_was(tmp_path: Path) -> None:
    create_run(tmp_path, "vae", {"latent_dim": 2, "hidden": [8]}, "bars", TRAIN, run_id="r")
    train_run(tmp_path, "r")
    folder = run_dir(tmp_path, "r")
    old = keep_version(folder)
    assert old == read_record(tmp_path, "r").version
    old_bytes = (folder / WEIGHTS_FILE).read_bytes()
    before, _ = load_run(tmp_path, "r")
    _retrain(folder)
    new = keep_version(folder)
    assert new is not None and new != old and read_record(tmp_path, "r").version == new
    kept = archived_dir(tmp_path, "r", old)
    assert kept is not None and (kept / WEIGHTS_FILE).read_bytes() == old_bytes
    assert read_json(kept / CONFIG_FILE)["weights_sha256"].startswith(old)
    model, record = load_run(tmp_path, "r", version=old)
    assert record.version == old
    for a, b in zip(model.state_dict().values(), before.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert keep_version(folder) == new  # keeping twice changes nothing
    assert sorted(p.name for p in (folder / "versions").iterdir()) == sorted([old, new])


def test_only_a_kept_well_formed_version_is_found(tmp_path: Path) -> None:
    create_run(tmp_path, "vae", {"latent_dim": 2, "hidden": [8]}, "bars", TRAIN, run_id="r")
    assert keep_version(run_dir(tmp_path, "r")) is None  # no weights yet: nothing to keep
    train_run(tmp_path, "r")
    version = keep_version(run_dir(tmp_path, "r"))
    assert version is not None and archived_dir(tmp_path, "r", version) is not None
    for asked in ("0" * 12, "../../etc/xx", version.upper(), version[:11], ""):
        assert archived_dir(tmp_path, "r", asked) is None
