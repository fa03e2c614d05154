"""Sign in: who the dashboard acts as (the token in this browser's cookie, checked with the backend), a form that
takes a token (posted to /auth/signin, frontend/auth.py, never through a callback: the token goes from the form
to the HttpOnly cookie without passing through page state), and sign-out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

import dash
import dash_bootstrap_components as dbc
import flask
from dash import html

from frontend import context
from frontend.api_client import BackendError, WhoAmI
from frontend.auth import EMPTY, NOT_NEEDED, REFUSED, UNREACHABLE, request_token, safe_next
from frontend.components.feedback import create_error_alert, create_message

dash.register_page(__name__, path="/signin", name="Account", title="Sign in — factorscope", order=9, nav=True)

ERRORS = {  # ?error= codes frontend/auth.py redirects with
    EMPTY: "Enter a token: an operator makes one with `factorscope token create --role ROLE --name NAME`.",
    REFUSED: "The backend did not accept that token (unknown, revoked or mistyped): you are not signed in.",
    UNREACHABLE: "The token could not be checked: the backend did not answer. Try again once it is back.",
    NOT_NEEDED: "This backend asks for no tokens (it listens on loopback only, or FACTORSCOPE_AUTH=off): "
                "everyone here may do everything, so there is nothing to sign in to.",
}
LOOPBACK = ("localhost", "127.0.0.1", "::1")


def layout(**query: Any) -> html.Div:
    """``query``: ``error`` (a code from frontend/auth.py) and ``next`` (where to go once signed in)."""
    error, who, problem = query.get("error"), *whoami()
    return html.Div([
        html.H4("Sign in"),
        *([create_message(ERRORS[error], "danger")] if error in ERRORS else []),
        *([create_message(PLAIN_HTTP)] if served_over_plain_http() else []),
        status(who, problem, had_token=request_token() is not None),
        signin_form(safe_next(query.get("next"))),
        *([signout_form()] if request_token() else []),
    ], className="fs-signin", style={"maxWidth": "40rem"})


PLAIN_HTTP = ("This page came over plain HTTP from another machine: browsers keep the sign-in cookie (Secure) only "
              "over HTTPS, so signing in will not last. Serve the dashboard behind HTTPS.")


def whoami() -> tuple[WhoAmI | None, BackendError | None]:
    """Who the signed-in token is (or, without one, what the backend asks for: a 401 when it asks for tokens)."""
    try:
        return context.client().whoami(), None
    except BackendError as err:
        return None, err


def status(who: WhoAmI | None, problem: BackendError | None, had_token: bool) -> dbc.Alert:
    """One line: signed in as whom, no tokens needed here, not signed in (viewing only), or why it is not known."""
    if who is not None and not who.auth:
        return create_message("This backend asks for no tokens: you may view and change everything.", "info")
    if who is not None:
        return create_message(f"Signed in as {who.name} ({who.role}).", "success")
    assert problem is not None
    if problem.status == 401 and had_token:
        return create_message("The token this browser holds is no longer accepted (revoked?): sign in again, or "
                              "sign out to view without one.", "danger")
    if problem.status == 401:
        return create_message("Not signed in: you may view runs and shared links; training, deleting and labelling "
                              "need a token.", "info")
    return create_error_alert(problem, "check who is signed in")


def signin_form(next_path: str) -> html.Form:
    return html.Form([
        dbc.Label("API token", html_for="signin-token"),
        dbc.Input(id="signin-token", name="token", type="password", autoComplete="off", placeholder="fs_...",
                  required=True),
        dbc.Button("Sign in", id="signin-submit", type="submit", color="primary", className="mt-2"),
    ], action=f"/auth/signin?{urlencode({'next': next_path})}", method="POST", className="mb-3")


def signout_form() -> html.Form:
    return html.Form(dbc.Button("Sign out", id="signout-submit", type="submit", color="secondary", outline=True),
                     action="/auth/signout", method="POST")


def served_over_plain_http() -> bool:
    """The page came over http:// to a name other than loopback (where browsers do not keep Secure cookies)."""
    if not flask.has_request_context():
        return False
    host = urlsplit(f"//{flask.request.host}").hostname or ""
    return flask.request.scheme == "http" and host not in LOOPBACK
