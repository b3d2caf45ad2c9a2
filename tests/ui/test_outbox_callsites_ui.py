"""What a person sees of the outbox where letters are made: the acceptance confirmation shown
after accepting (saying it waits in the outbox for the referrer), an invitation sent by the
outbox from its letter window, the declined-referrals report sent to the Authority by a senior,
and the resident's Documents tab saying what became of each document."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from keyworker.casebook import Casebook
from keyworker.clock import LONDON, FixedClock
from keyworker.db.outbox import OutboxItem
from tests.fixtures.reports import at, decline_at
from tests.ui.conftest import make_ctx
from tests.unit import care_helpers
from ui.documents import PdfDialog
from ui.forms import Unsaved
from ui.referrals.dialogs import DecisionDialog
from ui.reports.page import ReportsPage
from ui.resident.window import close_resident_windows, open_resident_window
from ui.reviews.invitation_dialog import offer_sending


@pytest.fixture(autouse=True)
def _discard_at_teardown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ui.forms.dialog.ask_unsaved", lambda _w, *_a: Unsaved.DISCARD)


def _items(book: Casebook, kind: str) -> list[OutboxItem]:
    with book._read() as s:
        return list(s.scalars(select(OutboxItem).where(OutboxItem.kind == kind)))


def test_accepting_shows_the_confirmation_and_says_the_outbox_sends_it(qtbot, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(manager_book, tasks)
    r = manager_book.referrals.record(dict(
        received_at=datetime(2026, 1, 5, 9, 0, tzinfo=LONDON), given_name="Alex", family_name="Smith",
        referrer_name="Pat Referrer", referrer_email="pat@lancashire.gov.uk", category="routine",
        community_treatment_provider="Inspire Preston",
        assessment_summary="Assessed: abstinent for six weeks, motivated, suitable."))
    d = DecisionDialog(None, ctx, r)
    qtbot.addWidget(d)
    shown: list[PdfDialog] = []

    def show_letter(parent: Any, c: Any, title: str, source: Any) -> PdfDialog:
        w = PdfDialog(parent, c, title, source)
        qtbot.addWidget(w)
        shown.append(w)
        return w

    d.show_letter = show_letter
    changed: list[str] = []
    ctx.state.data_changed.connect(changed.append)
    d.choice.accept_radio.click()
    d.save_button.click()
    v = d.result_value
    assert v.status == "accepted" and v.acceptance_letter_id
    [w] = shown
    assert w.document_id == v.acceptance_letter_id and w.windowTitle() == "Acceptance confirmation — Alex Smith"
    assert w.document.pageCount() >= 1 and w.print_button.isEnabled()
    assert not w.note.isHidden()
    assert w.note.text().startswith("Waiting in the outbox for Pat Referrer (pat@lancashire.gov.uk)")
    assert "outbox" in changed
    [item] = _items(manager_book, "acceptance_confirmation")
    assert item.document_id == v.acceptance_letter_id


def test_an_invitation_is_sent_by_the_outbox_from_its_window(qtbot, worker_book, tasks) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(worker_book, tasks)
    rid, aid = care_helpers.admit(worker_book)
    letter = worker_book.reviews.invitation_letter(aid, date(2026, 1, 19))
    w = PdfDialog(None, ctx, letter.document.title, letter.document)
    qtbot.addWidget(w)
    offer_sending(w, ctx, letter)
    assert w.send_button is not None and w.send_button.text() == "Send by the &outbox"
    assert worker_book.documents.list(resident_id=rid) == []  # looked at, not kept
    qtbot.mouseClick(w.send_button, Qt.MouseButton.LeftButton)
    assert w.send_button.isHidden()
    assert "Waiting in the outbox for Priya Shah (priya.shah@example.org)" in w.note.text()
    assert "No destination is set up" in w.note.text()
    [doc] = worker_book.documents.list(resident_id=rid)
    assert w.document_id == doc.id and w.preview is None  # printing now fetches the kept document
    assert [i.document_id for i in _items(worker_book, "review_invitation")] == [doc.id]
    # a second window for the same letter sends nothing new, and says so
    again = PdfDialog(None, ctx, letter.document.title, letter.document)
    qtbot.addWidget(again)
    offer_sending(again, ctx, letter)
    assert again.send_button is not None
    qtbot.mouseClick(again.send_button, Qt.MouseButton.LeftButton)
    assert "already in the outbox" in again.note.text()
    assert len(_items(worker_book, "review_invitation")) == 1


def test_a_senior_sends_the_declines_report_to_the_authority(qtbot, manager_book, book_factory, tasks,
                                                             clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    decline_at(manager_book, clock, at(2026, 1, 5, 9), at(2026, 1, 7), "risk", given_name="Ann")
    clock.set(at(2026, 3, 2, 9))
    manager_book.unit_profile.update({"authority_name": "Jo Commissioner",
                                      "authority_email": "jo.commissioner@lancashire.gov.uk"})
    page = ReportsPage(make_ctx(manager_book, tasks))
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    qtbot.waitExposed(page)
    assert page.send_button.isVisible() and not page.send_button.isEnabled()  # nothing shown yet
    page.show_report()
    assert page.send_button.isEnabled()
    qtbot.mouseClick(page.send_button, Qt.MouseButton.LeftButton)
    assert page.status.text().startswith(
        "Waiting in the outbox for Jo Commissioner (jo.commissioner@lancashire.gov.uk)")
    [item] = _items(manager_book, "declines_report")
    assert item.recipient_role == "authority" and page.last_sent.item_id == item.id
    # an administrator sees the report but does not send it: the decisions are a senior's
    admin_page = ReportsPage(make_ctx(book_factory("admin"), tasks))
    qtbot.addWidget(admin_page)
    admin_page.show()
    assert not admin_page.send_button.isVisible()


@pytest.fixture
def documents_tab(qtbot, manager_book, tasks) -> Iterator[tuple[Casebook, Any, str]]:  # type: ignore[no-untyped-def]
    rid, aid = care_helpers.admit(manager_book, key_worker="manager")
    ctx = make_ctx(manager_book, tasks)
    win = open_resident_window(ctx, rid)
    qtbot.waitExposed(win)
    win.confirm_unsaved = lambda _w: Unsaved.DISCARD
    yield manager_book, win, aid
    close_resident_windows(ctx)


def test_the_documents_tab_shows_each_documents_delivery(documents_tab, qtbot) -> None:  # type: ignore[no-untyped-def]
    book, win, aid = documents_tab
    r = book.reviews
    waiting = r.send_invitation(r.invitation_letter(aid, date(2026, 1, 19)))
    sent = r.send_invitation(r.invitation_letter(aid, date(2026, 1, 26)))
    refused = r.send_invitation(r.invitation_letter(aid, date(2026, 2, 2)))
    cancelled = r.send_invitation(r.invitation_letter(aid, date(2026, 2, 9)))
    printed = book.documents.keep(r.invitation_letter(aid, date(2026, 2, 16)).document, "print")
    with book._write() as s:
        items = {i.document_id: i for i in s.scalars(select(OutboxItem))}
        items[sent.document_id].status = "delivered"
        items[sent.document_id].delivered_at = datetime(2026, 1, 5, 14, 5, tzinfo=UTC)
        items[refused.document_id].status = "quarantined"
        items[refused.document_id].last_error = "The mail server refused the letter: mailbox unavailable"
        items[cancelled.document_id].status = "cancelled"
    tab = win.show_tab("documents")
    tab.refresh()
    col = tab.DELIVERY_COLUMN
    assert tab.table.horizontalHeaderItem(col).text() == "Delivery"
    by_id = {d.id: i for i, d in enumerate(tab.docs)}
    cell = lambda doc_id: tab.table.item(by_id[doc_id], col)  # noqa: E731
    assert cell(waiting.document_id).text() == "Waiting to send (no destination set)"
    assert cell(sent.document_id).text() == "Sent 05/01/2026 14:05"
    assert cell(refused.document_id).text() == "⚠ Needs attention"  # a symbol and words, not colour alone
    assert "mailbox unavailable" in cell(refused.document_id).toolTip()
    assert cell(cancelled.document_id).text() == "Cancelled"
    assert cell(printed.id).text() == "Not sent"
    # once a destination takes it, the tab shows it after the outbox changes
    with book._write() as s:
        item = s.scalars(select(OutboxItem).where(OutboxItem.document_id == waiting.document_id)).one()
        item.status, item.delivered_at = "delivered", datetime(2026, 1, 6, 9, 30, tzinfo=UTC)
    win.ctx.state.data_changed.emit("outbox")
    assert tab.table.item(by_id[waiting.document_id], col).text() == "Sent 06/01/2026 09:30"
