"""API fixtures: one tiny trained run (vae on digits, K = 4) shared by the session, apps built with
``create_app(Settings(...))`` on top of it, and helpers to check problem responses. Database fixtures: a real
SQLite file or PostgreSQL (``database_url``, parametrised over both)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from app_client import AppClient
from fastapi.testclient import TestClient
from pg_cluster import INSTALL_HINT, server_bin, throwaway_cluster

from backend.config import Settings
from backend.db import make_engine
from backend.main import create_app
from backend.runs import create_run, train_run
from models.training import TrainConfig

RUN = "tiny"  # the run every test module may read (tests/backend/test_api_*.py use the same names)
K = 4
PROBLEM = "application/problem+json"
TEST_HOST = "testserver"  # the Host header of TestClient's requests
ROOT = Path(__file__).resolve().parents[2]
DEMO_HOME_ENV = "FACTORSCOPE_TEST_DEMO_HOME"  # a home ``factorscope prepare`` made, to skip making one


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("api-home")
    train = TrainConfig(steps=100, eval_every=50, checkpoint_every=0, seed=0)
    create_run(home, "vae", {"latent_dim": K, "hidden": [32]}, "digits", train, run_id=RUN)
    train_run(home, RUN)
    return home


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home made by ``factorscope prepare`` as ``make demo`` runs it (its default database), made once per session
    (about 1.5 min on 2 idle cores): the one DEMO_HOME_ENV names, else one made here."""
    if os.environ.get(DEMO_HOME_ENV):
        return Path(os.environ[DEMO_HOME_ENV])
    home = tmp_path_factory.mktemp("demo-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACTORSCOPE_")}
    done = subprocess.run([sys.executable, "-m", "backend.cli", "prepare"], cwd=ROOT, capture_output=True, text=True,
                          env={**env, "FACTORSCOPE_HOME": str(home), "FACTORSCOPE_DEVICE": "cpu"}, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return home


def make_settings(home: Path, **overrides: Any) -> Settings:
    """Settings for an in-process app: TestClient's Host, ``testserver``, allowed explicitly (never by default)."""
    return Settings(home=home, database_url=f"sqlite:///{home}/jobs.db", **{"allowed_hosts": [TEST_HOST], **overrides})


def copy_home(source: Path, target: Path) -> Path:
    """A separate artifact store holding a copy of the trained run (for tests that change runs)."""
    shutil.copytree(source / "runs", target / "runs")
    return target


def serve(settings: Settings) -> TestClient:
    """An in-process client for a new app, sending the write header as our clients do (app_client.py); use as a
    context manager (it runs the lifespan)."""
    return AppClient(create_app(settings))


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


# --- databases: PostgreSQL at FACTORSCOPE_TEST_POSTGRES_URL or, without it, on a throwaway cluster started from
# the installed server (no PostgreSQL at all fails, saying how to get it); each test gets a fresh schema.

PG_ENV = "FACTORSCOPE_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """FACTORSCOPE_TEST_POSTGRES_URL, else a throwaway cluster for the session."""
    url = os.environ.get(PG_ENV)
    if url:
        yield url
        return
    bin_dir = server_bin()
    if bin_dir is None:
        pytest.fail(f"the PostgreSQL database tests need a server: {INSTALL_HINT}")
    with throwaway_cluster(bin_dir) as started:
        yield started


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped after the test."""
    base = sa.make_url(postgres_server).set(drivername="postgresql+psycopg")
    schema = f"test_db_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, then a fresh PostgreSQL schema: the test runs on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/jobs.db"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """An engine on ``database_url`` (SQLite, then PostgreSQL), disposed after the test."""
    made = make_engine(database_url)
    try:
        yield made
    finally:
        made.dispose()
