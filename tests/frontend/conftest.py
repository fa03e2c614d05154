"""Fixtures: a fake backend (httpx.MockTransport, see fake_backend.py), a BackendClient on it, and one
dashboard app per session (page modules register their callbacks once per process)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from dash import Dash
from fake_backend import FakeBackend

from frontend.api_client import BackendClient
from frontend.app import create_app
from frontend.config import FrontendSettings


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def client(backend: FakeBackend) -> BackendClient:
    return BackendClient(httpx.Client(transport=httpx.MockTransport(backend), base_url="http://backend:8000"))


SETTINGS = FrontendSettings(backend_url="http://backend:8000", public_backend_url="http://localhost:8000")


@pytest.fixture(scope="session")
def app() -> Dash:
    """The one app of this process; tests swap its client through ``with_client``."""
    fake = FakeBackend()
    return create_app(SETTINGS, BackendClient(httpx.Client(transport=httpx.MockTransport(fake),
                                                           base_url="http://backend:8000")))


@pytest.fixture
def with_client(app: Dash, client: BackendClient) -> Iterator[Dash]:
    """An app context whose backend client is ``client`` (callbacks called as plain functions use it)."""
    from frontend.context import EXTENSION, AppContext

    saved = app.server.extensions[EXTENSION]
    app.server.extensions[EXTENSION] = AppContext(client, SETTINGS)
    with app.server.app_context():
        yield app
    app.server.extensions[EXTENSION] = saved
