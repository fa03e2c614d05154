"""The seed's random baseline: uniform scores, so the top n of them is a uniform draw of n candidates."""

from __future__ import annotations

import numpy as np


def random_scores(n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
    """n independent Uniform[0, 1) scores, (n,); `rng` a Generator or a seed (None: fresh entropy)."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n: expected a positive integer number of candidates, got {n!r}")
    return np.random.default_rng(rng).random(int(n))
