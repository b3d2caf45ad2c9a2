"""`book.outbox`: what the outbox holds, for `check --json` (and, as the outbox grows, the
status bar and the Outbox page). Counting reads no payloads: the due index covers it."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyworker.db.outbox import WAITING, OutboxItem
from keyworker.errors import ValidationError
from keyworker.input_types import typed_inputs

if TYPE_CHECKING:
    from keyworker.casebook import Casebook
    from keyworker.outbox.worker import RunReport


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

    # -- delivery (part W1: keyworker/outbox/worker.py) --------------------------------------------
    # Kept in its own block at the end of the class so the Outbox page's methods merge beside it.
    @typed_inputs
    def deliver_now(self, limit: int | None = None) -> RunReport:
        """Send what is due now, as the signed-in user (the app's background worker, `outbox
        deliver`). Open to every signed-in user: it reads items, not records, shows no content,
        and every attempt is audited. Raises UnitLocked when the unit is locked."""
        from keyworker.outbox.worker import DeliveryWorker

        if limit is not None and limit < 1:
            raise ValidationError({"limit": "How many to send must be at least 1."})
        return DeliveryWorker(self._book).run_once(limit)
