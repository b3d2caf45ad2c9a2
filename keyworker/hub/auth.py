"""Device sign-in and the hub's audit.

A device proves itself with `Authorization: Bearer <token>`: 256 random bits issued once at
enrolment. The hub keeps only the token's SHA-256, so its database (or a backup of it) cannot be
used to sign in as a laptop."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from keyworker.hub.errors import Refused

REVOKED = "This laptop was removed from the unit"
# last_seen_at is written at most this often, so pulls every few seconds do not each write a row.
SEEN_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Device:
    device_id: uuid.UUID
    unit_id: str
    name: str


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 32 bytes = 256 bits, 43 URL-safe characters


def token_sha256(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticate(conn: psycopg.Connection, header: str | None, now: datetime) -> Device:
    token = bearer_token(header)
    if token is None:
        raise Refused(401, "This laptop did not sign in to the hub: it is not enrolled",
                      action="refused.no_token", headers={"WWW-Authenticate": "Bearer"})
    digest = token_sha256(token)
    row = conn.execute("SELECT device_id, unit_id, name, revoked_at, token_sha256 FROM devices "
                       "WHERE token_sha256 = %s", (digest,)).fetchone()
    # The lookup is by digest (an index); compare_digest keeps the final check constant-time anyway.
    if row is None or not hmac.compare_digest(bytes(row[4]), digest):
        raise Refused(401, "This laptop's sign-in to the hub is not known: enrol it again",
                      action="refused.unknown_token", headers={"WWW-Authenticate": "Bearer"})
    device_id, unit_id, name, revoked_at = row[0], row[1], row[2], row[3]
    if revoked_at is not None:
        raise Refused(401, REVOKED, action="refused.revoked", unit_id=unit_id, device_id=device_id,
                      headers={"WWW-Authenticate": "Bearer"})
    conn.execute("UPDATE devices SET last_seen_at = %s WHERE device_id = %s "
                 "AND (last_seen_at IS NULL OR last_seen_at < %s)", (now, device_id, now - SEEN_EVERY))
    return Device(device_id, unit_id, name)


def audit(conn: psycopg.Connection, action: str, *, at: datetime, unit_id: str | None = None,
          device_id: uuid.UUID | None = None, address: str | None = None, detail: str = "") -> None:
    conn.execute("INSERT INTO hub_audit (at, unit_id, device_id, address, action, detail) "
                 "VALUES (%s, %s, %s, %s, %s, %s)", (at, unit_id, device_id, address, action, detail[:500]))
