"""Rankings and the base representation on disk, in the lens's run folder (safetensors and .npy: never pickle).

``rankings/<lens version>/<attribute>.<strategy>.safetensors`` holds one ``Ranking`` (``ranked``, ``scores``, the
predictive arrays; the version, attribute and strategy in its metadata); a bald_batch ranking's name adds the
size of its diverse head (``<attribute>.bald_batch-<head>``). ``representation-<base version>.npy`` holds the base
run's encoder means (N, D) of every item: the base run is pinned, so it is computed once per lens. Each file is
written to a temporary name and renamed, so a reader never sees half of one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from .ranking import Ranking

RANKINGS_DIR = "rankings"


def ranking_name(attribute: str, strategy: str, head: int) -> str:
    """The file name (without folder) of a ranking; ``head`` counts for bald_batch only."""
    return f"{attribute}.{strategy}-{head}" if strategy == "bald_batch" else f"{attribute}.{strategy}"


def ranking_path(folder: Path, version: str, name: str) -> Path:
    return folder / RANKINGS_DIR / version / f"{name}.safetensors"


def save_ranking(folder: Path, ranking: Ranking, name: str) -> Path:
    """Write ``ranking`` under its version; returns the path."""
    arrays = {"ranked": np.ascontiguousarray(ranking.ranked, dtype=np.int64), **ranking.predictive}
    if ranking.scores is not None:
        arrays["scores"] = np.ascontiguousarray(ranking.scores, dtype=np.float64)
    meta = {"lens_version": ranking.lens_version, "attribute": ranking.attribute, "strategy": ranking.strategy}
    path = ranking_path(folder, ranking.lens_version, name)
    _atomic(path, lambda tmp: save_file(arrays, str(tmp), meta))
    return path


def load_ranking(path: Path) -> Ranking:
    """The ranking saved at ``path``."""
    with safe_open(str(path), framework="numpy") as handle:
        meta = handle.metadata() or {}
    arrays = load_file(str(path))
    ranked, scores = arrays.pop("ranked"), arrays.pop("scores", None)
    return Ranking(meta["lens_version"], meta["attribute"], meta["strategy"], ranked, scores, arrays)


def newest_saved(folder: Path, name: str) -> Path | None:
    """The most recently written ranking called ``name`` of any version of the lens, or None."""
    found = list((folder / RANKINGS_DIR).glob(f"*/{name}.safetensors"))
    return max(found, key=lambda p: p.stat().st_mtime_ns) if found else None


def cached_representation(folder: Path, base_version: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """The base representation (N, D) float32 of every item: read from disk, or computed once and saved."""
    path = folder / f"representation-{base_version}.npy"
    if path.is_file():
        return np.load(path, allow_pickle=False)
    z = np.ascontiguousarray(compute(), dtype=np.float32)
    _atomic(path, lambda tmp: np.save(tmp, z, allow_pickle=False))
    return z


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Run ``write`` on a temporary file beside ``path``, then rename it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")
    write(tmp)
    os.replace(tmp, path)
