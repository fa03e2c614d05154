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
