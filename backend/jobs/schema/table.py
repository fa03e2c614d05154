"""The ``jobs`` table, and ``workers`` (which workers are running). JSON is stored as text so SQLite and
PostgreSQL share one schema."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Float, Index, Integer, MetaData, String, Table, Text

from ..model import STATES

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
    CheckConstraint(f"state IN ({', '.join(repr(s) for s in STATES)})", name="ck_jobs_state"),
    CheckConstraint("progress >= 0 AND progress <= 1", name="ck_jobs_progress"),
    Index("ix_jobs_state_created", "state", "created"),
    Index("ix_jobs_created", "created"),
)

workers = Table(
    "workers",
    metadata,
    Column("id", String(255), primary_key=True),  # "host:pid"
    Column("started", String(40), nullable=False),  # UTC ISO, fixed width
    Column("seen", String(40), nullable=False),  # its last sign of life
    Index("ix_workers_seen", "seen"),
)
