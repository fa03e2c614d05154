"""Revision 0003 (the labelling tables) on a real database (a SQLite file, and PostgreSQL: ``database_url`` in
conftest.py): a database at 0002 is upgraded with every job and worker row kept; the new tables hold their checks
(a label has a value or retracts one, at most one retraction a label, one idempotency key a session, one lease an
item); downgrading to 0002 drops them and nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import IntegrityError

from backend.db import (
    current_revision,
    head_revision,
    jobs,
    label_events,
    label_sessions,
    labels,
    leases,
    upgrade,
    workers,
)
from backend.db.migrate import alembic_config
from backend.jobs import JobStore
from backend.labelling import LabelStore
from models import get_dataset

LABEL_TABLES = ["label_events", "label_sessions", "labels", "leases"]
STAMP = "2026-12-01T10:00:00.000000+00:00"
JOB_ROWS = [
    {"id": "a" * 32, "kind": "train", "state": "succeeded", "progress": 1.0, "message": "done",
     "payload": json.dumps({"run_id": "r1"}), "result": json.dumps({"version": "v1"}), "error": None, "attempts": 1,
     "cancel_requested": False, "created": STAMP, "updated": STAMP, "worker_id": "h:1", "run_id": "r1"},
    {"id": "b" * 32, "kind": "evaluate", "state": "queued", "progress": 0.0, "message": "queued",
     "payload": json.dumps({"run_id": "r1"}), "result": None, "error": None, "attempts": 0,
     "cancel_requested": False, "created": STAMP, "updated": STAMP, "worker_id": None, "run_id": "r1"},
]
HEAD_JOB_ROWS = [{**row, "priority": 0, "started": None} for row in JOB_ROWS]  # columns of revision 0005
WORKER_ROWS = [{"id": "h:1", "started": STAMP, "seen": STAMP}]


def at_0002(engine: sa.Engine) -> None:
    """A database as revision 0002 left it, with jobs and a worker in it."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0002")
        conn.execute(jobs.insert(), JOB_ROWS)
        conn.execute(workers.insert(), WORKER_ROWS)


def rows(engine: sa.Engine, table: sa.Table) -> list[dict[str, Any]]:
    """Every row of ``table`` with the columns it has at the database's revision (reflected), by primary key."""
    with engine.connect() as conn:
        now = sa.Table(table.name, sa.MetaData(), autoload_with=conn)
        return [dict(row) for row in conn.execute(sa.select(now).order_by(*now.primary_key.columns)).mappings()]


def tables(engine: sa.Engine) -> list[str]:
    return sorted(sa.inspect(engine).get_table_names())


def test_a_database_at_0002_is_upgraded_with_every_row_kept(engine: sa.Engine, database_url: str) -> None:
    at_0002(engine)
    assert current_revision(engine) == "0002" and not set(LABEL_TABLES) & set(tables(engine))
    upgrade(engine)
    assert current_revision(engine) == head_revision() == "0007"
    assert set(LABEL_TABLES) <= set(tables(engine))
    assert rows(engine, jobs) == HEAD_JOB_ROWS and rows(engine, workers) == WORKER_ROWS
    assert all(rows(engine, table) == [] for table in (label_sessions, labels, label_events, leases))
    job_store = JobStore(database_url)  # both stores work on the upgraded database
    try:
        assert job_store.newest_by_run("train")["r1"].result == {"version": "v1"}
    finally:
        job_store.close()
    store = LabelStore(engine)
    session = store.create_session("r1", get_dataset("digits"), ["label"])
    store.add_label(session.session_id, 3, "3", "ann")
    assert [(label.item, label.value) for label in store.standing(session.session_id)] == [(3, 3)]


def test_the_labelling_tables_keep_their_checks(engine: sa.Engine) -> None:
    upgrade(engine)
    session = {"id": "s1", "run_id": "r1", "lens_id": None, "dataset": "digits", "n_items": 10, "attributes": "[]",
               "strategy": "bald", "batch_size": 1, "created": STAMP, "state": "open"}  # refit_every: its default
    label = {"session_id": "s1", "item": 1, "attribute": "label", "labeller": "ann", "created_at": STAMP}
    with engine.begin() as conn:
        conn.execute(label_sessions.insert(), [session, {**session, "id": "s2"}])
        first = conn.execute(labels.insert().values(**label, value=3.0, idempotency_key="k")).inserted_primary_key[0]
        conn.execute(labels.insert().values(**label, value=None, retracts=first))
        conn.execute(labels.insert().values(**{**label, "session_id": "s2"}, value=4.0, idempotency_key="k"))
        conn.execute(leases.insert(), [{"session_id": "s1", "item": 1, "labeller": "ann", "leased_at": STAMP,
                                        "expires_at": STAMP}])
        conn.execute(label_events.insert(), [{"session_id": "s1", "item": 2, "labeller": "ann", "kind": "skip",
                                              "created_at": STAMP}])
    assert rows(engine, label_sessions)[0]["refit_every"] == 50
    bad = [
        (label_sessions, {**session, "id": "s3", "state": "paused"}),
        (label_sessions, {**session, "id": "s3", "batch_size": 0}),
        (labels, {**label, "value": None}),  # neither a value nor a retraction
        (labels, {**label, "value": 2.0, "retracts": first}),  # both
        (labels, {**label, "value": None, "retracts": first}),  # the first label retracted a second time
        (labels, {**label, "value": 5.0, "idempotency_key": "k"}),  # the key again in the same session
        (labels, {**label, "value": 5.0, "item": -1}),
        (leases, {"session_id": "s1", "item": 1, "labeller": "bob", "leased_at": STAMP, "expires_at": STAMP}),
        (label_events, {"session_id": "s1", "item": 2, "labeller": "ann", "kind": "like", "created_at": STAMP}),
    ]
    for table, row in bad:
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(table.insert(), [row])


def test_the_labelling_tables_go_and_come_back_with_their_revision(engine: sa.Engine) -> None:
    at_0002(engine)
    upgrade(engine)
    store = LabelStore(engine)
    store.create_session("r1", get_dataset("digits"), ["label"])
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0002")
    assert current_revision(engine) == "0002" and tables(engine) == ["alembic_version", "jobs", "workers"]
    assert rows(engine, jobs) == JOB_ROWS and rows(engine, workers) == WORKER_ROWS
    upgrade(engine)
    assert set(LABEL_TABLES) <= set(tables(engine)) and rows(engine, label_sessions) == []
