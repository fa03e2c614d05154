"""The Lens page's state, pure helpers and callbacks, called as plain functions against the fake backend (the lens
"lens-a" on run "tiny"; fake_backend.py)."""

from __future__ import annotations

import base64
import importlib
from types import ModuleType
from typing import Any

import httpx
import pytest
from component_text import text_of
from dash import Dash, no_update
from fake_backend import DETAIL, LENS_DETAIL, LENS_SCORE, LENS_SUMMARY, LENS_VERSION, VERSION, FakeBackend, problem

from frontend.api_client import BackendClient, BackendError, LensScore, LensSummary
from frontend.components.lens import (
    NEW_LENS,
    chosen_lens,
    grid_params,
    lens_body,
    lens_problem_fields,
    score_rows,
)
from frontend.state import INVALID, LensState

FORM = {"attributes": ["label", "thickness"], "variant": "filvm", "source": "oracle", "n": "300", "seed": "2",
        "upload": None, "steps": "80", "lens_id": ""}
N_ITEMS = 1797  # digits
TINY = "tiny"  # the fake's run, the base of its lens "lens-a"


@pytest.fixture(scope="module")
def lens_page(app: Dash) -> ModuleType:
    return importlib.import_module("frontend.pages.lens")


def upload(text: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


# -- the link ------------------------------------------------------------------------------------------------

def test_a_view_round_trips_through_its_link() -> None:
    state = LensState(run="tiny", v=VERSION, lens="lens-a", lv=LENS_VERSION, a="thickness", b="label", item=7,
                      steps=5, span=1.5, color="label")
    query = state.to_query()
    assert query == (f"?run=tiny&v={VERSION}&lens=lens-a&lv={LENS_VERSION}&a=thickness&b=label&item=7&steps=5"
                     "&span=1.5&color=label")
    parsed = dict(p.split("=") for p in query[1:].split("&"))
    assert LensState.from_query(parsed) == state and state.unused(parsed) == []
    assert state.href() == "/lens" + query


def test_a_bad_link_part_falls_back_and_is_named() -> None:
    query = {"run": "tiny", "lens": "Bad Lens!", "item": "-3", "steps": "99", "a": "label"}
    state = LensState.from_query(query)
    assert (state.lens, state.item, state.steps, state.a, state.b) == (None, 0, 15, "label", None)
    assert state.unused(query) == ["lens=Bad Lens!", "item=-3", "steps=99"]


def test_the_grid_query_is_pinned_to_the_lens_version() -> None:
    state = LensState(run="tiny", lens="lens-a", lv=LENS_VERSION, a="label", item=4, steps=3, span=2.0)
    assert grid_params(state) == {"base": "item:4", "a": "label", "b": None, "steps": 3, "span": 2.0,
                                  "v": LENS_VERSION}


# -- the form ------------------------------------------------------------------------------------------------

def test_a_good_form_is_the_body_the_api_takes() -> None:
    body, errors = lens_body(FORM, N_ITEMS)
    assert errors == {}
    assert body == {"variant": "filvm", "attributes": ["label", "thickness"],
                    "labels": {"oracle": {"n": 300, "seed": 2}}, "fit": {"steps": 80}}
    body, errors = lens_body({**FORM, "source": "csv", "n": "x", "upload": upload("item,attribute,value\n3,label,7\n"),
                              "lens_id": "my-lens"}, N_ITEMS)
    assert errors == {}  # n and seed are not read for an upload
    assert body["labels"] == {"csv": "item,attribute,value\n3,label,7\n"} and body["lens_id"] == "my-lens"


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"attributes": []}, "attributes", "at least one attribute"),
    ({"n": "1798"}, "n", "expected at most 1797, got 1798"),
    ({"n": "0"}, "n", "expected at least 1, got 0"),
    ({"seed": "-1"}, "seed", "expected at least 0"),
    ({"steps": "ten"}, "steps", "expected a whole number like 64, got 'ten'"),
    ({"steps": ""}, "steps", "expected a value (the default is 500)"),
    ({"lens_id": "Bad Id"}, "lens_id", "lowercase letters"),
    ({"source": "csv"}, "csv", "expected a CSV file"),
    ({"source": "csv", "upload": "data:text/csv;base64,//79"}, "csv", "UTF-8"),
    ({"source": "csv", "upload": upload("  \n")}, "csv", "the file is empty"),
])
def test_a_bad_field_is_refused_by_name(change: dict[str, Any], field: str, words: str) -> None:
    _, errors = lens_body({**FORM, **change}, N_ITEMS)
    assert list(errors) == [field] and words in errors[field]


