"""Dataset names as test parameters, humanoid_mocap marked as needing the optional `mocap` extra."""

from __future__ import annotations

from collections.abc import Iterable

import pytest


def needing_mocap(names: Iterable[str]) -> list[object]:
    """``names`` sorted; humanoid_mocap wrapped in ``pytest.param(..., marks=extra("mocap"))``."""
    return [pytest.param(n, marks=pytest.mark.extra("mocap")) if n == "humanoid_mocap" else n for n in sorted(names)]
