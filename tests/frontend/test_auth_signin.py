"""Signing in to the dashboard (frontend/auth.py, pages/signin.py) through its Flask server: a token the backend
accepts is kept in a Secure, HttpOnly, SameSite=Strict cookie and forwarded as a bearer token on the backend calls
made for that browser's requests; a refused token, a form from another site or an unsafe ``next`` change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from dash import Dash
from fake_backend import PNG, FakeBackend, problem
from werkzeug.test import TestResponse

from frontend.api_client import BackendClient
from frontend.auth import COOKIE, request_token, safe_next
from frontend.context import EXTENSION, AppContext

TOKENS = {"fs_alice": {"name": "alice", "role": "labeller", "auth": True}}
SITE = "https://dash.lab.example"  # the cookie is Secure: the browser sends it over HTTPS only


class Backend(FakeBackend):
    """The fake API with auth on: whoami checks the bearer token; every Authorization header sent is recorded."""

    def __init__(self, auth: bool = True) -> None:
        super().__init__()
        self.authorization: list[str | None] = []
        self.overrides[("GET", "/api/v1/auth/whoami")] = self.whoami if auth else self.open
        self.overrides[("GET", "/api/v1/runs/tiny/traversal.png")] = self.png

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.authorization.append(request.headers.get("Authorization"))
        return super().__call__(request)

    def whoami(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token in TOKENS:
            return httpx.Response(200, json=TOKENS[token])
        return problem(401, "Unauthorized", "the token given is unknown or revoked")

    @staticmethod
    def open(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"name": None, "role": "admin", "auth": False})

    @staticmethod
    def png(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})


def serve_with(app: Dash, backend: Backend) -> Iterator[Backend]:
    """``app`` calling ``backend`` through a client that forwards the signed-in token, as create_app wires it."""
    saved = app.server.extensions[EXTENSION]
    http = httpx.Client(transport=httpx.MockTransport(backend), base_url="http://backend:8000")
    app.server.extensions[EXTENSION] = AppContext(BackendClient(http, request_token), saved.settings)
    try:
        yield backend
    finally:
        app.server.extensions[EXTENSION] = saved


@pytest.fixture
def backend(app: Dash) -> Iterator[Backend]:
    yield from serve_with(app, Backend())


def sign_in(app: Dash, token: str, **headers: str) -> TestResponse:
    http = app.server.test_client()
    return http.post("/auth/signin?next=%2Fexplore%3Frun%3Dtiny", base_url=SITE, data={"token": token},
                     headers=headers)


def cookie_attributes(response: TestResponse) -> dict[str, Any]:
    (header,) = response.headers.getlist("Set-Cookie")
    name_value, *attributes = [part.strip() for part in header.split(";")]
    return {"value": name_value.removeprefix(f"{COOKIE}="),
            **{a.partition("=")[0].lower(): a.partition("=")[2] for a in attributes}}


def test_a_good_token_is_kept_in_a_strict_cookie_and_forwarded(app: Dash, backend: Backend) -> None:
    http = app.server.test_client()
    anonymous = http.get("/download/traversal.png?run=tiny&dims=1", base_url=SITE)
    assert anonymous.status_code == 200 and backend.authorization[-1] is None  # reads open: no token needed
    response = http.post("/auth/signin?next=/explore%3Frun%3Dtiny", base_url=SITE, data={"token": " fs_alice "},
                         headers={"Origin": SITE})
    assert response.status_code == 303 and response.headers["Location"] == "/explore?run=tiny"
    cookie = cookie_attributes(response)
    assert cookie["value"] == "fs_alice" and cookie["path"] == "/" and cookie["samesite"] == "Strict"
    assert {"secure", "httponly"} <= set(cookie)
    assert backend.authorization[-1] == "Bearer fs_alice"  # checked with the backend
    backend.authorization.clear()
    assert http.get("/download/traversal.png?run=tiny&dims=1", base_url=SITE).status_code == 200
    assert backend.authorization == ["Bearer fs_alice"]  # the backend call made for this browser carries it


def test_the_sign_in_page_says_who_is_signed_in(app: Dash, backend: Backend) -> None:
    from frontend.pages import signin

    with app.server.test_request_context("/signin", base_url=SITE, headers={"Cookie": f"{COOKIE}=fs_alice"}):
        page = str(signin.layout())
        assert "Signed in as alice (labeller)" in page and "Sign out" in page
    with app.server.test_request_context("/signin", base_url=SITE, headers={"Cookie": f"{COOKIE}=fs_gone"}):
        assert "no longer accepted" in str(signin.layout())
    with app.server.test_request_context("/signin", base_url=SITE):
        page = str(signin.layout(error="refused", next="//evil.example/"))
        assert "Not signed in: you may view" in page and "did not accept that token" in page
        assert "/auth/signin?next=%2Fsignin" in page and "evil" not in page and "Sign out" not in page
    with app.server.test_request_context("/signin", base_url="http://dash.lab.example"):
        assert "plain HTTP" in str(signin.layout())
    with app.server.test_request_context("/signin", base_url="http://127.0.0.1:8050"):
        assert "plain HTTP" not in str(signin.layout())


def test_a_refused_token_sets_no_cookie(app: Dash, backend: Backend) -> None:
    for token, code in (("fs_mallory", "refused"), ("  ", "empty"), ("x" * 600, "empty")):
        response = sign_in(app, token)
        assert response.status_code == 303 and "Set-Cookie" not in response.headers
        assert response.headers["Location"] == f"/signin?error={code}&next=%2Fexplore%3Frun%3Dtiny"


def test_a_backend_without_auth_has_nothing_to_sign_in_to(app: Dash) -> None:
    for _ in serve_with(app, Backend(auth=False)):
        response = sign_in(app, "fs_alice")
        assert "Set-Cookie" not in response.headers and "error=not-needed" in response.headers["Location"]


def test_a_form_from_another_site_is_refused(app: Dash, backend: Backend) -> None:
    for origin in ("https://attacker.example", "null"):
        response = sign_in(app, "fs_alice", Origin=origin)
        assert response.status_code == 403 and "Set-Cookie" not in response.headers
        assert b"another site" in response.data
    http = app.server.test_client()
    assert http.post("/auth/signout", base_url=SITE, headers={"Origin": "https://attacker.example"}).status_code == 403


def test_sign_out_forgets_the_token(app: Dash, backend: Backend) -> None:
    http = app.server.test_client()
    sign_in_response = http.post("/auth/signin", base_url=SITE, data={"token": "fs_alice"})
    assert sign_in_response.headers["Location"] == "/signin"  # no next: the sign-in page
    response = http.post("/auth/signout", base_url=SITE, headers={"Origin": SITE})
    assert response.status_code == 303 and response.headers["Location"] == "/signin"
    assert cookie_attributes(response)["max-age"] == "0"
    backend.authorization.clear()
    http.get("/download/traversal.png?run=tiny&dims=1", base_url=SITE)
    assert backend.authorization == [None]


def test_next_stays_on_this_site() -> None:
    assert safe_next("/explore?run=tiny&dims=1,2") == "/explore?run=tiny&dims=1,2"
    for target in (None, "", "//evil.example/x", "https://evil.example/", "/\\evil.example", "explore",
                   "/x\r\nSet-Cookie: a=b", "javascript:alert(1)"):
        assert safe_next(target) == "/signin", target
