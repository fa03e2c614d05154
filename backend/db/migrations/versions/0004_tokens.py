"""The ``tokens`` table: API tokens by name and role, each stored as the sha256 of the token (never the token), with
the time it was revoked. At most one unrevoked token a name. Existing tables and rows are untouched.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ROLES = ("viewer", "labeller", "admin")  # frozen: a new role is a new revision
ACTIVE = sa.text("revoked_at IS NULL")

auth = sa.MetaData()
sa.Table(
    "tokens",
    auth,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("revoked_at", sa.String(40)),
    sa.CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="ck_tokens_role"),
    sa.CheckConstraint("length(hash) = 64", name="ck_tokens_hash"),
    sa.Index("ux_tokens_hash", "hash", unique=True),
    sa.Index("ux_tokens_name_active", "name", unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE),
)


def upgrade() -> None:
    auth.create_all(op.get_bind())


def downgrade() -> None:
    auth.drop_all(op.get_bind())
