"""Putting an item in the outbox: it commits with the record it belongs to or not at all, takes
its kind's default destination, waits visibly with none, and keeps one idempotency key."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from keyworker.db.foundation import AuditEntry
from keyworker.db.outbox import OutboxDestination, OutboxItem, OutboxRoute
from keyworker.outbox.queue import Recipient, enqueue, idempotency_key


def _count(book) -> int:  # type: ignore[no-untyped-def]
    with book._read() as s:
        return int(s.scalar(select(func.count()).select_from(OutboxItem)) or 0)


def test_an_item_commits_with_the_caller_and_is_audited(worker_book) -> None:  # type: ignore[no-untyped-def]
    with worker_book._write() as s:
        item = enqueue(worker_book, s, kind="review_invitation", title="Review invitation", payload=b"%PDF-1.4 x",
                       filename="Review-invitation.pdf", recipient=Recipient("Sam Referrer", "sam@council.example",
                                                                             "referrer"))
        item_id = item.id
    with worker_book._read() as s:
        row = s.get(OutboxItem, item_id)
        assert row is not None and row.status == "pending" and row.attempts == 0
        assert row.destination_id is None  # no destination set: waits visibly
        assert row.sha256 == hashlib.sha256(b"%PDF-1.4 x").hexdigest()
        assert row.recipient_email == "sam@council.example"
        audited = s.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "outbox.enqueue")).all()
        assert item_id in audited
    from keyworker.audit_words import sentence
    assert "no destination set" in sentence("outbox.enqueue", {"title": "Review invitation", "destination": False},
                                            "worker")


def test_a_failed_write_leaves_no_item(worker_book) -> None:  # type: ignore[no-untyped-def]
    before = _count(worker_book)
    with pytest.raises(RuntimeError):
        with worker_book._write() as s:
            enqueue(worker_book, s, kind="decline_letter", title="Letter", payload=b"x", filename="x.pdf")
            raise RuntimeError("the decision failed after the letter was queued")
    assert _count(worker_book) == before


def test_the_kind_default_destination_is_taken(admin_book) -> None:  # type: ignore[no-untyped-def]
    with admin_book._write() as s:
        d = OutboxDestination(name="Council secure email", transport="smtp", settings="{}", enabled=True)
        s.add(d)
        s.flush()
        s.add(OutboxRoute(kind="decline_letter", destination_id=d.id))
        s.flush()
        routed = enqueue(admin_book, s, kind="decline_letter", title="Letter", payload=b"a", filename="a.pdf")
        unrouted = enqueue(admin_book, s, kind="review_invitation", title="Inv", payload=b"b", filename="b.pdf")
        assert routed.destination_id == d.id
        assert unrouted.destination_id is None


def test_the_idempotency_key_is_stable_per_item_and_recipient() -> None:
    a = Recipient("Sam", "sam@x.example", "referrer")
    assert idempotency_key("unit", "decline_letter", "doc1", a) == idempotency_key("unit", "decline_letter", "doc1",
                                                                                   Recipient("Sam", "SAM@x.example",
                                                                                             "referrer"))
    assert idempotency_key("unit", "decline_letter", "doc1", a) != idempotency_key(
        "unit", "decline_letter", "doc1", Recipient("GP", "gp@x.example", "gp"))
    assert idempotency_key("unit", "decline_letter", "doc1", a) != idempotency_key("unit", "decline_letter", "doc2", a)
    assert len(idempotency_key("unit", "k", "s", None)) <= 80


def test_the_same_item_twice_is_refused_by_its_key(worker_book) -> None:  # type: ignore[no-untyped-def]
    from keyworker.errors import DatabaseError
    before = _count(worker_book)
    with pytest.raises(DatabaseError, match="idempotency_key"):
        with worker_book._write() as s:
            enqueue(worker_book, s, kind="decline_letter", title="L", payload=b"x", filename="x.pdf", subject="r1")
            enqueue(worker_book, s, kind="decline_letter", title="L", payload=b"x", filename="x.pdf", subject="r1")
    assert _count(worker_book) == before


def test_check_reports_what_waits_how_long_and_what_is_quarantined(worker_book, clock) -> None:  # type: ignore[no-untyped-def]
    empty = worker_book.check(integrity=False)
    assert (empty["outbox_waiting"], empty["outbox_oldest_minutes"], empty["outbox_quarantined"]) == (0, 0, 0)
    with worker_book._write() as s:
        enqueue(worker_book, s, kind="decline_letter", title="A", payload=b"a", filename="a.pdf")
    clock.advance(minutes=90)
    with worker_book._write() as s:
        enqueue(worker_book, s, kind="decline_letter", title="B", payload=b"b", filename="b.pdf")
        refused = enqueue(worker_book, s, kind="decline_letter", title="C", payload=b"c", filename="c.pdf")
        refused.status = "quarantined"
    report = worker_book.check(integrity=False)
    assert report["outbox_waiting"] == 2
    assert report["outbox_oldest_minutes"] == 90
    assert report["outbox_quarantined"] == 1
