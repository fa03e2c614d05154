"""Labelling sessions through the API (issue 17 items 3-4): a session on a tiny FILVM lens (label + thickness over
the shared tiny vae on digits, trained by the real worker), its queue ranked by the lens, labels with idempotency
keys, edits, undo, skip and flag, history, exports and import, the refit every ``refit_every`` labels and the queue
switching to the refitted version; every 4xx the contract names."""

from __future__ import annotations

import csv
import io
import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from app_client import AppClient as TestClient
from conftest import make_settings

from backend.item_sets import ItemSetStore
from backend.jobs import run_worker
from backend.labelling.session_files import choose_held_out
from backend.main import create_app
from backend.runs import read_record

API = "/api/v1"
SESSIONS = f"{API}/label-sessions"
RUN, LENS = "tiny", "lens-a"
LENS_BODY = {"lens_id": LENS, "variant": "filvm", "k": 3, "T": 2, "attributes": ["label", "thickness"],
             "labels": {"oracle": {"n": 200, "seed": 0}}, "hidden": [16],
             "fit": {"steps": 40, "batch_size": 64, "lr": 0.003}}
Problem = Callable[..., dict[str, Any]]


def work(client: TestClient, home: Path) -> None:
    """Run one queued job in the real worker."""
    run_worker(make_settings(home), once=True, store=client.app.state.jobs)


def make_lens_home(trained_home: Path, home: Path) -> Path:
    """A copy of the shared tiny run with the lens ``lens-a`` trained on it through the API."""
    shutil.copytree(trained_home / "runs", home / "runs")
    with TestClient(create_app(make_settings(home))) as c:
        made = c.post(f"{API}/runs/{RUN}/lenses", json=LENS_BODY)
        assert made.status_code == 202, made.text
        work(c, home)
        assert c.get(made.json()["job_url"]).json()["state"] == "succeeded"
    return home


@pytest.fixture(scope="module")
def lens_home(trained_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_lens_home(trained_home, tmp_path_factory.mktemp("label-home"))


@pytest.fixture(scope="module")
def client(lens_home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(lens_home))) as c:
        yield c


@pytest.fixture
def own(lens_home: Path, tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """A client on a copy of the lens home (its own jobs database), for tests that refit the lens."""
    home = tmp_path / "home"
    shutil.copytree(lens_home / "runs", home / "runs")
    with TestClient(create_app(make_settings(home))) as c:
        yield c, home


def open_session(client: TestClient, **body: Any) -> dict[str, Any]:
    made = client.post(SESSIONS, json={"run_id": RUN, "lens_id": LENS, "attributes": ["label"], **body})
    assert made.status_code == 201, made.text
    assert made.headers["Location"] == f"{SESSIONS}/{made.json()['id']}"
    return made.json()


def next_of(client: TestClient, sid: str, labeller: str, **query: Any) -> dict[str, Any]:
    got = client.get(f"{SESSIONS}/{sid}/next", params={"labeller": labeller, **query})
    assert got.status_code == 200, got.text
    return got.json()


def label(client: TestClient, sid: str, item: int, value: Any, labeller: str = "ann", key: str | None = None,
          **extra: Any) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"{SESSIONS}/{sid}/labels", json={"item": item, "value": value, "labeller": labeller, **extra},
                       headers=headers)


def held_out(home: Path, sid: str) -> set[int]:
    return set(json.loads((home / "label-sessions" / sid / "held_out.json").read_text())["items"])


