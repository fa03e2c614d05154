"""API fixtures: one tiny trained run (vae on digits, K = 4) shared by the session, apps built with
``create_app(Settings(...))`` on top of it, and helpers to check problem responses."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from backend.config import Settings
from backend.main import create_app
from models.runs import create_run, train_run
from models.training import TrainConfig

RUN = "tiny"  # the run every test module may read (tests/backend/test_api_*.py use the same names)
K = 4
PROBLEM = "application/problem+json"


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("api-home")
    train = TrainConfig(steps=100, eval_every=50, checkpoint_every=0, seed=0)
    create_run(home, "vae", {"latent_dim": K, "hidden": [32]}, "digits", train, run_id=RUN)
    train_run(home, RUN)
    return home


def make_settings(home: Path, **overrides: Any) -> Settings:
    return Settings(home=home, database_url=f"sqlite:///{home}/jobs.db", **overrides)


def copy_home(source: Path, target: Path) -> Path:
    """A separate artifact store holding a copy of the trained run (for tests that change runs)."""
    shutil.copytree(source / "runs", target / "runs")
    return target


def serve(settings: Settings) -> TestClient:
    """An in-process client for a new app; use as a context manager (it runs the lifespan)."""
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def client(trained_home: Path) -> Iterator[TestClient]:
    """One app per test module on the shared trained home; ``client.app.state`` holds its stores."""
    with serve(make_settings(trained_home)) as c:
        yield c


@pytest.fixture
def fresh_home(trained_home: Path, tmp_path: Path) -> Path:
    return copy_home(trained_home, tmp_path / "home")


@pytest.fixture(scope="session")
def settings_for() -> Callable[..., Settings]:
    """``settings_for(home, **overrides)``: Settings for an app on ``home`` with its own jobs database."""
    return make_settings


@pytest.fixture(scope="session")
def problem() -> Callable[..., dict[str, Any]]:
    """``problem(response, status, *words)``: assert an RFC 9457 problem; returns its body."""
    return assert_problem


def assert_problem(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    """An RFC 9457 problem with ``status`` whose detail mentions every word."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body), body
    assert body["status"] == status and body["instance"] == response.request.url.path
    for word in words:
        assert word in body["detail"], (word, body["detail"])
    assert "Traceback" not in response.text
    return body
