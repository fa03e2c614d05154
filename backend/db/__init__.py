"""The SQL database: its engine (SQLite file or PostgreSQL), every table, and the Alembic migrations that make
them, applied at start by ``upgrade``."""

from .engine import make_engine
from .migrate import current_revision, head_revision, upgrade
from .tables import jobs, metadata, workers

__all__ = ["current_revision", "head_revision", "jobs", "make_engine", "metadata", "upgrade", "workers"]
