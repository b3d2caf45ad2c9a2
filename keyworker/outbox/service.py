"""`book.outbox`: what the outbox holds, for `check --json` (and, as the outbox grows, the
status bar and the Outbox page). Counting reads no payloads: the due index covers it."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyworker.db.outbox import WAITING, OutboxItem

if TYPE_CHECKING:
    from keyworker.casebook import Casebook


class OutboxService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def counts(self, session: Session) -> dict[str, Any]:
        """How many items wait, how old the oldest is in whole minutes (0 with none), how many
        are quarantined waiting for a person."""
        waiting, oldest = session.execute(
            select(func.count(), func.min(OutboxItem.created_at))
            .where(OutboxItem.status.in_(WAITING), OutboxItem.archived.is_(False))).one()
        quarantined = session.scalar(select(func.count()).select_from(OutboxItem)
                                     .where(OutboxItem.status == "quarantined", OutboxItem.archived.is_(False)))
        minutes = 0
        if oldest is not None:  # min() comes back naive UTC from SQLite, whatever the column type
            at: datetime = oldest if oldest.tzinfo is not None else oldest.replace(tzinfo=UTC)
            minutes = max(0, int((self._book.clock.now() - at).total_seconds() // 60))
        return {"outbox_waiting": int(waiting or 0), "outbox_oldest_minutes": minutes,
                "outbox_quarantined": int(quarantined or 0)}
