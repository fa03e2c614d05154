"""Messages say what to do in the page's words (#20 item 9): a backend problem becomes a sentence and a link to the
page that fixes it, never an endpoint; the problem as sent stays under a "details" disclosure for researchers."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from component_text import text_of
from dash import Dash, dcc, html
from fake_backend import FakeBackend, problem

from frontend.api_client import BackendClient, BackendError
from frontend.components.feedback import create_error_alert

TYPE = "tag:factorscope.dev,2025:problems/"
# the real backend's details (backend/store.py, lenses/views.py, item_sets/store.py, labelling/queries.py)
NO_RUN = BackendError(404, "Not Found", "no run 'x'; expected one of the ids listed by GET /api/v1/runs",
                      problem_type=TYPE + "run-not-found")


def shown(alert: Any) -> str:
    """What the alert says before its details disclosure is opened (spaces as a browser shows them)."""
    text = " ".join(text_of([c for c in alert.children if not isinstance(c, html.Details)]).split())
    return re.sub(r" ([.,:;)])", r"\1", text)


def details(alert: Any) -> str:
    return text_of([c for c in alert.children if isinstance(c, html.Details)])


def links(alert: Any) -> list[str | None]:
    return [getattr(c, "href", None) for c in alert.children if isinstance(c, dcc.Link | html.A)]


def test_an_unknown_run_says_where_to_pick_one_and_keeps_the_detail() -> None:
    alert = create_error_alert(NO_RUN, "load the run")
    assert shown(alert) == "Could not load the run. No run 'x'. Pick one on the Runs page."
    assert links(alert) == ["/"] and "/api/v1" not in shown(alert) and "GET" not in shown(alert)
    assert "404 Not Found: no run 'x'; expected one of the ids listed by GET /api/v1/runs" in details(alert)


@pytest.mark.parametrize(("detail", "words", "href"), [
    ("no lens 'l' on run 'r'; expected one listed by GET /api/v1/runs/r/lenses", "No lens 'l'. Pick one, or fit one",
     "/lens?run=r"),
    ("no labelling session 's9'", "No labelling session 's9'. Pick one, or start one", "/label"),
    ("no item set 'a1' of run 'r'; expected an id from GET /api/v1/runs/r/item-sets", "No item set 'a1'.",
     "/embedding?run=r"),
])
def test_each_unknown_thing_links_the_page_that_lists_it(detail: str, words: str, href: str) -> None:
    alert = create_error_alert(BackendError(404, "Not Found", detail))
    assert words in shown(alert) and links(alert) == [href] and "/api/v1" not in shown(alert)


def test_a_run_not_trained_yet_says_to_wait() -> None:
    err = BackendError(409, "Conflict", "run 'r' has no trained weights: it is still training",
                       problem_type=TYPE + "still-training")
    alert = create_error_alert(err, "draw this image")
    assert "It is not trained yet: wait until its training ends" in shown(alert) and links(alert) == ["/"]


def test_a_bad_value_names_the_field_by_its_label_on_the_page() -> None:
    err = BackendError(422, "Unprocessable Content", "train.lr: Input should be greater than 0",
                       errors=[{"loc": ["body", "train", "lr"], "msg": "Input should be greater than 0"},
                               {"loc": ["body", "config", "latent_dim"], "msg": "must be in 1..512"}])
    text = shown(create_error_alert(err, "start training", {"lr": "Learning rate"}))
    assert "Check Learning rate: Input should be greater than 0. Check latent dim: must be in 1..512." in text


def test_endpoint_clauses_go_to_the_details_only() -> None:
    err = BackendError(409, "Conflict", "run 'x' is trained already (version abc); expected a run without weights "
                       "(POST /api/v1/runs/x/resume resumes it)", problem_type=TYPE + "already-trained")
    alert = create_error_alert(err, "resume x")
    assert "Run 'x' is trained already (version abc); expected a run without weights" in shown(alert)
    assert "POST" not in shown(alert) and "POST /api/v1/runs/x/resume" in details(alert)


@pytest.mark.parametrize(("status", "words", "again"), [
    (503, "The backend cannot be reached or is busy", True), (504, "took too long", True),
    (500, "The server failed on this request", False), (502, "something other than the API", True),
])
def test_backend_trouble_is_said_plainly(status: int, words: str, again: bool) -> None:
    alert = create_error_alert(BackendError(status, "Backend unreachable", "could not reach the API at http://b"))
    assert words in shown(alert) and ("" in links(alert)) == again and "http://b" in details(alert)


def test_explore_on_an_unknown_run_says_what_to_do(app: Dash, client: BackendClient, backend: FakeBackend) -> None:
    """The real Explore callback, the backend answering as backend/store.py does."""
    backend.overrides[("GET", "/api/v1/runs/nope")] = lambda r: problem(
        404, "Not Found", NO_RUN.detail.replace("'x'", "'nope'"), type=TYPE + "run-not-found")
    explore = importlib.import_module("frontend.pages.explore")
    *_, alerts, _ = explore.load_explore(client, "nope", {"run": "nope"}, None)
    (alert,) = [a for a in alerts if "fs-error" in (a.className or "")]
    assert "No run 'nope'. Pick one on the Runs page" in shown(alert) and "/api/v1" not in shown(alert)
