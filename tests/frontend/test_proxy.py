"""The dashboard's /api/v1 proxy (frontend/proxy.py) through its Flask server, on a recording stand-in for the API:
what reaches the backend (path, query, body, headers, the signed-in token) and what comes back (status, headers such
as ETag and Retry-After, the body), and what is refused before the backend is asked. The real stack: e2e/test_proxy.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from dash import Dash

from frontend.api_client import BackendClient, ImageUrls
from frontend.auth import COOKIE, request_token
from frontend.context import EXTENSION, AppContext

pytestmark = pytest.mark.unit
SITE = "https://dash.lab.example"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 300  # 76,808 bytes: several chunks of the stream


def answer(status: int, body: bytes = b"", **headers: str) -> httpx.Response:
    """A response whose body still has to be read, as a real transport hands it over (streamed)."""
    return httpx.Response(status, content=iter([body] if body else []),
                          headers={k.replace("_", "-"): v for k, v in headers.items()})


class Api:
    """Answers like the backend would, and keeps every request it was sent."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        path = request.url.path
        if path.endswith("traversal.png"):
            if request.headers.get("If-None-Match") == '"abc"':
                return answer(304, ETag='"abc"')
            return answer(200, PNG, Content_Type="image/png", ETag='"abc"',
                          Cache_Control="public, max-age=31536000, immutable")
        if path.endswith("/busy"):
            return answer(503, b'{"title": "Service Unavailable"}', Retry_After="2",
                          Content_Type="application/problem+json")
        if path.endswith("/moved"):
            return answer(307, Location="http://backend:8000/api/v1/runs", Connection="x-private", X_Private="1",
                          X_Kept="1")
        if path.endswith("/down"):
            raise httpx.ConnectError("connection refused", request=request)
        return answer(201, json.dumps({"echo": request.content.decode()}).encode(), Content_Type="application/json")


@pytest.fixture
def api(app: Dash) -> Iterator[Api]:
    """``app`` forwarding to an ``Api`` through a client that carries the signed-in token, as create_app wires it."""
    saved = app.server.extensions[EXTENSION]
    stand_in = Api()
    http = httpx.Client(transport=httpx.MockTransport(stand_in), base_url="http://backend:8000")
    app.server.extensions[EXTENSION] = AppContext(BackendClient(http, request_token), saved.settings)
    try:
        yield stand_in
    finally:
        app.server.extensions[EXTENSION] = saved


def test_an_image_comes_through_whole_with_its_caching_headers(app: Dash, api: Api) -> None:
    http = app.server.test_client()
    answer = http.get("/api/v1/runs/tiny/traversal.png?dims=0,2&steps=5&v=abc123", base_url=SITE)
    assert answer.status_code == 200 and answer.data == PNG and answer.mimetype == "image/png"
    assert answer.headers["ETag"] == '"abc"' and "immutable" in answer.headers["Cache-Control"]
    (sent,) = api.seen
    assert str(sent.url) == "http://backend:8000/api/v1/runs/tiny/traversal.png?dims=0,2&steps=5&v=abc123"
    again = http.get("/api/v1/runs/tiny/traversal.png?dims=0", headers={"If-None-Match": '"abc"'}, base_url=SITE)
    assert again.status_code == 304 and again.data == b"" and "Content-Type" not in again.headers


def test_status_retry_after_and_problem_bodies_pass_unchanged(app: Dash, api: Api) -> None:
    answer = app.server.test_client().get("/api/v1/busy", base_url=SITE)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "2"
    assert answer.mimetype == "application/problem+json" and answer.json == {"title": "Service Unavailable"}


def test_a_redirect_stays_on_the_dashboard_and_hop_by_hop_headers_stop(app: Dash, api: Api) -> None:
    answer = app.server.test_client().get("/api/v1/moved", base_url=SITE)
    assert answer.status_code == 307 and answer.headers["Location"] == "/api/v1/runs"
    assert answer.headers["X-Kept"] == "1" and "X-Private" not in answer.headers


def test_the_signed_in_token_becomes_the_bearer_and_cookies_stay_here(app: Dash, api: Api) -> None:
    http = app.server.test_client()
    http.set_cookie(COOKIE, "fs_alice", domain="dash.lab.example")
    body = json.dumps({"value": 3})
    answer = http.post("/api/v1/label-sessions/s1/labels", base_url=SITE, data=body,
                       headers={"Content-Type": "application/json", "Idempotency-Key": "k1", "Connection": "x-hop",
                                "X-Hop": "1"})
    assert answer.status_code == 201 and answer.json == {"echo": body}
    (sent,) = api.seen
    assert sent.headers["Authorization"] == "Bearer fs_alice" and sent.headers["Idempotency-Key"] == "k1"
    assert "cookie" not in sent.headers and "x-hop" not in sent.headers and sent.headers["Host"] == "backend:8000"
    own = http.delete("/api/v1/jobs/j1", base_url=SITE, headers={"Authorization": "Bearer fs_bob",
                                                                  "X-Requested-With": "factorscope"})
    assert own.status_code == 201 and api.seen[-1].headers["Authorization"] == "Bearer fs_bob"
    assert api.seen[-1].headers["X-Requested-With"] == "factorscope"


def test_dot_segments_and_large_bodies_are_refused_before_the_backend(app: Dash, api: Api) -> None:
    http = app.server.test_client()
    for path in ("/api/v1/runs/../../admin", "/api/v1/runs/%2e%2e/%2E%2E/x", "/api/v1/./health"):
        answer = http.get(path, base_url=SITE)
        assert answer.status_code == 400 and "'..' segments" in answer.json["detail"], path
    limit = app.server.extensions[EXTENSION].settings.proxy_max_body_bytes
    big = http.post("/api/v1/runs", base_url=SITE, data=b"x" * (limit + 1),
                    headers={"Content-Type": "application/json"})
    assert big.status_code == 413 and "FACTORSCOPE_PROXY_MAX_BODY_BYTES" in big.json["detail"]
    assert api.seen == []


def test_an_unreachable_backend_says_what_to_check(app: Dash, api: Api) -> None:
    answer = app.server.test_client().get("/api/v1/down", base_url=SITE)
    assert answer.status_code == 502 and "FACTORSCOPE_BACKEND_URL" in answer.json["detail"]


def test_image_urls_through_the_proxy_are_paths_with_a_link_to_copy() -> None:
    urls = ImageUrls("", origin="http://localhost:8050/")
    src = urls.traversal("tiny", {"dims": [0, 1], "steps": 5})
    assert src == "/api/v1/runs/tiny/traversal.png?dims=0,1&steps=5"
    assert urls.shareable(src) == "http://localhost:8050" + src
    assert urls.path_of("http://localhost:9999" + src) == src  # the browser reports it on its own origin
    assert urls.path_of("http://localhost:9999/elsewhere.png") is None
    direct = ImageUrls("http://api:8000")
    assert direct.shareable(direct.item("digits", 3)) == "http://api:8000/api/v1/datasets/digits/items/3.png"
