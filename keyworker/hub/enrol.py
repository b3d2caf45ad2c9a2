"""Units, enrolment codes, joining and revocation (docs/SYNC.md, "Enrolment, revocation, keys").

A code is valid for 15 minutes and usable once. The hub sees only its 8-character name and the
SHA-256 of the verifier the joining laptop presents; the secret that seals the bundle stays with
the people. Every function takes `now`, so tests move time instead of waiting."""
from __future__ import annotations

import hashlib
from base64 import b64encode
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from keyworker.hub import codes
from keyworker.hub.auth import Device, audit, new_token, token_sha256
from keyworker.hub.errors import Refused, bad_request
from keyworker.hub.keys import SYNC_KEY, UNIT_KEY, current_version
from keyworker.hub.wire import b64, uuid_of, whole

CODE_LIFETIME = timedelta(minutes=15)
MAX_BUNDLE_BYTES = 4 * 1024 * 1024
UNIT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CODE_NAME = re.compile(f"^[{codes.ALPHABET}]{{{codes.NAME_CHARS}}}$")
WRONG_CODE = "This enrolment code is not right: check it and type it again"


class UnitError(Exception):
    """`hub add-unit` cannot do what was asked. One line for the administrator."""


def check_unit_id(unit_id: str) -> str:
    if not UNIT_ID.match(unit_id):
        raise UnitError("a unit id is 1 to 64 letters, digits, dots, dashes or underscores, starting with a "
                        "letter or digit")
    return unit_id


def check_code_name(value: Any) -> str:
    if not isinstance(value, str) or not _CODE_NAME.match(value):
        raise bad_request(f"code_name must be the first {codes.NAME_CHARS} characters of an enrolment code")
    return value


def add_unit(conn: psycopg.Connection, unit_id: str, now: datetime) -> str:
    """Create the unit if it is new and return a one-time bootstrap code for its first laptop,
    which joins with it and gets no bundle (it makes the unit's keys itself). Refused while the
    unit has an enrolled laptop: further laptops are enrolled from one of those."""
    check_unit_id(unit_id)
    with conn.transaction():
        conn.execute("INSERT INTO units (unit_id, created_at) VALUES (%s, %s) ON CONFLICT DO NOTHING", (unit_id, now))
        conn.execute("INSERT INTO unit_counters (unit_id) VALUES (%s) ON CONFLICT DO NOTHING", (unit_id,))
        # Lock the unit (its counter row) so two add-units cannot both pass the check below.
        conn.execute("SELECT 1 FROM unit_counters WHERE unit_id = %s FOR UPDATE", (unit_id,))
        active = conn.execute("SELECT count(*) FROM devices WHERE unit_id = %s AND revoked_at IS NULL",
                              (unit_id,)).fetchone()[0]  # type: ignore[index]
        if active:
            raise UnitError(f"unit {unit_id} already has {active} enrolled laptop(s): enrol further laptops "
                            "with a code made on one of them")
        code = codes.new_code()
        conn.execute("INSERT INTO enrol_codes (code_name, unit_id, verifier_sha256, bundle, created_at, expires_at) "
                     "VALUES (%s, %s, %s, NULL, %s, %s)",
                     (codes.code_name(code), unit_id, bytes.fromhex(codes.verifier_sha256(code)), now,
                      now + CODE_LIFETIME))
        audit(conn, "unit.bootstrap_code", at=now, unit_id=unit_id, detail=f"code {codes.code_name(code)}")
    return code