def test_a_session_is_made_listed_and_read(client: TestClient, lens_home: Path) -> None:
    made = client.post(SESSIONS, json={"run_id": RUN, "lens_id": LENS})
    assert made.status_code == 201, made.text
    session = made.json()
    assert [a["name"] for a in session["attributes"]] == ["label", "thickness"]  # default: the lens's
    assert session["attributes"][0]["classes"][:3] == ["0", "1", "2"] and session["attributes"][1]["kind"] == \
        "continuous" and session["attributes"][1]["low"] == session["attributes"][1]["lo"] is not None
    assert (session["strategy"], session["batch_size"], session["refit_every"], session["state"]) == \
        ("bald", 1, 50, "open")
    assert session["dataset"] == "digits" and session["n_items"] == 1797 and session["held_out"] == 319
    assert session["progress"]["labels"] == 0 and session["refit"] == {
        "state": "idle", "job_id": None, "labels_at_last_refit": 0, "next_refit_at": 50}
    assert client.get(f"{SESSIONS}/{session['id']}").json()["created"] == session["created"]
    newer = open_session(client, strategy="random")
    listed = [s["id"] for s in client.get(SESSIONS, params={"run_id": RUN}).json()["sessions"]]
    assert listed.index(newer["id"]) < listed.index(session["id"])  # newest first
    client.post(f"{SESSIONS}/{newer['id']}/close")
    closed = [s["id"] for s in client.get(SESSIONS, params={"state": "closed"}).json()["sessions"]]
    assert newer["id"] in closed and session["id"] not in closed
    assert client.get(SESSIONS, params={"run_id": "other"}).json()["sessions"] == []


def test_the_held_out_items_are_not_labelled_by_the_lens(client: TestClient, lens_home: Path) -> None:
    sid = open_session(client)["id"]
    lens_labels = json.loads((lens_home / "runs" / LENS / "labels.json").read_text())["rows"]
    assert held_out(lens_home, sid).isdisjoint({row[0] for row in lens_labels})


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"run_id": "nope"}, 404, ["nope"]),
    ({"lens_id": "nope"}, 404, ["no lens 'nope'"]),
    ({"attributes": ["slant"]}, 422, ["body.attributes", "slant"]),
    ({"strategy": "greedy"}, 422, ["body.strategy"]),
    ({"batch_size": 0}, 422, ["body.batch_size"]),
    ({"refit_every": 0}, 422, ["body.refit_every"]),
])
def test_create_refuses_what_it_cannot_make(client: TestClient, problem: Problem, body: dict[str, Any],
                                            status: int, words: list[str]) -> None:
    problem(client.post(SESSIONS, json={"run_id": RUN, "lens_id": LENS, **body}), status, *words)


def test_a_lens_still_training_is_refused(own: tuple[TestClient, Path], problem: Problem) -> None:
    client, _ = own
    assert client.post(f"{API}/runs/{RUN}/lenses", json={**LENS_BODY, "lens_id": "lens-b"}).status_code == 202
    problem(client.post(SESSIONS, json={"run_id": RUN, "lens_id": "lens-b"}), 409, "lens-b")


def test_unknown_sessions_are_404(client: TestClient, problem: Problem) -> None:
    missing = f"{SESSIONS}/{'0' * 32}"
    problem(client.get(missing), 404, "no labelling session")
    problem(client.get(f"{missing}/next", params={"labeller": "ann"}), 404, "no labelling session")
    problem(label(client, "0" * 32, 1, 1), 404, "no labelling session")
    problem(client.get(f"{SESSIONS}/not-hex"), 422, "session id")


def test_next_leases_the_best_item_to_one_labeller(client: TestClient, lens_home: Path) -> None:
    sid = open_session(client)["id"]
    first = next_of(client, sid, "ann")
    assert first["item"] is not None and first["item"] not in held_out(lens_home, sid)
    assert first["rank"] == 1 and first["pool"] == 1797 - 319 and first["labelled_total"] == 0
    assert first["score"] > 0 and first["lens_version"] == read_record(lens_home, LENS).version
    assert "mutual information" in first["reason"] and first["expires_at"] > client.get(
        f"{SESSIONS}/{sid}").json()["created"]
    prediction = first["prediction"]
    assert prediction["kind"] == "categorical" and len(prediction["probs"]) == 10
    assert sum(prediction["probs"]) == pytest.approx(1.0) and prediction["entropy"] > 0
    assert first["image_url"] == f"{API}/datasets/digits/items/{first['item']}.png"
    assert client.get(first["image_url"]).status_code == 200
    assert client.get(first["reconstruction_url"]).headers["content-type"] == "image/png"
    assert next_of(client, sid, "ann")["item"] == first["item"]  # the same lease again
    other = next_of(client, sid, "bob")
    assert other["item"] != first["item"] and other["rank"] == 2  # ann holds the best one


