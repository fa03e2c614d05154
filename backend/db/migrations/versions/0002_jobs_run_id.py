"""``jobs.run_id``: the run a job works on, as an indexed column (it was only inside the JSON payload), so
looking up a run's jobs is one indexed query whatever the number of other jobs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

jobs = sa.table("jobs", sa.column("id", sa.String), sa.column("payload", sa.Text), sa.column("run_id", sa.String))


def upgrade() -> None:
    op.add_column("jobs", sa.Column("run_id", sa.String(255)))
    bind = op.get_bind()
    rows = [{"job": job_id, "run": run} for job_id, payload in bind.execute(sa.select(jobs.c.id, jobs.c.payload))
            if (run := _run_id(payload)) is not None]
    if rows:
        bind.execute(sa.update(jobs).where(jobs.c.id == sa.bindparam("job")).values(run_id=sa.bindparam("run")), rows)
    op.create_index("ix_jobs_run_id_kind_created", "jobs", ["run_id", "kind", "created"])


def downgrade() -> None:
    op.drop_index("ix_jobs_run_id_kind_created", "jobs")
    op.drop_column("jobs", "run_id")


def _run_id(payload: str) -> str | None:
    """``payload["run_id"]`` when the payload is a JSON object naming its run by a string, else None."""
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    run = value.get("run_id") if isinstance(value, dict) else None
    return run if isinstance(run, str) else None
