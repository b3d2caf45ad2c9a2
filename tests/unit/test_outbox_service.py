"""The Outbox page's side of `book.outbox`: the list in words (resident by reference, never by name),
the status bar's line measured from the destinations, a senior's actions with the states each
refuses, who may do what, and the password shown once and stored nowhere."""
from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import event, select

from keyworker.db.foundation import AuditEntry
from keyworker.db.outbox import OutboxItem
from keyworker.errors import NotFound, PermissionDenied, ValidationError
from tests.fixtures.caseload import accepted_referral, admit, last_audit
from tests.fixtures.outbox_items import add_destination, add_item, pdf_bytes


class Statements:
    """Every SQL statement the book runs while in the block."""

    def __init__(self, book) -> None:  # type: ignore[no-untyped-def]
        self.engines = (book._engine, book._read_engine)
        self.seen: list[str] = []

    def _note(self, _c, _cur, statement: str, *_a) -> None:  # type: ignore[no-untyped-def]
        self.seen.append(statement)

    def __enter__(self) -> Statements:
        for e in self.engines:
            event.listen(e, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *_exc: object) -> None:
        for e in self.engines:
            event.remove(e, "before_cursor_execute", self._note)


def _by_title(views):  # type: ignore[no-untyped-def]
    return {v.title: v for v in views}


def test_each_state_reads_in_words_and_the_resident_by_reference(manager_book, clock) -> None:  # type: ignore[no-untyped-def]
    book = manager_book
    rec = admit(book, given_name="Ana", family_name="Alder")
    on = add_destination(book, "Council secure email")
    off = add_destination(book, "Old SFTP drop", "sftp", enabled=False)
    add_item(book, "Waiting one", destination_id=on, resident_id=rec.id)
    add_item(book, "Nowhere to go")
    add_item(book, "Turned off", destination_id=off)
    add_item(book, "Being sent", status="in_flight", destination_id=on)
    add_item(book, "Refused", status="quarantined", destination_id=on,
             attempts=[("permanent", "550 mailbox unavailable")], last_error="550 mailbox unavailable")
    add_item(book, "Arrived", status="delivered", destination_id=on, attempts=[("delivered", None)],
             receipt="250 OK id=1")
    views = _by_title(book.outbox.items())
    assert {t: v.status_label for t, v in views.items() if t in (
        "Waiting one", "Nowhere to go", "Turned off", "Being sent", "Refused", "Arrived")} == {
        "Waiting one": "Waiting", "Nowhere to go": "No destination set", "Turned off": "Destination turned off",
        "Being sent": "Sending", "Refused": "Needs attention", "Arrived": "Delivered"}
    w = views["Waiting one"]
    assert w.kind_label == "Decline letter"
    assert w.reference == rec.reference and "Alder" not in w.reference
    assert w.recipient == "Pat Fielding (referrer) <pat.fielding@lancashire.gov.uk>"
    assert w.destination_name == "Council secure email" and w.attempts == 0 and w.next_attempt_at is not None
    assert views["Refused"].last_error == "550 mailbox unavailable" and views["Refused"].next_attempt_at is None
    assert views["Arrived"].receipt == "250 OK id=1" and views["Arrived"].delivered_at is not None
    # The acceptance letter queued by accept() belongs to the referral: once admitted, the reference shows.
    accepted = [v for v in views.values() if v.kind == "acceptance_confirmation"]
    assert accepted and accepted[0].reference == rec.reference
    assert accepted[0].kind_label == "Acceptance confirmation"


def test_a_referral_not_yet_admitted_shows_by_its_date_not_the_name(manager_book) -> None:  # type: ignore[no-untyped-def]
    accepted_referral(manager_book, given_name="Bea", family_name="Birch")
    v = manager_book.outbox.items()[0]
    assert v.reference == "Referral of 02/01/2026" and "Birch" not in v.reference + v.title + v.recipient


