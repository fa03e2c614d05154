"""The label store's two kinds of transaction: a read snapshot, and a write serialised per session.

A write that reads before it decides (which item to lease, whether a key was used, which label to undo) must not
interleave with another of the same session: SQLite's writes begin IMMEDIATE (``backend.db.engine``: the write
lock up front, so they run one at a time), PostgreSQL's take a transaction-scoped advisory lock on the session.
On SQLite the writes of one process also queue on a thread lock first: waiting there is fair and wakes at once,
where SQLite's busy handler polls with growing sleeps (one request could wait seconds behind a stream of others).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Connection, Engine, text

from ..db import read_only


class Transactions:
    """Transactions on ``engine`` (one per store; safe to share between threads)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        sqlite = engine.dialect.name == "sqlite"
        self._queue: AbstractContextManager[object] = threading.Lock() if sqlite else nullcontext()

    def read(self) -> AbstractContextManager[Connection]:
        """A read-only transaction (on SQLite: a WAL snapshot that takes no write lock)."""
        return read_only(self.engine)

    @contextmanager
    def write(self, session_id: str) -> Iterator[Connection]:
        """A write transaction, committed when the block ends (before the caller returns), one per session at a
        time."""
        with self._queue, self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(session_id)})
            yield conn


def lock_key(session_id: str) -> int:
    """A signed 64-bit pg_advisory_xact_lock key for a labelling session."""
    digest = hashlib.blake2b(f"label-session\0{session_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
