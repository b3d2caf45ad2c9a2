"""Publishing a new sync key epoch or unit (database) key generation, and each laptop fetching its
wraps (docs/SYNC.md, "Rotating keys after a revocation"): one set of checks (`_publish`) for both
kinds (`SYNC_KEY`, `UNIT_KEY`), each in tables of its own.

The hub never sees a sync key. A laptop that rotates sends epoch N+1 wrapped for every live laptop
of the unit (itself too), each wrap sealed to that laptop's X25519 public key; the hub checks only
who may publish what:

- the epoch is exactly the unit's current one plus one (a unit with no published epoch is at 1,
  its first laptop's own key), published once (`key_epochs`' primary key, and the unit's counter
  row locked while it is checked, so two rotations at once cannot both pass);
- every wrap is for a laptop of this unit that has not been removed, once each, and no live laptop
  is left without one (the unit's device rows are locked FOR SHARE meanwhile, so a revocation
  waits for the rotation or the rotation for it);
- unused enrolment codes of the unit expire: their bundles hold only the old keys. Expiring them
  waits for a join in progress, whose laptop is then counted as live (the laptops are read again
  after it).

Every refusal is in plain words and audited; a rotation is audited as `keys.rotated` (the sync key)
or `unit_key.rotated`."""
from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from keyworker.hub.auth import Device, audit
from keyworker.hub.errors import Refused, bad_request
from keyworker.hub.wire import b64, uuid_of, whole

MAX_WRAPS = 1000
MAX_WRAP_BYTES = 1024


@dataclass(frozen=True)
class _Kind:
    """One kind of key the hub hands round: the sync key's epochs (migration h0003) or the unit
    (database) key's generations (h0004). The same checks, tables and words of its own."""

    versions: str   # the table of published versions
    wraps: str      # the table of wraps
    word: str       # what a version is called, and its column: "epoch" / "generation"
    what: str       # "sync key" / "database key"
    short: str      # "key" / "database key": "the new ... is wrapped for"
    prefix: str     # of the audit actions: "keys" / "unit_key"


SYNC_KEY = _Kind("key_epochs", "key_wraps", "epoch", "sync key", "key", "keys")
UNIT_KEY = _Kind("unit_key_generations", "unit_key_wraps", "generation", "database key", "database key", "unit_key")


def current_version(kind: _Kind, conn: psycopg.Connection, unit_id: str) -> int:
    """The unit's newest published epoch or generation: 1 (its first laptop's own) until one is."""
    row = conn.execute(f"SELECT max({kind.word}) FROM {kind.versions} WHERE unit_id = %s", (unit_id,)).fetchone()
    return 1 if row is None or row[0] is None else int(row[0])


def _parse(body: dict[str, Any]) -> tuple[int, dict[uuid.UUID, bytes]]:
    epoch = whole(body.get("epoch"), "epoch", minimum=2)
    if epoch >= 2**31:
        raise bad_request("epoch is too large")
    wraps = body.get("wraps")
    if not isinstance(wraps, list) or not 1 <= len(wraps) <= MAX_WRAPS:
        raise bad_request(f"wraps must be a list of 1 to {MAX_WRAPS} wrapped keys, one per laptop")
    out: dict[uuid.UUID, bytes] = {}
    for w in wraps:
        if not isinstance(w, dict) or set(w) != {"device_id", "wrapped"}:
            raise bad_request("each wrap is {\"device_id\", \"wrapped\"}")
        device_id = uuid_of(w["device_id"], "device_id")
        wrapped = b64(w["wrapped"], "wrapped", max_bytes=MAX_WRAP_BYTES)
        if not 60 <= len(wrapped) <= MAX_WRAP_BYTES:
            raise bad_request("wrapped is not a wrapped key (an ephemeral public key, a nonce and a ciphertext)")
        if device_id in out:
            raise bad_request(f"the new key is wrapped twice for laptop {device_id}")
        out[device_id] = wrapped
    return epoch, out


