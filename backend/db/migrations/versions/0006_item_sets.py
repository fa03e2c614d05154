"""The ``item_sets`` table: named sets of a run's dataset items (an embedding's lasso selection), each with its items
as a JSON list, their count, who made it (the token's name, or NULL with auth off) and when. Existing tables and rows
are untouched.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

sets = sa.MetaData()
sa.Table(
    "item_sets",
    sets,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("run_id", sa.String(255), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("items", sa.Text, nullable=False),
    sa.Column("n_items", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(64)),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.CheckConstraint("n_items >= 1", name="ck_item_sets_n_items"),
    sa.Index("ix_item_sets_run_id_created_at", "run_id", "created_at"),
)


def upgrade() -> None:
    sets.create_all(op.get_bind())


def downgrade() -> None:
    sets.drop_all(op.get_bind())
