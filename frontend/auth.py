"""Signing in to the dashboard with an API token: the token is kept in a cookie that only this server reads (Secure,
HttpOnly, SameSite=Strict), and the api client forwards it as a bearer token on the backend calls it makes for the
request being served (``request_token``). Without one the dashboard still shows everything (reads are open unless
the backend closes them), so a shared link opens for anyone who may view.

``POST /auth/signin?next=<path>`` (form field ``token``): the token is checked against the backend (GET
/api/v1/auth/whoami); a good one is kept and the browser goes on to ``next`` (a path on this site); otherwise back to
the sign-in page with ``?error=<code>`` (a code, never free text, so a link cannot put words on the page).
``POST /auth/signout`` forgets it. Both refuse a form posted from another site (its Origin), which could otherwise
sign a user in as someone else.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import flask

from .api_client import BackendError
from .context import current

COOKIE = "factorscope_token"
COOKIE_MAX_AGE_S = 30 * 24 * 3600  # the token itself lives until it is revoked
SIGNIN_PAGE = "/signin"
MAX_TOKEN_CHARS = 512
# ?error= codes the sign-in page explains (pages/signin.py)
EMPTY, REFUSED, UNREACHABLE, NOT_NEEDED = "empty", "refused", "unreachable", "not-needed"


def request_token() -> str | None:
    """The signed-in user's token while this server serves one of their requests; None outside a request or
    without the cookie."""
    if not flask.has_request_context():
        return None
    return flask.request.cookies.get(COOKIE) or None


def install_signin(server: flask.Flask) -> None:
    server.add_url_rule("/auth/signin", "auth_signin", sign_in, methods=["POST"])
    server.add_url_rule("/auth/signout", "auth_signout", sign_out, methods=["POST"])


def sign_in() -> flask.Response:
    if _from_another_site():
        return _cross_site_refusal()
    token = flask.request.form.get("token", "").strip()
    if not token or len(token) > MAX_TOKEN_CHARS:
        return _back_to_form(EMPTY)
    try:
        who = current().client.whoami(token)
    except BackendError as err:
        return _back_to_form(REFUSED if err.status in (401, 403) else UNREACHABLE)
    if not who.auth:
        return _back_to_form(NOT_NEEDED)
    response = see_other(safe_next(flask.request.args.get("next")))
    response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE_S, path="/", secure=True, httponly=True,
                        samesite="Strict")
    return response


def sign_out() -> flask.Response:
    if _from_another_site():
        return _cross_site_refusal()
    response = see_other(SIGNIN_PAGE)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="Strict")
    return response


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site (``/explore?run=x``), else the sign-in page: never another site
    (``//evil.example``, ``https://...``, ``/\\evil``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or any(c in target for c in
                                                                                            "\r\n\\"):
        return SIGNIN_PAGE
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else SIGNIN_PAGE


def see_other(location: str) -> flask.Response:
    """303: the browser GETs ``location`` (a path on this site) after its POST."""
    return flask.Response(status=303, headers={"Location": location})


def _back_to_form(error: str) -> flask.Response:
    query = {"error": error, "next": safe_next(flask.request.args.get("next"))}
    return see_other(f"{SIGNIN_PAGE}?{urlencode(query)}")


def _from_another_site() -> bool:
    """The browser says the form was posted from a page of another origin (a missing Origin: not a browser's POST,
    or an old browser; SameSite=Strict still keeps the cookie from other sites' requests)."""
    origin = flask.request.headers.get("Origin")
    if origin is None:
        return False
    parts = urlsplit(origin)
    return origin == "null" or parts.netloc.lower() != flask.request.host.lower()


def _cross_site_refusal() -> flask.Response:
    return flask.Response(f"a sign-in form posted from another site ({flask.request.headers.get('Origin', '')[:100]})"
                          f" is refused; expected the form at {SIGNIN_PAGE} on this site", 403, mimetype="text/plain")