def test_next_checks_its_query(client: TestClient, problem: Problem) -> None:
    sid = open_session(client)["id"]
    problem(client.get(f"{SESSIONS}/{sid}/next"), 422, "labeller")
    problem(client.get(f"{SESSIONS}/{sid}/next", params={"labeller": "ann", "attribute": "thickness"}), 422,
            "attribute", "thickness")


def test_a_label_is_stored_once_per_idempotency_key(client: TestClient, problem: Problem) -> None:
    sid = open_session(client)["id"]
    item = next_of(client, sid, "ann")["item"]
    first = label(client, sid, item, "7", key="k-1", time_taken_ms=900)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["item"], body["value"], body["value_name"], body["time_taken_ms"]) == (item, 7, "7", 900)
    assert body["score"] > 0 and body["lens_version"] and body["retracts"] is None
    again = label(client, sid, item, "7", key="k-1", time_taken_ms=900)
    assert again.status_code == 200 and again.json() == body
    problem(label(client, sid, item, 3, key="k-1"), 409, "k-1")
    history = client.get(f"{SESSIONS}/{sid}/history").json()["labels"]
    assert [x["id"] for x in history] == [body["id"]]
    assert next_of(client, sid, "ann")["item"] != item  # labelled: the lease ended


@pytest.mark.parametrize(("change", "words"), [
    ({"value": "eleven"}, ["value", "class name"]),
    ({"value": 10}, ["value", "0..9"]),
    ({"item": 5000}, ["item", "0..1796"]),
    ({"attribute": "slant"}, ["attribute", "slant"]),
    ({"labeller": ""}, ["labeller"]),
    ({"value": True}, ["body.value"]),  # a JSON boolean is refused, not read as class 1
])
def test_a_bad_label_is_422_naming_the_field(client: TestClient, problem: Problem, change: dict[str, Any],
                                             words: list[str]) -> None:
    sid = open_session(client)["id"]
    body = {"item": 3, "value": 1, "labeller": "ann", **change}
    problem(client.post(f"{SESSIONS}/{sid}/labels", json=body), 422, *words)
    assert client.get(f"{SESSIONS}/{sid}/history").json()["labels"] == []


def test_a_closed_session_takes_nothing_more(client: TestClient, problem: Problem) -> None:
    sid = open_session(client)["id"]
    assert label(client, sid, 4, 1).status_code == 201
    closed = client.post(f"{SESSIONS}/{sid}/close")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    problem(label(client, sid, 5, 1), 409, "closed")
    problem(client.get(f"{SESSIONS}/{sid}/next", params={"labeller": "ann"}), 409, "closed")
    problem(client.post(f"{SESSIONS}/{sid}/skip", json={"item": 5, "labeller": "ann"}), 409, "closed")
    problem(client.post(f"{SESSIONS}/{sid}/undo", json={"labeller": "ann"}), 409, "closed")
    assert client.get(f"{SESSIONS}/{sid}/export.jsonl").text.count("\n") == 1  # its labels stay


def test_an_edit_replaces_and_undo_brings_back(client: TestClient, problem: Problem) -> None:
    sid = open_session(client)["id"]
    first = label(client, sid, 10, 2).json()
    edit = label(client, sid, 10, 5).json()
    standing = client.get(f"{SESSIONS}/{sid}/export.jsonl").text.splitlines()
    assert [json.loads(line)["id"] for line in standing] == [edit["id"]]
    undone = client.post(f"{SESSIONS}/{sid}/undo", json={"labeller": "ann"}, headers={"Idempotency-Key": "u1"})
    assert undone.status_code == 200, undone.text
    assert undone.json()["retracted"]["id"] == edit["id"] and undone.json()["retracted"]["retracted_by"] == \
        undone.json()["retraction"]["id"] and undone.json()["retraction"]["retracts"] == edit["id"]
    again = client.post(f"{SESSIONS}/{sid}/undo", json={"labeller": "ann"}, headers={"Idempotency-Key": "u1"})
    assert again.json()["retraction"]["id"] == undone.json()["retraction"]["id"]  # a retry undoes once
    rows = [json.loads(line) for line in client.get(f"{SESSIONS}/{sid}/export.jsonl").text.splitlines()]
    assert [(x["id"], x["value"]) for x in rows] == [(first["id"], 2)]  # the earlier value stands again
    history = client.get(f"{SESSIONS}/{sid}/history", params={"n": 10}).json()["labels"]
    assert [x["id"] for x in history] == [undone.json()["retraction"]["id"], edit["id"], first["id"]]
    client.post(f"{SESSIONS}/{sid}/undo", json={"labeller": "ann"})
    problem(client.post(f"{SESSIONS}/{sid}/undo", json={"labeller": "ann"}), 409, "left to undo")
    progress = client.get(f"{SESSIONS}/{sid}").json()["progress"]
    assert progress["labels"] == 0 and progress["retractions"] == 2


