"""ASGI middleware: a request whose Host header is not allowed answers a 400 problem before anything else runs.

DNS rebinding points a name the attacker controls at this server, so a page of the attacker's site becomes same-origin
with the API; its requests still carry that name as Host. Allowed: the names in ``allowed_hosts`` (any port) and the
address the connection arrived at, when the Host names it as an IP literal (a name never matches this way), so a
server bound to one address answers requests for that address.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import PROBLEM_MEDIA_TYPE, TYPE_PREFIX, clip

SETTING = "FACTORSCOPE_ALLOWED_HOSTS"
HOST_HEADER = re.compile(r"(\[[0-9a-f:.]+\]|[^:\[\]/@\s]+)(?::\d{1,5})?")  # name or [IPv6], then an optional port


class HostCheck:
    def __init__(self, app: ASGIApp, allowed: Sequence[str]) -> None:
        self.app, self.allowed = app, [a.lower() for a in allowed]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # (lifespan; this app serves no websockets)
            await self.app(scope, receive, send)
            return
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        name = host_name(host)
        if name and (host_allowed(name, self.allowed) or is_local_address(name, scope.get("server"))):
            await self.app(scope, receive, send)
            return
        await self._reject(scope, receive, send, host)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, host: str) -> None:
        said = f"the Host {clip(host, 100)!r} is" if host else "a request without a Host header is"
        detail = (f"{said} not served here (a name not on the list may be DNS rebinding); expected one of "
                  f"{', '.join(self.allowed)} (any port): to serve another name, add it to {SETTING}")
        body = {"type": TYPE_PREFIX + "host-not-allowed", "title": "Bad Request", "status": 400, "detail": detail,
                "instance": scope.get("path", ""), "host": clip(host, 100), "setting": SETTING}
        response = JSONResponse(jsonable_encoder(body), status_code=400, media_type=PROBLEM_MEDIA_TYPE)
        await response(scope, receive, send)


def host_name(host: str) -> str:
    """``Host`` header -> its lower-cased name without the port (``[::1]:8000`` -> ``[::1]``); '' when malformed."""
    match = HOST_HEADER.fullmatch(host.strip().lower())
    return match.group(1) if match else ""


def host_allowed(name: str, allowed: Sequence[str]) -> bool:
    """``name`` listed, under a listed ``*.suffix``, or ``*`` listed."""
    return any(a == "*" or a == name or (a.startswith("*.") and name.endswith(a[1:])) for a in allowed)


def is_local_address(name: str, server: tuple[str, int | None] | None) -> bool:
    """``name`` is an IP literal (``10.0.0.5``, ``[fe80::1]``) equal to the address this connection arrived at."""
    if server is None:
        return False
    try:
        return ipaddress.ip_address(name.strip("[]")) == ipaddress.ip_address(str(server[0]).strip("[]"))
    except ValueError:
        return False