def create_code(conn: psycopg.Connection, device: Device, body: dict[str, Any], now: datetime,
                address: str | None) -> dict[str, Any]:
    name = check_code_name(body.get("code_name"))
    verifier = body.get("verifier_sha256")
    if not isinstance(verifier, str) or not re.fullmatch(r"[0-9a-f]{64}", verifier):
        raise bad_request("verifier_sha256 must be 64 lower-case hex digits")
    bundle = b64(body.get("bundle"), "bundle", max_bytes=MAX_BUNDLE_BYTES)
    if not bundle:
        raise bad_request("bundle is empty")
    # The newest sync key epoch inside the bundle (optional): one older than the unit's is refused.
    key_epoch = None if body.get("key_epoch") is None else whole(body["key_epoch"], "key_epoch", minimum=1)
    # Likewise the unit (database) key generation the bundle hands on (optional).
    unit_key_gen = None if body.get("unit_key_gen") is None else whole(body["unit_key_gen"], "unit_key_gen",
                                                                        minimum=1)
    expires = now + CODE_LIFETIME
    with conn.transaction():
        checks = [(UNIT_KEY, unit_key_gen, "refused.enrol_code_old_unit_key", "unit key generation"),
                  (SYNC_KEY, key_epoch, "refused.enrol_code_old_keys", "key epoch")]
        if any(given is not None for _, given, _, _ in checks):
            # FOR SHARE: a rotation (FOR UPDATE) waits for this code, and expires it if it is unused.
            conn.execute("SELECT 1 FROM unit_counters WHERE unit_id = %s FOR SHARE", (device.unit_id,))
        for kind, given, action, label in checks:
            if given is None:
                continue
            newest = current_version(kind, conn, device.unit_id)
            if given < newest:
                raise Refused(409, f"The unit's {kind.what} was rotated while this code was being made: sync this "
                                   "laptop and make a new code", action=action,
                              unit_id=device.unit_id, device_id=device.device_id,
                              detail=f"code {name}, {label} {given} < {newest}")
        row = conn.execute(
            "INSERT INTO enrol_codes (code_name, unit_id, verifier_sha256, bundle, created_at, expires_at, "
            "created_by_device) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (code_name) DO NOTHING "
            "RETURNING code_name", (name, device.unit_id, bytes.fromhex(verifier), bundle, now, expires,
                                    device.device_id)).fetchone()
        if row is None:
            raise Refused(409, "That enrolment code's name is already taken on the hub: make a new code")
        audit(conn, "enrol.code_created", at=now, unit_id=device.unit_id, device_id=device.device_id,
              address=address, detail=f"code {name}")
    return {"code_name": name, "expires_at": expires.isoformat()}


@dataclass(frozen=True)
class Joined:
    device_id: uuid.UUID
    unit_id: str
    token: str
    bundle: bytes | None
    head: int


