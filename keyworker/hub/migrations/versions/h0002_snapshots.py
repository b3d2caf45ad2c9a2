"""Unit snapshots: a new laptop's first sync (docs/SYNC.md, "Snapshots").

An enrolled laptop that is up to date uploads the unit's rows as of a unit_seq, sealed under the
unit's sync key in chunks; a laptop joining loads the newest complete one and pulls only the ops
after it. The hub stores the sealed bytes and cannot read them. A snapshot is a cache of what the
ops already say, so the service role may delete old ones (never an op).

Revision ID: h0002
Revises: h0001
"""
from __future__ import annotations

from alembic import op

revision = "h0002"
down_revision = "h0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE snapshots (
        snapshot_id   uuid PRIMARY KEY,
        unit_id       text NOT NULL REFERENCES units,
        device_id     uuid NOT NULL REFERENCES devices,
        unit_seq      bigint NOT NULL CHECK (unit_seq >= 0),
        chunks        integer CHECK (chunks > 0 AND chunks <= 100000),  -- set when complete
        bytes         bigint NOT NULL DEFAULT 0 CHECK (bytes >= 0),
        created_at    timestamptz NOT NULL,
        completed_at  timestamptz
    );
    CREATE INDEX snapshots_unit ON snapshots (unit_id, completed_at);

    CREATE TABLE snapshot_chunks (
        snapshot_id  uuid NOT NULL REFERENCES snapshots ON DELETE CASCADE,
        n            integer NOT NULL CHECK (n >= 0),
        data         bytea NOT NULL,
        PRIMARY KEY (snapshot_id, n)
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE snapshot_chunks; DROP TABLE snapshots;")
