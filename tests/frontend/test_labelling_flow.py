"""The Labelling page's server side against the real API (in process, no browser): opening a session, leasing,
answering, skipping, flagging, undoing and correcting through the page's own functions and its client, which
must read every answer the real routes give."""

from __future__ import annotations

import importlib
import time
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from component_text import text_of
from dash import Dash, no_update
from dash.exceptions import PreventUpdate
from fastapi.testclient import TestClient

from backend.api.request_checks import WRITE_HEADER, WRITE_HEADER_VALUE
from backend.config import Settings
from backend.jobs import run_worker
from backend.main import create_app
from frontend.api_client import BackendClient, ImageUrls
from frontend.components.labelling_actions import Seat, lease, perform
from frontend.labelling_client import LabellingClient

pytestmark = pytest.mark.slow  # trains a tiny run and a lens, and runs a worker: not the fast lane
BASE_URL = "http://backend:8000"
RUN, LENS = "tiny", "tiny-lens"
IMAGES = ImageUrls("http://localhost:8000")


@pytest.fixture(scope="module")
def page(app: Dash) -> ModuleType:
    return importlib.import_module("frontend.pages.labelling")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendClient]:
    """The real app over a home with a tiny vae on digits and a lens on it, made and fitted through the API."""
    home = tmp_path_factory.mktemp("labelling-home")
    settings = Settings(home=home, database_url=f"sqlite:///{home}/jobs.db", allowed_hosts=["backend"])
    with TestClient(create_app(settings), base_url=BASE_URL) as http:
        backend = BackendClient(http)
        backend.create_run("vae", "digits", {"latent_dim": 4, "hidden": [16]},
                           {"steps": 10, "eval_every": 10, "checkpoint_every": 0}, run_id=RUN)
        run_worker(settings, once=True, store=http.app.state.jobs)
        backend.create_lens(RUN, {"lens_id": LENS, "attributes": ["label", "thickness"], "hidden": [16],
                                  "labels": {"oracle": {"n": 50}}, "fit": {"steps": 10}})
        run_worker(settings, once=True, store=http.app.state.jobs)
        assert [j.state for j in backend.jobs()] == ["succeeded", "succeeded"]
        yield backend


def answer(current: dict[str, Any], kind: str = "label", value: Any = None, key: str | None = None) -> dict[str, Any]:
    """The action the browser draws for the item shown."""
    nxt = current["next"]
    return {"kind": kind, "item": nxt["item"], "attribute": nxt["attribute"], "value": value,
            "serial": current["serial"], "key": key or uuid.uuid4().hex}


def test_the_setup_offers_the_run_and_its_fitted_lens(page: ModuleType, client: BackendClient) -> None:
    options, chosen, _listing, note = page.setup_view(client)
    assert chosen == RUN and [o["value"] for o in options] == [RUN] and note is None  # a lens (a run too) is not
    lenses = page.lens_options(client.lenses(RUN))
    assert lenses == [{"label": f"{LENS} (label, thickness)", "value": LENS, "disabled": False}]


def test_a_session_opens_from_its_link_and_a_wrong_link_says_so(page: ModuleType, client: BackendClient) -> None:
    assert page.create_session(client, RUN, None, ["label"], "bald")[1] is not None  # no lens chosen: told to
    session_id, problem = page.create_session(client, RUN, LENS, ["label"], "max_entropy")
    assert problem is None
    info, setup_hidden, work_hidden, title, note = page.open_view(client, session_id)
    assert info["id"] == session_id and setup_hidden and not work_hidden and note is None
    assert title.startswith("Labelling label · run tiny · lens tiny-lens")
    assert page.page_query(info, RUN, page.ALL_ITEMS) == f"?session={session_id}"
    info, setup_hidden, work_hidden, *_, note = page.open_view(client, "0badc0de")
    assert info is None and not setup_hidden and work_hidden and "does not exist" in str(note.children)
    assert any(s.id == session_id for s in LabellingClient(client).sessions(state="open"))
    closed = client.http.post(f"/api/v1/label-sessions/{session_id}/close", headers={WRITE_HEADER: WRITE_HEADER_VALUE})
    assert closed.status_code == 200, closed.text
    info, setup_hidden, work_hidden, *_, note = page.open_view(client, session_id)
    assert info is None and not setup_hidden and work_hidden and "is closed" in str(note.children)


