"""The audit chain: every entry's hash covers its fields and the previous entry's hash, so an
altered, inserted or removed row breaks the chain from that point on. Entries are written in the
same transaction as the change they describe."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker.db.foundation import AuditEntry

GENESIS = "0" * 64

# What an entry's hash covers, in this order: the one definition, for writing and for walking.
CANONICAL_FIELDS = ("seq", "at", "actor_id", "actor_name", "device_id", "action", "entity", "entity_id",
                    "resident_id", "detail", "prev_hash")
_AT = CANONICAL_FIELDS.index("at")
# json.dumps with these arguments builds this same encoder on every call; one is enough.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
# The walk reads these columns (the canonical fields, then the stored hash) as plain tuples from
# the driver, not ORM objects or SQLAlchemy rows (500,000 entries in 5.7 s, against 7 s as rows and
# 14 s as objects: docs/BENCHMARKS.md), and
# gives each value its column type's own result processing (`at`: the aware UTC datetime the ORM
# gives an entry), so canonical() sees exactly what _canonical(entry) sees.
_WALK_NAMES = (*CANONICAL_FIELDS, "hash")
_WALK_COLUMNS = [getattr(AuditEntry, name) for name in _WALK_NAMES]
_WALK_SQL = (f"SELECT {', '.join(_WALK_NAMES)} FROM {AuditEntry.__tablename__} "
             "WHERE seq > ? ORDER BY seq LIMIT ?")
WALK_BATCH = 20000  # rows per keyset query (seq > last): a few MB in memory at a time


def canonical(values: Sequence[Any]) -> bytes:
    """The bytes an entry's hash covers, from its CANONICAL_FIELDS values in order."""
    fields = list(values[: len(CANONICAL_FIELDS)])
    fields[_AT] = fields[_AT].isoformat()
    return _encode(fields).encode("utf-8")


def _canonical(entry: AuditEntry) -> bytes:
    return canonical([getattr(entry, name) for name in CANONICAL_FIELDS])


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def append(
    session: Session,
    *,
    at: datetime,
    actor_id: str | None,
    actor_name: str,
    device_id: str,
    action: str,
    entity: str,
    entity_id: str | None = None,
    resident_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry to the chain inside the caller's transaction (which holds the write lock)."""
    last = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    entry = AuditEntry(
        seq=seq,
        at=at.astimezone(UTC),  # hashed as stored: the column keeps UTC
        actor_id=actor_id,
        actor_name=actor_name,
        device_id=device_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        resident_id=resident_id,
        detail=json.dumps(detail or {}, sort_keys=True, ensure_ascii=False, default=str),
        prev_hash=prev,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush([entry])
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int  # entries walked (up to and including the first broken one)
    first_broken_seq: int | None = None
    problem: str | None = None
    # The last entry the walk found sound: where a later walk may continue from (0: none).
    last_seq: int = 0
    last_hash: str = GENESIS

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "first_broken_seq": self.first_broken_seq,
                "problem": self.problem}


def _batches(session: Session, after_seq: int, batch: int) -> Iterator[list[Any]]:
    """The entries after `after_seq` in order, `batch` at a time, as lists of _WALK_NAMES values."""
    conn = session.connection()  # in the session's transaction: the same snapshot as its other reads
    table = AuditEntry.__table__
    processors = [(i, proc) for i, name in enumerate(_WALK_NAMES)
                  if (proc := table.c[name].type.dialect_impl(conn.dialect).result_processor(conn.dialect, None))
                  is not None]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        while True:
            rows: list[Any] = cursor.execute(_WALK_SQL, (after_seq, batch)).fetchall()
            if not rows:
                return
            if processors:
                rows = [list(r) for r in rows]
                for r in rows:
                    for i, proc in processors:
                        r[i] = proc(r[i])
            yield rows
            after_seq = rows[-1][0]
    finally:
        cursor.close()


def verify(session: Session, *, after: tuple[int, str] | None = None, batch: int = WALK_BATCH) -> ChainReport:
    """Walk the chain in order; name the first entry whose link or content does not match.
    With `after` = (seq, hash) of an entry a walk already found sound, walk only the entries
    after it: the first of them must link to that hash."""
    last_seq, prev = after or (0, GENESIS)
    expected_seq = last_seq + 1
    count = 0
    sha256 = hashlib.sha256
    n = len(CANONICAL_FIELDS)
    for rows in _batches(session, last_seq, batch):
        for row in rows:
            count += 1
            seq, prev_hash, stored = row[0], row[n - 1], row[n]
            if seq != expected_seq:
                return ChainReport(False, count, expected_seq, f"entry {expected_seq} is missing", last_seq, prev)
            if prev_hash != prev:
                return ChainReport(False, count, seq, f"entry {seq} does not link to entry {seq - 1}", last_seq, prev)
            if sha256(canonical(row)).hexdigest() != stored:
                return ChainReport(False, count, seq, f"entry {seq} was altered after it was written", last_seq, prev)
            prev = stored
            expected_seq += 1
            last_seq = seq
    return ChainReport(True, count, last_seq=last_seq, last_hash=prev)


def changed_since(session: Session, seq: int, hash_: str) -> str | None:
    """None if entry `seq` is still there with hash `hash_` and its content still hashes to it;
    else what differs, in words."""
    row = session.execute(select(*_WALK_COLUMNS).where(AuditEntry.seq == seq)).first()
    if row is None:
        return f"entry {seq} is no longer in the trail"
    if row[len(CANONICAL_FIELDS)] != hash_:
        return f"entry {seq} is not the one it verified"
    if hashlib.sha256(canonical(row)).hexdigest() != hash_:
        return f"entry {seq} was altered since"
    return None
