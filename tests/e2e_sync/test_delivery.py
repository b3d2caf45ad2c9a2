"""A letter's delivery, seen from another laptop (through a real hub): the outbox stays on the
laptop that queued the letter, and what it did reaches every laptop's Documents tab as a change
to the document's row: "Waiting to send", then "Sent ...", said to come from another laptop."""
from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import update

from keyworker.clock import FixedClock
from keyworker.db.documents import Document
from keyworker.db.outbox import OutboxItem
from keyworker.outbox import queue
from keyworker.sync.run import sync_once
from tests.e2e_sync.helpers import bootstrap, join, open_laptop


def test_another_laptop_sees_a_letter_sent_from_this_one(hub, certs, db_path: Path, tmp_path: Path,
                                                        clock: FixedClock) -> None:
    from tests.sync.test_apply import _resident_with_plan

    unit, admin, _ = bootstrap(hub, certs, db_path, clock)
    join(unit, admin, "B", tmp_path)
    admin.close()
    a, b = open_laptop(unit, "A", "manager"), open_laptop(unit, "B", "manager")
    try:
        rid = _resident_with_plan(a, "Lee", "Park")[0]
        pdf = b"%PDF-1.4 a discharge letter"
        with a._write() as s:
            doc = Document(resident_id=rid, kind="discharge_letter", title="Discharge letter", content=pdf,
                           sha256=hashlib.sha256(pdf).hexdigest())
            s.add(doc)
            s.flush()
            item = queue.enqueue_document(a, s, doc, recipient=queue.Recipient(name="Dr Patel", role="gp"))
            doc_id, item_id = doc.id, item.id
        sync_once(a)
        sync_once(b)
        seen = b.documents.delivery(rid)[doc_id]
        assert seen.label == "Waiting to send (no destination set)" and queue.ELSEWHERE in seen.detail
        assert "To Dr Patel." in seen.detail
        # A's outbox delivers it (as its worker writes the result)
        clock.advance(minutes=3)
        sent_at = clock.now()
        with a._write() as s:
            s.execute(update(OutboxItem).where(OutboxItem.id == item_id).values(
                status="delivered", delivered_at=sent_at, updated_at=sent_at))
        mine = a.documents.delivery(rid)[doc_id]
        assert mine.label.startswith("Sent ") and queue.ELSEWHERE not in mine.detail  # A's own outbox
        sync_once(a)
        sync_once(b)
        theirs = b.documents.delivery(rid)[doc_id]
        assert theirs.state == queue.SENT and theirs.label == mine.label and theirs.delivered_at == sent_at
        assert theirs.detail == f"To Dr Patel. {queue.ELSEWHERE}"
        # an idle round shares nothing again
        sync_once(a)
        with a._read() as s:
            assert s.get(Document, doc_id).delivery_state == queue.SENT
    finally:
        a.close()
        b.close()
