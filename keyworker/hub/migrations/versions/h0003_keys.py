"""Sync key rotation: the unit's key epochs after the first, and each epoch's key wrapped for each
laptop (docs/SYNC.md, "Rotating keys after a revocation").

Epoch 1 is the first laptop's own (it makes the unit's keys itself and hands them on in enrolment
bundles), so the hub knows nothing of it: a unit with no row in `key_epochs` is at epoch 1. A
rotation publishes epoch N+1 once, by a live laptop of the unit, with one wrap per live laptop
(sealed to that laptop's X25519 public key: the hub cannot open one). The primary keys make each
epoch, and each laptop's wrap of it, exist once; the service role may add both and change
neither.

Revision ID: h0003
Revises: h0002
"""
from __future__ import annotations

from alembic import op

revision = "h0003"
down_revision = "h0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE key_epochs (
        unit_id            text NOT NULL REFERENCES units,
        epoch              integer NOT NULL CHECK (epoch >= 2),
        created_by_device  uuid NOT NULL REFERENCES devices,
        created_at         timestamptz NOT NULL,
        PRIMARY KEY (unit_id, epoch)
    );

    -- wrapped: the sender's ephemeral X25519 public key (32) | nonce (12) | AES-256-GCM ciphertext and tag.
    CREATE TABLE key_wraps (
        unit_id            text NOT NULL,
        epoch              integer NOT NULL,
        device_id          uuid NOT NULL REFERENCES devices,
        wrapped            bytea NOT NULL CHECK (length(wrapped) BETWEEN 60 AND 1024),
        created_by_device  uuid NOT NULL REFERENCES devices,
        created_at         timestamptz NOT NULL,
        PRIMARY KEY (unit_id, epoch, device_id),
        FOREIGN KEY (unit_id, epoch) REFERENCES key_epochs
    );
    CREATE INDEX key_wraps_device ON key_wraps (device_id, epoch);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE key_wraps; DROP TABLE key_epochs;")
