"""Checks of what callers hand the label store; each failure is a LabellingInputError naming the field and saying
what was expected."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .model import STRATEGIES, LabellingInputError

MAX_NAME = 255  # labeller names, run and lens ids, idempotency keys (the columns' width)
MAX_NOTE = 1000
MAX_BATCH = 1000
MAX_HISTORY = 1000


def check_name(value: object, field: str) -> str:
    """A non-empty text of at most MAX_NAME characters, surrounding spaces dropped."""
    text = value.strip() if isinstance(value, str) else None
    if not text or len(text) > MAX_NAME:
        raise LabellingInputError(field, f"expected a non-empty text of at most {MAX_NAME} characters, "
                                         f"got {value!r:.60}")
    return text


def check_optional_name(value: object, field: str) -> str | None:
    return None if value is None else check_name(value, field)


def check_count(value: object, field: str, lo: int, hi: int) -> int:
    """An integer in [lo, hi] (not a bool)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not lo <= int(value) <= hi:
        raise LabellingInputError(field, f"expected an integer in {lo}..{hi}, got {value!r:.60}")
    return int(value)


def check_item(value: object, n_items: int) -> int:
    """An item index of the session's pool."""
    return check_count(value, "item", 0, n_items - 1)


def check_time_taken(value: object) -> int | None:
    """Milliseconds the labeller took, or None."""
    return None if value is None else check_count(value, "time_taken_ms", 0, 2**31 - 1)


def check_note(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_NOTE:
        raise LabellingInputError("note", f"expected a text of at most {MAX_NOTE} characters, got {value!r:.60}")
    return value


def check_strategy(value: object) -> str:
    if value not in STRATEGIES:
        raise LabellingInputError("strategy", f"expected one of {list(STRATEGIES)}, got {value!r:.60}")
    return str(value)


def check_ranking(ranked_items: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray | None,
                  n_items: int) -> tuple[np.ndarray, np.ndarray | None]:
    """``ranked_items`` (N,) item indices best first, and their (N,) acquisition ``scores`` (None: unscored) ->
    (N,) int64 and (N,) float64 arrays."""
    items = np.asarray(ranked_items)
    if items.ndim != 1 or (items.size and not np.issubdtype(items.dtype, np.integer)):
        raise LabellingInputError("ranked_items", f"expected a list of item indices, got an array of shape "
                                                  f"{items.shape} and dtype {items.dtype}")
    if items.size and (items.min() < 0 or items.max() >= n_items):
        raise LabellingInputError("ranked_items", f"expected item indices in 0..{n_items - 1}, got "
                                                  f"{int(items.min())}..{int(items.max())}")
    if scores is None:
        return items.astype(np.int64), None
    values = np.asarray(scores, dtype=np.float64)
    if values.shape != items.shape or not np.all(np.isfinite(values)):
        raise LabellingInputError("scores", f"expected {items.size} finite scores (one per ranked item), got an "
                                            f"array of shape {values.shape}")
    return items.astype(np.int64), values


def check_lease_s(value: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise LabellingInputError("lease_s", f"expected a positive number of seconds, got {value!r:.60}")
    return float(value)
