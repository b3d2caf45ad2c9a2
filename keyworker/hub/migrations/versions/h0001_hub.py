"""The hub's first schema: units, their counters, devices, ops, chain heads, enrolment codes, audit.

Every table is keyed by unit_id, so one hub serves many units and a unit's counter lock never
makes another unit wait. `ops` holds only what docs/SYNC.md lists: the payload is sealed on the
laptop and stored as the bytes that arrived.

Revision ID: h0001
Revises:
"""
from __future__ import annotations

from alembic import op

revision = "h0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE units (
        unit_id     text PRIMARY KEY CHECK (unit_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
        created_at  timestamptz NOT NULL DEFAULT now()
    );

    -- The one row a push locks (SELECT ... FOR UPDATE): unit_seq is handed out from it, gap-free.
    CREATE TABLE unit_counters (
        unit_id   text PRIMARY KEY REFERENCES units,
        last_seq  bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0)
    );

    CREATE TABLE devices (
        device_id     uuid PRIMARY KEY,
        unit_id       text NOT NULL REFERENCES units,
        name          text NOT NULL,
        token_sha256  bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
        public_key    bytea NOT NULL CHECK (length(public_key) = 32),  -- X25519, for key rotation
        enrolled_at   timestamptz NOT NULL,
        revoked_at    timestamptz,
        last_seen_at  timestamptz
    );
    CREATE INDEX devices_unit ON devices (unit_id);

    CREATE TABLE ops (
        unit_id      text NOT NULL REFERENCES units,
        unit_seq     bigint NOT NULL CHECK (unit_seq > 0),
        device_id    uuid NOT NULL REFERENCES devices,
        device_seq   bigint NOT NULL CHECK (device_seq > 0),
        op_id        uuid NOT NULL,
        entity_type  text NOT NULL,
        entity_id    text NOT NULL,
        base_seq     bigint,
        created_at   timestamptz NOT NULL,
        received_at  timestamptz NOT NULL,
        payload      bytea NOT NULL,
        PRIMARY KEY (unit_id, unit_seq),
        UNIQUE (device_id, device_seq),
        UNIQUE (op_id)
    );

    -- The latest audit-chain head each laptop reported (one row per device, moved forward only).
    CREATE TABLE chain_heads (
        device_id  uuid PRIMARY KEY REFERENCES devices,
        unit_id    text NOT NULL REFERENCES units,
        seq        bigint NOT NULL CHECK (seq >= 0),
        hash       text NOT NULL,
        at         timestamptz NOT NULL
    );

    -- Enrolment and bootstrap codes: the hub knows the name and the verifier's SHA-256, never the
    -- secret. A bootstrap code (from `hub add-unit`) has no bundle and no creating device.
    CREATE TABLE enrol_codes (
        code_name          text PRIMARY KEY,
        unit_id            text NOT NULL REFERENCES units,
        verifier_sha256    bytea NOT NULL CHECK (length(verifier_sha256) = 32),
        bundle             bytea,
        created_at         timestamptz NOT NULL,
        expires_at         timestamptz NOT NULL,
        used_at            timestamptz,
        used_by_device     uuid,
        created_by_device  uuid REFERENCES devices
    );
    CREATE INDEX enrol_codes_unit ON enrol_codes (unit_id);

    -- Every enrolment, revocation and refused request. Never tokens, never payloads.
    CREATE TABLE hub_audit (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at         timestamptz NOT NULL DEFAULT now(),
        unit_id    text,
        device_id  uuid,
        address    text,
        action     text NOT NULL,
        detail     text NOT NULL DEFAULT ''
    );
    CREATE INDEX hub_audit_unit_at ON hub_audit (unit_id, at);
    """)
