"""Alembic migrations of the database, applied at start by ``backend.db.upgrade`` (no alembic.ini: the config is
built in code). ``env.py`` runs the revisions in ``versions/`` on the connection it is handed.

A new revision (e.g. the labelling tables) is a new file in ``versions/`` whose ``down_revision`` is the current
head, and the matching change in ``backend/db/tables.py``; ``tests/backend/test_db_migrations.py`` checks that a
migrated database has exactly the tables of ``tables.py``. Alembic can draft it from that difference::

    from alembic import command
    from backend.db import make_engine, upgrade
    from backend.db.migrate import alembic_config

    engine = make_engine("sqlite:///var/draft.db"); upgrade(engine)
    with engine.begin() as conn:
        command.revision(alembic_config(conn), "labelling tables", autogenerate=True, rev_id="0003")
"""
