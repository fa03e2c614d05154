"""``label_sessions.item_set``, ``item_set_name`` and ``pool``: a session opened on an item set (an embedding's
saved selection) keeps the set's id and name and its items (a JSON list, sorted), written in the session's own
INSERT, so the session's pool survives restarts and the set's deletion. Existing sessions get NULL in all three:
their pool is every item of their dataset, as before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("label_sessions", sa.Column("item_set", sa.String(32)))
    op.add_column("label_sessions", sa.Column("item_set_name", sa.String(200)))
    op.add_column("label_sessions", sa.Column("pool", sa.Text))


def downgrade() -> None:
    op.drop_column("label_sessions", "pool")
    op.drop_column("label_sessions", "item_set_name")
    op.drop_column("label_sessions", "item_set")
