"""Demo runs shipped with their trained weights: ``backend/demo_weights/<run_id>/`` holds a finished run's
config.json (with its weights' sha256 and, under ``produced_by``, the command and seed that trained it),
weights.safetensors, history.json and metrics.json (training only: ``prepare`` computes the report). No pickles.

``install_bundle`` copies a bundle into the artifact store as the run's finished version after checking the
sha256 (a mismatch is refused, never trained over); ``export_bundle`` writes one from a finished run. The
bundles are made by ``factorscope demo-weights`` (``backend.demo_weights.cli``), whose docstring gives the
command, seed, steps and how long it took."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from models import CONFIG_FILE, WEIGHTS_FILE, CheckpointError, read_json, sha256_file, write_json

from ..runs import RunRecord, record_of, run_dir

BUNDLE_ROOT = Path(__file__).parent
TRAINING_FILES = ("history.json", "metrics.json")  # copied besides config.json and the weights


class BundleError(CheckpointError):
    """Bundled weights that cannot be installed: missing, modified, or of another run; the message says which."""


def bundle_dir(run_id: str, root: Path | None = None) -> Path:
    return (root or BUNDLE_ROOT) / run_id


def has_bundle(run_id: str, root: Path | None = None) -> bool:
    return (bundle_dir(run_id, root) / CONFIG_FILE).is_file()


def checked_header(source: Path) -> dict[str, Any]:
    """The bundle's config.json once its weights' sha256 matches the one recorded there (BundleError otherwise)."""
    missing = [name for name in (CONFIG_FILE, WEIGHTS_FILE, *TRAINING_FILES) if not (source / name).is_file()]
    if missing:
        raise BundleError(f"the bundled run in {source} lacks {', '.join(missing)}; reinstall factorscope or make "
                          "it anew with `factorscope demo-weights`")
    header = read_json(source / CONFIG_FILE)
    recorded, actual = header.get("weights_sha256"), sha256_file(source / WEIGHTS_FILE)
    if actual != recorded:
        raise BundleError(f"the bundled weights {source / WEIGHTS_FILE} were modified or corrupted: their sha256 "
                          f"is {actual[:12]}..., its config.json records {str(recorded)[:12]}...; refusing to "
                          "install them (reinstall factorscope, make them anew with `factorscope demo-weights`, "
                          "or train the run with `factorscope prepare --train-fresh`)")
    return header


def install_bundle(home: Path, run_id: str, root: Path | None = None) -> RunRecord:
    """Install the bundle of ``run_id`` as a finished run in ``home`` (which must not hold that run yet); returns
    its record. The copy gets a nonce of its own (a run made anew is told from an earlier one of its id)."""
    source = bundle_dir(run_id, root)
    header = checked_header(source)
    if header.get("run_id") != run_id:
        raise BundleError(f"the bundle in {source} is of run {header.get('run_id')!r}, expected {run_id!r}")
    target = run_dir(home, run_id)
    if target.exists():
        raise FileExistsError(f"run {run_id!r} already exists in {home}; delete it to install the bundled one")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".install-{run_id}-", dir=target.parent))  # renamed whole: never half
    for name in (WEIGHTS_FILE, *TRAINING_FILES):
        shutil.copyfile(source / name, staging / name)
    header = {**header, "nonce": secrets.token_hex(8)}
    write_json(staging / CONFIG_FILE, header)
    staging.rename(target)
    return record_of(header)


def export_bundle(home: Path, run_id: str, produced_by: dict[str, Any], root: Path | None = None) -> Path:
    """Write the finished run ``run_id`` of ``home`` as a bundle (replacing an older one); ``produced_by`` (the
    command, seed, steps) is recorded in its config.json. The report, if any, is left out. Returns the folder."""
    source, target = run_dir(home, run_id), bundle_dir(run_id, root)
    header = read_json(source / CONFIG_FILE)
    if "weights_sha256" not in header:
        raise BundleError(f"run {run_id!r} in {home} has no finished weights to bundle; train it first")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / WEIGHTS_FILE, target / WEIGHTS_FILE)
    shutil.copyfile(source / "history.json", target / "history.json")
    write_json(target / "metrics.json", {"training": read_json(source / "metrics.json")["training"]})
    write_json(target / CONFIG_FILE, {**header, "produced_by": produced_by})
    checked_header(target)
    return target
