"""Every table at the head revision (SQLAlchemy Core), as the queries use them: ``jobs`` and ``workers``.

JSON is stored as text so SQLite and PostgreSQL share one schema. The tables are made by the migrations in
``migrations/versions`` (never by ``metadata.create_all``); a test checks that the migrated database has
exactly these columns and indexes. The CHECK constraints (a job's state is one of ``backend.jobs.STATES``,
its progress is in 0..1) live in the migrations only, with the rest of each table's history.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),  # uuid4 hex
    Column("kind", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("progress", Float, nullable=False, default=0.0),
    Column("message", Text, nullable=False, default=""),
    Column("payload", Text, nullable=False),  # JSON object
    Column("result", Text),  # JSON object, once succeeded
    Column("error", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("created", String(40), nullable=False),  # UTC ISO, fixed width
    Column("updated", String(40), nullable=False),
    Column("worker_id", String(255)),
    Column("run_id", String(255)),  # payload["run_id"]: the run the job works on (revision 0002)
    Index("ix_jobs_state_created", "state", "created"),
    Index("ix_jobs_created", "created"),
    Index("ix_jobs_run_id_kind_created", "run_id", "kind", "created"),
)

workers = Table(
    "workers",
    metadata,
    Column("id", String(255), primary_key=True),  # "host:pid"
    Column("started", String(40), nullable=False),  # UTC ISO, fixed width
    Column("seen", String(40), nullable=False),  # its last sign of life
    Index("ix_workers_seen", "seen"),
)
