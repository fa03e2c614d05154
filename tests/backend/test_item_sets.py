"""Item sets (issue 20 item 5: a lasso selection that becomes a set): the store on SQLite and PostgreSQL; the routes'
create, list, detail (mean posterior code against the default sample's) and delete; labeller role for writes with auth
on, recording the token's name; bad input as 4xx naming the field."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from app_client import AppClient as TestClient
from conftest import make_settings, serve

from backend.auth import TokenStore
from backend.db import upgrade
from backend.item_sets import ItemSetNotFoundError, ItemSetStore
from backend.runs import load_run
from backend.services.analysis import sample_items
from backend.services.run_deletion import delete_runs
from backend.store import RunStore
from models import get_dataset
from models.evaluation import encode_dataset

API = "/api/v1"
RUN = "tiny"  # conftest's shared tiny vae on digits (K = 4)
SETS = f"{API}/runs/{RUN}/item-sets"


def test_the_store_on_sqlite_and_postgresql(engine: sa.Engine) -> None:
    upgrade(engine)
    store = ItemSetStore(engine)
    first = store.create("r1", "sevens", [7, 3, 11], "alice")
    second = store.create("r1", "ones", [1], None)
    store.create("r2", "other run", [5], None)
    assert store.get(first.set_id) == first and first.items == [7, 3, 11] and first.n_items == 3
    listed = store.list("r1")
    assert [s.set_id for s in listed] == [second.set_id, first.set_id]  # newest first
    assert all(s.items is None for s in listed) and listed[1].created_by == "alice"
    store.delete(first.set_id)
    with pytest.raises(ItemSetNotFoundError, match=first.set_id):
        store.get(first.set_id)
    with pytest.raises(ItemSetNotFoundError):
        store.delete(first.set_id)
    assert [s.name for s in store.list("r1")] == ["ones"]
    assert store.delete_run("r1") == 1 and store.list("r1") == [] and store.delete_run("r1") == 0
    assert [s.name for s in store.list("r2")] == ["other run"]  # another run's sets stay


def test_create_list_detail_delete(client: TestClient, trained_home: Path) -> None:
    items = [int(i) for i in np.flatnonzero(get_dataset("digits").factors(np.arange(300))[:, 0] == 7)]
    made = client.post(SETS, json={"name": "sevens", "items": items})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["items"] == items and body["n_items"] == len(items) and body["created_by"] is None
    assert made.headers["location"] == body["set_url"] == f"{API}/item-sets/{body['set_id']}"
    listed = client.get(SETS).json()["sets"]
    assert body["set_id"] in [s["set_id"] for s in listed] and all("items" not in s for s in listed)
    detail = client.get(body["set_url"])
    assert detail.status_code == 200, detail.text
    got = detail.json()
    model, record = load_run(trained_home, RUN)
    digits = get_dataset("digits")
    mu, _ = encode_dataset(model, digits, np.array(items))
    base, _ = encode_dataset(model, digits, sample_items(digits, 500, 0))
    assert got["items"] == items and got["version"] == record.version and got["baseline_n"] == 500
    np.testing.assert_allclose(got["mean_code"], mu.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["baseline_code"], base.mean(axis=0), rtol=1e-5, atol=1e-6)
    assert np.abs(np.array(got["mean_code"]) - got["baseline_code"]).max() > 0.05  # sevens differ from the rest
    deleted = client.delete(body["set_url"])
    assert deleted.status_code == 204 and deleted.content == b""
    assert client.get(body["set_url"]).status_code == 404
    assert body["set_id"] not in [s["set_id"] for s in client.get(SETS).json()["sets"]]


@pytest.mark.parametrize(("body", "words"), [
    ({"name": "x", "items": [1797]}, ["body.items.0", "n_items = 1797"]),
    ({"name": "x", "items": [3, 3]}, ["body.items", "distinct"]),
    ({"name": "x", "items": []}, ["items", "at least 1"]),
    ({"name": "x", "items": list(range(100_001))}, ["items", "at most 100000"]),
    ({"name": "x", "items": [-1]}, ["greater than or equal to 0"]),
    ({"name": "x", "items": ["a"]}, ["valid integer"]),
    ({"name": "x", "items": [False]}, ["valid integer"]),
    ({"name": "x", "items": [2.0]}, ["valid integer"]),
    ({"name": "", "items": [1]}, ["name", "at least 1 character"]),
    ({"name": " \t ", "items": [1]}, ["body.name", "a name with a character that is not a space"]),
    ({"items": [1]}, ["name", "Field required"]),
    ({"name": "x", "items": [1], "colour": "red"}, ["colour"]),
])
def test_bad_sets_are_422s_naming_the_field(client: TestClient, problem: Callable[..., Any], body: dict[str, Any],
                                           words: list[str]) -> None:
    problem(client.post(SETS, json=body), 422, *words)


def test_unknown_runs_and_sets_are_404s(client: TestClient, problem: Callable[..., Any]) -> None:
    problem(client.post(f"{API}/runs/nope/item-sets", json={"name": "x", "items": [1]}), 404, "no run 'nope'")
    problem(client.get(f"{API}/runs/nope/item-sets"), 404, "no run 'nope'")
    problem(client.get(f"{API}/item-sets/abc123"), 404, "no item set 'abc123'")
    problem(client.delete(f"{API}/item-sets/abc123"), 404, "no item set 'abc123'")
    problem(client.get(f"{API}/item-sets/not-hex"), 422, "an item set id")


def test_deleting_a_run_deletes_its_sets(fresh_home: Path, trained_home: Path) -> None:
    """A run made again under a deleted run's id starts without the old run's sets."""
    with serve(make_settings(fresh_home)) as c:
        made = c.post(SETS, json={"name": "ones", "items": [1, 11]}).json()
        assert c.delete(f"{API}/runs/{RUN}").status_code == 204
        assert c.get(made["set_url"]).status_code == 404
        shutil.copytree(trained_home / "runs" / RUN, fresh_home / "runs" / RUN)  # the id in use again
        assert c.get(SETS).json()["sets"] == []
        assert c.get(made["set_url"]).status_code == 404


def test_a_name_is_kept_as_given(fresh_home: Path) -> None:
    with serve(make_settings(fresh_home)) as c:
        made = c.post(SETS, json={"name": " thin sevens ", "items": [7]})
        assert made.status_code == 201, made.text
        assert made.json()["name"] == c.get(made.json()["set_url"]).json()["name"] == " thin sevens "


def test_a_set_beyond_its_runs_dataset_is_a_409_naming_it(fresh_home: Path, problem: Callable[..., Any]) -> None:
    """A set kept from an earlier run under the id (one made before deletions took a run's sets) whose items lie
    beyond the run's dataset: reading it says so, and it can still be deleted."""
    with serve(make_settings(fresh_home)) as c:
        left = ItemSetStore(c.app.state.jobs.engine).create(RUN, "old run's", [1, 5000], None)
        url = f"{API}/item-sets/{left.set_id}"
        problem(c.get(url), 409, left.set_id, "old run's", f"the dataset of run '{RUN}' ('digits', 1797 items",
                "item 5000 is beyond it", "earlier run")
        assert c.delete(url).status_code == 204 and c.get(url).status_code == 404


RUN_BODY = {"family": "vae", "dataset": "bars", "train": {"steps": 20}}


def test_a_run_made_under_an_id_starts_without_the_sets_left_there(fresh_home: Path,
                                                                    problem: Callable[..., Any]) -> None:
    """Sets stored under an id with no run (its run deleted by hand) go when a run (or a lens) is made under it; a
    409 for an id in use leaves that run's sets alone."""
    with serve(make_settings(fresh_home)) as c:
        store = ItemSetStore(c.app.state.jobs.engine)
        store.create("again", "left behind", [1, 2], None)
        kept = c.post(SETS, json={"name": "ones", "items": [1, 11]}).json()
        assert c.post(f"{API}/runs", json={**RUN_BODY, "run_id": "again"}).status_code == 202
        assert store.list("again") == []
        problem(c.post(f"{API}/runs", json={**RUN_BODY, "run_id": RUN}), 409, "already exists")
        assert [s.set_id for s in store.list(RUN)] == [kept["set_id"]]


@pytest.mark.parametrize("when", ["before the insert", "after the insert"])
def test_a_set_made_while_its_run_is_deleted_is_not_kept(fresh_home: Path, monkeypatch: pytest.MonkeyPatch,
                                                         problem: Callable[..., Any], when: str) -> None:
    """The run is deleted (as DELETE /runs/{id} does it) while POST item-sets works: after its run was loaded, or
    after the set's row went in. Either way the answer is a 404 and no set of the deleted run is left."""
    with serve(make_settings(fresh_home)) as c:
        cls, name = (RunStore, "load") if when == "before the insert" else (ItemSetStore, "create")
        step = getattr(cls, name)

        def step_then_delete(self: Any, *args: Any, **kwargs: Any) -> Any:
            done = step(self, *args, **kwargs)
            delete_runs(c.app.state.run_store, c.app.state.jobs, [RUN])  # what DELETE /runs/{id} does
            return done

        monkeypatch.setattr(cls, name, step_then_delete)
        problem(c.post(SETS, json={"name": "ones", "items": [1, 11]}), 404, f"no run '{RUN}'", "deleted while the set")
        monkeypatch.undo()
        assert ItemSetStore(c.app.state.jobs.engine).list(RUN) == [] and c.get(SETS).status_code == 404


@pytest.fixture
def app_on(fresh_home: Path) -> Iterator[TestClient]:
    with serve(make_settings(fresh_home, auth="on")) as c:
        yield c


def test_writes_need_a_labeller_and_record_its_name(app_on: TestClient, problem: Callable[..., Any]) -> None:
    tokens = TokenStore(app_on.app.state.jobs.engine)
    secret = {role: tokens.create(f"{role}-1", role)[1] for role in ("viewer", "labeller", "admin")}
    body = {"name": "ones", "items": [1, 11]}
    problem(app_on.post(SETS, json=body), 401, "needs a token of the role labeller")
    problem(app_on.post(SETS, json=body, headers=bearer(secret["viewer"])), 403, "needs the role labeller")
    made = [app_on.post(SETS, json=body, headers=bearer(secret[role])).json() for role in ("labeller", "admin")]
    assert [m["created_by"] for m in made] == ["labeller-1", "admin-1"]
    assert len(app_on.get(SETS).json()["sets"]) == 2  # reads stay open
    url = made[0]["set_url"]
    problem(app_on.delete(url), 401, "labeller")
    problem(app_on.delete(url, headers=bearer(secret["viewer"])), 403, "needs the role labeller")
    assert app_on.delete(url, headers=bearer(secret["labeller"])).status_code == 204


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
