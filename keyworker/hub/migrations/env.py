"""The hub's Alembic environment (apart from the laptop's migrations/). `keyworker.hub.schema.init`
runs it on an open SQLAlchemy connection signed in as the owner role, passed in
`config.attributes["connection"]`; there is no URL in a config file."""
from __future__ import annotations

from alembic import context


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("The hub's migrations run from `main.py hub init --pg URL`")
    # Raw SQL revisions, no ORM metadata: the hub's schema is PostgreSQL's own (bytea, uuid, grants).
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


try:
    context.config  # noqa: B018 - set only while Alembic runs this file
except (NameError, AttributeError):
    pass  # imported as a module (the architecture test imports every core module): nothing to run
else:
    run_migrations()
