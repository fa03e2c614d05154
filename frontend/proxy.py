"""One address (#20 item 8): the dashboard forwards ``/api/v1/<path>`` on its own port to the configured backend's
``/api/v1/<path>``, so a browser that reaches only the dashboard (one port forwarded over SSH) still loads every image,
and a program may use either port. The API's own port stays for programs.

Never an open proxy: the target is always ``FACTORSCOPE_BACKEND_URL`` (the api client's ``httpx.Client``), the path
always under ``/api/v1/``, and a path with ``.`` or ``..`` segments is refused. What passes through:

- request: the method, the query string as sent, the body (at most ``FACTORSCOPE_PROXY_MAX_BODY_BYTES``, the backend's
  own default limit: larger is a 413 here, before the backend is asked) and every end-to-end header except ``Host``
  and ``Cookie``. The signed-in user's token cookie becomes ``Authorization: Bearer`` unless the request brings its own
  ``Authorization``, so images and calls through the proxy carry the user's role (reads may be closed).
- response: the status, every end-to-end header (ETag, Cache-Control, Retry-After, WWW-Authenticate, ...), and the
  body streamed as the backend sends it (``iter_raw``: a compressed body stays compressed, its headers true).
A backend that cannot be reached or does not answer in time is a 502/504 problem saying what to check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import flask
import httpx

from .api_client import API, PROBLEM_MEDIA_TYPE
from .auth import request_token
from .context import current

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
CHUNK = 64 * 1024
# RFC 9110 7.6.1: connection-specific headers are never forwarded (nor those named in Connection)
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "transfer-encoding", "upgrade"})
NOT_FORWARDED = HOP_BY_HOP | {"host", "cookie", "content-length"}  # Host: the backend's; Content-Length: recounted
PATH_SAFE = "/!$&'()*+,;=:@-._~"  # RFC 3986 pchar and "/": kept as they are when the decoded path is quoted again


def install_proxy(server: flask.Flask) -> None:
    """Route ``/api/v1/<path>`` (every method) on ``server`` to the backend."""
    server.add_url_rule(f"{API}/<path:path>", "api_proxy", forward, methods=METHODS, provide_automatic_options=False)


def forward(path: str) -> flask.Response:
    """Answer the request with the backend's answer to the same request on ``/api/v1/<path>``."""
    if any(segment in (".", "..") for segment in path.split("/")):
        return problem(400, "Bad Request", f"expected a path under {API}/ without '.' or '..' segments")
    limit = current().settings.proxy_max_body_bytes
    if (flask.request.content_length or 0) > limit:
        return too_large(flask.request.content_length or 0, limit)
    body = read_body(limit + 1)
    if len(body) > limit:  # a chunked body (no Content-Length) counted as it is read
        return too_large(len(body), limit, at_least=True)
    http = current().client.http
    target = httpx.URL(path=f"{API}/{quote(path, safe=PATH_SAFE)}", query=flask.request.query_string)
    request = http.build_request(flask.request.method, target, headers=request_headers(), content=body or None)
    try:
        upstream = http.send(request, stream=True)
    except httpx.TimeoutException:
        return problem(504, "Gateway Timeout", "the API took too long to answer; it may be busy: try again in a moment")
    except httpx.TransportError:
        return problem(502, "Bad Gateway", f"the dashboard could not reach the API at {http.base_url}: check that it "
                       "runs (factorscope serve) and that FACTORSCOPE_BACKEND_URL points at it")
    return relay(upstream, str(http.base_url).rstrip("/"))


def read_body(most: int) -> bytes:
    """The request body, at most ``most`` bytes of it (a socket may hand it over in pieces)."""
    parts, size = [], 0
    while size < most and (part := flask.request.stream.read(min(CHUNK, most - size))):
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def request_headers() -> dict[str, str]:
    """The browser's end-to-end headers, plus the signed-in user's token as a bearer token when it sent none."""
    dropped = NOT_FORWARDED | connection_named(flask.request.headers.get("Connection"))
    headers = {k: v for k, v in flask.request.headers.items() if k.lower() not in dropped}
    token = request_token()
    if token and "authorization" not in {k.lower() for k in headers}:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def relay(upstream: httpx.Response, backend: str) -> flask.Response:
    """The backend's answer, streamed: status and end-to-end headers as they are (a Location on the backend made
    relative, so the browser stays on the dashboard)."""
    dropped = HOP_BY_HOP | connection_named(upstream.headers.get("Connection"))
    headers = [(k, v) for k, v in upstream.headers.multi_items() if k.lower() not in dropped]
    headers = [(k, v.removeprefix(backend) if k.lower() == "location" and v.startswith(backend + "/") else v)
               for k, v in headers]
    response = flask.Response(stream(upstream), status=upstream.status_code, headers=headers)
    if "content-type" not in upstream.headers:  # Flask would add text/html to a body the backend left untyped
        del response.headers["Content-Type"]
    return response


def stream(upstream: httpx.Response) -> Iterator[bytes]:
    """The backend's body as it arrives; the connection is released when it ends or the browser goes away."""
    try:
        yield from upstream.iter_raw(CHUNK)
    finally:
        upstream.close()


def connection_named(value: str | None) -> frozenset[str]:
    """Header names listed in a Connection header (hop-by-hop too)."""
    return frozenset(name.strip().lower() for name in (value or "").split(",") if name.strip())


def too_large(size: int, limit: int, at_least: bool = False) -> flask.Response:
    return problem(413, "Content Too Large", f"the request body is {'over ' if at_least else ''}{size} bytes, over "
                   f"the dashboard's limit FACTORSCOPE_PROXY_MAX_BODY_BYTES = {limit}: send a smaller body")


def problem(status: int, title: str, detail: str) -> flask.Response:
    """An RFC 9457 problem answered by the dashboard itself (the backend answers its own)."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return flask.Response(json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE)
