"""The op-log (docs/SYNC.md, "The op-log"): one op per inserted or changed synchronised row,
written by the unit of work in the same transaction as the change.

- `write_ops` runs from the `after_flush` listener in keyworker/db/base.py. It reads what the
  flush wrote (the ORM's own bookkeeping: no SELECT per row), takes the next device_seq numbers
  with ONE indexed max() per flush (the transaction began IMMEDIATE, so it holds the write lock:
  no gaps, and a rolled-back transaction takes its ops with it), seals each payload and inserts
  them all with one executemany.
- An update carries only its changed columns. Its `base_seq` is resolved lazily, by
  `resolve_bases`, before the next page is applied or the op is pushed: heads change only when a
  page is applied, so "the entity's head when the op is resolved" is the head it was written on,
  and the write path needs no lookup.
- Payload (sealed): {"by": actor id, "k": insert|update, "f": {column: value}} in canonical JSON
  (keyworker/sync/codec). The kind and the key epoch travel inside the payload (the hub keeps
  neither); the local log keeps them in columns of its own too.
- Bulk writers that bypass the ORM (the demo generator, the CSV importer's insert_rows, the
  audit chain) write no ops. A unit's first laptop uploads the unit as a snapshot when it joins a
  hub (`clear_unsent_history`, keyworker/sync/snapshot.py); `seed_ops` / `first_join` instead give
  every row an op (tests and tools that copy a unit between laptops without a hub).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Column, Table, bindparam, delete, event, insert, select, text, update
from sqlalchemy.orm import Session

from keyworker.db.base import Base, Tracked
from keyworker.db.sync import OPS_T, SyncOp
from keyworker.ids import new_id
from keyworker.sync import codec
from keyworker.sync.keys import Keyring

KEYRING = "sync_keyring"  # session.info: the unit's Keyring (keyworker.casebook._write)
APPLYING = "sync_applying"  # session.info: set while a pulled page is applied; no ops then

# Tracked tables that stay on the laptop (docs/SYNC.md, "What stays on the laptop").
LOCAL_TABLES = frozenset({"outbox_destinations", "outbox_routes", "outbox_items", "outbox_attempts"})
# Columns that stay on the laptop: a change to only these (and updated_at) makes no op.
LOCAL_COLUMNS: dict[str, frozenset[str]] = {"accounts": frozenset({"last_sign_in_at"})}
# Rows without the Tracked columns that belong to a Tracked parent and move with it: one insert
# op per parent and flush, entity_id the parent's id, fields {"rows": [...]}. Append-only.
CHILD_TABLES: dict[str, str] = {"star_scores": "reading_id"}
STAMP_ONLY = frozenset({"updated_at"})
# Key slots (the unit key wrapped under each account's password) live in the vault, not in a table:
# they move as ops of this entity type, written and applied by keyworker/sync/slots.py.
VAULT_SLOTS = "vault_slots"


@dataclass(frozen=True)
class OutgoingOp:
    """An op as it is pushed: everything the hub stores, the payload sealed."""

    op_id: str
    device_id: str
    device_seq: int
    entity_type: str
    entity_id: str
    base_seq: int | None
    created_at: datetime
    payload: bytes


@lru_cache(maxsize=None)
def _columns(table: Table) -> tuple[tuple[str, Column[Any]], ...]:
    """(attribute key, column) of a mapped table; keys equal column names in Keyworker."""
    return tuple((c.key, c) for c in table.columns)


@lru_cache(maxsize=None)
def table_order() -> dict[str, int]:
    """Parents before children: ops of one flush are numbered in this order."""
    return {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}


def synced_tables() -> list[Table]:
    """Every table whose rows move as ops, parents first."""
    tracked = {cast(Table, m.local_table).name for m in Base.registry.mappers if issubclass(m.class_, Tracked)}
    return [t for t in Base.metadata.sorted_tables
            if (t.name in tracked and t.name not in LOCAL_TABLES) or t.name in CHILD_TABLES]


def _seal(keyring: Keyring | None, op_id: str, etype: str, eid: str, plain: bytes) -> tuple[int, bytes]:
    if keyring is None:
        return 0, plain  # sealed by pending_ops before it leaves (a session without the keyring)
    return keyring.seal(op_id, etype, eid, plain)


def _payload(actor: str | None, kind: str, fields: dict[str, Any]) -> bytes:
    return codec.pack({"by": actor, "k": kind, "f": fields})


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


_SEQ = "sync_last_seq"  # session.info: (root transaction, device, last device_seq taken in it)


def next_seq(session: Session, device_id: str, take: int = 0) -> int:
    """The last device_seq this device used (0: none), then `take` more are this caller's (the
    next is the returned value + 1). Under the write lock of the transaction: one indexed lookup
    per transaction, the rest from session.info (dropped on any rollback, savepoints too)."""
    tx = session.get_transaction()
    held = session.info.get(_SEQ)
    if held is not None and held[0] is tx and held[1] == device_id:
        last = held[2]
    else:
        last = session.connection().execute(
            select(OPS_T.c.device_seq).where(OPS_T.c.device_id == device_id)
            .order_by(OPS_T.c.device_seq.desc()).limit(1)).scalar() or 0
    session.info[_SEQ] = (tx, device_id, last + take)
    return int(last)


@event.listens_for(Session, "after_soft_rollback")
def _forget_seq(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_SEQ, None)


def write_ops(session: Session, flush_context: Any) -> None:
    ctx = session.info.get("ctx")
    if ctx is None or session.info.get(APPLYING):
        return
    found: list[tuple[int, int, str, str, str, dict[str, Any]]] = []  # order, seq-in-flush, type, id, kind, fields
    children: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    order = table_order()
    new = session.new
    for state, (isdelete, listonly) in flush_context.states.items():
        if isdelete or listonly:
            continue
        obj = state.obj()
        if obj is None:
            continue
        table = state.mapper.local_table
        name = table.name
        if isinstance(obj, Tracked):
            if name in LOCAL_TABLES:
                continue
            d = state.dict
            if obj in new:
                fields = {k: codec.encode(d[k]) for k, _ in _columns(table) if k in d}
                found.append((order[name], state.insert_order or 0, name, obj.id, "insert", fields))
            else:
                committed = state.committed_state
                if not committed:
                    continue
                local = LOCAL_COLUMNS.get(name, frozenset())
                fields = {}
                for k, _ in _columns(table):
                    if k in committed and k not in local and k in d and committed[k] != d[k]:
                        fields[k] = codec.encode(d[k])
                if fields.keys() - STAMP_ONLY:
                    found.append((order[name], 1 << 60, name, obj.id, "update", fields))
        elif name in CHILD_TABLES and obj in new:
            d = state.dict
            row = {k: codec.encode(d[k]) for k, _ in _columns(table) if k in d}
            children[(name, d[CHILD_TABLES[name]])].append(row)
    for (name, parent), rows in children.items():
        rows.sort(key=codec.dumps)
        found.append((order[name], 0, name, parent, "insert", {"rows": rows}))
    if not found:
        return
    found.sort(key=lambda f: (f[0], f[1]))
    keyring = session.info.get(KEYRING)
    seq = next_seq(session, ctx.device_id, len(found))
    now = ctx.clock.now()
    rows = []
    for _, _, name, eid, kind, fields in found:
        seq += 1
        op_id = new_id()
        epoch, payload = _seal(keyring, op_id, name, eid, _payload(ctx.actor_id, kind, fields))
        rows.append({"op_id": op_id, "device_id": ctx.device_id, "device_seq": seq, "entity_type": name,
                     "entity_id": eid, "kind": kind, "base_seq": None, "key_epoch": epoch, "payload": payload,
                     "created_at": now, "unit_seq": None, "acknowledged": False})
    session.connection().execute(insert(OPS_T), rows)


def resolve_bases(session: Session, device_id: str) -> None:
    """Give this device's unresolved updates their base: the entity's head as it stands now
    (the head they were written on: heads move only when a page is applied, which calls this
    first). 0 when nothing on the entity has been met in hub order."""
    session.connection().execute(text(
        "UPDATE sync_ops SET base_seq = coalesce((SELECT max(h.unit_seq) FROM sync_heads h "
        "WHERE h.entity_type = sync_ops.entity_type AND h.entity_id = sync_ops.entity_id), 0) "
        "WHERE device_id = :d AND acknowledged = 0 AND kind = 'update' AND base_seq IS NULL"), {"d": device_id})


def pending_ops(session: Session, limit: int = 500) -> list[OutgoingOp]:
    """This device's ops the hub has not answered yet, in device_seq order, sealed and with their
    bases resolved (both stored, so a push that is repeated sends the same bytes)."""
    ctx = session.info["ctx"]
    keyring: Keyring = session.info[KEYRING]
    resolve_bases(session, ctx.device_id)
    conn = session.connection()
    t = OPS_T
    # "= 0", not "IS 0": SQLite uses the partial index ix_sync_ops_open only for the former, and a
    # laptop that brought its unit to the hub has every row's op under its own device id.
    cond = (t.c.device_id == ctx.device_id) & (t.c.acknowledged == False) & (t.c.unit_seq.is_(None))  # noqa: E712
    for r in conn.execute(select(t.c.op_id, t.c.entity_type, t.c.entity_id, t.c.payload)
                          .where(cond, t.c.key_epoch == 0)).all():
        epoch, sealed = keyring.seal(r.op_id, r.entity_type, r.entity_id, r.payload)
        conn.execute(update(t).where(t.c.op_id == r.op_id).values(key_epoch=epoch, payload=sealed))
    rows = conn.execute(select(t).where(cond).order_by(t.c.device_seq).limit(limit)).all()
    return [OutgoingOp(r.op_id, r.device_id, r.device_seq, r.entity_type, r.entity_id, r.base_seq, r.created_at,
                       r.payload) for r in rows]


def record_acks(session: Session, acks: list[tuple[str, int]]) -> None:
    """Store the hub's answer: each op's unit_seq. From then on it is "pushed"."""
    if not acks:
        return
    t = OPS_T
    session.connection().execute(
        update(t).where(t.c.op_id == bindparam("o"), t.c.unit_seq.is_(None)).values(unit_seq=bindparam("s")),
        [{"o": o, "s": s} for o, s in acks])


def seed_ops(session: Session) -> int:
    """An insert op, with the row as it stands, for every synchronised row that has no insert op
    yet (rows written by bulk writers: the demo, the CSV importer). Run once when a laptop first
    joins a hub, under the write lock. Returns how many ops it wrote."""
    ctx = session.info["ctx"]
    keyring = session.info.get(KEYRING)
    conn = session.connection()
    ops_t = OPS_T
    seq = next_seq(session, ctx.device_id)
    session.info.pop(_SEQ, None)  # it takes many: the next caller looks again
    now = ctx.clock.now()
    written = 0
    for table in synced_tables():
        has_op = select(ops_t.c.entity_id).where(ops_t.c.entity_type == table.name, ops_t.c.kind == "insert")
        items: list[tuple[str, dict[str, Any]]]
        if table.name in CHILD_TABLES:
            parent_col = table.c[CHILD_TABLES[table.name]]
            grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for r in conn.execute(select(table).where(parent_col.not_in(has_op))).mappings():
                grouped[r[parent_col.name]].append({k: codec.encode(r[c.name]) for k, c in _columns(table)})
            items = [(pid, {"rows": sorted(rows, key=codec.dumps)}) for pid, rows in sorted(grouped.items())]
        else:
            items = [(r["id"], {k: codec.encode(r[c.name]) for k, c in _columns(table)})
                     for r in conn.execute(select(table).where(table.c.id.not_in(has_op)).order_by(table.c.id))
                     .mappings()]
        batch = []
        for eid, fields in items:
            seq += 1
            op_id = new_id()
            epoch, payload = _seal(keyring, op_id, table.name, eid, _payload(_str(fields.get("created_by")), "insert", fields))
            batch.append({"op_id": op_id, "device_id": ctx.device_id, "device_seq": seq,
                          "entity_type": table.name, "entity_id": eid, "kind": "insert", "base_seq": None,
                          "key_epoch": epoch, "payload": payload, "created_at": now, "unit_seq": None,
                          "acknowledged": False})
            if len(batch) >= 1000:
                conn.execute(insert(ops_t), batch)
                written += len(batch)
                batch = []
        if batch:
            conn.execute(insert(ops_t), batch)
            written += len(batch)
    return written


def record_rows(session: Session, table_name: str, ids: list[str], columns: list[str] | None = None) -> int:
    """Ops for rows a bulk writer changed with Core statements (the CSV importer, an import's
    undo), in the caller's transaction: an insert op with the whole row for a row that has no
    insert op yet, otherwise an update op with `columns` (default: every column). Returns how many."""
    ctx = session.info["ctx"]
    if session.info.get(APPLYING) or not ids:
        return 0
    keyring = session.info.get(KEYRING)
    conn = session.connection()
    table = Base.metadata.tables[table_name]
    ops_t = OPS_T
    have = set(conn.execute(select(ops_t.c.entity_id).where(ops_t.c.entity_type == table_name, ops_t.c.kind == "insert",
                                                             ops_t.c.entity_id.in_(ids))).scalars())
    seq = next_seq(session, ctx.device_id)
    session.info.pop(_SEQ, None)  # it takes many: the next caller looks again
    now = ctx.clock.now()
    batch = []
    for r in conn.execute(select(table).where(table.c.id.in_(ids)).order_by(table.c.id)).mappings():
        kind = "update" if r["id"] in have else "insert"
        cols = [c for k, c in _columns(table) if kind == "insert" or columns is None or k in columns]
        fields = {c.key: codec.encode(r[c.name]) for c in cols}
        seq += 1
        op_id = new_id()
        epoch, payload = _seal(keyring, op_id, table_name, r["id"], _payload(ctx.actor_id, kind, fields))
        batch.append({"op_id": op_id, "device_id": ctx.device_id, "device_seq": seq, "entity_type": table_name,
                      "entity_id": r["id"], "kind": kind, "base_seq": None, "key_epoch": epoch, "payload": payload,
                      "created_at": now, "unit_seq": None, "acknowledged": False})
    if batch:
        conn.execute(insert(ops_t), batch)
    return len(batch)


def adopt_ops(session: Session) -> int:
    """Give this device every op in the log that was never pushed and was written under another
    device id: a unit used before it joined a hub, under a device id since changed (a new user
    profile, KEYWORKER_DEVICE_ID). Only for the laptop that brings the unit to the hub: a laptop
    that joins pulls the unit instead. Returns how many."""
    ctx = session.info["ctx"]
    conn = session.connection()
    t = OPS_T
    rows = conn.execute(select(t.c.op_id).where(t.c.device_id != ctx.device_id, t.c.acknowledged.is_(False),
                                                t.c.unit_seq.is_(None))
                        .order_by(t.c.created_at, t.c.device_id, t.c.device_seq)).scalars().all()
    seq = next_seq(session, ctx.device_id)
    session.info.pop(_SEQ, None)  # it takes many: the next caller looks again
    for op_id in rows:
        seq += 1
        conn.execute(update(t).where(t.c.op_id == op_id).values(device_id=ctx.device_id, device_seq=seq))
    return len(rows)


def clear_unsent_history(session: Session) -> int:
    """What the first laptop of a unit does before it uploads the unit as a snapshot
    (keyworker/sync/snapshot.py): the ops it wrote before it had a hub were never pushed, and the
    snapshot holds their result, so they go rather than reach the others a second time. Returns
    how many."""
    gone = session.connection().execute(delete(OPS_T).where(OPS_T.c.unit_seq.is_(None)))  # hard-delete-ok: never-sent op-log history, superseded by the snapshot
    session.info.pop(_SEQ, None)
    return int(gone.rowcount or 0)


def first_join(session: Session) -> int:
    """What the first laptop of a unit does before its first push: adopt the ops of earlier device
    ids, then seed ops for the rows that have none. Returns how many ops it will push."""
    adopted = adopt_ops(session)
    return adopted + seed_ops(session)