def test_answer_skip_flag_undo_and_correct(page: ModuleType, client: BackendClient) -> None:
    lc = LabellingClient(client)
    session_id = page.create_session(client, RUN, LENS, ["label"], "bald")[0]
    info, ada = lc.session(session_id).model_dump(), Seat(lc, session_id, "ada")
    shown, _, problem = lease(ada)
    assert problem is None and shown["next"]["item"] is not None
    view = page.item_view(shown, info, "ada", IMAGES)
    assert len(view[5]) == 10 and view[0].startswith("http://localhost:8000/api/v1/datasets/digits/items/")
    first = shown["next"]["item"]

    key = uuid.uuid4().hex
    after, status, problem = perform(ada, answer(shown, value=3, key=key), shown, time.time())
    assert problem is None and status == f"Item {first}: 3 saved." and after["next"]["item"] != first
    with pytest.raises(PreventUpdate):  # a second key press for the item already answered sends nothing
        perform(ada, answer(shown, value=4), after, time.time())
    lc.label(session_id, first, 3, "ada", "label", None, key)  # the key sent again stores nothing new
    assert [x.value for x in lc.history(session_id, 10, "ada")] == [3]

    skipped = after["next"]["item"]
    after, status, _ = perform(ada, answer(after, "skip"), after, time.time())
    assert status == f"Skipped item {skipped}."
    flagged = after["next"]["item"]
    after, status, _ = perform(ada, answer(after, "flag"), after, time.time())
    assert status.startswith(f"Flagged item {flagged}") and after["next"]["item"] not in (first, skipped, flagged)

    edit = {"kind": "edit", "item": first, "attribute": "label", "value": 5, "key": uuid.uuid4().hex}
    assert perform(ada, edit, after, time.time())[1] == f"Changed item {first} to 5."
    undo = {"kind": "undo", "key": uuid.uuid4().hex}
    shown_after_undo, status, _ = perform(ada, undo, after, time.time())
    assert status == f"Undid your label of item {first} (5)." and shown_after_undo["next"]["labelled_total"] == 1
    status = perform(ada, {**undo, "key": uuid.uuid4().hex}, after, time.time())[1]
    assert status == f"Undid your label of item {first} (3)."  # undoing the correction brought 3 back: now it goes
    status = perform(ada, {**undo, "key": uuid.uuid4().hex}, after, time.time())[1]
    assert status.startswith("Nothing to undo")

    progress, labellers, curve, history, key_now = page.watch_view(client, session_id, "ada", None, IMAGES)
    assert "Skipped" in str(progress) and "ada (you)" in str(labellers) and curve.layout.title.text
    table = history.children  # in a scroll region a keyboard reaches
    assert table.id == "label-history-table" and len(table.children[1].children) == 4
    assert [(row[1], row[2]) for row in key_now] == [(first, None), (first, None), (first, 5), (first, 3)]  # 2 undos
    assert page.watch_view(client, session_id, "ada", key_now, IMAGES)[3] is no_update  # unchanged: not redrawn


def test_two_labellers_are_leased_different_items(page: ModuleType, client: BackendClient) -> None:
    lc = LabellingClient(client)
    session_id = page.create_session(client, RUN, LENS, ["label"], "random")[0]
    ada, bea = lease(Seat(lc, session_id, "ada"))[0], lease(Seat(lc, session_id, "bea"))[0]
    assert ada["next"]["item"] != bea["next"]["item"]
    assert lease(Seat(lc, session_id, "ada"))[0]["next"]["item"] == ada["next"]["item"]  # the same lease again