def test_filters_and_search(manager_book) -> None:  # type: ignore[no-untyped-def]
    book = manager_book
    dest = add_destination(book, "Authority API", "https")
    add_item(book, "Letter A", destination_id=dest)
    add_item(book, "Invitation B", kind="review_invitation")
    add_item(book, "Refused C", status="quarantined", destination_id=dest)
    add_item(book, "Sent D", status="delivered", destination_id=dest)
    add_item(book, "Stopped E", status="cancelled")
    titles = lambda **kw: sorted(v.title for v in book.outbox.items(**kw))  # noqa: E731
    assert titles(status="waiting") == ["Invitation B", "Letter A"]
    assert titles(status="quarantined") == ["Refused C"]
    assert titles(status="delivered") == ["Sent D"]
    assert titles(status="cancelled") == ["Stopped E"]
    assert len(titles()) == 5
    assert titles(search="review inv") == ["Invitation B"]  # the kind in words
    assert titles(search="authority") == ["Letter A", "Refused C", "Sent D"]  # the destination's name
    assert titles(search="100%_") == []  # wildcards are plain text
    with pytest.raises(ValidationError):
        book.outbox.items(status="everything")
    with pytest.raises(ValidationError):
        book.outbox.items(limit=0)


def test_no_payload_is_loaded_for_the_list_or_the_status(manager_book) -> None:  # type: ignore[no-untyped-def]
    add_item(manager_book, "Letter", destination_id=add_destination(manager_book))
    with Statements(manager_book) as st:
        manager_book.outbox.items()
        manager_book.outbox.status()
    assert st.seen and not [q for q in st.seen if "payload" in q]


def test_the_list_of_resident_items_is_audited(worker_book, manager_book) -> None:  # type: ignore[no-untyped-def]
    rec = admit(manager_book)
    item = add_item(manager_book, "Letter", resident_id=rec.id)
    worker_book.outbox.items()
    assert last_audit(worker_book)[0] == ("outbox.list", {"status": None, "searched": False, "rows": 2})
    worker_book.outbox.attempts(item)
    assert last_audit(worker_book)[0][0] == "outbox.history"


def test_status_counts_the_age_and_measures_online(manager_book, clock) -> None:  # type: ignore[no-untyped-def]
    book = manager_book
    st = book.outbox.status()
    assert (st.waiting, st.quarantined, st.online, st.destinations) == (0, 0, None, 0)
    assert st.text == "Outbox: 0 waiting"
    add_item(book, "Old")
    clock.advance(minutes=125)
    now = clock.now()
    down = add_destination(book, "Council secure email", unreachable=now - timedelta(minutes=1),
                           error="The mail server did not answer in time")
    add_item(book, "New", destination_id=down)
    add_item(book, "Bad", status="quarantined", destination_id=down)
    st = book.outbox.status()
    assert (st.waiting, st.oldest_minutes, st.quarantined, st.no_destination) == (2, 125, 1, 1)
    assert st.text == "Outbox: 2 waiting (oldest 2 h) · 1 needs attention"
    assert st.online is False and st.error == "Council secure email: The mail server did not answer in time"
    add_destination(book, "Authority API", "https", reached=now)  # any answer counts as reached
    st = book.outbox.status()
    assert st.online is True and st.destinations == 2
    assert "Alder" not in repr(st)


def test_status_is_open_to_every_role(admin_book, book_factory) -> None:  # type: ignore[no-untyped-def]
    add_item(admin_book, "Letter")
    assert admin_book.outbox.status().waiting == 1
    assert book_factory("nights").outbox.status().no_destination == 1


def test_a_key_worker_lists_but_does_not_act_and_the_administrator_does_not_list(
        worker_book, admin_book) -> None:  # type: ignore[no-untyped-def]
    item = add_item(worker_book, "Letter")
    assert [v.title for v in worker_book.outbox.items()] == ["Letter"]
    for act in (lambda: worker_book.outbox.cancel(item, "Sent by post instead"),
                lambda: worker_book.outbox.retry_now(item), lambda: worker_book.outbox.release(item),
                lambda: worker_book.outbox.protect_with_password(item)):
        with pytest.raises(PermissionDenied):
            act()
    with pytest.raises(PermissionDenied):
        admin_book.outbox.items()
    with pytest.raises(PermissionDenied):
        admin_book.outbox.attempts(item)


