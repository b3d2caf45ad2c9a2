"""Publishing a new sync key epoch, and each laptop fetching its wraps (docs/SYNC.md, "Rotating keys
after a revocation").

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

Every refusal is in plain words and audited; a rotation is audited as `keys.rotated`."""
from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

import psycopg

from keyworker.hub.auth import Device, audit
from keyworker.hub.errors import Refused, bad_request
from keyworker.hub.wire import b64, uuid_of, whole

MAX_WRAPS = 1000
MAX_WRAP_BYTES = 1024


def current_epoch(conn: psycopg.Connection, unit_id: str) -> int:
    row = conn.execute("SELECT max(epoch) FROM key_epochs WHERE unit_id = %s", (unit_id,)).fetchone()
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


def publish(conn: psycopg.Connection, device: Device, body: dict[str, Any], now: datetime,
            address: str | None) -> dict[str, Any]:
    epoch, wraps = _parse(body)

    def refuse(status: int, message: str, action: str, detail: str) -> Refused:
        return Refused(status, message, action=action, unit_id=device.unit_id, device_id=device.device_id,
                       detail=detail)

    with conn.transaction():
        conn.execute("SELECT 1 FROM unit_counters WHERE unit_id = %s FOR UPDATE", (device.unit_id,))
        current = current_epoch(conn, device.unit_id)
        if epoch != current + 1:
            raise refuse(409, f"The unit's sync key is at epoch {current}, so a new key is epoch {current + 1}, "
                              f"not {epoch}: sync this laptop and try again", "refused.keys_wrong_epoch",
                         f"epoch {epoch}, current {current}")
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
                raise refuse(409, "The new key is wrapped for a laptop that is not enrolled in this unit: nothing "
                                  "was changed", "refused.keys_unknown_device", f"epoch {epoch}, target {target}")
            name, revoked_at = laptops[target]
            if revoked_at is not None:
                raise refuse(409, f"The new key is wrapped for “{name}”, which was removed from the unit: nothing "
                                  "was changed", "refused.keys_revoked_device", f"epoch {epoch}, target {target}")
        missing = [name for did, (name, revoked_at) in laptops.items() if revoked_at is None and did not in wraps]
        if missing:
            raise refuse(409, f"The new key has no copy for {', '.join(f'“{n}”' for n in missing)} (enrolled "
                              "meanwhile?): nothing was changed; list the laptops again and try again",
                         "refused.keys_missing_device", f"epoch {epoch}, {len(missing)} missing")
        conn.execute("INSERT INTO key_epochs (unit_id, epoch, created_by_device, created_at) VALUES (%s, %s, %s, %s)",
                     (device.unit_id, epoch, device.device_id, now))
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO key_wraps (unit_id, epoch, device_id, wrapped, created_by_device, created_at) "
                            "VALUES (%s, %s, %s, %s, %s, %s)",
                            [(device.unit_id, epoch, did, w, device.device_id, now) for did, w in wraps.items()])
        audit(conn, "keys.rotated", at=now, unit_id=device.unit_id, device_id=device.device_id, address=address,
              detail=f"epoch {epoch}, {len(wraps)} laptops, {expired} unused codes expired")
    return {"epoch": epoch, "laptops": len(wraps), "codes_expired": expired, "at": now.isoformat()}


def wraps_for(conn: psycopg.Connection, device: Device, after: int) -> dict[str, Any]:
    """The calling laptop's wraps of the epochs after `after`, oldest first, and the unit's epoch."""
    rows = conn.execute("SELECT epoch, wrapped, created_by_device, created_at FROM key_wraps WHERE unit_id = %s "
                        "AND device_id = %s AND epoch > %s ORDER BY epoch", (device.unit_id, device.device_id,
                                                                              min(after, 2**31 - 1))).fetchall()
    return {"epoch": current_epoch(conn, device.unit_id),
            "keys": [{"epoch": int(r[0]), "wrapped": base64.b64encode(bytes(r[1])).decode("ascii"),
                      "created_by_device": str(r[2]), "created_at": r[3].isoformat()} for r in rows]}


# -- the unit (database) key: the same checks, in tables of its own (migration h0004) ----------------
def current_generation(conn: psycopg.Connection, unit_id: str) -> int:
    row = conn.execute("SELECT max(generation) FROM unit_key_generations WHERE unit_id = %s", (unit_id,)).fetchone()
    return 1 if row is None or row[0] is None else int(row[0])


