"""The baseline: ``jobs`` and ``workers`` as ``metadata.create_all`` made them before migrations.

Each table is created only when missing, as ``create_all`` did, so a database made before migrations (both
tables, or only ``jobs`` from before ``workers`` existed) is taken up here with every row kept.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATES = ("queued", "running", "succeeded", "failed", "cancelled")  # frozen: a new state is a new revision
baseline = sa.MetaData()
sa.Table(
    "jobs",
    baseline,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("progress", sa.Float, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("result", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("cancel_requested", sa.Boolean, nullable=False),
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("updated", sa.String(40), nullable=False),
    sa.Column("worker_id", sa.String(255)),
    sa.CheckConstraint(f"state IN ({', '.join(repr(s) for s in STATES)})", name="ck_jobs_state"),
    sa.CheckConstraint("progress >= 0 AND progress <= 1", name="ck_jobs_progress"),
    sa.Index("ix_jobs_state_created", "state", "created"),
    sa.Index("ix_jobs_created", "created"),
)
sa.Table(
    "workers",
    baseline,
    sa.Column("id", sa.String(255), primary_key=True),
    sa.Column("started", sa.String(40), nullable=False),
    sa.Column("seen", sa.String(40), nullable=False),
    sa.Index("ix_workers_seen", "seen"),
)


def upgrade() -> None:
    baseline.create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    baseline.drop_all(op.get_bind())
