"""The hub's schema and its two PostgreSQL roles.

- `keyworker_hub_owner` owns every table and runs `hub init` (and `hub add-unit`).
- `keyworker_hub` is what `hub serve` signs in as. It owns nothing and gets only the privileges
  below: it can add ops but never change or delete one, and it cannot create units.

`init` is idempotent: it upgrades the schema to the newest revision, then sets the service role's
privileges to exactly GRANTS (revoking anything else first), so a rerun repairs a hand-made grant."""
from __future__ import annotations

from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from psycopg import sql
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from keyworker.hub.db import HubDatabaseError, connect

OWNER_ROLE = "keyworker_hub_owner"
SERVICE_ROLE = "keyworker_hub"
MIGRATIONS = Path(__file__).with_name("migrations")

# table -> what the service role may do there. Nothing else, and never UPDATE or DELETE on ops:
# only snapshots (a cache of what the ops say) may be replaced.
GRANTS: dict[str, tuple[str, ...]] = {
    "units": ("SELECT",),
    "unit_counters": ("SELECT", "UPDATE"),
    "devices": ("SELECT", "INSERT", "UPDATE"),
    "ops": ("SELECT", "INSERT"),
    "chain_heads": ("SELECT", "INSERT", "UPDATE"),
    "enrol_codes": ("SELECT", "INSERT", "UPDATE"),
    "hub_audit": ("SELECT", "INSERT"),
    "snapshots": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "snapshot_chunks": ("SELECT", "INSERT", "DELETE"),
    "key_epochs": ("SELECT", "INSERT"),   # an epoch is published once and never changed
    "key_wraps": ("SELECT", "INSERT"),
    "unit_key_generations": ("SELECT", "INSERT"),  # a unit key generation too (h0004)
    "unit_key_wraps": ("SELECT", "INSERT"),
    "alembic_version": ("SELECT",),  # so `hub serve` can refuse a schema older than its code
}


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _sqlalchemy_engine(conninfo: str) -> Engine:
    # Alembic needs SQLAlchemy; psycopg makes the connection, so any libpq URL or key=value string works.
    return create_engine("postgresql+psycopg://", creator=lambda: connect(conninfo), poolclass=NullPool)


def init(conninfo: str) -> str:
    """Create or upgrade the schema, then set the service role's grants. Returns the revision."""
    with connect(conninfo, autocommit=True) as conn:
        me = conn.execute("SELECT current_user").fetchone()[0]  # type: ignore[index]
        if me == SERVICE_ROLE:
            raise HubDatabaseError(f"hub init signs in as the owner role ({OWNER_ROLE}), not as the service "
                                   f"role {SERVICE_ROLE}, which must own nothing")
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (SERVICE_ROLE,)).fetchone() is None:
            raise HubDatabaseError(f"the service role {SERVICE_ROLE} does not exist: a PostgreSQL administrator "
                                   f"creates it first (CREATE ROLE {SERVICE_ROLE} LOGIN PASSWORD '...')")
    engine = _sqlalchemy_engine(conninfo)
    try:
        with engine.begin() as connection:
            cfg = _alembic_config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
            revision = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    with connect(conninfo, autocommit=True) as conn, conn.transaction():
        _apply_grants(conn)
    return str(revision)


def _apply_grants(conn: psycopg.Connection) -> None:
    role = sql.Identifier(SERVICE_ROLE)
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
    for table, privileges in GRANTS.items():
        t = sql.Identifier(table)
        conn.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(t, role))
        conn.execute(sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(", ").join(map(sql.SQL, privileges)), t, role))


def current_revision(conn: psycopg.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return None if row is None else str(row[0])
