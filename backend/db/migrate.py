"""Bring a database to the head revision: at every start (the API's lifespan, the worker, the CLI: wherever a
``JobStore`` opens), one process at a time.

One transaction holds the migration lock while Alembic reads the current revision and applies the missing
ones: PostgreSQL takes an advisory transaction lock first; SQLite's transactions here begin IMMEDIATE (see
``engine``), so a second process waits for the write lock, then finds the database at head.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS = "backend.db:migrations"  # a package resource: found in a checkout and in the installed package
MIGRATION_LOCK = 0x6661_6374  # pg_advisory_xact_lock key: one process migrates at a time


def upgrade(engine: Engine) -> None:
    """Apply every revision the database lacks (none: a no-op). A database made before migrations (its tables,
    no ``alembic_version``) is taken up by the baseline revision with every row kept."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        command.upgrade(alembic_config(conn), "head")


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's config without an ini file: the migrations of this package, run on ``connection``."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    return config


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None before any)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision in ``migrations/versions``."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
