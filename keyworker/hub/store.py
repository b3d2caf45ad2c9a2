"""The op store: push, pull and audit-chain heads, each one PostgreSQL transaction.

A push locks its unit's counter row (`SELECT ... FOR UPDATE`), so pushes to one unit take turns
and each hands out the next unit_seq values with no gap; other units never wait. A replayed op
(the same device_seq with the same op_id) answers the unit_seq it already has and is not stored
again. Payloads are stored as the bytes that arrived: the hub has no key and never looks inside."""
from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from keyworker.hub.auth import Device, audit
from keyworker.hub.errors import Refused, bad_request
from keyworker.hub.wire import b64, whole, when, word, uuid_of

MAX_OPS_PER_PUSH = 2000
MAX_PAYLOAD_BYTES = 8 * 1024 * 1024      # one sealed op (a document's PDF is the largest field)
PULL_DEFAULT, PULL_MAX = 500, 1000
PULL_MAX_BYTES = 16 * 1024 * 1024         # a page stops early past this many payload bytes
_HASH = re.compile(r"^[0-9a-f]{64}$")     # the laptop's audit chain: hex SHA-256


@dataclass(frozen=True)
class IncomingOp:
    device_seq: int
    op_id: uuid.UUID
    entity_type: str
    entity_id: str
    base_seq: int | None
    created_at: datetime
    payload: bytes


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str


# What an op may carry: exactly the columns of `ops`. Anything else (a `kind`, a key epoch) would be
# lost on the way to the other laptops, so it is refused: it belongs inside the payload.
OP_FIELDS = frozenset({"device_seq", "op_id", "entity_type", "entity_id", "base_seq", "created_at", "payload",
                       "device_id"})


def parse_push(body: dict[str, Any], device: Device) -> tuple[list[IncomingOp], ChainHead | None]:
    raw_ops = body.get("ops")
    if not isinstance(raw_ops, list) or len(raw_ops) > MAX_OPS_PER_PUSH:
        raise bad_request(f"ops must be a list of at most {MAX_OPS_PER_PUSH} ops")
    ops: list[IncomingOp] = []
    for i, o in enumerate(raw_ops):
        if not isinstance(o, dict):
            raise bad_request(f"ops[{i}] is not an object")
        extra = sorted(set(o) - OP_FIELDS)
        if extra:
            raise bad_request(f"ops[{i}] has fields the hub does not keep ({', '.join(extra)}): they belong "
                              "inside the sealed payload")
        if "device_id" in o and uuid_of(o["device_id"], f"ops[{i}].device_id") != device.device_id:
            raise bad_request(f"ops[{i}] was written by another device: a laptop pushes only its own ops")
        base = o.get("base_seq")
        ops.append(IncomingOp(
            device_seq=whole(o.get("device_seq"), f"ops[{i}].device_seq", minimum=1),
            op_id=uuid_of(o.get("op_id"), f"ops[{i}].op_id"),
            entity_type=word(o.get("entity_type"), f"ops[{i}].entity_type"),
            entity_id=word(o.get("entity_id"), f"ops[{i}].entity_id"),
            base_seq=None if base is None else whole(base, f"ops[{i}].base_seq", minimum=0),
            created_at=when(o.get("created_at"), f"ops[{i}].created_at"),
            payload=b64(o.get("payload"), f"ops[{i}].payload", max_bytes=MAX_PAYLOAD_BYTES)))
    if len({o.device_seq for o in ops}) != len(ops) or len({o.op_id for o in ops}) != len(ops):
        raise bad_request("a push names the same device_seq or op_id twice")
    head = body.get("chain_head")
    if head is None:
        return ops, None
    if not isinstance(head, dict) or not isinstance(head.get("hash"), str) or not _HASH.match(head["hash"]):
        raise bad_request("chain_head must be {seq, hash} with the hash as 64 lower-case hex digits")
    return ops, ChainHead(whole(head.get("seq"), "chain_head.seq", minimum=0), head["hash"])


# -- push ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PushResult:
    acks: list[tuple[uuid.UUID, int]]   # (op_id, unit_seq) in the order the ops were sent
    head: int                           # the unit's last_seq after this push
    chain_head: ChainHead | None        # what the hub now holds for this device