def publish_unit_key(conn: psycopg.Connection, device: Device, body: dict[str, Any], now: datetime,
                     address: str | None) -> dict[str, Any]:
    """A new unit key generation, wrapped for every live laptop of the unit: exactly current + 1,
    a wrap for each live laptop and none for a removed one; unused enrolment codes expire (their
    bundles hold the old key). Audited `unit_key.rotated`."""
    generation, wraps = _parse({"epoch": body.get("generation"), "wraps": body.get("wraps")})

    def refuse(status: int, message: str, action: str, detail: str) -> Refused:
        return Refused(status, message, action=action, unit_id=device.unit_id, device_id=device.device_id,
                       detail=detail)

    with conn.transaction():
        conn.execute("SELECT 1 FROM unit_counters WHERE unit_id = %s FOR UPDATE", (device.unit_id,))
        current = current_generation(conn, device.unit_id)
        if generation != current + 1:
            raise refuse(409, f"The unit's database key is at generation {current}, so a new key is generation "
                              f"{current + 1}, not {generation}: sync this laptop and try again",
                         "refused.unit_key_wrong_generation", f"generation {generation}, current {current}")
        conn.execute("SELECT 1 FROM devices WHERE unit_id = %s FOR SHARE", (device.unit_id,))
        expired = conn.execute("UPDATE enrol_codes SET expires_at = %s WHERE unit_id = %s AND used_at IS NULL "
                               "AND expires_at > %s", (now, device.unit_id, now)).rowcount
        rows = conn.execute("SELECT device_id, name, revoked_at FROM devices WHERE unit_id = %s ORDER BY enrolled_at "
                            "FOR SHARE", (device.unit_id,)).fetchall()
        laptops = {r[0]: (r[1], r[2]) for r in rows}
        for target in wraps:
            if target not in laptops:
                raise refuse(409, "The new database key is wrapped for a laptop that is not enrolled in this unit: "
                                  "nothing was changed", "refused.unit_key_unknown_device",
                             f"generation {generation}, target {target}")
            name, revoked_at = laptops[target]
            if revoked_at is not None:
                raise refuse(409, f"The new database key is wrapped for “{name}”, which was removed from the unit: "
                                  "nothing was changed", "refused.unit_key_revoked_device",
                             f"generation {generation}, target {target}")
        missing = [name for did, (name, revoked_at) in laptops.items() if revoked_at is None and did not in wraps]
        if missing:
            raise refuse(409, f"The new database key has no copy for {', '.join(f'“{n}”' for n in missing)} "
                              "(enrolled meanwhile?): nothing was changed; list the laptops again and try again",
                         "refused.unit_key_missing_device", f"generation {generation}, {len(missing)} missing")
        conn.execute("INSERT INTO unit_key_generations (unit_id, generation, created_by_device, created_at) "
                     "VALUES (%s, %s, %s, %s)", (device.unit_id, generation, device.device_id, now))
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO unit_key_wraps (unit_id, generation, device_id, wrapped, created_by_device, "
                            "created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                            [(device.unit_id, generation, did, w, device.device_id, now) for did, w in wraps.items()])
        audit(conn, "unit_key.rotated", at=now, unit_id=device.unit_id, device_id=device.device_id, address=address,
              detail=f"generation {generation}, {len(wraps)} laptops, {expired} unused codes expired")
    return {"generation": generation, "laptops": len(wraps), "codes_expired": expired, "at": now.isoformat()}


def unit_key_wraps_for(conn: psycopg.Connection, device: Device, after: int) -> dict[str, Any]:
    """The calling laptop's wraps of the unit key generations after `after`, oldest first."""
    rows = conn.execute("SELECT generation, wrapped, created_by_device, created_at FROM unit_key_wraps "
                        "WHERE unit_id = %s AND device_id = %s AND generation > %s ORDER BY generation",
                        (device.unit_id, device.device_id, min(after, 2**31 - 1))).fetchall()
    return {"generation": current_generation(conn, device.unit_id),
            "keys": [{"generation": int(r[0]), "wrapped": base64.b64encode(bytes(r[1])).decode("ascii"),
                      "created_by_device": str(r[2]), "created_at": r[3].isoformat()} for r in rows]}
