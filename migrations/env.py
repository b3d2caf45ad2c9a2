"""Alembic environment. Keyworker runs migrations itself on an already-keyed SQLCipher
connection (passed in `config.attributes["connection"]`); there is no URL to connect to."""
from __future__ import annotations

from alembic import context

from keyworker.db.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Keyworker migrations run from keyworker.db.migrate, on an open unit database")

context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