def _publish(kind: _Kind, conn: psycopg.Connection, device: Device, body: dict[str, Any], now: datetime,
             address: str | None) -> dict[str, Any]:
    n, wraps = _parse({"epoch": body.get(kind.word), "wraps": body.get("wraps")})
    w, new = kind.word, kind.short

    def refuse(status: int, message: str, why: str, detail: str) -> Refused:
        return Refused(status, message, action=f"refused.{kind.prefix}_{why}", unit_id=device.unit_id,
                       device_id=device.device_id, detail=detail)

    with conn.transaction():
        conn.execute("SELECT 1 FROM unit_counters WHERE unit_id = %s FOR UPDATE", (device.unit_id,))
        current = current_version(kind, conn, device.unit_id)
        if n != current + 1:
            raise refuse(409, f"The unit's {kind.what} is at {w} {current}, so a new key is {w} {current + 1}, "
                              f"not {n}: sync this laptop and try again", f"wrong_{w}", f"{w} {n}, current {current}")
        # Lock the unit's laptops first (a revocation waits, and never deadlocks with us), then expire
        # the codes (waiting for a join in progress), then read the laptops again: one that joined
        # meanwhile is counted.
        conn.execute("SELECT 1 FROM devices WHERE unit_id = %s FOR SHARE", (device.unit_id,))
        expired = conn.execute("UPDATE enrol_codes SET expires_at = %s WHERE unit_id = %s AND used_at IS NULL "
                               "AND expires_at > %s", (now, device.unit_id, now)).rowcount
        rows = conn.execute("SELECT device_id, name, revoked_at FROM devices WHERE unit_id = %s ORDER BY enrolled_at "
                            "FOR SHARE", (device.unit_id,)).fetchall()
        laptops = {r[0]: (r[1], r[2]) for r in rows}
        for target in wraps:
            if target not in laptops:
                raise refuse(409, f"The new {new} is wrapped for a laptop that is not enrolled in this unit: "
                                  "nothing was changed", "unknown_device", f"{w} {n}, target {target}")
            name, revoked_at = laptops[target]
            if revoked_at is not None:
                raise refuse(409, f"The new {new} is wrapped for “{name}”, which was removed from the unit: "
                                  "nothing was changed", "revoked_device", f"{w} {n}, target {target}")
        missing = [name for did, (name, revoked_at) in laptops.items() if revoked_at is None and did not in wraps]
        if missing:
            raise refuse(409, f"The new {new} has no copy for {', '.join(f'“{m}”' for m in missing)} (enrolled "
                              "meanwhile?): nothing was changed; list the laptops again and try again",
                         "missing_device", f"{w} {n}, {len(missing)} missing")
        conn.execute(f"INSERT INTO {kind.versions} (unit_id, {w}, created_by_device, created_at) "
                     "VALUES (%s, %s, %s, %s)", (device.unit_id, n, device.device_id, now))
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {kind.wraps} (unit_id, {w}, device_id, wrapped, created_by_device, "
                            "created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                            [(device.unit_id, n, did, wr, device.device_id, now) for did, wr in wraps.items()])
        audit(conn, f"{kind.prefix}.rotated", at=now, unit_id=device.unit_id, device_id=device.device_id,
              address=address, detail=f"{w} {n}, {len(wraps)} laptops, {expired} unused codes expired")
    return {w: n, "laptops": len(wraps), "codes_expired": expired, "at": now.isoformat()}


def _wraps_for(kind: _Kind, conn: psycopg.Connection, device: Device, after: int) -> dict[str, Any]:
    w = kind.word
    rows = conn.execute(f"SELECT {w}, wrapped, created_by_device, created_at FROM {kind.wraps} WHERE unit_id = %s "
                        f"AND device_id = %s AND {w} > %s ORDER BY {w}",
                        (device.unit_id, device.device_id, min(after, 2**31 - 1))).fetchall()
    return {w: current_version(kind, conn, device.unit_id),
            "keys": [{w: int(r[0]), "wrapped": base64.b64encode(bytes(r[1])).decode("ascii"),
                      "created_by_device": str(r[2]), "created_at": r[3].isoformat()} for r in rows]}


def publish(conn: psycopg.Connection, device: Device, body: dict[str, Any], now: datetime,
            address: str | None) -> dict[str, Any]:
    """A new sync key epoch (see the module's docstring). Audited `keys.rotated`."""
    return _publish(SYNC_KEY, conn, device, body, now, address)


def wraps_for(conn: psycopg.Connection, device: Device, after: int) -> dict[str, Any]:
    """The calling laptop's wraps of the epochs after `after`, oldest first, and the unit's epoch."""
    return _wraps_for(SYNC_KEY, conn, device, after)


def publish_unit_key(conn: psycopg.Connection, device: Device, body: dict[str, Any], now: datetime,
                     address: str | None) -> dict[str, Any]:
    """A new unit key generation, with the same checks in tables of its own (migration h0004).
    Audited `unit_key.rotated`."""
    return _publish(UNIT_KEY, conn, device, body, now, address)


def unit_key_wraps_for(conn: psycopg.Connection, device: Device, after: int) -> dict[str, Any]:
    """The calling laptop's wraps of the unit key generations after `after`, oldest first."""
    return _wraps_for(UNIT_KEY, conn, device, after)
