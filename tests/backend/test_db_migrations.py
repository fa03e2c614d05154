"""Migrations on a real database (a SQLite file, and PostgreSQL: ``database_url`` in conftest.py): a fresh database
gets the head revision with exactly the tables of ``backend/db/tables.py``; a database made before migrations keeps
every row and gets ``jobs.run_id`` filled from the payloads; a second upgrade changes nothing; two processes
starting at once on one database both succeed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from backend.db import current_revision, head_revision, metadata, upgrade
from backend.db.migrate import alembic_config
from backend.jobs import STATES, JobStore

# The tables exactly as backend/jobs/schema/table.py made them with metadata.create_all before migrations (frozen
# here: a database made by that code is what the upgrade must take up).
LEGACY_STATES = ("queued", "running", "succeeded", "failed", "cancelled")
legacy = sa.MetaData()
legacy_jobs = sa.Table(
    "jobs",
    legacy,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("progress", sa.Float, nullable=False, default=0.0),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("result", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, default=False),
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("updated", sa.String(40), nullable=False),
    sa.Column("worker_id", sa.String(255)),
    sa.CheckConstraint(f"state IN ({', '.join(repr(s) for s in LEGACY_STATES)})", name="ck_jobs_state"),
    sa.CheckConstraint("progress >= 0 AND progress <= 1", name="ck_jobs_progress"),
    sa.Index("ix_jobs_state_created", "state", "created"),
    sa.Index("ix_jobs_created", "created"),
)
legacy_workers = sa.Table(
    "workers",
    legacy,
    sa.Column("id", sa.String(255), primary_key=True),
    sa.Column("started", sa.String(40), nullable=False),
    sa.Column("seen", sa.String(40), nullable=False),
    sa.Index("ix_workers_seen", "seen"),
)


def legacy_job(job_id: str, kind: str, state: str, payload: dict[str, Any], **values: Any) -> dict[str, Any]:
    stamp = f"2026-11-0{len(job_id)}T10:00:00.000000+00:00"
    return {"id": job_id, "kind": kind, "state": state, "progress": 0.0, "message": state,
            "payload": json.dumps(payload), "result": None, "error": None, "attempts": 0, "cancel_requested": False,
            "created": stamp, "updated": stamp, "worker_id": None, **values}


LEGACY_JOBS = [  # id -> the run_id the migration must find in its payload
    legacy_job("a", "train", "failed", {"run_id": "old-run"}, error="ConfigError: boom", attempts=1, worker_id="h:1"),
    legacy_job("bb", "evaluate", "running", {"run_id": "old-run", "extra": [1, 2]}, progress=0.5, attempts=1,
               worker_id="h:2"),
    legacy_job("ccc", "train", "queued", {"run_id": "other", "nonce": "n0"}, cancel_requested=True),
    legacy_job("dddd", "train", "succeeded", {"run_id": "done"}, progress=1.0, result='{"version": "v1"}'),
    legacy_job("eeeee", "custom", "cancelled", {"note": "no run"}),  # a payload that names no run
    legacy_job("ffffff", "custom", "queued", {"run_id": 7}),  # nor does a number
]
BACKFILLED = {"a": "old-run", "bb": "old-run", "ccc": "other", "dddd": "done", "eeeee": None, "ffffff": None}
LEGACY_WORKERS = [{"id": "h:2", "started": "2026-11-01T09:00:00+00:00", "seen": "2026-11-02T10:00:00+00:00"}]


def make_legacy(engine: sa.Engine, tables: tuple[str, ...] = ("jobs", "workers")) -> None:
    """A database as the code before migrations left it: its tables (create_all), rows, no alembic_version."""
    with engine.begin() as conn:
        legacy.create_all(conn, tables=[legacy.tables[name] for name in tables])
        conn.execute(legacy_jobs.insert(), LEGACY_JOBS)
        if "workers" in tables:
            conn.execute(legacy_workers.insert(), LEGACY_WORKERS)


def snapshot(engine: sa.Engine) -> dict[str, Any]:
    """Every row of every table (sorted by id), and each table's columns and indexes."""
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        names = sorted(inspector.get_table_names())
        return {name: {"rows": conn.execute(sa.text(f"SELECT * FROM {name} ORDER BY 1")).all(),
                       "columns": [c["name"] for c in inspector.get_columns(name)],
                       "indexes": sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(name))}
                for name in names}


