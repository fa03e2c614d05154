"""Projections on disk: ``<run folder>/projections/<version>/<method>-<n>-<seed>.safetensors`` holds ``index``
(N,) int64 and ``coords`` (N, 2) float64, with the axes and the explained variance (JSON) in its metadata; beside
them ``codes-<n>-<seed>.safetensors`` holds the sample's ``index`` (N,) and posterior means ``mu`` (N, K) float64,
which GET .../neighbours searches for samples larger than it encodes on request. Written to a temporary name and
renamed (``ranking_files._atomic``), so a reader never sees half of one; never pickle."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from ..labelling.ranking_files import _atomic
from ..runs import run_dir
from ..services.analysis import Embedding

PROJECTIONS_DIR = "projections"


def projection_path(home: Path, run_id: str, version: str, method: str, n: int, seed: int) -> Path:
    return run_dir(home, run_id) / PROJECTIONS_DIR / version / f"{method}-{n}-{seed}.safetensors"


def codes_path(home: Path, run_id: str, version: str, n: int, seed: int) -> Path:
    return run_dir(home, run_id) / PROJECTIONS_DIR / version / f"codes-{n}-{seed}.safetensors"


def write_codes(path: Path, index: np.ndarray, mu: np.ndarray) -> None:
    """Store the (N,) items ``index`` with their (N, K) posterior means ``mu``."""
    arrays = {"index": np.ascontiguousarray(index, dtype=np.int64), "mu": np.ascontiguousarray(mu, dtype=np.float64)}
    _atomic(path, lambda tmp: save_file(arrays, str(tmp)))


def read_codes(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(index (N,), mu (N, K)) stored at ``path`` by ``write_codes``."""
    arrays = load_file(str(path))
    return arrays["index"], arrays["mu"]


def write_projection(path: Path, index: np.ndarray, emb: Embedding) -> None:
    """Store the (N,) items ``index`` at ``emb``'s (N, 2) coordinates."""
    arrays = {"index": np.ascontiguousarray(index, dtype=np.int64),
              "coords": np.ascontiguousarray(emb.coords, dtype=np.float64)}
    meta = {"axes": json.dumps(emb.axes), "explained_variance": json.dumps(emb.explained)}
    _atomic(path, lambda tmp: save_file(arrays, str(tmp), meta))


def read_projection(path: Path) -> tuple[np.ndarray, Embedding]:
    """(index (N,), its Embedding) stored at ``path`` by ``write_projection``."""
    with safe_open(str(path), framework="numpy") as handle:
        meta = handle.metadata() or {}
    arrays = load_file(str(path))
    emb = Embedding(json.loads(meta["axes"]), json.loads(meta["explained_variance"]), arrays["coords"])
    return arrays["index"], emb
