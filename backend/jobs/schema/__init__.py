"""The jobs database schema (SQLAlchemy Core)."""

from .table import jobs, metadata, workers

__all__ = ["jobs", "metadata", "workers"]
