"""The jobs database schema (SQLAlchemy Core)."""

from .table import jobs, metadata

__all__ = ["jobs", "metadata"]
