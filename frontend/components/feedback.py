"""Messages: backend problems as alerts (never tracebacks), the version banner, small notes."""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from ..api_client import BackendError

TRANSIENT = (502, 503, 504)  # the backend unreachable, busy or slow: worth another try as it stands


def create_error_alert(err: BackendError, what: str = "") -> dbc.Alert:
    """A problem's title and detail, e.g. 'Could not load the run — Not Found: no run 'x' ...'; a passing
    trouble (backend down or busy) offers to load the page again once it is back."""
    lead = f"Could not {what} — " if what else ""
    again = [html.A("Try again", href="", className="alert-link ms-2")] if err.status in TRANSIENT else []
    return dbc.Alert([html.Strong(f"{lead}{err.title}"), html.Span(f": {err.detail}"), *again], color="danger",
                     className="fs-alert fs-error", dismissable=True)


def create_message(text: str, color: str = "warning") -> dbc.Alert:
    return dbc.Alert(text, color=color, className="fs-alert", dismissable=True)


def create_version_banner(run_id: str, linked: str | None, shown: str | None, latest: str | None,
                          latest_href: str) -> dbc.Alert | None:
    """Shown when a link was made for another version of the run than the one the backend has now: the views show
    the linked version when the run kept it (``shown`` == ``linked``), else the current one."""
    if not linked or not latest or linked == latest:
        return None
    if shown == linked:
        text = (f"The link is for version {linked} of run {run_id}, and the views below show that version. "
                f"A newer version exists: {latest}. ")
    else:
        text = (f"The link is for version {linked}; run {run_id} is now at version {latest}, which did not keep the "
                "older one, so the views below show the current version. ")
    return dbc.Alert([
        html.Strong("This run has changed since the link was made. "), html.Span(text),
        dcc.Link("Open the link for the current version", href=latest_href, className="alert-link",
                 id="version-banner-link"),
    ], color="warning", className="fs-banner", id="version-banner")


def create_no_run_note(has_runs: bool, capability: str | None = None, families: Sequence[str] = ()) -> dbc.Alert:
    """'Choose a run', or why there is none: no runs at all, or none with the ``capability`` this page needs
    (``families``: those that offer it)."""
    if has_runs:
        text = "Choose a run above."
    elif capability:
        which = f" of family {' or '.join(families)}" if families else ""
        text = f"No run offers a {capability.replace('_', ' ')} yet: train one{which} on the Runs page."
    else:
        text = "There are no runs yet: train one on the Runs page (or run `factorscope prepare`)."
    return dbc.Alert(text, color="info", className="fs-alert")