def test_skip_and_flag_take_an_item_out_of_one_queue(client: TestClient) -> None:
    sid = open_session(client)["id"]
    item = next_of(client, sid, "ann")["item"]
    skipped = client.post(f"{SESSIONS}/{sid}/skip", json={"item": item, "labeller": "ann"})
    assert skipped.status_code == 201 and skipped.json()["kind"] == "skip" and skipped.json()["item"] == item
    following = next_of(client, sid, "ann")["item"]
    assert following != item and next_of(client, sid, "bob")["item"] == item  # bob still gets it
    flagged = client.post(f"{SESSIONS}/{sid}/flag", json={"item": following, "labeller": "ann", "note": "blurry"})
    assert flagged.status_code == 201 and flagged.json()["note"] == "blurry" and flagged.json()["kind"] == "flag"
    assert next_of(client, sid, "ann")["item"] not in (item, following)
    progress = client.get(f"{SESSIONS}/{sid}").json()["progress"]
    assert (progress["skips"], progress["flags"]) == (1, 1)


def test_history_is_newest_first_and_per_labeller(client: TestClient) -> None:
    sid = open_session(client)["id"]
    for item, who in ((20, "ann"), (21, "bob"), (22, "ann")):
        assert label(client, sid, item, 1, labeller=who).status_code == 201
    assert [x["item"] for x in client.get(f"{SESSIONS}/{sid}/history", params={"n": 2}).json()["labels"]] == [22, 21]
    anns = client.get(f"{SESSIONS}/{sid}/history", params={"labeller": "ann"}).json()["labels"]
    assert [x["item"] for x in anns] == [22, 20]
    labellers = client.get(f"{SESSIONS}/{sid}").json()["progress"]["labellers"]
    assert labellers["ann"]["labels"] == 2 and labellers["bob"]["labels"] == 1


def test_the_exports_hold_the_standing_labels(client: TestClient) -> None:
    sid = open_session(client)["id"]
    for item, value in ((30, 3), (31, "8"), (32, 1)):
        assert label(client, sid, item, value).status_code == 201
    client.post(f"{SESSIONS}/{sid}/undo", json={"labeller": "ann"})  # item 32 no longer stands
    got = client.get(f"{SESSIONS}/{sid}/export.csv")
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [(r["item"], r["attribute"], r["value"], r["labeller"]) for r in rows] == [
        ("30", "label", "3", "ann"), ("31", "label", "8", "ann")]
    lines = client.get(f"{SESSIONS}/{sid}/export.jsonl")
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    assert [(x["item"], x["value"], x["value_name"]) for x in map(json.loads, lines.text.splitlines())] == [
        (30, 3, "3"), (31, 8, "8")]
    tasks = client.get(f"{SESSIONS}/{sid}/export.labelstudio.json").json()
    assert [t["data"]["item"] for t in tasks] == [30, 31]
    result = tasks[1]["annotations"][0]["result"][0]
    assert result == {"from_name": "label", "to_name": "image", "type": "choices", "value": {"choices": ["8"]}}
    assert tasks[0]["data"]["image"] == f"{API}/datasets/digits/items/30.png"


