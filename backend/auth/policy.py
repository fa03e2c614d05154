"""Which role a request needs, from its method and path alone (so a route added later is covered the day it lands):
a write under the label sessions or to item sets (a selection kept for labelling) needs a labeller, every other write
an admin; reads need nothing, or a viewer when ``FACTORSCOPE_AUTH_READS`` closes them (never the probes: a container's
health check carries no token)."""

from __future__ import annotations

import re

from ..api.request_checks import WRITE_METHODS
from .roles import Role

LABELLING_PREFIX = "/api/v1/label-sessions"  # labelling: sessions, labels, undo, skips, leases, refits
ITEM_SETS = re.compile(r"/api/v1/(runs/[^/]+/item-sets|item-sets/[^/]+)")  # create one; delete one
PROBES = frozenset({"/api/v1/health", "/api/v1/ready"})  # always open to reads


def required_role(method: str, path: str, reads_closed: bool) -> Role | None:
    """The weakest role that may make this request; None when anyone may (an open read)."""
    if method.upper() in WRITE_METHODS:
        return "labeller" if _under(path, LABELLING_PREFIX) or ITEM_SETS.fullmatch(path) else "admin"
    return "viewer" if reads_closed and path not in PROBES else None


def _under(path: str, prefix: str) -> bool:
    """``path`` is ``prefix`` or below it (``/api/v1/label-sessions-x`` is not)."""
    return path == prefix or path.startswith(prefix + "/")