@pytest.mark.parametrize(("loc", "field"), [
    (["body", "attributes"], "attributes"), (["body", "labels", "oracle", "n"], "n"),
    (["body", "labels", "oracle", "seed"], "seed"), (["body", "labels", "csv"], "csv"),
    (["body", "labels", "rows"], "csv"), (["body", "fit", "steps"], "steps"), (["body", "lens_id"], "lens_id"),
    (["body", "config"], None), (["query", "n"], None),
])
def test_an_api_refusal_is_placed_beside_the_field_it_names(loc: list[str], field: str | None) -> None:
    err = BackendError(422, "Unprocessable Content", f"{'.'.join(loc)}: bad", errors=[{"loc": loc, "msg": "bad"}])
    assert lens_problem_fields(err) == ({field: "bad"} if field else {})
    taken = BackendError(409, "Conflict", "run 'x' already exists", problem_type="tag:x,2025:problems/run-exists")
    assert lens_problem_fields(taken) == {"lens_id": "run 'x' already exists"}


# -- choosing and showing a lens -----------------------------------------------------------------------------

def test_the_lens_shown_is_the_one_asked_for_else_the_newest_ready_one() -> None:
    made = [LensSummary.model_validate({**LENS_SUMMARY, "lens_id": lid, "status": status})
            for lid, status in (("c", "training"), ("b", "ready"), ("a", "ready"))]
    assert chosen_lens(made, "a", "b") == "a"
    assert chosen_lens(made, "gone", "c") == "c"
    assert chosen_lens(made, None, None) == "b"  # newest first: c is not ready
    assert chosen_lens([], "a", None) == NEW_LENS


def test_the_score_table_sets_the_lens_beside_the_base_latent() -> None:
    rows = score_rows(LensScore.model_validate(LENS_SCORE))
    assert rows[0] == {"attribute": "label", "lens": "90.0%", "lens_accuracy": "95.0%", "lens_dim": "z*0",
                       "base": "50.0%", "base_accuracy": "60.0%", "base_dim": "z3", "gain": "+40.0 pts",
                       "items": "100 / 1,697"}
    assert rows[1]["attribute"] == "thickness (binned)"


def test_the_page_loads_a_base_run_never_a_lens(lens_page: ModuleType, client: BackendClient,
                                                backend: FakeBackend) -> None:
    lens_run = {**DETAIL, "run_id": "lens-a", "family": "lens"}  # a lens is a run too, and the newest here
    backend.runs.insert(0, {k: v for k, v in lens_run.items() if k in backend.runs[0]})
    backend.overrides[("GET", "/api/v1/runs/lens-a")] = lambda _: httpx.Response(200, json=lens_run)
    data, options, value, banner, alerts, current = lens_page.load_base(client, None, {}, "lens-a")
    assert value == current == TINY and [o["value"] for o in options] == [TINY] and banner is None and alerts == []
    assert data["n_items"] == N_ITEMS and [a["name"] for a in data["attributes"]] == ["label", "thickness"]
    data, _, value, _, alerts, _ = lens_page.load_base(client, "lens-a", {"run": "lens-a"}, None)
    assert data is None and value == "lens-a" and "is itself a lens" in text_of(alerts)


def run_store(lens_page: ModuleType, client: BackendClient) -> dict[str, Any]:
    return lens_page.load_base(client, TINY, {"run": TINY}, None)[0]


def test_the_link_s_lens_is_shown_with_its_views(lens_page: ModuleType, client: BackendClient) -> None:
    run = run_store(lens_page, client)
    options, value, note = lens_page.lens_choices(client, run, LensState(run=TINY, lens="lens-a"), None, None)
    assert value == "lens-a" and options[0]["value"] == NEW_LENS and note is None
    _, value, note = lens_page.lens_choices(client, run, LensState(run=TINY, lens="gone"), None, None)
    assert value == "lens-a" and "lens gone is not a lens of run tiny" in text_of(note)
    lens, banner, empty, form, views, controls, job = lens_page.lens_view(client, run, "lens-a", LensState(run=TINY))
    assert lens["version"] == lens["latest"] == LENS_VERSION and banner is None and empty is None
    assert (form, views, controls, job) == ({"display": "none"}, {"display": "block"}, {"display": "block"}, None)
    *_, form, views, _, _ = lens_page.lens_view(client, run, NEW_LENS, LensState(run=TINY))
    assert form == {"display": "block"} and views == {"display": "none"}


def test_a_link_to_a_replaced_lens_version_says_so(lens_page: ModuleType, client: BackendClient,
                                                   backend: FakeBackend) -> None:
    kept, gone = "aaaaaaaaaaaa", "0123456789ab"

    def detail(request: httpx.Request) -> httpx.Response:
        asked = request.url.params.get("v")
        if asked in (None, LENS_VERSION):
            return httpx.Response(200, json=LENS_DETAIL)
        if asked == kept:
            return httpx.Response(200, json={**LENS_DETAIL, "version": kept})
        return problem(409, "Conflict", f"run 'lens-a' is at version {LENS_VERSION}, not {asked}",
                       current_version=LENS_VERSION)

    backend.overrides[("GET", "/api/v1/runs/tiny/lenses/lens-a")] = detail
    run = run_store(lens_page, client)
    asked = LensState(run=TINY, v=VERSION, lens="lens-a", lv=kept, a="thickness")
    lens, banner, *_ = lens_page.lens_view(client, run, "lens-a", asked)
    assert lens["version"] == kept and lens["latest"] == LENS_VERSION  # the views show the linked version
    assert f"version {kept} of run lens-a" in text_of(banner) and banner.id == "lens-version-banner"
    assert banner.children[-1].href == (f"/lens?run=tiny&v={VERSION}&lens=lens-a&lv={LENS_VERSION}&a=thickness"
                                        "&item=0&steps=9&span=2.5")
    lens, banner, *_ = lens_page.lens_view(client, run, "lens-a", LensState(run=TINY, lens="lens-a", lv=gone))
    assert lens["version"] == LENS_VERSION and "did not keep the older one" in text_of(banner)