def test_import_is_all_or_nothing(client: TestClient, lens_home: Path, problem: Problem) -> None:
    sid = open_session(client)["id"]
    good = "item,attribute,value,labeller\n40,label,3,eve\n41,label,seven,\n42,label,7,\n"
    problem(client.post(f"{SESSIONS}/{sid}/import", json={"csv": good, "labeller": "imp"}), 422, "row 3", "value")
    assert client.get(f"{SESSIONS}/{sid}/history").json()["labels"] == []  # row 2 was not kept either
    problem(client.post(f"{SESSIONS}/{sid}/import", json={"csv": "item,attribute,value\n40,label,3\n"}), 422,
            "row 2", "labeller")
    problem(client.post(f"{SESSIONS}/{sid}/import", json={"csv": "item,value\n40,3\n"}), 422, "row 1", "header")
    hidden = min(held_out(lens_home, sid))
    problem(client.post(f"{SESSIONS}/{sid}/import", json={"csv": f"item,attribute,value\n{hidden},label,1\n",
                                                          "labeller": "imp"}), 422, "held out")
    made = client.post(f"{SESSIONS}/{sid}/import", json={"csv": good.replace("seven", "7"), "labeller": "imp"})
    assert made.status_code == 201 and made.json() == {"imported": 3}
    rows = list(csv.DictReader(io.StringIO(client.get(f"{SESSIONS}/{sid}/export.csv").text)))
    assert [(r["item"], r["value"], r["labeller"]) for r in rows] == [("40", "3", "eve"), ("41", "7", "imp"),
                                                                       ("42", "7", "imp")]


def test_a_continuous_attribute_is_labelled_with_a_number(client: TestClient, problem: Problem) -> None:
    sid = open_session(client, attributes=["thickness"], strategy="max_entropy")["id"]
    got = next_of(client, sid, "ann")
    assert got["attribute"] == "thickness" and got["prediction"]["kind"] == "continuous"
    assert got["prediction"]["sd"] > 0 and "entropy" in got["reason"]
    spec = client.get(f"{SESSIONS}/{sid}").json()["attributes"][0]
    assert label(client, sid, got["item"], (spec["lo"] + spec["hi"]) / 2).status_code == 201
    problem(label(client, sid, 7, spec["hi"] + 1), 422, "value", "thickness")


@pytest.mark.parametrize("strategy", ["random", "bald_batch"])
def test_every_strategy_ranks_the_pool(client: TestClient, strategy: str) -> None:
    sid = open_session(client, strategy=strategy, refit_every=5)["id"]
    items = [next_of(client, sid, f"l{i}") for i in range(5)]
    assert len({x["item"] for x in items}) == 5
    if strategy == "random":
        assert all(x["score"] is None for x in items) and "random" in items[0]["reason"]
    else:
        assert all(x["score"] >= 0 for x in items)


def test_a_refit_is_queued_and_the_queue_switches_to_its_version(own: tuple[TestClient, Path]) -> None:
    client, home = own
    sid = open_session(client, refit_every=3)["id"]
    before = read_record(home, LENS).version
    for i in range(4):  # the 3rd label queues the refit, the 4th does not queue another
        got = next_of(client, sid, "ann")
        assert got["lens_version"] == before
        assert label(client, sid, got["item"], i % 10).status_code == 201
    session = client.get(f"{SESSIONS}/{sid}").json()
    assert session["refit"]["state"] == "queued" and session["refit"]["labels_at_last_refit"] == 3
    assert session["refit"]["next_refit_at"] == 6 and session["lens_version"] == before
    jobs = client.get(f"{API}/jobs", params={"state": "queued"}).json()["jobs"]
    assert [(j["job_id"], j["kind"], j["priority"]) for j in jobs] == [(session["refit"]["job_id"], "lens_fit", 10)]
    work(client, home)
    after = read_record(home, LENS).version
    assert after != before
    session = client.get(f"{SESSIONS}/{sid}").json()
    assert session["refit"]["state"] == "idle" and session["lens_version"] == after
    assert next_of(client, sid, "bob")["lens_version"] == after  # the queue switched
    lens_labels = json.loads((home / "runs" / LENS / "labels.json").read_text())
    assert lens_labels["sources"][-1] == {"session": {"id": sid, "labels": 3}}  # trained on the first 3
    curve = client.get(f"{SESSIONS}/{sid}/curve").json()
    assert curve["attribute"] == "label" and curve["held_out"] == 319
    assert [(p["labels"], p["lens_version"]) for p in curve["points"]] == [(0, before), (3, after)]
    assert all(0 < p["score"] <= 1 and 0 <= p["accuracy"] <= 1 for p in curve["points"])