def schema_drift(engine: sa.Engine) -> list[Any]:
    """What Alembic's autogenerate finds between the database and ``backend.db.metadata`` (nothing: in step)."""
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def test_a_fresh_database_gets_head_with_the_tables_the_code_uses(engine: sa.Engine) -> None:
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision() == "0007"
    assert schema_drift(engine) == []
    assert sorted(sa.inspect(engine).get_table_names()) == ["alembic_version", "item_sets", "jobs", "label_events",
                                                            "label_sessions", "labels", "leases", "tokens",
                                                            "workers"]


def test_the_migrated_jobs_table_keeps_its_checks(engine: sa.Engine) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(legacy_jobs.insert(), [legacy_job(f"s{i}", "train", state, {}) for i, state in enumerate(STATES)])
    for bad in ({"state": "done"}, {"progress": 1.5}):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(legacy_jobs.insert(), [{**legacy_job("bad", "train", "queued", {}), **bad}])


@pytest.mark.parametrize("tables", [("jobs", "workers"), ("jobs",)], ids=["today", "before-workers"])
def test_a_database_made_before_migrations_keeps_every_row(engine: sa.Engine, database_url: str,
                                                          tables: tuple[str, ...]) -> None:
    make_legacy(engine, tables)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert schema_drift(engine) == []
    with engine.connect() as conn:
        kept = [dict(row) for row in conn.execute(sa.select(legacy_jobs).order_by(legacy_jobs.c.id)).mappings()]
        run_ids = dict(conn.execute(sa.text("SELECT id, run_id FROM jobs")).all())
        workers = [dict(row) for row in conn.execute(sa.select(legacy_workers)).mappings()]
    assert kept == LEGACY_JOBS and run_ids == BACKFILLED
    assert workers == (LEGACY_WORKERS if "workers" in tables else [])
    store = JobStore(database_url)  # the store finds the old jobs by their run
    try:
        assert store.newest_by_run("train")["old-run"].error == "ConfigError: boom"
        assert [j.job_id for j in store.list(run_id="old-run")] == ["bb", "a"]
        assert store.submit_once("train", {"run_id": "other"}).job_id != "ccc"  # being cancelled: a new one
        assert store.submit_once("evaluate", {"run_id": "old-run"}).job_id == "bb"  # running: answered
    finally:
        store.close()


def test_upgrading_twice_is_a_no_op(engine: sa.Engine) -> None:
    make_legacy(engine)
    upgrade(engine)
    once = snapshot(engine)
    upgrade(engine)
    assert snapshot(engine) == once and once["alembic_version"]["rows"] == [(head_revision(),)]


def test_run_id_goes_and_comes_back_with_its_revision(engine: sa.Engine) -> None:
    make_legacy(engine)
    upgrade(engine)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    assert current_revision(engine) == "0001" and "run_id" not in snapshot(engine)["jobs"]["columns"]
    upgrade(engine)
    with engine.connect() as conn:
        assert dict(conn.execute(sa.text("SELECT id, run_id FROM jobs")).all()) == BACKFILLED


START = """
import sys, time
from pathlib import Path
from backend.db import make_engine, upgrade
url, barrier = sys.argv[1], Path(sys.argv[2])
(barrier / sys.argv[3]).touch()
deadline = time.monotonic() + 60
while len(list(barrier.iterdir())) < 2:  # both processes are up: start together
    assert time.monotonic() < deadline, "the other process never came up"
    time.sleep(0.001)
upgrade(make_engine(url))
"""


def test_two_processes_starting_at_once_on_one_database_both_succeed(engine: sa.Engine, database_url: str,
                                                                     tmp_path: Path) -> None:
    make_legacy(engine)  # the most to do: both find a database made before migrations
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    starts = [subprocess.Popen([sys.executable, "-c", START, database_url, str(barrier), name],
                               stderr=subprocess.PIPE, text=True) for name in ("first", "second")]
    for process in starts:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert dict(conn.execute(sa.text("SELECT id, run_id FROM jobs")).all()) == BACKFILLED
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
