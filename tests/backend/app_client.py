"""``AppClient``: the in-process test client, calling the API as our own clients do (frontend/api_client.py): every
request carries the write header, so body-less writes (DELETE, POST .../train) pass. The refusals without it are
tested with a plain ``TestClient`` (test_api_security.py)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from backend.api.request_checks import WRITE_HEADER, WRITE_HEADER_VALUE


class AppClient(TestClient):
    def __init__(self, app: Any, **kwargs: Any) -> None:
        headers = {WRITE_HEADER: WRITE_HEADER_VALUE, **(kwargs.pop("headers", None) or {})}
        super().__init__(app, headers=headers, **kwargs)