def test_labelling_goes_on_with_the_older_ranking_while_the_newest_is_made(own: tuple[TestClient, Path]) -> None:
    """A new version without its ranking (a lens refitted outside the loop): next answers from the newest ranking
    saved, at once, and switches once the API has ranked the new version in the background."""
    client, home = own
    sid = open_session(client)["id"]
    before = next_of(client, sid, "ann")["lens_version"]
    refit = client.post(f"{API}/runs/{RUN}/lenses/{LENS}/refit", json={"labels": {"oracle": {"n": 20, "seed": 3}}})
    assert refit.status_code == 202, refit.text
    work(client, home)
    after = read_record(home, LENS).version
    shutil.rmtree(home / "runs" / LENS / "rankings" / str(after))  # as if the job's last step had failed
    with TestClient(create_app(make_settings(home))) as fresh:  # nothing in memory
        assert next_of(fresh, sid, "bob")["lens_version"] == before
        for attempt in range(600):  # up to 2 minutes on a busy machine
            if next_of(fresh, sid, f"c{attempt}")["lens_version"] == after:
                break
            time.sleep(0.2)
        assert next_of(fresh, sid, "dan")["lens_version"] == after


def make_set(client: TestClient, items: list[int], name: str = "picked") -> str:
    made = client.post(f"{API}/runs/{RUN}/item-sets", json={"name": name, "items": items})
    assert made.status_code == 201, made.text
    return str(made.json()["set_id"])


@pytest.mark.parametrize("strategy", ["bald", "bald_batch"])
def test_a_session_on_an_item_set_asks_only_for_its_items(client: TestClient, lens_home: Path, strategy: str) -> None:
    items = [5, 17, 40, 41, 99, 250, 251, 600, 1200, 1796]
    set_id = make_set(client, items, "ten picked")
    session = open_session(client, item_set=set_id, strategy=strategy, refit_every=4)
    assert session["item_set"] == {"set_id": set_id, "name": "ten picked", "n_items": 10}
    assert held_out(lens_home, session["id"]).isdisjoint(items)  # every item of the set can be asked for
    sid, asked = session["id"], []
    first = next_of(client, sid, "ann")
    assert first["pool"] == 10 and first["rank"] == 1 and first["item"] in items and first["score"] >= 0
    assert sum(first["prediction"]["probs"]) == pytest.approx(1.0)  # the lens's guess for an item of the set
    while (got := next_of(client, sid, "ann"))["item"] is not None:  # labelled items leave the queue, as always
        asked.append(got["item"])
        assert label(client, sid, got["item"], 1).status_code == 201
    assert sorted(asked) == items and got["pool"] == 0
    with TestClient(create_app(make_settings(lens_home))) as restarted:  # the set is the session's, from its row
        assert restarted.get(f"{SESSIONS}/{sid}").json()["item_set"] == session["item_set"]
    lines = [json.loads(x) for x in client.get(f"{SESSIONS}/{sid}/export.jsonl").text.splitlines()]
    assert len(lines) == 10 and {x["item_set"] for x in lines} == {set_id}
    tasks = client.get(f"{SESSIONS}/{sid}/export.labelstudio.json").json()
    assert {t["data"]["item_set"] for t in tasks} == {set_id}
    assert client.get(f"{SESSIONS}/{open_session(client)['id']}").json()["item_set"] is None