def test_a_labeller_answers_the_attribute_chosen(page: ModuleType, client: BackendClient) -> None:
    lc = LabellingClient(client)
    session_id = page.create_session(client, RUN, LENS, ["label", "thickness"], "bald")[0]
    shown = lease(Seat(lc, session_id, "ada", "thickness"))[0]
    assert shown["next"]["attribute"] == "thickness" and shown["next"]["prediction"]["kind"] == "continuous"
    view = page.item_view(shown, lc.session(session_id).model_dump(), "ada", IMAGES)
    assert view[5] == [] and view[6] is False and view[7] < view[10] < view[8]  # the slider, its value inside
    status = perform(Seat(lc, session_id, "ada", "thickness"), answer(shown, value=view[10]), shown, time.time())[1]
    assert status.startswith(f"Item {shown['next']['item']}: ")
    assert lc.history(session_id, 1, "ada")[0].attribute == "thickness"


def test_a_saved_set_from_the_embedding_link_becomes_the_pool(page: ModuleType, client: BackendClient) -> None:
    """The Embedding page's link /label?run=tiny&item_set=ID preselects the run and the set; the session started
    from the form asks only for the set's items."""
    picked = [3, 30, 300]
    set_id = client.create_item_set(RUN, "three picked", picked).set_id
    assert page.setup_view(client, RUN, with_set=True)[1::2] == (RUN, None)
    options, chosen, note = page.set_view(client, RUN, set_id, RUN)
    assert chosen == set_id and options[0]["value"] == page.ALL_ITEMS and note is None
    assert {"label": "three picked (3 items)", "value": set_id} in options
    assert page.page_query(None, RUN, set_id) == f"?run={RUN}&item_set={set_id}"
    assert page.page_query(None, RUN, set_id) == f"?run={RUN}&item_set={set_id}"
    session_id, problem = page.create_session(client, RUN, LENS, ["label"], "bald", set_id)
    assert problem is None
    info, _, _, title, _ = page.open_view(client, session_id)
    assert "· set three picked (3 items) ·" in title and info["item_set"]["set_id"] == set_id
    lc = LabellingClient(client)
    assert lease(Seat(lc, session_id, "ada"))[0]["next"]["item"] in picked


def test_a_link_whose_run_or_set_cannot_be_used_says_so(page: ModuleType, client: BackendClient) -> None:
    """/label?run=R&item_set=S with a run that is not ready or a set that is not the run's: the form offers the
    newest run or every item, and a warning names the link's part and why (it did so without a word)."""
    _, chosen, _, note = page.setup_view(client, "gone", with_set=True)
    assert chosen == RUN and text_of(note) == (
        f"This link's run gone does not exist (deleted, or the link is mistyped): run {RUN}, the newest ready run, "
        "is chosen instead, and every item is offered (the link's item set was made on run gone).")
    _, chosen, _, note = page.setup_view(client, LENS)
    assert chosen == RUN and text_of(note).startswith(f"This link's run {LENS} is a lens, not a model")
    deleted = uuid.uuid4().hex  # a set id of the link's shape that no run has (deleted, or made on another run)
    _, chosen, note = page.set_view(client, RUN, deleted, RUN)
    assert chosen == page.ALL_ITEMS and text_of(note) == (
        f"This link's item set {deleted} is not one of run {RUN}'s sets (deleted, or made on another run): every "
        "item is offered.")
    assert page.set_view(client, RUN, deleted, "gone")[2] is None  # the run is not the link's: the run's note says
    assert page.page_query(None, RUN, chosen) == f"?run={RUN}"


def test_sets_that_cannot_be_read_show_the_error(page: ModuleType, client: BackendClient) -> None:
    """A backend error while reading the run's sets (here the run is gone by then) is shown, not a quiet fallback."""
    options, chosen, alert = page.set_view(client, "gone", uuid.uuid4().hex, "gone")
    assert [o["value"] for o in options] == [page.ALL_ITEMS] and chosen == page.ALL_ITEMS
    text = " ".join(text_of(alert).split())
    assert text.startswith("Could not list run gone's item sets. No run 'gone'. Pick one on the Runs page .")
