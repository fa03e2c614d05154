"""Revision 0004 (the ``tokens`` table) on a real database (a SQLite file, and PostgreSQL: ``database_url`` in
conftest.py): a database at 0003 is upgraded with every row kept; the table holds its checks (a known role, a
64-character hash, each hash once, one unrevoked token a name); downgrading to 0003 drops it and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import IntegrityError
from test_db_migrations_labels import HEAD_JOB_ROWS, JOB_ROWS, STAMP, rows, tables

from backend.auth import TokenStore
from backend.db import current_revision, head_revision, jobs, label_sessions, tokens, upgrade
from backend.db.migrate import alembic_config

SESSION = {"id": "s1", "run_id": "r1", "lens_id": None, "dataset": "digits", "n_items": 10, "attributes": "[]",
           "strategy": "bald", "batch_size": 1, "refit_every": 50, "created": STAMP, "state": "open"}
TOKEN = {"id": "t" * 32, "name": "alice", "role": "labeller", "hash": "0" * 64, "created": STAMP, "revoked_at": None}


def at_0003(engine: sa.Engine) -> None:
    """A database as revision 0003 left it, with jobs and a labelling session in it."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0003")
        conn.execute(jobs.insert(), JOB_ROWS)
        conn.execute(label_sessions.insert(), [SESSION])


def test_a_database_at_0003_is_upgraded_with_every_row_kept(engine: sa.Engine) -> None:
    at_0003(engine)
    assert current_revision(engine) == "0003" and "tokens" not in tables(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision() == "0007"
    no_set = {"item_set": None, "item_set_name": None, "pool": None}  # revision 0007's columns
    assert rows(engine, jobs) == HEAD_JOB_ROWS and rows(engine, label_sessions) == [{**SESSION, **no_set}]
    assert rows(engine, tokens) == []
    store = TokenStore(engine)
    token, secret = store.create("alice", "labeller")
    assert store.find(secret) == token


def test_the_tokens_table_keeps_its_checks(engine: sa.Engine) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(tokens.insert(), [TOKEN, {**TOKEN, "id": "u" * 32, "hash": "1" * 64, "revoked_at": STAMP}])
    bad: list[dict[str, Any]] = [
        {**TOKEN, "id": "v" * 32, "hash": "2" * 64},  # a second unrevoked alice
        {**TOKEN, "id": "v" * 32, "name": "bob"},  # alice's hash again
        {**TOKEN, "id": "v" * 32, "name": "bob", "hash": "2" * 64, "role": "root"},
        {**TOKEN, "id": "v" * 32, "name": "bob", "hash": "short"},
    ]
    for row in bad:
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(tokens.insert(), [row])
    with engine.begin() as conn:  # a revoked alice does not hold the name: bob and a revoked alice are fine
        conn.execute(tokens.insert(), [{**TOKEN, "id": "w" * 32, "name": "bob", "hash": "3" * 64},
                                       {**TOKEN, "id": "x" * 32, "hash": "4" * 64, "revoked_at": STAMP}])
    assert len(rows(engine, tokens)) == 4


def test_the_tokens_table_goes_and_comes_back_with_its_revision(engine: sa.Engine) -> None:
    at_0003(engine)
    upgrade(engine)
    TokenStore(engine).create("alice", "admin")
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0003")
    assert current_revision(engine) == "0003" and "tokens" not in tables(engine)
    assert rows(engine, jobs) == JOB_ROWS and rows(engine, label_sessions) == [SESSION]
    upgrade(engine)
    assert rows(engine, tokens) == []