def test_the_view_controls_take_the_link_s_attributes_for_its_lens(lens_page: ModuleType) -> None:
    lens = {"lens_id": "lens-a", "attributes": ["label", "thickness"]}
    linked = LensState(lens="lens-a", a="thickness", b="label", color="label")
    assert lens_page.linked_views(lens, linked) == ("thickness", "label", "label")
    assert lens_page.linked_views(lens, LensState(lens="lens-a", a="size", b="thickness")) == ("label", "thickness",
                                                                                                "label")
    assert lens_page.linked_views(lens, LensState(lens="lens-a", a="label")) == ("label", "(none)", "label")
    assert lens_page.linked_views(lens, LensState(lens="other")) == ("label", "thickness", "label")


def test_the_grid_says_what_to_fix(lens_page: ModuleType, client: BackendClient) -> None:
    run = run_store(lens_page, client)
    lens = {"lens_id": "lens-a", "version": LENS_VERSION}
    state = lens_page.view_state(run, lens, "label", "", "2000", 5, 2.0, "label")
    assert state.item == INVALID and "expected a whole number in 0..1796" in lens_page.grid_problem(run, state)
    assert lens_page.view_state(run, lens, "label", "(none)", 3, 5, 2.0, "").b is None
    state = lens_page.view_state(run, lens, "label", "label", 3, 5, 2.0, "")
    assert "another attribute than the columns' (label)" in lens_page.grid_problem(run, state)
    state = lens_page.view_state(run, lens, "label", "thickness", "3", 5, 2.0, "")
    assert lens_page.grid_problem(run, state) is None and (state.b, state.color, state.lv) == ("thickness", None,
                                                                                               LENS_VERSION)


def test_training_a_lens_queues_its_job_and_the_bar_follows_it(lens_page: ModuleType, client: BackendClient,
                                                               backend: FakeBackend) -> None:
    run = run_store(lens_page, client)
    alert, job, fields = lens_page.start_lens(client, run, {**FORM, "lens_id": "new-lens"})
    assert job == {"job_id": "lf1", "lens_id": "new-lens"} and fields == {} and "Training lens new-lens" in \
        text_of(alert)
    assert backend.calls[-1][3] == {"variant": "filvm", "attributes": ["label", "thickness"], "lens_id": "new-lens",
                                    "labels": {"oracle": {"n": 300, "seed": 2}}, "fit": {"steps": 80}}
    backend.jobs["lf1"].update(state="running", progress=0.4, message="step 32/80")
    value, label, status, alert, stopped, refresh = lens_page.poll_job(client, job)
    assert (value, label, status, alert, stopped, refresh) == (40, "40%", "running: step 32/80", None, False,
                                                               no_update)
    backend.jobs["lf1"].update(state="succeeded", progress=1.0)
    *_, alert, stopped, refresh = lens_page.poll_job(client, job)
    assert stopped and refresh == {"select": "new-lens"} and "is trained" in text_of(alert)


def test_the_api_s_refusal_of_a_lens_stands_beside_its_field(lens_page: ModuleType, client: BackendClient,
                                                            backend: FakeBackend) -> None:
    run = run_store(lens_page, client)
    sent = len(backend.calls)
    alert, job, fields = lens_page.start_lens(client, run, {**FORM, "lens_id": "lens-a"})
    assert job is no_update and "already exists" in fields["lens_id"] and "Conflict" in text_of(alert)
    alert, job, fields = lens_page.start_lens(client, run, {**FORM, "attributes": [], "n": "x"})
    assert len(backend.calls) == sent + 1 and set(fields) == {"attributes", "n"}  # the form's own: nothing sent
    assert "Nothing was sent: fix the 2 fields marked in red (n, attributes)." in text_of(alert)


def test_a_lens_without_weights_or_with_a_moved_base_shows_why(lens_page: ModuleType) -> None:
    assert lens_page.usable_problem({**LENS_DETAIL, "latest": LENS_VERSION}) is None
    training = {**LENS_DETAIL, "status": "training", "version": None}
    assert "is training" in lens_page.usable_problem(training)
    failed = {**LENS_DETAIL, "status": "failed", "version": None, "error": "the loss became nan"}
    assert "its fit failed: the loss became nan" in lens_page.usable_problem(failed)
    stale = {**LENS_DETAIL, "stale_parent": "built on run 'tiny' at version x; it is now at y"}
    assert "cannot be used now: built on run 'tiny'" in lens_page.usable_problem(stale)