def push(conn: psycopg.Connection, device: Device, ops: Sequence[IncomingOp], chain_head: ChainHead | None,
         now: datetime, address: str | None = None) -> PushResult:
    with conn.transaction():
        row = conn.execute("SELECT last_seq FROM unit_counters WHERE unit_id = %s FOR UPDATE",
                           (device.unit_id,)).fetchone()
        assert row is not None, "every unit has its counter row"
        last: int = row[0]
        held = {ds: (op_id, seq) for ds, op_id, seq in conn.execute(
            "SELECT device_seq, op_id, unit_seq FROM ops WHERE device_id = %s AND device_seq = ANY(%s)",
            (device.device_id, [o.device_seq for o in ops]))}
        ids_held = {op_id for (op_id,) in conn.execute(
            "SELECT op_id FROM ops WHERE op_id = ANY(%s)", ([o.op_id for o in ops],))}
        acks: dict[uuid.UUID, int] = {}
        new: list[IncomingOp] = []
        for o in sorted(ops, key=lambda o: o.device_seq):  # a device's ops keep their own order
            if o.device_seq in held:
                op_id, seq = held[o.device_seq]
                if op_id != o.op_id:
                    raise Refused(409, f"This laptop's change number {o.device_seq} is already on the hub as a "
                                       "different change: the laptop's op-log has been reset or copied",
                                  action="refused.device_seq_reused", unit_id=device.unit_id,
                                  device_id=device.device_id,
                                  detail=f"device_seq {o.device_seq}: held {op_id}, sent {o.op_id}")
                acks[o.op_id] = seq
            elif o.op_id in ids_held:
                raise Refused(409, "A change in this push is already on the hub under another number",
                              action="refused.op_id_reused", unit_id=device.unit_id, device_id=device.device_id,
                              detail=f"op {o.op_id} sent as device_seq {o.device_seq}")
            else:
                new.append(o)
        if new:
            # COPY: one round trip for the whole batch, inside this transaction.
            with conn.cursor() as cur, cur.copy(
                    "COPY ops (unit_id, unit_seq, device_id, device_seq, op_id, entity_type, entity_id, "
                    "base_seq, created_at, received_at, payload) FROM STDIN") as copy:
                for seq, o in enumerate(new, start=last + 1):
                    copy.write_row((device.unit_id, seq, device.device_id, o.device_seq, o.op_id, o.entity_type,
                                    o.entity_id, o.base_seq, o.created_at, now, o.payload))
                    acks[o.op_id] = seq
            last += len(new)
            conn.execute("UPDATE unit_counters SET last_seq = %s WHERE unit_id = %s", (last, device.unit_id))
        held_head = _store_chain_head(conn, device, chain_head, now, address) if chain_head else None
    return PushResult([(o.op_id, acks[o.op_id]) for o in ops], last, held_head)


def _store_chain_head(conn: psycopg.Connection, device: Device, head: ChainHead, now: datetime,
                      address: str | None) -> ChainHead:
    """Keep the furthest head a device reported. A head that goes back (or the same seq with another
    hash) is what `check` exists to catch, so it is audited and the stored head is kept."""
    row = conn.execute("SELECT seq, hash FROM chain_heads WHERE device_id = %s FOR UPDATE",
                       (device.device_id,)).fetchone()
    if row is None:
        conn.execute("INSERT INTO chain_heads (device_id, unit_id, seq, hash, at) VALUES (%s, %s, %s, %s, %s)",
                     (device.device_id, device.unit_id, head.seq, head.hash, now))
        return head
    stored = ChainHead(row[0], row[1])
    if head.seq > stored.seq:
        conn.execute("UPDATE chain_heads SET seq = %s, hash = %s, at = %s WHERE device_id = %s",
                     (head.seq, head.hash, now, device.device_id))
        return head
    if head != stored:
        audit(conn, "chain_head.went_back", at=now, unit_id=device.unit_id, device_id=device.device_id,
              address=address, detail=f"held seq {stored.seq} {stored.hash[:12]}, sent seq {head.seq} {head.hash[:12]}")
    return stored


# -- pull ------------------------------------------------------------------------------------------
def pull(conn: psycopg.Connection, unit_id: str, after: int, limit: int) -> dict[str, Any]:
    """Ops with unit_seq > after, in order, and the unit's head. Ops up to the head are all
    committed (a push commits its ops with the counter), so a page never has a hole."""
    with conn.transaction():
        head: int = conn.execute("SELECT last_seq FROM unit_counters WHERE unit_id = %s",
                                 (unit_id,)).fetchone()[0]  # type: ignore[index]
        rows = conn.execute(
            "SELECT unit_seq, device_id, device_seq, op_id, entity_type, entity_id, base_seq, created_at, "
            "received_at, payload FROM ("
            "  SELECT *, sum(octet_length(payload)) OVER (ORDER BY unit_seq) - octet_length(payload) AS before"
            "  FROM ops WHERE unit_id = %s AND unit_seq > %s AND unit_seq <= %s ORDER BY unit_seq LIMIT %s"
            ") page WHERE before < %s ORDER BY unit_seq",
            (unit_id, after, head, limit, PULL_MAX_BYTES)).fetchall()
    ops = [{"unit_seq": r[0], "device_id": str(r[1]), "device_seq": r[2], "op_id": str(r[3]),
            "entity_type": r[4], "entity_id": r[5], "base_seq": r[6], "created_at": r[7].isoformat(),
            "received_at": r[8].isoformat(), "payload": base64.b64encode(r[9]).decode("ascii")} for r in rows]
    last = ops[-1]["unit_seq"] if ops else max(after, 0)
    return {"ops": ops, "head": head, "more": last < head}


def chain_head(conn: psycopg.Connection, device: Device) -> dict[str, Any] | None:
    row = conn.execute("SELECT seq, hash, at FROM chain_heads WHERE device_id = %s", (device.device_id,)).fetchone()
    return None if row is None else {"seq": row[0], "hash": row[1], "at": row[2].isoformat()}
