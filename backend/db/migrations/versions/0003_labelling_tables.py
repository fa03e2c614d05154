"""The labelling tables: ``label_sessions``, ``labels`` (append-only; an undo is a row that retracts), ``label_events``
(skips and flags) and ``leases`` (one per session and item). Existing tables and rows are untouched.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SESSION_STATES = ("open", "closed")  # frozen: a new state or kind is a new revision
EVENT_KINDS = ("skip", "flag")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


labelling = sa.MetaData()
sa.Table(
    "label_sessions",
    labelling,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("run_id", sa.String(255), nullable=False),
    sa.Column("lens_id", sa.String(255)),
    sa.Column("dataset", sa.String(255), nullable=False),
    sa.Column("n_items", sa.Integer, nullable=False),
    sa.Column("attributes", sa.Text, nullable=False),
    sa.Column("strategy", sa.String(32), nullable=False),
    sa.Column("batch_size", sa.Integer, nullable=False),
    sa.Column("refit_every", sa.Integer, nullable=False, server_default=sa.text("50")),
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.CheckConstraint(_one_of("state", SESSION_STATES), name="ck_label_sessions_state"),
    sa.CheckConstraint("n_items >= 1 AND batch_size >= 1 AND refit_every >= 1", name="ck_label_sessions_sizes"),
    sa.Index("ix_label_sessions_run_id_created", "run_id", "created"),
    sa.Index("ix_label_sessions_created", "created"),
)
sa.Table(
    "labels",
    labelling,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.String(32), sa.ForeignKey("label_sessions.id"), nullable=False),
    sa.Column("item", sa.Integer, nullable=False),
    sa.Column("attribute", sa.String(255), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("labeller", sa.String(255), nullable=False),
    sa.Column("time_taken_ms", sa.Integer),
    sa.Column("lens_version", sa.String(255)),
    sa.Column("score", sa.Float),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("retracts", sa.Integer, sa.ForeignKey("labels.id")),
    sa.Column("idempotency_key", sa.String(255)),
    sa.CheckConstraint("(value IS NULL) <> (retracts IS NULL)", name="ck_labels_value_or_retracts"),
    sa.CheckConstraint("item >= 0 AND (time_taken_ms IS NULL OR time_taken_ms >= 0)", name="ck_labels_ranges"),
    sa.Index("ix_labels_session_id_id", "session_id", "id"),
    sa.Index("ix_labels_session_id_item", "session_id", "item"),
    sa.Index("ix_labels_session_id_labeller_id", "session_id", "labeller", "id"),
    sa.Index("ux_labels_retracts", "retracts", unique=True),
    sa.Index("ux_labels_session_id_idempotency_key", "session_id", "idempotency_key", unique=True),
)
sa.Table(
    "label_events",
    labelling,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.String(32), sa.ForeignKey("label_sessions.id"), nullable=False),
    sa.Column("item", sa.Integer, nullable=False),
    sa.Column("labeller", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.CheckConstraint(_one_of("kind", EVENT_KINDS), name="ck_label_events_kind"),
    sa.Index("ix_label_events_session_id_labeller_item", "session_id", "labeller", "item"),
    sa.Index("ix_label_events_session_id_kind", "session_id", "kind"),
)
sa.Table(
    "leases",
    labelling,
    sa.Column("session_id", sa.String(32), sa.ForeignKey("label_sessions.id"), primary_key=True),
    sa.Column("item", sa.Integer, primary_key=True),
    sa.Column("labeller", sa.String(255), nullable=False),
    sa.Column("leased_at", sa.String(40), nullable=False),
    sa.Column("expires_at", sa.String(40), nullable=False),
    sa.Column("lens_version", sa.String(255)),
    sa.Column("score", sa.Float),
    sa.Index("ix_leases_session_id_labeller_expires_at", "session_id", "labeller", "expires_at"),
)


def upgrade() -> None:
    labelling.create_all(op.get_bind())


def downgrade() -> None:
    labelling.drop_all(op.get_bind())
