"""Unit (database) key rotation: the unit's key generations after the first, and each generation's key
wrapped for each laptop (docs/SYNC.md, "Rotating keys as built").

The same shape as the sync key epochs of h0003, in tables of their own, so a sync key's wrap can
never be taken for a unit key's (and the wraps' associated data differ as well). Generation 1 is the
unit's first key, made by its first laptop: a unit with no row in `unit_key_generations` is at 1.
The service role may add both and change neither.

Revision ID: h0004
Revises: h0003
"""
from __future__ import annotations

from alembic import op

revision = "h0004"
down_revision = "h0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE unit_key_generations (
        unit_id            text NOT NULL REFERENCES units,
        generation         integer NOT NULL CHECK (generation >= 2),
        created_by_device  uuid NOT NULL REFERENCES devices,
        created_at         timestamptz NOT NULL,
        PRIMARY KEY (unit_id, generation)
    );

    -- wrapped: the sender's ephemeral X25519 public key (32) | nonce (12) | AES-256-GCM ciphertext and tag.
    CREATE TABLE unit_key_wraps (
        unit_id            text NOT NULL,
        generation         integer NOT NULL,
        device_id          uuid NOT NULL REFERENCES devices,
        wrapped            bytea NOT NULL CHECK (length(wrapped) BETWEEN 60 AND 1024),
        created_by_device  uuid NOT NULL REFERENCES devices,
        created_at         timestamptz NOT NULL,
        PRIMARY KEY (unit_id, generation, device_id),
        FOREIGN KEY (unit_id, generation) REFERENCES unit_key_generations
    );
    CREATE INDEX unit_key_wraps_device ON unit_key_wraps (device_id, generation);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE unit_key_wraps; DROP TABLE unit_key_generations;")
