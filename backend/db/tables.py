"""Every table at the head revision (SQLAlchemy Core), as the queries use them: ``jobs`` and ``workers``; the
labelling tables ``label_sessions``, ``labels`` (append-only), ``label_events`` (skips and flags) and ``leases``; the
API's ``tokens`` (hashes only); ``item_sets`` (named sets of a run's items).

JSON is stored as text so SQLite and PostgreSQL share one schema. The tables are made by the migrations in
``migrations/versions`` (never by ``metadata.create_all``); a test checks that the migrated database has
exactly these columns and indexes. The CHECK constraints (a job's state is one of ``backend.jobs.STATES``,
its progress is in 0..1; a label row has a value or retracts another) live in the migrations only, with the rest
of each table's history.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text, text

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
    Column("priority", Integer, nullable=False, server_default=text("0")),  # claimed higher first (revision 0005)
    Column("started", String(40)),  # UTC ISO: when a worker last claimed it (revision 0005)
    Index("ix_jobs_state_created", "state", "created"),
    Index("ix_jobs_created", "created"),
    Index("ix_jobs_run_id_kind_created", "run_id", "kind", "created"),
    Index("ix_jobs_state_priority_created", "state", "priority", "created"),
)

workers = Table(
    "workers",
    metadata,
    Column("id", String(255), primary_key=True),  # "host:pid"
    Column("started", String(40), nullable=False),  # UTC ISO, fixed width
    Column("seen", String(40), nullable=False),  # its last sign of life
    Index("ix_workers_seen", "seen"),
)

label_sessions = Table(
    "label_sessions",
    metadata,
    Column("id", String(32), primary_key=True),  # uuid4 hex
    Column("run_id", String(255), nullable=False),
    Column("lens_id", String(255)),
    Column("dataset", String(255), nullable=False),  # the dataset whose items are labelled (the run's)
    Column("n_items", Integer, nullable=False),  # its pool: items 0..n_items-1
    Column("attributes", Text, nullable=False),  # JSON list of the attributes' schemas (Attribute.to_json)
    Column("strategy", String(32), nullable=False),
    Column("batch_size", Integer, nullable=False),
    Column("refit_every", Integer, nullable=False, server_default=text("50")),
    Column("created", String(40), nullable=False),  # UTC ISO, fixed width
    Column("state", String(16), nullable=False),  # open | closed
    Column("item_set", String(32)),  # the item set it was opened on (revision 0007); NULL: every item
    Column("item_set_name", String(200)),  # that set's name then
    Column("pool", Text),  # JSON sorted list of that set's items: the session's pool; NULL: items 0..n_items-1
    Index("ix_label_sessions_run_id_created", "run_id", "created"),
    Index("ix_label_sessions_created", "created"),
)

labels = Table(  # append-only: a correction is a later row, an undo a row that retracts one
    "labels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # increasing: the order labels were given
    Column("session_id", String(32), ForeignKey("label_sessions.id"), nullable=False),
    Column("item", Integer, nullable=False),
    Column("attribute", String(255), nullable=False),
    Column("value", Float),  # class index or number; NULL on a retraction row
    Column("labeller", String(255), nullable=False),
    Column("time_taken_ms", Integer),
    Column("lens_version", String(255)),  # the lens version and score that chose the item (from its lease)
    Column("score", Float),
    Column("created_at", String(40), nullable=False),  # UTC ISO, fixed width
    Column("retracts", Integer, ForeignKey("labels.id")),  # the label this row retracts (an undo), else NULL
    Column("idempotency_key", String(255)),
    Index("ix_labels_session_id_id", "session_id", "id"),
    Index("ix_labels_session_id_item", "session_id", "item"),
    Index("ix_labels_session_id_labeller_id", "session_id", "labeller", "id"),
    Index("ux_labels_retracts", "retracts", unique=True),  # a label is retracted at most once
    Index("ux_labels_session_id_idempotency_key", "session_id", "idempotency_key", unique=True),
)

label_events = Table(  # skips and flags: each takes the item out of its labeller's queue; flags are for review
    "label_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(32), ForeignKey("label_sessions.id"), nullable=False),
    Column("item", Integer, nullable=False),
    Column("labeller", String(255), nullable=False),
    Column("kind", String(16), nullable=False),  # skip | flag
    Column("note", Text),
    Column("created_at", String(40), nullable=False),
    Index("ix_label_events_session_id_labeller_item", "session_id", "labeller", "item"),
    Index("ix_label_events_session_id_kind", "session_id", "kind"),
)

leases = Table(  # who is labelling which item until when; one row per (session, item), taken over once expired
    "leases",
    metadata,
    Column("session_id", String(32), ForeignKey("label_sessions.id"), primary_key=True),
    Column("item", Integer, primary_key=True),
    Column("labeller", String(255), nullable=False),
    Column("leased_at", String(40), nullable=False),  # UTC ISO, fixed width
    Column("expires_at", String(40), nullable=False),
    Column("lens_version", String(255)),
    Column("score", Float),
    Index("ix_leases_session_id_labeller_expires_at", "session_id", "labeller", "expires_at"),
)

ACTIVE = text("revoked_at IS NULL")
tokens = Table(  # API tokens (backend/auth): only each token's sha256 is kept, never the token (revision 0004)
    "tokens",
    metadata,
    Column("id", String(32), primary_key=True),  # uuid4 hex
    Column("name", String(64), nullable=False),  # who holds it; labels record it
    Column("role", String(16), nullable=False),  # viewer | labeller | admin
    Column("hash", String(64), nullable=False),  # sha256 hex of the token
    Column("created", String(40), nullable=False),  # UTC ISO, fixed width
    Column("revoked_at", String(40)),  # NULL while the token works
    Index("ux_tokens_hash", "hash", unique=True),
    Index("ux_tokens_name_active", "name", unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE),
)

item_sets = Table(  # named sets of a run's items (an embedding's lasso selection; revision 0006)
    "item_sets",
    metadata,
    Column("id", String(32), primary_key=True),  # uuid4 hex
    Column("run_id", String(255), nullable=False),
    Column("name", String(200), nullable=False),
    Column("items", Text, nullable=False),  # JSON list of dataset indices, as given
    Column("n_items", Integer, nullable=False),  # its length (lists show it without reading the items)
    Column("created_by", String(64)),  # the token's name; NULL with auth off
    Column("created_at", String(40), nullable=False),  # UTC ISO, fixed width
    Index("ix_item_sets_run_id_created_at", "run_id", "created_at"),
)
