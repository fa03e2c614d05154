"""Whether the API asks for tokens: ``FACTORSCOPE_AUTH`` on or off, or auto (the default): on whenever the server
listens beyond loopback. ``factorscope serve --host`` records where it listens (``FACTORSCOPE_LISTEN_HOST``); a
server started another way (``uvicorn --host 0.0.0.0``) turns it on too, for any request that arrives at an address
other than loopback."""

from __future__ import annotations

import ipaddress

from ..config import Settings

LOOPBACK_NAMES = ("localhost",)


def auth_required(settings: Settings, server: tuple[str, int | None] | None = None) -> bool:
    """``server``: the address a request arrived at (the ASGI scope's ``server``), when known."""
    if settings.auth != "auto":
        return settings.auth == "on"
    arrived_beyond = server is not None and _is_ip(server[0]) and not is_loopback(server[0])
    return not is_loopback(settings.listen_host) or arrived_beyond


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1 (bracketed or not); 0.0.0.0, ``::`` and any other name or address: no."""
    name = host.strip().lower()
    if name in LOOPBACK_NAMES:
        return True
    return _is_ip(name) and ipaddress.ip_address(name.strip("[]")).is_loopback


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(str(host).strip("[]"))
    except ValueError:
        return False
    return True
