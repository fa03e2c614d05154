"""Shared fixtures: an isolated FACTORSCOPE_HOME per test, deterministic torch."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch


@pytest.fixture(autouse=True)
def _deterministic() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(2)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh artifact store, also exported as FACTORSCOPE_HOME for subprocesses and settings."""
    root = tmp_path / "home"
    root.mkdir()
    monkeypatch.setenv("FACTORSCOPE_HOME", str(root))
    return root