def test_a_set_that_cannot_be_the_pool_is_refused(client: TestClient, problem: Problem) -> None:
    sets = ItemSetStore(client.app.state.jobs.engine)
    other = sets.create("other-run", "elsewhere", [1, 2], None).set_id
    beyond = sets.create(RUN, "too far", [1, 5000], None).set_id  # as a set kept before its run was retrained
    body = {"run_id": RUN, "lens_id": LENS}
    problem(client.post(SESSIONS, json={**body, "item_set": "0" * 32}), 404, "no item set")
    problem(client.post(SESSIONS, json={**body, "item_set": other}), 422, "body.item_set", "other-run")
    problem(client.post(SESSIONS, json={**body, "item_set": beyond}), 422, "body.item_set", "5000", "1797")
    problem(client.post(SESSIONS, json={**body, "item_set": "not-hex"}), 422, "item_set", "item set id")


def test_a_session_on_a_set_of_every_item_holds_some_of_them_out(client: TestClient, lens_home: Path) -> None:
    """No item lies outside a set of every item: the held-out items come from the set's own unlabelled items, the
    queue leaves them out, and the learning curve scores from its first point."""
    sid = open_session(client, item_set=make_set(client, list(range(1797)), "every item"))["id"]
    hidden = held_out(lens_home, sid)
    lens_labels = {row[0] for row in json.loads((lens_home / "runs" / LENS / "labels.json").read_text())["rows"]}
    assert len(hidden) == (1797 - len(lens_labels)) // 5 == 319 and hidden.isdisjoint(lens_labels)
    first = next_of(client, sid, "ann")
    assert first["pool"] == 1797 - 319 and first["item"] not in hidden
    curve = client.get(f"{SESSIONS}/{sid}/curve").json()
    assert curve["held_out"] == 319 and [p["labels"] for p in curve["points"]] == [0]
    assert 0 < curve["points"][0]["score"] <= 1 and 0 <= curve["points"][0]["accuracy"] <= 1


def test_held_out_items_come_from_outside_the_set_first() -> None:
    """choose_held_out on 1,000 items, 100 labelled: a fifth of the 900 unlabelled (180) are held out; every one of
    the 45 unlabelled items outside a set of 950 is, and the set's own make up the other 135."""
    labelled, pool = np.arange(0, 1000, 10), np.arange(950)
    outside = np.setdiff1d(np.arange(950, 1000), labelled)
    hidden = choose_held_out(1000, labelled, pool)
    assert len(hidden) == 180 and len(np.unique(hidden)) == 180 and not np.isin(hidden, labelled).any()
    assert np.isin(outside, hidden).all() and np.isin(hidden, pool).sum() == 180 - len(outside)
    small = choose_held_out(1000, labelled, np.arange(10))  # enough outside: the set keeps every item
    assert len(small) == 180 and not np.isin(small, np.arange(10)).any()
    assert np.array_equal(choose_held_out(1000, labelled), choose_held_out(1000, labelled, None))


def test_a_session_keeps_its_sets_name_as_it_is(client: TestClient) -> None:
    assert open_session(client, item_set=make_set(client, [1, 2, 3], " a "))["item_set"]["name"] == " a "
    legacy = ItemSetStore(client.app.state.jobs.engine).create(RUN, "   ", [1, 2], None)  # before blanks were refused
    assert open_session(client, item_set=legacy.set_id)["item_set"]["name"] == "   "


def test_a_refit_ranks_the_set_again_for_its_session(own: tuple[TestClient, Path]) -> None:
    """The lens_fit job's last step ranks an item set's session among the set's items (a file of its own)."""
    client, home = own
    items = list(range(100, 160))
    set_id = make_set(client, items)
    sid = open_session(client, item_set=set_id, refit_every=3)["id"]
    before = read_record(home, LENS).version
    for i in range(3):
        assert label(client, sid, next_of(client, sid, "ann")["item"], i).status_code == 201
    work(client, home)
    after = read_record(home, LENS).version
    assert after != before
    assert (home / "runs" / LENS / "rankings" / str(after) / f"label.bald.set-{set_id}.safetensors").is_file()
    got = next_of(client, sid, "bob")
    assert got["lens_version"] == after and got["item"] in items and got["pool"] == len(items) - 3
