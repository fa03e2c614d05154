"""Engines for the database: SQLite (WAL, busy timeout, BEGIN IMMEDIATE) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

BUSY_TIMEOUT_S = 30.0


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction (on SQLite: a WAL snapshot that takes no write lock)."""
    with engine.connect() as conn:
        conn.execution_options(jobs_read_only=True)
        with conn.begin():
            yield conn


def make_engine(database_url: str) -> Engine:
    """An engine for ``database_url``: ``sqlite:///path.db`` or ``postgresql+psycopg://user:pw@host/db``."""
    url = _parse(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if url.get_backend_name() == "postgresql":
        return create_engine(url.set(drivername="postgresql+psycopg"), pool_pre_ping=True)
    raise ValueError(f"unsupported database_url {_safe(url)!r}: expected sqlite:///path.db or "
                     "postgresql+psycopg://user:password@host:port/database")


def _parse(database_url: str) -> URL:
    try:
        return make_url(database_url.replace("postgres://", "postgresql://", 1))
    except Exception as err:  # sqlalchemy raises ArgumentError for anything unparsable
        raise ValueError(f"database_url {database_url!r} is not a URL: expected sqlite:///path.db or "
                         "postgresql+psycopg://user:password@host:port/database") from err


def _safe(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _sqlite_engine(url: URL) -> Engine:
    """File SQLite only (the worker is another process). Transactions are BEGIN IMMEDIATE (the write
    lock up front, so a read-then-write never fails with SQLITE_BUSY on a stale WAL snapshot) except on
    connections marked ``execution_options(jobs_read_only=True)``, which read a snapshot without locking."""
    if not url.database or url.database == ":memory:":
        raise ValueError(f"database_url {_safe(url)!r}: SQLite needs a file, e.g. sqlite:///var/factorscope.db")
    Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # the driver's own implicit BEGIN is replaced by ours
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA synchronous=FULL")  # WAL + FULL: a commit (an acknowledged label) survives power loss too
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    read_only = conn.get_execution_options().get("jobs_read_only", False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

