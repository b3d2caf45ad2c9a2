"""Bulk writing for imports and the demo: Core executemany inserts instead of one ORM object per
row (a 10,000-row import must take seconds, not minutes). Core inserts skip the unit of work's
`stamp_rows`, so the Tracked columns are filled here; audit entries are chained in memory with
the same hash as keyworker.security.audit and inserted in one statement."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from keyworker.db.base import Base
from keyworker.db.foundation import AuditEntry
from keyworker.ids import new_id
from keyworker.security.audit import GENESIS, entry_hash

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

CHUNK = 2000  # rows per executemany; well inside SQLite's limits


def stamp(book: Casebook, row: dict[str, Any]) -> dict[str, Any]:
    """Fill the Tracked columns as the unit of work would (keeps any id already chosen)."""
    now = book.clock.now()
    row.setdefault("id", new_id())
    row.setdefault("created_at", now)
    row.setdefault("updated_at", row["created_at"])
    row.setdefault("created_by", book.actor.id)
    row.setdefault("device_id", book.device_id)
    row.setdefault("archived", False)
    return row


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        # Core insert on the table: no ORM bulk machinery, one executemany per chunk.
        session.connection().execute(insert(model), list(rows[i : i + CHUNK]))


@dataclass(frozen=True)
class AuditItem:
    action: str
    entity: str
    entity_id: str | None = None
    resident_id: str | None = None
    detail: dict[str, Any] | None = None
    # The demo's history only: when it happened and who did it (account id, username); else now, the actor.
    at: datetime | None = None
    actor: tuple[str, str] | None = None


def append_audit(session: Session, book: Casebook, items: Iterable[AuditItem]) -> int:
    """Append many audit entries to the chain inside the caller's transaction."""
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    now = book.clock.now().astimezone(UTC)
    rows: list[dict[str, Any]] = []
    for it in items:
        seq += 1
        actor_id, actor_name = it.actor or (book.actor.id, book.actor.username)
        # A plain row, not an ORM object (which costs more than the hash): entry_hash reads the
        # same attributes. It covers `at` as stored (naive UTC read back as aware UTC), as audit.append does.
        e = SimpleNamespace(
            seq=seq,
            at=it.at.astimezone(UTC) if it.at else now,
            actor_id=actor_id,
            actor_name=actor_name,
            device_id=book.device_id,
            action=it.action,
            entity=it.entity,
            entity_id=it.entity_id,
            resident_id=it.resident_id,
            detail=json.dumps(it.detail, sort_keys=True, ensure_ascii=False, default=str) if it.detail else "{}",
            prev_hash=prev,
        )
        e.hash = prev = entry_hash(cast(AuditEntry, e))
        rows.append(vars(e))
    insert_rows(session, AuditEntry, rows)
    return len(rows)