def _row(book, item_id):  # type: ignore[no-untyped-def]
    with book._read() as s:
        return s.get(OutboxItem, item_id)


def test_retry_now_makes_a_waiting_item_due_and_refuses_the_rest(manager_book, clock) -> None:  # type: ignore[no-untyped-def]
    book = manager_book
    dest = add_destination(book)
    item = add_item(book, "Letter", destination_id=dest)
    with book._write() as s:
        s.get(OutboxItem, item).next_attempt_at = clock.now() + timedelta(hours=3)  # backing off
    clock.advance(minutes=1)
    v = book.outbox.retry_now(item)
    assert v.status_label == "Waiting" and _row(book, item).next_attempt_at == clock.now()
    assert last_audit(book)[0] == ("outbox.retry_now", {"title": "Letter"})
    refusals = {
        add_item(book, "Nowhere"): "No destination is set",
        add_item(book, "Off", destination_id=add_destination(book, "Off", enabled=False)): "turned off",
        add_item(book, "Refused", status="quarantined", destination_id=dest): "release it from quarantine",
        add_item(book, "Busy", status="in_flight", destination_id=dest): "being sent right now",
        add_item(book, "Done", status="delivered", destination_id=dest): "was delivered on",
    }
    for item_id, words in refusals.items():
        with pytest.raises(ValidationError, match=words):
            book.outbox.retry_now(item_id)
    with pytest.raises(NotFound):
        book.outbox.retry_now("no-such-item")


def test_release_puts_a_quarantined_item_back_in_line(manager_book, clock) -> None:  # type: ignore[no-untyped-def]
    book = manager_book
    dest = add_destination(book)
    item = add_item(book, "Refused", status="quarantined", destination_id=dest,
                    attempts=[("permanent", "550 no such user")], last_error="550 no such user")
    v = book.outbox.release(item)
    assert v.status == "pending" and v.status_label == "Waiting" and v.attempts == 1
    row = _row(book, item)
    assert row.next_attempt_at == clock.now() and row.last_error == "550 no such user"  # history kept
    assert last_audit(book)[0][0] == "outbox.release"
    with pytest.raises(ValidationError, match="not in quarantine"):
        book.outbox.release(item)
    for status, words in (("in_flight", "being sent"), ("delivered", "delivered"), ("cancelled", "cancelled")):
        with pytest.raises(ValidationError, match=words):
            book.outbox.release(add_item(book, status, status=status, destination_id=dest))


def test_cancel_needs_a_reason_and_refuses_what_has_gone_or_is_going(manager_book) -> None:  # type: ignore[no-untyped-def]
    book = manager_book
    dest = add_destination(book)
    item = add_item(book, "Letter")
    for reason in ("", "   ", "no", "x" * 1001 + " y"):
        with pytest.raises(ValidationError) as e:
            book.outbox.cancel(item, reason)
        assert "reason" in e.value.fields
    v = book.outbox.cancel(item, "  Sent by post   instead ")
    assert v.status_label == "Cancelled" and v.cancelled_reason == "Sent by post instead"
    assert last_audit(book)[0] == ("outbox.cancel", {"title": "Letter", "reason": "Sent by post instead"})
    assert [x.title for x in book.outbox.items(status="cancelled")] == ["Letter"]  # kept, not deleted
    quarantined = add_item(book, "Refused", status="quarantined", destination_id=dest)
    assert book.outbox.cancel(quarantined, "The referrer has left the council").status == "cancelled"
    for status, words in (("delivered", "cannot be cancelled"), ("in_flight", "being sent right now"),
                          ("cancelled", "was cancelled")):
        with pytest.raises(ValidationError, match=words):
            book.outbox.cancel(add_item(book, status, status=status, destination_id=dest), "Not needed any more")


