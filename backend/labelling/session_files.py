"""A session's files under ``FACTORSCOPE_HOME/label-sessions/<session id>/``: its fixed held-out set
(``held_out.json``, chosen once when the session is made) and its learning curve, one file per lens version and
attribute (``curve/<version>.<attribute>.json``: the API and the job worker each write their own points)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from models import read_json, write_json

HELD_OUT, HELD_OUT_SEED = 500, 0  # items of the fixed test set, and the seed that draws them
SESSIONS_DIR = "label-sessions"


def session_dir(home: Path, session_id: str) -> Path:
    return home / SESSIONS_DIR / session_id


def choose_held_out(n_items: int, labelled: np.ndarray, pool: np.ndarray | None = None,
                    seed: int = HELD_OUT_SEED) -> np.ndarray:
    """(H,) sorted items drawn with ``seed`` among those the lens has no label for (``labelled``): HELD_OUT of
    them, or a fifth when there are fewer than 5 * HELD_OUT. With a session's ``pool`` (an item set's items), items
    outside it are drawn first, so that every item of the set can be asked for; the set's own unlabelled items top
    them up only when they are too few (a set of nearly every item), so that the learning curve still scores."""
    free = np.setdiff1d(np.arange(n_items), labelled)  # (F,) sorted
    size = min(HELD_OUT, len(free) // 5)
    inside = np.isin(free, pool) if pool is not None else np.zeros(len(free), dtype=bool)
    rng = np.random.default_rng(seed)
    first = rng.choice(free[~inside], size=min(size, int((~inside).sum())), replace=False)
    rest = rng.choice(free[inside], size=size - len(first), replace=False)  # none unless the outside fell short
    return np.sort(np.concatenate([first, rest])).astype(np.int64)


def save_held_out(home: Path, session_id: str, items: np.ndarray, seed: int = HELD_OUT_SEED) -> None:
    folder = session_dir(home, session_id)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "held_out.json", {"seed": seed, "items": [int(i) for i in items]})


def load_held_out(home: Path, session_id: str) -> np.ndarray:
    """The session's held-out items (H,); empty for a session made without one."""
    path = session_dir(home, session_id) / "held_out.json"
    return np.asarray(read_json(path)["items"] if path.is_file() else [], dtype=np.int64)


def save_point(home: Path, session_id: str, attribute: str, point: dict[str, Any]) -> None:
    folder = session_dir(home, session_id) / "curve"
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / f"{point['lens_version']}.{attribute}.json", point)


def has_point(home: Path, session_id: str, attribute: str, version: str) -> bool:
    return (session_dir(home, session_id) / "curve" / f"{version}.{attribute}.json").is_file()


def load_points(home: Path, session_id: str, attribute: str) -> list[dict[str, Any]]:
    """The curve's points for ``attribute``, in the order they were made (labels, then time)."""
    files = (session_dir(home, session_id) / "curve").glob(f"*.{attribute}.json")
    return sorted((read_json(path) for path in files), key=lambda p: (p["labels"], p["created_at"]))
