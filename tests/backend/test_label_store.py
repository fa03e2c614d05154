"""LabelStore on a real database: SQLite, and PostgreSQL (``database_url`` in conftest.py: each PostgreSQL test gets a
fresh schema). Concurrency with real threads (each its own engine, as separate processes would have), durability
with a real process killed by SIGKILL mid-stream."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from backend.db import labels, make_engine
from backend.labelling import (
    IdempotencyConflictError,
    LabellingInputError,
    LabelSession,
    LabelSessionClosedError,
    LabelSessionNotFoundError,
    LabelStore,
    NothingToUndoError,
    SessionSet,
)
from models import Dataset, get_dataset

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
LABELLERS = 8
CONCURRENT_S = float(os.environ.get("FACTORSCOPE_LABEL_STORE_SECONDS", "10"))  # the minute: a bench


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return get_dataset("digits")  # 1797 items; label: classes "0".."9", thickness: continuous [1.3, 2.5]


@pytest.fixture
def open_store(database_url: str) -> Iterator[Callable[[], LabelStore]]:
    """Opens LabelStores on the test's database, each on its own engine (like separate processes)."""
    engines: list[sa.Engine] = []

    def open_() -> LabelStore:
        engines.append(make_engine(database_url))
        return LabelStore(engines[-1])

    try:
        yield open_
    finally:
        for engine in engines:
            engine.dispose()


@pytest.fixture
def store(open_store: Callable[[], LabelStore]) -> LabelStore:
    return open_store()


