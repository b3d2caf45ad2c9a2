"""The hub's Alembic environment (apart from the laptop's migrations/). `keyworker.hub.schema.init`
runs it on an open SQLAlchemy connection signed in as the owner role, passed in
`config.attributes["connection"]`; there is no URL in a config file."""
from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("The hub's migrations run from `main.py hub init --pg URL`")

# Raw SQL revisions, no ORM metadata: the hub's schema is PostgreSQL's own (bytea, uuid, grants).
context.configure(connection=connection, target_metadata=None, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