def join(conn: psycopg.Connection, body: dict[str, Any], now: datetime, address: str | None) -> Joined:
    name = check_code_name(body.get("code_name"))
    presented = b64(body.get("verifier"), "verifier", max_bytes=64)
    public_key = b64(body.get("public_key"), "public_key", max_bytes=32)
    if len(public_key) != 32:
        raise bad_request("public_key must be a 32-byte X25519 public key")
    laptop_name = body.get("name")
    if not isinstance(laptop_name, str) or not 1 <= len(laptop_name.strip()) <= 100:
        raise bad_request("name must be the laptop's name, 1 to 100 characters")
    # The laptop may bring its own device id (the one its rows are stamped with); else the hub picks.
    device_id = uuid.uuid4() if body.get("device_id") is None else uuid_of(body["device_id"], "device_id")
    with conn.transaction():
        row = conn.execute("SELECT unit_id, verifier_sha256, bundle, expires_at, used_at FROM enrol_codes "
                           "WHERE code_name = %s FOR UPDATE", (name,)).fetchone()
        if row is None:
            raise Refused(403, WRONG_CODE, action="refused.enrol_unknown_code", detail=f"code {name}")
        unit_id, verifier_sha256, bundle, expires_at, used_at = row
        if not hmac.compare_digest(hashlib.sha256(presented).digest(), bytes(verifier_sha256)):
            raise Refused(403, WRONG_CODE, action="refused.enrol_wrong_verifier", unit_id=unit_id,
                          detail=f"code {name}")
        if used_at is not None:
            raise Refused(409, "This enrolment code has already been used: make a new one on an enrolled laptop",
                          action="refused.enrol_code_used", unit_id=unit_id, detail=f"code {name}")
        if now >= expires_at:
            raise Refused(410, "This enrolment code has expired (a code lasts 15 minutes): make a new one",
                          action="refused.enrol_code_expired", unit_id=unit_id, detail=f"code {name}")
        if conn.execute("SELECT 1 FROM devices WHERE device_id = %s", (device_id,)).fetchone():
            raise Refused(409, "A laptop with this device id is already enrolled with the hub",
                          action="refused.enrol_device_exists", unit_id=unit_id, device_id=device_id,
                          detail=f"code {name}")
        token = new_token()
        conn.execute("INSERT INTO devices (device_id, unit_id, name, token_sha256, public_key, enrolled_at) "
                     "VALUES (%s, %s, %s, %s, %s, %s)",
                     (device_id, unit_id, laptop_name.strip(), token_sha256(token), public_key, now))
        conn.execute("UPDATE enrol_codes SET used_at = %s, used_by_device = %s WHERE code_name = %s",
                     (now, device_id, name))
        audit(conn, "device.enrolled", at=now, unit_id=unit_id, device_id=device_id, address=address,
              detail=f"code {name}{' (bootstrap)' if bundle is None else ''}")
        head = conn.execute("SELECT last_seq FROM unit_counters WHERE unit_id = %s",
                            (unit_id,)).fetchone()[0]  # type: ignore[index]
    return Joined(device_id, unit_id, token, None if bundle is None else bytes(bundle), head)


def revoke(conn: psycopg.Connection, by: Device, target: str, now: datetime, address: str | None) -> dict[str, Any]:
    try:
        target_id = uuid.UUID(target)
    except ValueError:
        raise bad_request("the laptop to remove is named by its device id (a UUID)") from None
    with conn.transaction():
        row = conn.execute("SELECT unit_id, revoked_at FROM devices WHERE device_id = %s FOR UPDATE",
                           (target_id,)).fetchone()
        if row is None or row[0] != by.unit_id:
            raise Refused(404, "No laptop with that device id is enrolled in this unit",
                          action="refused.revoke_unknown", unit_id=by.unit_id, device_id=by.device_id,
                          detail=f"target {target_id}")
        revoked_at: datetime = row[1] or now
        if row[1] is None:
            conn.execute("UPDATE devices SET revoked_at = %s WHERE device_id = %s", (now, target_id))
            # Codes the removed laptop made and nobody used yet die with it.
            conn.execute("UPDATE enrol_codes SET expires_at = %s WHERE created_by_device = %s AND used_at IS NULL "
                         "AND expires_at > %s", (now, target_id, now))
            audit(conn, "device.revoked", at=now, unit_id=by.unit_id, device_id=target_id, address=address,
                  detail=f"by {by.device_id}")
    return {"device_id": str(target_id), "revoked_at": revoked_at.isoformat()}


def devices(conn: psycopg.Connection, unit_id: str) -> list[dict[str, Any]]:
    """The unit's laptops for Administration -> Laptops, with the X25519 public key each registered
    (key rotation wraps the new key for it): never their tokens."""
    rows = conn.execute("SELECT device_id, name, enrolled_at, last_seen_at, revoked_at, public_key FROM devices "
                        "WHERE unit_id = %s ORDER BY enrolled_at", (unit_id,)).fetchall()
    iso = lambda t: None if t is None else t.isoformat()  # noqa: E731
    return [{"device_id": str(r[0]), "name": r[1], "enrolled_at": iso(r[2]), "last_seen_at": iso(r[3]),
             "revoked_at": iso(r[4]), "public_key": b64encode(bytes(r[5])).decode("ascii")} for r in rows]
