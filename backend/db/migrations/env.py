"""Alembic's environment: runs the revisions on the connection ``backend.db.migrate`` hands over, inside that
connection's transaction (which holds the migration lock)."""

from alembic import context

from backend.db.tables import metadata

context.configure(connection=context.config.attributes["connection"], target_metadata=metadata,
                  render_as_batch=True)  # drafts SQLite-safe ALTERs (batch: copy the table) for new revisions
with context.begin_transaction():
    context.run_migrations()