def test_the_attempt_history_in_words(manager_book) -> None:  # type: ignore[no-untyped-def]
    item = add_item(manager_book, "Letter", status="delivered", destination_id=add_destination(manager_book),
                    attempts=[("transient", "The mail server did not answer in time"), ("lease_expired", None),
                              ("delivered", None)], receipt="250 OK")
    rows = manager_book.outbox.attempts(item)
    assert [a.outcome_label for a in rows] == ["Not sent, will try again", "Interrupted (sent again later)",
                                               "Delivered"]
    assert rows[0].text.endswith("Not sent, will try again: The mail server did not answer in time")
    assert rows[2].receipt == "250 OK"
    with pytest.raises(NotFound):
        manager_book.outbox.attempts("no-such-item")


def _audit_text(book) -> str:  # type: ignore[no-untyped-def]
    with book._read() as s:
        return "\n".join(f"{a} {d}" for a, d in s.execute(select(AuditEntry.action, AuditEntry.detail)).all())


def test_a_password_protected_pdf_is_encrypted_now_and_the_password_is_kept_nowhere(manager_book) -> None:  # type: ignore[no-untyped-def]
    book = manager_book
    email = add_destination(book, "Council secure email")
    item = add_item(book, "Letter", destination_id=email, payload=pdf_bytes("Decline letter"))
    key = _row(book, item).idempotency_key
    password = book.outbox.protect_with_password(item)
    assert len(password) == 19 and password.count("-") == 3
    row = _row(book, item)
    reader = PdfReader(io.BytesIO(row.payload))
    assert reader.is_encrypted
    assert reader.decrypt("wrong-password").name == "NOT_DECRYPTED"
    assert reader.decrypt(password).name != "NOT_DECRYPTED" and len(reader.pages) == 1
    import hashlib
    assert row.sha256 == hashlib.sha256(row.payload).hexdigest() and row.password_protect
    assert row.idempotency_key == key
    # stored nowhere: not in the item's columns, not in any audit entry
    with book._read() as s:
        texts = [str(getattr(row, c.key)) for c in OutboxItem.__table__.columns if c.key != "payload"]
    assert not [t for t in texts if password in t]
    assert password not in _audit_text(book)
    assert last_audit(book)[0] == ("outbox.password_protect", {"title": "Letter"})
    assert book.outbox.items()[0].password_protect and not book.outbox.items()[0].can_protect
    with pytest.raises(ValidationError, match="already protected"):
        book.outbox.protect_with_password(item)


def test_only_a_waiting_pdf_by_email_or_with_no_destination_can_be_protected(manager_book) -> None:  # type: ignore[no-untyped-def]
    book = manager_book
    email = add_destination(book)
    assert book.outbox.protect_with_password(add_item(book, "No destination yet"))
    assert book.outbox.protect_with_password(add_item(book, "Refused", status="quarantined", destination_id=email))
    refusals = {
        add_item(book, "API", destination_id=add_destination(book, "Authority API", "https")): "not secure email",
        add_item(book, "CSV", destination_id=email, payload=b"a,b\n", mime_type="text/csv"): "Only a PDF",
        add_item(book, "Busy", status="in_flight", destination_id=email): "being sent right now",
        add_item(book, "Sent", status="delivered", destination_id=email): "delivered",
        add_item(book, "Broken", destination_id=email, payload=b"%PDF-not really"): "cannot be read",
    }
    for item_id, words in refusals.items():
        with pytest.raises(ValidationError, match=words):
            book.outbox.protect_with_password(item_id)


def test_a_real_decline_letter_is_listed_for_the_referrer(manager_book) -> None:  # type: ignore[no-untyped-def]
    from tests.fixtures.caseload import referral_input

    r = manager_book.referrals.record(referral_input(given_name="Cal", family_name="Cedar"))
    manager_book.referrals.decline(r.id, "no_vacancy", "No bed is free within the time the referral needs.")
    v = next(x for x in manager_book.outbox.items() if x.kind == "decline_letter")
    assert v.status_label == "No destination set" and v.recipient.startswith("Pat Fielding (referrer)")
    assert json.dumps([v.title, v.reference, v.recipient]).find("Cedar") == -1
