"""Messages: backend problems as alerts (never tracebacks), the version banner, small notes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import dash_bootstrap_components as dbc
from dash import dcc, html

from ..api_client import BackendError
from .forms import error_texts

TRANSIENT = (502, 503, 504)  # the backend unreachable, busy or slow: worth another try as it stands
# what a 404 names (the backend's "no run 'x'", "no lens 'x' on run 'y'"...): (what to do, on which page, its path)
PICKED_ON: dict[str, tuple[str, str, str]] = {
    "run": ("Pick one on the", "Runs page", "/"), "dataset": ("Pick one on the", "Runs page", "/"),
    "lens": ("Pick one, or fit one, on the", "Lens page", "/lens"),
    "labelling session": ("Pick one, or start one, on the", "Label page", "/label"),
    "item set": ("Pick one, or save a selection as a set, on the", "Embedding page", "/embedding"),
    "job": ("It may have been cleared: reload the", "page", ""),
}
MISSING = re.compile(r"\b(?:no|unknown) (run|dataset|lens|labelling session|item set|job) '([^']*)'")
# a clause of a detail that names an endpoint or the API's own terms: left to the details disclosure
API_WORDS = re.compile(r"/api/v1|\b(?:GET|POST|PUT|DELETE|PATCH) |this URL|\bendpoint\b|\bsee /docs\b")
LOC_PARTS = {"body", "query", "path", "header"}  # the request part a 422's loc starts with, not a field


def create_error_alert(err: BackendError, what: str = "", fields: Mapping[str, str] | None = None) -> dbc.Alert:
    """What failed and what to do in the page's words, e.g. "Could not load the run. No run 'x'. Pick one on the
    Runs page." (a link to it), with the backend's status, title and detail under a "details" disclosure for
    researchers. ``fields``: the page's label of each field a 422 may name (else its name with spaces). A passing
    trouble (backend down or busy) offers to load the page again."""
    lead = f"Could not {what}. " if what else ""
    again = [html.A("Try again", href="", className="alert-link ms-2")] if err.status in TRANSIENT else []
    details = html.Details([html.Summary("details", className="small"),
                            html.Div(f"{err.status} {err.title}: {err.detail}", className="small font-monospace")],
                           className="mt-1 fs-error-details")
    return dbc.Alert([html.Strong(lead), *advice(err, fields or {}), *again, details], color="danger",
                     className="fs-alert fs-error", dismissable=True)


def advice(err: BackendError, fields: Mapping[str, str]) -> list[Any]:
    """What to do about ``err``, in page words: a sentence, and a link to the page that fixes it where one does."""
    if err.status == 404 and (found := MISSING.search(err.detail)):
        thing, name = found.groups()
        todo, page, href = PICKED_ON[thing]
        if href not in ("", "/") and (run := re.search(r"\bof run '([^']+)'|\bon run '([^']+)'", err.detail)):
            href += "?run=" + quote(run.group(1) or run.group(2))  # the page opens on the run the thing was of
        return [f"No {thing} '{name}'. {todo} ", dcc.Link(page, href=href, className="alert-link") if href else page,
                "."]
    if err.status == 409 and err.is_a("still-training"):
        return ["It is not trained yet: wait until its training ends (the ",
                dcc.Link("Runs page", href="/", className="alert-link"), " shows its progress)."]
    if err.status == 422:
        return [bad_values(err, fields)]
    if err.status in (401, 403):
        return [f"{plain(err.detail)} ", dcc.Link("Sign in", href="/signin", className="alert-link"),
                " with a token that may do this."]
    return [TROUBLE.get(err.status) or (TROUBLE[500] if err.status >= 500 else plain(err.detail))]


TROUBLE = {
    502: "The dashboard's backend answered with something other than the API: check the backend address it is given.",
    503: "The backend cannot be reached or is busy: wait a moment, then try again.",
    504: "The backend took too long to answer (it may be busy): try again in a moment.",
    500: "The server failed on this request (it was logged): try again, and if it keeps failing, report it with "
         "the details below.",
}


def bad_values(err: BackendError, fields: Mapping[str, str]) -> str:
    """A 422 as "Check <field>: <why>." per field it names, with the page's label of each field."""
    checks = []
    for loc, message in error_texts(err):
        names = [part for part in loc if part not in LOC_PARTS]
        field = fields.get(names[-1], names[-1].replace("_", " ")) if names else None
        why = without_endpoints(message) or "see the details"
        checks.append(f"Check {field}: {why}" if field else f"A value does not fit: {why}")
    return " ".join(check.rstrip(".") + "." for check in checks)


def plain(detail: str) -> str:
    """``detail`` as a sentence of the page: its endpoint clauses left out, first letter up."""
    text = without_endpoints(detail) or "The backend refused it (see the details)"
    return text[0].upper() + text[1:]


def without_endpoints(detail: str) -> str:
    """``detail`` without its clauses ("; "-separated, or in brackets) that name an endpoint."""
    unbracketed = re.sub(r"\s*\([^()]*\)", lambda m: "" if API_WORDS.search(m.group()) else m.group(), detail)
    return "; ".join(c for c in unbracketed.split("; ") if not API_WORDS.search(c)).strip()


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
