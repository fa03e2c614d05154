"""Revision 0005 (``jobs.priority`` and ``jobs.started``) on a real database (a SQLite file, and PostgreSQL:
``database_url`` in conftest.py): a database at 0004 is upgraded with every job kept, each at priority 0 and never
started; the claim order's index is there; downgrading to 0004 drops both columns and keeps the rows."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from test_db_migrations_labels import HEAD_JOB_ROWS, JOB_ROWS, rows

from backend.db import current_revision, jobs
from backend.db.migrate import alembic_config


def migrate(engine: sa.Engine, how: str, revision: str) -> None:
    with engine.begin() as conn:
        getattr(command, how)(alembic_config(conn), revision)


def test_0005_gives_every_job_a_priority_and_goes_back(engine: sa.Engine) -> None:
    migrate(engine, "upgrade", "0004")
    with engine.begin() as conn:
        conn.execute(sa.insert(jobs), JOB_ROWS)
    migrate(engine, "upgrade", "0005")
    assert current_revision(engine) == "0005"
    assert rows(engine, jobs) == HEAD_JOB_ROWS  # priority 0, started NULL
    indexes = {i["name"]: i["column_names"] for i in sa.inspect(engine).get_indexes("jobs")}
    assert indexes["ix_jobs_state_priority_created"] == ["state", "priority", "created"]
    migrate(engine, "downgrade", "0004")
    assert current_revision(engine) == "0004" and rows(engine, jobs) == JOB_ROWS
    assert "ix_jobs_state_priority_created" not in {i["name"] for i in sa.inspect(engine).get_indexes("jobs")}
