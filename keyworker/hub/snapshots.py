"""Unit snapshots on the hub (docs/SYNC.md, "Snapshots"): the sealed copy of a unit's rows as of a
unit_seq that a new laptop loads instead of replaying every op.

An enrolled laptop begins one (`begin`, naming the unit_seq it covers: at most the unit's head),
uploads its chunks (`put_chunk`, each sealed on the laptop: the hub stores the bytes and cannot read
them) and completes it (`complete`, with the number of chunks: all must be there). Completing
deletes the unit's older snapshots, and any unfinished one older than a day: a snapshot is a cache
of what the ops already say. A laptop that joins reads the newest complete one (`latest`,
`get_chunk`). Each is one short transaction."""
from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta
from typing import Any

import psycopg

from keyworker.hub.auth import Device, audit
from keyworker.hub.errors import Refused, bad_request
from keyworker.hub.wire import b64, uuid_of, whole

MAX_CHUNK_BYTES = 16 * 1024 * 1024
MAX_CHUNKS = 100_000
MAX_SNAPSHOT_BYTES = 16 * 2**30  # a 20,000-resident unit's is under 0.2 GiB
MAX_UNFINISHED = 3               # per unit, begun in the last day and not complete
ABANDONED_AFTER = timedelta(days=1)


def begin(conn: psycopg.Connection, device: Device, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    seq = whole(body.get("unit_seq"), "unit_seq", minimum=0)
    with conn.transaction():
        head: int = conn.execute("SELECT last_seq FROM unit_counters WHERE unit_id = %s",
                                 (device.unit_id,)).fetchone()[0]  # type: ignore[index]
        if seq > head:
            raise Refused(409, f"This laptop's copy of the unit is ahead of the hub (seq {seq}, the hub has "
                               f"{head}): the hub may have been restored from an old backup; ask your administrator")
        unfinished = conn.execute("SELECT count(*) FROM snapshots WHERE unit_id = %s AND completed_at IS NULL "
                                  "AND created_at > %s", (device.unit_id, now - ABANDONED_AFTER)).fetchone()[0]  # type: ignore[index]
        if unfinished >= MAX_UNFINISHED:
            raise Refused(409, f"{unfinished} copies of the unit are already being uploaded to the hub: wait for one "
                               "to finish (or a day) and try again")
        sid = uuid.uuid4()
        conn.execute("INSERT INTO snapshots (snapshot_id, unit_id, device_id, unit_seq, created_at) "
                     "VALUES (%s, %s, %s, %s, %s)", (sid, device.unit_id, device.device_id, seq, now))
    return {"snapshot_id": str(sid)}


def _own_open(conn: psycopg.Connection, device: Device, sid: uuid.UUID) -> None:
    row = conn.execute("SELECT device_id, completed_at FROM snapshots WHERE snapshot_id = %s AND unit_id = %s",
                       (sid, device.unit_id)).fetchone()
    if row is None or row[0] != device.device_id:
        raise Refused(404, "No such snapshot is being uploaded from this laptop")
    if row[1] is not None:
        raise Refused(409, "This snapshot is already complete")


def put_chunk(conn: psycopg.Connection, device: Device, sid_text: str, n_text: str, body: dict[str, Any]) -> Any:
    sid = uuid_of(sid_text, "snapshot id")
    n = _index(n_text)
    data = b64(body.get("data"), "data", max_bytes=MAX_CHUNK_BYTES)
    if not data:
        raise bad_request("data must not be empty")
    with conn.transaction():
        _own_open(conn, device, sid)
        # A retried upload (its answer was lost) keeps the first bytes: both open to the same rows.
        added = conn.execute("INSERT INTO snapshot_chunks (snapshot_id, n, data) VALUES (%s, %s, %s) "
                             "ON CONFLICT (snapshot_id, n) DO NOTHING", (sid, n, data)).rowcount
        if added:
            total = conn.execute("UPDATE snapshots SET bytes = bytes + %s WHERE snapshot_id = %s RETURNING bytes",
                                 (len(data), sid)).fetchone()[0]  # type: ignore[index]
            if total > MAX_SNAPSHOT_BYTES:  # the transaction, and so this chunk, is rolled back
                raise Refused(413, f"This copy of the unit is larger than the hub takes "
                                   f"({MAX_SNAPSHOT_BYTES // 2**30} GiB): ask the hub's operator")
    return {"n": n}


def complete(conn: psycopg.Connection, device: Device, sid_text: str, body: dict[str, Any], now: datetime,
             address: str | None) -> Any:
    sid = uuid_of(sid_text, "snapshot id")
    chunks = whole(body.get("chunks"), "chunks", minimum=1)
    if chunks > MAX_CHUNKS:
        raise bad_request(f"chunks must be at most {MAX_CHUNKS}")
    with conn.transaction():
        _own_open(conn, device, sid)
        have, top, size = conn.execute("SELECT count(*), coalesce(max(n), -1), coalesce(sum(octet_length(data)), 0) "
                                       "FROM snapshot_chunks WHERE snapshot_id = %s", (sid,)).fetchone()  # type: ignore[misc]
        if have != chunks or top != chunks - 1:
            raise Refused(409, f"The snapshot is not all there: the hub has {have} of its {chunks} chunks")
        seq = conn.execute("UPDATE snapshots SET completed_at = %s, chunks = %s, bytes = %s WHERE snapshot_id = %s "
                           "RETURNING unit_seq", (now, chunks, size, sid)).fetchone()[0]  # type: ignore[index]
        # Older ones go (chunks by ON DELETE CASCADE): complete ones behind this, unfinished ones abandoned.
        conn.execute("DELETE FROM snapshots WHERE unit_id = %s AND snapshot_id <> %s AND "  # hard-delete-ok: a cache of the ops
                     "((completed_at IS NOT NULL AND unit_seq <= %s) OR (completed_at IS NULL AND created_at < %s))",
                     (device.unit_id, sid, seq, now - ABANDONED_AFTER))
        audit(conn, "snapshot.completed", at=now, unit_id=device.unit_id, device_id=device.device_id, address=address,
              detail=f"seq {seq}, {chunks} chunks, {size} bytes")
    return {"snapshot_id": str(sid), "unit_seq": seq}


def latest(conn: psycopg.Connection, device: Device) -> dict[str, Any]:
    row = conn.execute("SELECT snapshot_id, unit_seq, chunks, bytes, created_at, device_id FROM snapshots "
                       "WHERE unit_id = %s AND completed_at IS NOT NULL ORDER BY unit_seq DESC, completed_at DESC "
                       "LIMIT 1", (device.unit_id,)).fetchone()
    if row is None:
        return {"snapshot": None}
    return {"snapshot": {"snapshot_id": str(row[0]), "unit_seq": row[1], "chunks": row[2], "bytes": row[3],
                         "created_at": row[4].isoformat(), "device_id": str(row[5])}}


def get_chunk(conn: psycopg.Connection, device: Device, sid_text: str, n_text: str) -> Any:
    sid = uuid_of(sid_text, "snapshot id")
    n = _index(n_text)
    row = conn.execute("SELECT c.data FROM snapshot_chunks c JOIN snapshots s USING (snapshot_id) "
                       "WHERE c.snapshot_id = %s AND c.n = %s AND s.unit_id = %s AND s.completed_at IS NOT NULL",
                       (sid, n, device.unit_id)).fetchone()
    if row is None:
        raise Refused(404, "That snapshot is no longer on the hub: a newer one replaced it; try again")
    return {"n": n, "data": base64.b64encode(row[0]).decode("ascii")}


def _index(text: str) -> int:
    if not text.isdigit() or int(text) >= MAX_CHUNKS:
        raise bad_request(f"a chunk number is 0 to {MAX_CHUNKS - 1}")
    return int(text)
