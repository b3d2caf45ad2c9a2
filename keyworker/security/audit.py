"""The audit chain: every entry's hash covers its fields and the previous entry's hash, so an
altered, inserted or removed row breaks the chain from that point on. Entries are written in the
same transaction as the change they describe."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker.db.foundation import AuditEntry

GENESIS = "0" * 64


def _canonical(entry: AuditEntry) -> bytes:
    fields = [
        entry.seq,
        entry.at.isoformat(),
        entry.actor_id,
        entry.actor_name,
        entry.device_id,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.resident_id,
        entry.detail,
        entry.prev_hash,
    ]
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


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
    entries: int
    first_broken_seq: int | None = None
    problem: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "first_broken_seq": self.first_broken_seq,
                "problem": self.problem}


def verify(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the chain in order; name the first entry whose link or content does not match."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    last_seq = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            break
        for e in rows:
            count += 1
            if e.seq != expected_seq:
                return ChainReport(False, count, expected_seq, f"entry {expected_seq} is missing")
            if e.prev_hash != prev:
                return ChainReport(False, count, e.seq, f"entry {e.seq} does not link to entry {e.seq - 1}")
            if entry_hash(e) != e.hash:
                return ChainReport(False, count, e.seq, f"entry {e.seq} was altered after it was written")
            prev = e.hash
            expected_seq += 1
            last_seq = e.seq
        session.expunge_all()
    return ChainReport(True, count)
