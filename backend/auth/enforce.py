"""``authorized_request``: the router-wide dependency that, when auth is on, lets a request through only with a
bearer token whose role covers what it does (``policy.required_role``), and ``token_name``: who made the request.

A token that is presented is always checked, also where none is needed (an open read): an unknown or revoked one
is a 401 rather than a request silently served as anonymous. Async, and the database is read (in a worker thread)
only when a token is presented, so an open read such as /health never waits for a thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..config import Settings, get_settings
from .mode import auth_required
from .policy import required_role
from .problems import NotThisLabeller, RoleTooSmall, Unauthorized
from .roles import covers
from .tokens import Token, TokenStore

# documents the scheme in OpenAPI (/docs "Authorize"); the header is read below, to say what is wrong with it
bearer = HTTPBearer(auto_error=False, scheme_name="token", bearerFormat="fs_...",
                    description="a token from `factorscope token create`; writes need one when auth is on")
STATE_KEY = "token"  # request.state.token: the Token the request was made with, or None


async def authorized_request(request: Request,
                             _documented: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    """Refuse (401/403) a request whose token is missing, unknown, revoked or too weak for what it does; keep the
    token it was made with on ``request.state``. Nothing is checked when auth is off."""
    setattr(request.state, STATE_KEY, None)
    settings = _settings(request)
    if not auth_required(settings, request.scope.get("server")):
        return
    needed = required_role(request.method, request.scope["path"], settings.auth_reads)
    token = await _presented_token(request)
    if token is None and needed is not None:
        what = "a write" if needed != "viewer" else "a read (FACTORSCOPE_AUTH_READS is on)"
        raise Unauthorized(f"{what} needs a token of the role {needed} or above, and none was given")
    if token is not None and needed is not None and not covers(token.role, needed):
        raise RoleTooSmall(token.name, token.role, needed)
    setattr(request.state, STATE_KEY, token)


def token_name(request: Request) -> str | None:
    """The name of the token this request was made with; None when auth is off (or an open read came without one)."""
    token = signed_in(request)
    return None if token is None else token.name


def labeller_for(request: Request, given: str) -> str:
    """Who a label, skip, flag or undo is recorded for: ``given`` when auth is off, else the token's name, which
    ``given`` must equal (403 otherwise: a token labels only as itself)."""
    name = token_name(request)
    if name is not None and given != name:
        raise NotThisLabeller(name, given)
    return given


def signed_in(request: Request) -> Token | None:
    """The token this request was made with (set by ``authorized_request``), if any."""
    return getattr(request.state, STATE_KEY, None)


async def _presented_token(request: Request) -> Token | None:
    """The token in ``Authorization: Bearer <token>``; None without the header; 401 for another scheme, or a token
    that is unknown or revoked."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized(f"the Authorization header is not of the form 'Bearer <token>' (scheme "
                           f"{scheme[:20]!r})", invalid=True)
    store = TokenStore(request.app.state.jobs.engine)  # the tokens live in the jobs database
    token = await run_in_threadpool(store.find, secret.strip())
    if token is None:
        raise Unauthorized("the token given is unknown or revoked", invalid=True)
    return token


def _settings(request: Request) -> Settings:
    """The app's settings (``get_settings``, or the override a test app installs), read without a thread hop."""
    return request.app.dependency_overrides.get(get_settings, get_settings)()
