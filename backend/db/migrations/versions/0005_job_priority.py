"""``jobs.priority``: an integer each job is claimed by, higher first, then oldest first (``JobStore.claim_next``);
existing jobs get 0, the default, and an index on (state, priority, created) serves the claim's order.
``jobs.started``: when a worker last claimed the job (NULL before), so a running job's rate (progress / time since
then) estimates when the jobs queued behind it start.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("priority", sa.Integer, nullable=False, server_default=sa.text("0")))
    op.add_column("jobs", sa.Column("started", sa.String(40)))
    op.create_index("ix_jobs_state_priority_created", "jobs", ["state", "priority", "created"])


def downgrade() -> None:
    op.drop_index("ix_jobs_state_priority_created", "jobs")
    op.drop_column("jobs", "started")
    op.drop_column("jobs", "priority")
