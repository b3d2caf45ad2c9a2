"""Every letter that must leave goes into the outbox with the record it belongs to: review
invitations, the declined-referrals report to the Authority's nominated person, the care plan
shared with services, the acceptance confirmation. One item per recipient, in the same
transaction (a failure after the enqueue leaves neither), no second item when a letter is issued
again, each document's delivery state in words, and the demo's letters waiting."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from keyworker import reviews as reviews_mod
from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.documents import Document
from keyworker.db.notes import CarePlanShare
from keyworker.db.outbox import OutboxDestination, OutboxItem
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.reports import quarter
from keyworker.sharing import ShareRecipient
from tests.fixtures.caseload import referral_input
from tests.fixtures.reports import at, decline_at
from tests.unit import care_helpers


def _items(book: Casebook, kind: str | None = None) -> list[OutboxItem]:
    with book._read() as s:
        q = select(OutboxItem).order_by(OutboxItem.created_at, OutboxItem.id)
        if kind:
            q = q.where(OutboxItem.kind == kind)
        return list(s.scalars(q))


def _docs(book: Casebook, kind: str) -> int:
    with book._read() as s:
        return int(s.scalar(select(func.count()).select_from(Document).where(Document.kind == kind)) or 0)


def _fail_on(book: Casebook, monkeypatch: pytest.MonkeyPatch, action: str) -> None:
    """Make the write fail at the audit entry `action`, after the outbox item has been added."""
    real = book._record

    def record(session: Any, act: str, *a: Any, **kw: Any) -> None:
        if act == action:
            raise RuntimeError("the disk failed mid-write")
        real(session, act, *a, **kw)

    monkeypatch.setattr(book, "_record", record)


# -- review invitations ------------------------------------------------------------------------
def test_an_invitation_sent_waits_in_the_outbox_for_the_referrer_by_their_email(worker_book: Casebook) -> None:
    rid, aid = care_helpers.admit(worker_book)
    made = worker_book.reviews.invitation_letter(aid, date(2026, 1, 19), kind="regular")
    assert _items(worker_book) == [] and _docs(worker_book, "review_invitation") == 0  # previewing sends nothing
    sent = worker_book.reviews.send_invitation(made)
    assert sent.created and sent.no_destination
    assert (sent.recipient_name, sent.recipient_email) == ("Priya Shah", "priya.shah@example.org")
    [item] = _items(worker_book)
    assert (item.kind, item.status, item.destination_id) == ("review_invitation", "pending", None)
    assert (item.recipient_name, item.recipient_email, item.recipient_role) == (
        "Priya Shah", "priya.shah@example.org", "referrer")
    assert item.document_id == sent.document_id and item.resident_id == rid
    assert item.payload == made.document.content
    assert [d.id for d in worker_book.documents.list(resident_id=rid)] == [sent.document_id]


def test_the_same_invitation_sent_again_is_not_a_second_item(worker_book: Casebook, clock: FixedClock) -> None:
    _, aid = care_helpers.admit(worker_book)
    first = worker_book.reviews.send_invitation(worker_book.reviews.invitation_letter(aid, date(2026, 1, 19)))
    clock.advance(minutes=30)  # made again later: a different PDF for the same meeting and person
    again = worker_book.reviews.invitation_letter(aid, date(2026, 1, 19))
    resent = worker_book.reviews.send_invitation(again)
    assert not resent.created and resent.item_id == first.item_id and resent.document_id == first.document_id
    assert len(_items(worker_book)) == 1 and _docs(worker_book, "review_invitation") == 1
    # another person, or another meeting, is another letter
    family = worker_book.reviews.send_invitation(worker_book.reviews.invitation_letter(
        aid, date(2026, 1, 19), invitee_role="family", invitee_name="Ann Whitfield"))
    later = worker_book.reviews.send_invitation(worker_book.reviews.invitation_letter(aid, date(2026, 2, 2)))
    assert family.created and later.created
    assert family.recipient_email is None  # no email on record for family: the destination decides
    assert len({i.idempotency_key for i in _items(worker_book)}) == 3


def test_a_failed_invitation_send_leaves_neither_the_document_nor_the_item(
        worker_book: Casebook, monkeypatch: pytest.MonkeyPatch) -> None:
    _, aid = care_helpers.admit(worker_book)
    made = worker_book.reviews.invitation_letter(aid, date(2026, 1, 19))

    def boom(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("failed after the item was queued")

    monkeypatch.setattr(reviews_mod, "InvitationSent", boom)
    with pytest.raises(RuntimeError):
        worker_book.reviews.send_invitation(made)
    assert _items(worker_book) == [] and _docs(worker_book, "review_invitation") == 0


def test_a_changed_invitation_is_refused(worker_book: Casebook, book_factory: Any) -> None:
    _, aid = care_helpers.admit(worker_book)
    made = worker_book.reviews.invitation_letter(aid, date(2026, 1, 19))
    forged = replace(made, document=replace(made.document, content=b"%PDF-1.4 something else"))
    with pytest.raises(ValidationError, match="changed after it was made"):
        worker_book.reviews.send_invitation(forged)
    from keyworker.reviews import Invitation

    someone_else = replace(made, invitation=Invitation("Ann Whitfield", "family", date(2026, 1, 5)))
    with pytest.raises(ValidationError, match="as the letter names them"):
        worker_book.reviews.send_invitation(someone_else)  # the letter is to the referrer
    with pytest.raises(PermissionDenied):
        book_factory("nights").reviews.send_invitation(made)
    assert _items(worker_book) == []


# -- the declined-referrals report -------------------------------------------------------------
def _authority(book: Casebook) -> None:
    book.unit_profile.update({"authority_name": "Jo Commissioner", "authority_email": "jo.commissioner@lancashire.gov.uk"})


def test_the_declines_report_goes_to_the_authoritys_nominated_person(manager_book: Casebook, clock: FixedClock,
                                                                     book_factory: Any) -> None:
    decline_at(manager_book, clock, at(2026, 1, 12), at(2026, 1, 14))
    period = quarter("2026Q1")
    with pytest.raises(ValidationError) as e:
        manager_book.reports.send_declines(period)
    assert "nominated person" in e.value.fields["authority_email"]
    _authority(manager_book)
    sent = manager_book.reports.send_declines(period)
    assert sent.created and sent.rows == 1 and sent.no_destination
    [item] = _items(manager_book, "declines_report")
    assert (item.recipient_name, item.recipient_email, item.recipient_role) == (
        "Jo Commissioner", "jo.commissioner@lancashire.gov.uk", "authority")
    assert item.document_id == sent.document_id and item.payload.startswith(b"%PDF")
    assert _docs(manager_book, "declines_report") == 1
    # the same report again: nothing new; a new decline in the period: a new report and item
    again = manager_book.reports.send_declines(period)
    assert not again.created and again.item_id == sent.item_id and _docs(manager_book, "declines_report") == 1
    decline_at(manager_book, clock, at(2026, 2, 2), at(2026, 2, 3), category="no_vacancy")
    newer = manager_book.reports.send_declines(period)
    assert newer.created and newer.rows == 2 and len(_items(manager_book, "declines_report")) == 2
    for who in ("admin", "worker"):  # a senior's act: the decisions in it are theirs
        with pytest.raises(PermissionDenied):
            book_factory(who).reports.send_declines(period)


def test_a_failed_report_send_leaves_neither(manager_book: Casebook, clock: FixedClock,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    decline_at(manager_book, clock, at(2026, 1, 12), at(2026, 1, 14))
    _authority(manager_book)
    _fail_on(manager_book, monkeypatch, "report.declines_send")
    with pytest.raises(RuntimeError):
        manager_book.reports.send_declines(quarter("2026Q1"))
    assert _items(manager_book, "declines_report") == [] and _docs(manager_book, "declines_report") == 0


def test_the_authority_contact_is_checked_and_kept_in_the_unit_profile(manager_book: Casebook) -> None:
    with pytest.raises(ValidationError) as e:
        manager_book.unit_profile.update({"authority_email": "not an email"})
    assert set(e.value.fields) == {"authority_email"}
    _authority(manager_book)
    p = manager_book.unit_profile.get()
    assert (p.authority_name, p.authority_email) == ("Jo Commissioner", "jo.commissioner@lancashire.gov.uk")
    assert "authority" not in " ".join(p.missing())  # letters do not need it


# -- care plan sharing -------------------------------------------------------------------------
def _agreed_plan(book: Casebook) -> tuple[str, str, str]:
    rid, aid = care_helpers.admit(book, given="Dana")
    view = book.care_plans.save_draft(aid, care_helpers.full_content())
    care_helpers.assess_risk(book, aid)
    done = book.care_plans.mark_complete(view.plan_id or "")
    assert done.version is not None and done.plan_id is not None
    book.care_plans.record_agreement(done.plan_id, date(2026, 1, 5), "signed_paper")
    book.residents.record_consent(rid, "information_sharing", True, parties=["Referrer", "Community Treatment Provider"],
                                  recorded_on=date(2026, 1, 5), notes=None)
    return rid, done.plan_id, done.version.id


def test_sharing_the_plan_queues_one_item_per_recipient(manager_book: Casebook) -> None:
    rid, plan_id, version_id = _agreed_plan(manager_book)
    shared = manager_book.sharing.record(version_id, [ShareRecipient("referrer", "Priya Shah"),
                                                      ShareRecipient("ctp", "Inspire Preston")])
    assert all(x.queued for x in shared)
    items = _items(manager_book, "care_plan_share")
    assert [(i.recipient_name, i.recipient_role, i.recipient_email) for i in items] == [
        ("Priya Shah", "referrer", "priya.shah@example.org"), ("Inspire Preston", "ctp", None)]
    assert len({i.document_id for i in items}) == 1 and items[0].resident_id == rid
    with manager_book._read() as s:
        doc = s.get(Document, items[0].document_id)
        assert doc is not None and doc.kind == "care_plan" and doc.resident_id == rid
        assert doc.title.startswith("Care plan v1 shared")
        assert {x.outbox_item_id for x in s.scalars(select(CarePlanShare))} == {i.id for i in items}
    # the same version shared again with the same service: recorded, but no second copy sent
    again = manager_book.sharing.record(version_id, [ShareRecipient("ctp", "Inspire Preston")])
    assert again[0].queued and len(_items(manager_book, "care_plan_share")) == 2
    assert _docs(manager_book, "care_plan") == 1


def test_sharing_without_consent_or_failing_after_the_enqueue_queues_nothing(
        manager_book: Casebook, monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, version_id = _agreed_plan(manager_book)
    with pytest.raises(ValidationError):
        manager_book.sharing.record(version_id, [ShareRecipient("gp", "Fishergate Surgery")])  # not consented
    assert _items(manager_book) == []
    _fail_on(manager_book, monkeypatch, "care_plan.share")
    with pytest.raises(RuntimeError):
        manager_book.sharing.record(version_id, [ShareRecipient("ctp", "Inspire Preston")])
    assert _items(manager_book) == [] and _docs(manager_book, "care_plan") == 0
    with manager_book._read() as s:
        assert s.scalar(select(func.count()).select_from(CarePlanShare)) == 0


# -- the acceptance confirmation ---------------------------------------------------------------
def test_accepting_names_the_confirmation_it_queued(manager_book: Casebook) -> None:
    r = manager_book.referrals.record(referral_input())
    v = manager_book.referrals.accept(r.id)
    [item] = _items(manager_book, "acceptance_confirmation")
    assert v.acceptance_letter_id == item.document_id and v.letter_missing == ()


# -- the Documents tab's delivery states -------------------------------------------------------
def test_each_document_says_what_became_of_it(worker_book: Casebook, clock: FixedClock) -> None:
    rid, aid = care_helpers.admit(worker_book)
    r = worker_book.reviews
    sent = [r.send_invitation(r.invitation_letter(aid, date(2026, 1, 19) + timedelta(days=7 * k))) for k in range(6)]
    kept = worker_book.documents.keep(r.invitation_letter(aid, date(2026, 4, 6)).document, "print")
    with worker_book._write() as s:
        on = OutboxDestination(name="Council API", transport="https", settings="{}", enabled=True)
        off = OutboxDestination(name="Old drop", transport="sftp", settings="{}", enabled=False)
        s.add_all([on, off])
        s.flush()
        items = {i.document_id: i for i in s.scalars(select(OutboxItem))}
        items[sent[1].document_id].destination_id = on.id
        items[sent[2].document_id].destination_id = off.id
        delivered = items[sent[3].document_id]
        delivered.destination_id, delivered.status = on.id, "delivered"
        delivered.delivered_at = datetime(2026, 1, 5, 14, 5, tzinfo=UTC)
        q = items[sent[4].document_id]
        q.destination_id, q.status, q.last_error = on.id, "quarantined", "The server refused the letter (403 Forbidden)"
        c = items[sent[5].document_id]
        c.status, c.cancelled_reason = "cancelled", "Meeting moved"
    states = worker_book.documents.delivery(rid)
    assert [states[x.document_id or ""].label for x in sent] == [
        "Waiting to send (no destination set)", "Waiting to send", "Waiting to send (destination turned off)",
        "Sent 05/01/2026 14:05", "Needs attention", "Cancelled"]
    assert "403 Forbidden" in states[sent[4].document_id or ""].detail
    assert "Priya Shah" in states[sent[4].document_id or ""].detail
    assert states[kept.id].label == "Not sent"
    assert set(states) == {d.id for d in worker_book.documents.list(resident_id=rid)}


# -- the demo ----------------------------------------------------------------------------------
def test_the_demo_leaves_letters_waiting_with_no_destination(manager_book: Casebook) -> None:
    from keyworker.demo import populate

    populate(manager_book, 30, seed=2)
    check = manager_book.check(integrity=False)
    assert check["outbox_waiting"] > 0 and check["outbox_quarantined"] == 0
    items = _items(manager_book)
    assert items and all(i.destination_id is None and i.status == "pending" for i in items)
    assert all(i.kind == "decline_letter" and i.document_id and i.recipient_email for i in items)


def test_check_json_on_a_new_demo_reports_letters_waiting(tmp_path: Any) -> None:
    import json

    from keyworker.demo import DEMO_PASSWORD
    from keyworker.demo.referrals import WAITING_LETTERS
    from tests.unit.test_cli import run

    demo = tmp_path / "demo.kwdb"
    assert run(tmp_path, "demo", "--residents", "4", "--db", str(demo), password=None).returncode == 0
    res = run(tmp_path, "check", "--json", "--db", str(demo), password=DEMO_PASSWORD)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["outbox_waiting"] == WAITING_LETTERS and report["outbox_quarantined"] == 0
