"""Shared fixtures: an isolated FACTORSCOPE_HOME per test, deterministic torch; the `extra` marker."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

# An optional extra (pyproject's [project.optional-dependencies]) -> the module that tells whether it is installed.
EXTRAS = {"mocap": "pybullet_data", "postgres": "psycopg"}
# The fast lane (`make test-fast`, `pytest -m unit`): pure library, page and contract-free frontend tests. Tests
# that start servers, workers, browsers or databases, or train for seconds, stay in the full suite only.
UNIT_PATHS = ("tests/models/", "tests/frontend/", "tests/test_architecture.py", "tests/backend/test_png.py",
              "tests/backend/test_convert.py")
NOT_UNIT_PATHS = ("tests/frontend/test_contract.py", "tests/models/laplace_family/")
NOT_UNIT_MARKS = ("slow", "browser", "postgres")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the fast lane's tests ``unit``."""
    for item in items:
        fast = item.nodeid.startswith(UNIT_PATHS) and not item.nodeid.startswith(NOT_UNIT_PATHS)
        if fast and not any(item.get_closest_marker(mark) for mark in NOT_UNIT_MARKS):
            item.add_marker(pytest.mark.unit)


@pytest.fixture(autouse=True)
def _optional_extras(request: pytest.FixtureRequest) -> None:
    """``@pytest.mark.extra("mocap")``: without that extra the test is skipped, saying which extra to install;
    under CI=true (which installs every extra) it fails instead, so CI never hides a missing install."""
    for mark in request.node.iter_markers("extra"):
        name = mark.args[0]
        if importlib.util.find_spec(EXTRAS[name]) is None:
            why = f"needs the optional `{name}` extra: pip install '.[{name}]'"
            if os.environ.get("CI") == "true":
                pytest.fail(why)
            pytest.skip(why)


@pytest.fixture(autouse=True)
def _deterministic() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(2)


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One torch thread for tests of tiny tensors: on a busy 2-core machine a second thread only adds contention
    (float32 ``log`` and advanced indexing were 100x slower with two)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh artifact store, also exported as FACTORSCOPE_HOME for subprocesses and settings."""
    root = tmp_path / "home"
    root.mkdir()
    monkeypatch.setenv("FACTORSCOPE_HOME", str(root))
    return root
