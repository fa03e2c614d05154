"""Revision 0007 (``label_sessions.item_set``, ``item_set_name`` and ``pool``) on a real database (a SQLite file, and
PostgreSQL: ``database_url`` in conftest.py): a session made at 0006 is kept, with no set (its pool: every item) and
read back as such by the store; downgrading to 0006 drops the three columns and keeps the rows."""

from __future__ import annotations

import sqlalchemy as sa
from test_db_migrations_labels import STAMP, rows
from test_db_migrations_priority import migrate

from backend.db import current_revision, label_sessions
from backend.labelling import LabelStore

SESSION = {"id": "s1", "run_id": "r1", "lens_id": None, "dataset": "digits", "n_items": 1797, "strategy": "bald",
           "attributes": '[{"name": "label", "kind": "categorical", "description": "", "classes": ["0", "1"], '
                         '"lo": null, "hi": null, "unit": null}]',
           "batch_size": 1, "refit_every": 50, "created": STAMP, "state": "open"}
NEW_COLUMNS = {"item_set": None, "item_set_name": None, "pool": None}


def test_0007_keeps_every_session_with_every_item_as_its_pool_and_goes_back(engine: sa.Engine) -> None:
    migrate(engine, "upgrade", "0006")
    with engine.begin() as conn:
        conn.execute(sa.insert(sa.Table("label_sessions", sa.MetaData(), autoload_with=conn)), [SESSION])
    migrate(engine, "upgrade", "0007")
    assert current_revision(engine) == "0007" and rows(engine, label_sessions) == [{**SESSION, **NEW_COLUMNS}]
    assert LabelStore(engine).get_session("s1").item_set is None
    migrate(engine, "downgrade", "0006")
    assert current_revision(engine) == "0006" and rows(engine, label_sessions) == [SESSION]