@pytest.fixture
def session(store: LabelStore, digits: Dataset) -> LabelSession:
    return store.create_session("run-a", digits, ["label"], strategy="bald", batch_size=5, now=T0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def iso(seconds: float) -> str:
    """``at(seconds)`` as the store writes times."""
    return at(seconds).isoformat(timespec="microseconds")


def leased(store: LabelStore, session_id: str, labeller: str, ranked: list[int], seconds: float,
           lease_s: float = 300) -> int | None:
    """The item ``lease_next`` leases ``labeller`` at ``at(seconds)``, or None."""
    lease = store.lease_next(session_id, labeller, ranked, now=at(seconds), lease_s=lease_s)
    return None if lease is None else lease.item


def stored_rows(store: LabelStore, session_id: str) -> list[tuple[int, int, float | None, str]]:
    """(id, item, value, labeller) of every row of ``labels`` in the session, by id."""
    query = (sa.select(labels.c.id, labels.c.item, labels.c.value, labels.c.labeller)
             .where(labels.c.session_id == session_id).order_by(labels.c.id))
    with store.engine.connect() as conn:
        return [(int(i), int(item), value, name) for i, item, value, name in conn.execute(query).all()]


def test_sessions_are_created_listed_and_closed(store: LabelStore, digits: Dataset) -> None:
    a = store.create_session("run-a", digits, ["label", "thickness"], now=at(0))
    b = store.create_session("run-b", digits, ["thickness"], strategy="random", batch_size=10, refit_every=25,
                             lens_id="lens-1", now=at(1))
    assert (a.state, a.strategy, a.batch_size, a.refit_every, a.n_items, a.dataset) == ("open", "bald", 1, 50, 1797,
                                                                                       "digits")
    assert [x.name for x in a.attributes] == ["label", "thickness"] and a.attributes[0].classes[7] == "7"
    assert store.get_session(b.session_id) == b and b.lens_id == "lens-1" and b.to_json()["attributes"][0]["lo"] == 1.3
    assert [s.session_id for s in store.list_sessions()] == [b.session_id, a.session_id]  # newest first
    assert [s.session_id for s in store.list_sessions(run_id="run-a")] == [a.session_id]
    assert store.close_session(a.session_id).state == "closed"
    with pytest.raises(LabelSessionClosedError, match="closed"):
        store.add_label(a.session_id, 0, "3", "ann", attribute="label")
    with pytest.raises(LabelSessionClosedError):
        store.lease_next(a.session_id, "ann", [0, 1])
    with pytest.raises(LabelSessionNotFoundError, match="no labelling session 'nope'"):
        store.get_session("nope")


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"attributes": ["colour"]}, "attributes", "['label', 'thickness']"),
    ({"attributes": []}, "attributes", "one or more"),
    ({"attributes": ["label", "label"]}, "attributes", "distinct"),
    ({"strategy": "guess"}, "strategy", "'bald', 'bald_batch', 'max_entropy', 'random'"),
    ({"batch_size": 0}, "batch_size", "1..1000"),
    ({"refit_every": True}, "refit_every", "an integer"),
    ({"run_id": " "}, "run_id", "non-empty"),
    ({"item_set": SessionSet("s1", "far", (3, 1797))}, "item_set", "distinct items in 0..1796"),
    ({"item_set": SessionSet("s1", "twice", (3, 3))}, "item_set", "distinct"),
    ({"item_set": SessionSet("s1", "empty", ())}, "item_set", "one or more"),
])
def test_a_bad_session_names_the_field(store: LabelStore, digits: Dataset, kwargs: dict[str, object], field: str,
                                       words: str) -> None:
    arguments: dict[str, object] = {"run_id": "run-a", "attributes": ["label"], **kwargs}
    with pytest.raises(LabellingInputError) as caught:
        store.create_session(dataset=digits, **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field and words in str(caught.value)


def test_a_session_on_an_item_set_keeps_it_across_a_restart(open_store: Callable[[], LabelStore],
                                                            digits: Dataset) -> None:
    made = open_store().create_session("run-a", digits, ["label"], item_set=SessionSet("5e7", "sevens", (70, 7, 700)))
    assert made.item_set == SessionSet("5e7", "sevens", (7, 70, 700))  # the pool, sorted
    assert made.to_json()["item_set"] == {"set_id": "5e7", "name": "sevens", "n_items": 3}
    again = open_store()  # its own engine: as a restarted API reads it
    assert again.get_session(made.session_id) == made and again.list_sessions()[0] == made
    plain = again.create_session("run-a", digits, ["label"])
    assert plain.item_set is None and again.get_session(plain.session_id).to_json()["item_set"] is None


def test_values_are_checked_against_the_attribute_schema(store: LabelStore, digits: Dataset) -> None:
    two = store.create_session("run-a", digits, ["label", "thickness"])
    assert store.add_label(two.session_id, 4, "7", "ann", attribute="label").value == 7  # a class name
    assert store.add_label(two.session_id, 4, 3, "ann", attribute="label").value == 3  # a class index
    assert store.add_label(two.session_id, 4, 1.75, "ann", attribute="thickness").value == 1.75
    cases = [({"value": "seven", "attribute": "label"}, "value", "label: expected a class name"),
             ({"value": 3.0, "attribute": "thickness"}, "value", "thickness: expected a number in [1.3, 2.5]"),
             ({"value": "3"}, "attribute", "expected one of ['label', 'thickness']"),
             ({"value": "3", "attribute": "label", "item": 1797}, "item", "0..1796"),
             ({"value": "3", "attribute": "label", "labeller": ""}, "labeller", "non-empty"),
             ({"value": "3", "attribute": "label", "time_taken_ms": -1}, "time_taken_ms", "0..")]
    for case, field, words in cases:
        arguments: dict[str, object] = {"item": 5, "labeller": "ann", **case}
        with pytest.raises(LabellingInputError) as caught:
            store.add_label(two.session_id, **arguments)  # type: ignore[arg-type]
        assert caught.value.field == field and words in str(caught.value), (case, str(caught.value))
    assert len(stored_rows(store, two.session_id)) == 3  # nothing of the bad ones was stored


def test_a_retried_add_with_the_same_key_stores_one_label(open_store: Callable[[], LabelStore],
                                                          session: LabelSession) -> None:
    stores = [open_store() for _ in range(4)]
    sid = session.session_id
    first = stores[0].add_label(sid, 11, "2", "ann", idempotency_key="k-1", time_taken_ms=900)
    assert stores[1].add_label(sid, 11, "2", "ann", idempotency_key="k-1") == first  # the retry: the first label
    answers: list[int] = []
    threads = [threading.Thread(target=lambda s=s: answers.append(s.add_label(sid, 12, 5, "bob",
                                                                              idempotency_key="k-2").label_id))
               for s in stores]  # four retries at once, each its own connection
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 4 and len(set(answers)) == 1
    assert [(item, value) for _, item, value, _ in stored_rows(stores[0], sid)] == [(11, 2.0), (12, 5.0)]
    with pytest.raises(IdempotencyConflictError, match="'k-1' was used"):
        stores[0].add_label(sid, 11, "3", "ann", idempotency_key="k-1")  # the same key for another value
    with pytest.raises(IdempotencyConflictError):
        stores[0].undo(sid, "ann", idempotency_key="k-1")  # nor can an undo reuse it


def test_leases_go_best_first_to_one_labeller_each(store: LabelStore, session: LabelSession) -> None:
    sid, ranked = session.session_id, [5, 3, 9, 1, 0]
    scores = [0.9, 0.8, 0.7, 0.6, 0.5]
    a = store.lease_next(sid, "ann", ranked, now=at(0), scores=scores, lens_version="v3", lease_s=60)
    assert a is not None and (a.item, a.labeller, a.score, a.lens_version) == (5, "ann", 0.9, "v3")
    assert (a.leased_at, a.expires_at) == (iso(0), iso(60))
    again = store.lease_next(sid, "ann", [9, 1], now=at(10), lease_s=60)  # re-leasing: her own lease first, renewed
    assert again is not None and (again.item, again.score, again.expires_at) == (5, 0.9, iso(70))
    b = store.lease_next(sid, "bob", ranked, now=at(11), lease_s=60)
    assert b is not None and b.item == 3  # 5 is ann's
    label = store.add_label(sid, 5, "4", "ann", idempotency_key="a1", now=at(12))
    assert (label.lens_version, label.score) == ("v3", 0.9)  # what chose the item, from her lease
    assert [leased(store, sid, "ann", ranked, 13) for _ in range(2)] == [9, 9]
    store.skip(sid, 9, "ann", now=at(14))
    assert leased(store, sid, "ann", ranked, 15) == 1
    event = store.flag(sid, 1, "ann", note="two digits in one", now=at(16))
    assert (event.kind, event.item, event.note) == ("flag", 1, "two digits in one")
    assert leased(store, sid, "ann", ranked, 17) == 0
    assert leased(store, sid, "cat", ranked, 18) == 9  # ann's skip only
    store.skip(sid, 0, "ann", now=at(19))
    assert store.lease_next(sid, "ann", ranked, now=at(20)) is None  # 5 labelled, 3 and 9 held, 9/1/0 passed over
    with pytest.raises(LabellingInputError, match="ranked_items: expected item indices in 0..1796"):
        store.lease_next(sid, "ann", [1, 1797])
    with pytest.raises(LabellingInputError, match="scores: expected 2 finite scores"):
        store.lease_next(sid, "ann", np.array([1, 2]), scores=[0.5])


def test_an_item_stays_leased_until_every_attribute_is_labelled(store: LabelStore, digits: Dataset) -> None:
    sid = store.create_session("run-a", digits, ["label", "thickness"]).session_id
    assert leased(store, sid, "ann", [4, 6], 0) == 4
    store.add_label(sid, 4, "1", "ann", attribute="label", now=at(1))
    assert leased(store, sid, "bob", [4, 6], 2) == 6  # 4 is still ann's
    assert leased(store, sid, "ann", [4, 6], 3) == 4  # its thickness
    store.add_label(sid, 4, 2.0, "ann", attribute="thickness", now=at(4))
    assert store.lease_next(sid, "ann", [4, 6], now=at(5)) is None  # 4 is done, 6 is bob's


def test_an_expired_lease_returns_its_item_to_the_pool(store: LabelStore, session: LabelSession) -> None:
    sid, ranked = session.session_id, [7, 8]
    assert leased(store, sid, "ann", ranked, 0, lease_s=30) == 7
    assert leased(store, sid, "bob", ranked, 29.9, lease_s=30) == 8
    assert leased(store, sid, "cat", ranked, 30.5, lease_s=30) == 7
    late = store.lease_next(sid, "ann", ranked, now=at(31), lease_s=30)  # hers expired and was taken over
    assert late is None  # 7 is cat's, 8 bob's (until 59.9)
    store.add_label(sid, 7, "1", "ann", now=at(32))  # her late answer still counts ...
    assert store.lease_next(sid, "cat", ranked, now=at(33)) is None  # ... and cat's lease on 7 ends: it is labelled


def test_undo_retracts_with_a_new_row_and_history_keeps_both(store: LabelStore, session: LabelSession,
                                                              digits: Dataset) -> None:
    sid = session.session_id
    first = store.add_label(sid, 1, "3", "ann", now=at(0))
    second = store.add_label(sid, 2, "4", "ann", now=at(1))
    third = store.add_label(sid, 3, "5", "bob", now=at(2))
    undone = store.undo(sid, "ann", idempotency_key="u1", now=at(3))
    assert (undone.retracts, undone.item, undone.value, undone.labeller) == (second.label_id, 2, None, "ann")
    assert store.undo(sid, "ann", idempotency_key="u1") == undone  # a retried undo retracts nothing more
    history = store.history(sid, n=10)
    assert [h.label_id for h in history] == [x.label_id for x in (undone, third, second, first)]  # newest first
    assert history[2].retracted_by == undone.label_id and history[2].value == 4 and history[3].retracted_by is None
    labels_ = store.standing_labels(sid, digits)
    assert list(labels_.indices("label")) == [1, 3] and list(labels_.values("label")) == [3, 5]
    assert leased(store, sid, "cat", [2, 1, 3], 4) == 2  # open again
    store.add_label(sid, 1, "8", "bob", now=at(5))  # a correction: the later label stands ...
    assert store.standing_labels(sid, digits).values("label").tolist() == [8, 5]
    store.undo(sid, "bob", now=at(6))  # ... and undoing it brings the earlier one back
    assert store.standing_labels(sid, digits).values("label").tolist() == [3, 5]
    store.undo(sid, "ann", now=at(7))
    with pytest.raises(NothingToUndoError, match="'ann' has no label"):
        store.undo(sid, "ann", now=at(8))
    assert [(h.item, h.value) for h in store.standing(sid)] == [(3, 5)]
    assert len(stored_rows(store, sid)) == 7 and store.history(sid, n=2)[0].retracts == first.label_id
    with pytest.raises(LabellingInputError, match="dataset: expected the session's dataset 'digits'"):
        store.standing_labels(sid, get_dataset("bars"))


def test_progress_counts_labels_per_labeller_and_per_hour(store: LabelStore, session: LabelSession) -> None:
    sid = session.session_id
    for i in range(6):
        store.add_label(sid, i, i, "ann", now=at(60 * i))  # one a minute for 5 minutes: 72 an hour
    store.add_label(sid, 10, "1", "bob", now=at(240))
    store.undo(sid, "bob", now=at(250))
    store.skip(sid, 20, "bob", now=at(260))
    store.flag(sid, 21, "bob", now=at(270))
    progress = store.progress(sid, now=at(300))
    assert (progress.labels, progress.retractions, progress.skips, progress.flags) == (6, 1, 1, 1)
    assert progress.labels_last_hour == 7 and progress.labels_per_hour == pytest.approx(7 * 12)
    ann, bob = progress.labellers["ann"], progress.labellers["bob"]
    assert (ann.labels, ann.labels_last_hour, ann.labels_per_hour) == (6, 6, pytest.approx(72))
    assert (bob.labels, bob.labels_last_hour, bob.labels_per_hour) == (0, 1, pytest.approx(60))  # a minute at least
    assert store.progress(sid, now=at(3600 + 300)).labels_last_hour == 1  # only ann's last is within the hour


def test_eight_concurrent_labellers_get_disjoint_items_and_every_label_is_stored_once(
        open_store: Callable[[], LabelStore], store: LabelStore) -> None:
    pool = get_dataset("glyphs")  # 6250 items: more than 8 labellers can label in the time
    sid = store.create_session("run-a", pool, ["label", "stroke_width"]).session_id
    ranked = np.random.default_rng(0).permutation(len(pool))
    acknowledged: dict[str, list[tuple[int, int]]] = {}  # labeller -> (item, label id) as add_label answered
    errors: list[BaseException] = []
    deadline = time.monotonic() + CONCURRENT_S

    def label(name: str, labeller_store: LabelStore) -> None:
        done = acknowledged.setdefault(name, [])
        try:
            while time.monotonic() < deadline:
                lease = labeller_store.lease_next(sid, name, ranked, lease_s=600)
                if lease is None:
                    return
                key = uuid.uuid4().hex
                stored = labeller_store.add_label(sid, lease.item, lease.item % 10, name, key, "label")
                retried = labeller_store.add_label(sid, lease.item, lease.item % 10, name, key, "label")
                assert retried.label_id == stored.label_id
                width = labeller_store.add_label(sid, lease.item, 0.5, name, key + "w", "stroke_width")
                done += [(lease.item, stored.label_id), (lease.item, width.label_id)]  # the item is done: both
        except BaseException as err:  # noqa: BLE001 - re-raised in the test thread below
            errors.append(err)

    stores = [open_store() for _ in range(LABELLERS // 2)]  # two labellers a store (as the API's threads share one),
    threads = [threading.Thread(target=label, args=(f"labeller-{i}", stores[i // 2]))  # each store its own engine
               for i in range(LABELLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    given = [pair for pairs in acknowledged.values() for pair in pairs]
    items = [item for pairs in acknowledged.values() for item, _ in pairs[::2]]
    assert len(items) == len(set(items)) and all(acknowledged.values()), {k: len(v) for k, v in acknowledged.items()}
    assert time.monotonic() >= deadline  # all that time, the pool never ran out
    rows = stored_rows(open_store(), sid)
    assert sorted((item, label_id) for label_id, item, _, _ in rows) == sorted(given)  # each once, no other row
    assert {label_id: name for label_id, _, _, name in rows} == {
        label_id: name for name, pairs in acknowledged.items() for _, label_id in pairs}


WRITER = """
import sys
from backend.db import make_engine
from backend.labelling import LabelStore
store = LabelStore(make_engine(sys.argv[1]))
for item in range(int(sys.argv[3])):
    label = store.add_label(sys.argv[2], item, item % 10, "writer", idempotency_key=f"w{item}")
    print(label.label_id, item, flush=True)  # after add_label returned: committed
"""


def ids(line: str) -> tuple[int, int]:
    """(label id, item) from a line the writer printed."""
    label_id, item = line.split()
    return int(label_id), int(item)


def test_kill_9_of_a_writer_loses_no_acknowledged_label(store: LabelStore, session: LabelSession,
                                                        database_url: str) -> None:
    writer = subprocess.Popen([sys.executable, "-c", WRITER, database_url, session.session_id, "1797"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acknowledged: list[tuple[int, int]] = []
    try:
        assert writer.stdout is not None
        for line in writer.stdout:
            acknowledged.append(ids(line))
            if len(acknowledged) == 40:
                os.kill(writer.pid, signal.SIGKILL)  # mid-stream: the next label is being written
                break
        acknowledged += [ids(line) for line in writer.stdout]
    finally:
        writer.kill()
        _, err = writer.communicate(timeout=60)
    assert writer.returncode == -signal.SIGKILL and len(acknowledged) >= 40, err
    stored = {(label_id, item) for label_id, item, _, _ in stored_rows(store, session.session_id)}
    assert set(acknowledged) <= stored  # every acknowledged label survived
    assert len(stored) <= len(acknowledged) + 1  # at most the one in flight, committed but not yet printed
