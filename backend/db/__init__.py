"""The SQL database: its engine (SQLite file or PostgreSQL), every table, and the Alembic migrations that make
them, applied at start by ``upgrade``."""

from .engine import make_engine, read_only
from .migrate import current_revision, head_revision, upgrade
from .tables import item_sets, jobs, label_events, label_sessions, labels, leases, metadata, tokens, workers

__all__ = ["current_revision", "head_revision", "item_sets", "jobs", "label_events", "label_sessions", "labels",
           "leases", "make_engine", "metadata", "read_only", "tokens", "upgrade", "workers"]
