"""The dialogs that make letters, on a real encrypted unit: the invitation dialog sets the meeting's
date, time and place and asks before a letter for a meeting 3 days away; the Reviews tab makes an
invitation too; the decline dialog warns before deciding when the unit profile is incomplete."""
from __future__ import annotations

import io
from datetime import date, datetime
import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt, QTime

from tests.fixtures.caseload import referral_input
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit, assess_risk, full_content
from ui.forms import Unsaved
from ui.referrals.dialogs import DecisionDialog
from ui.reviews.invitation_dialog import VIDEO, InvitationDialog
from ui.reviews.tab import ReviewsTab


@pytest.fixture(autouse=True)
def _discard_at_teardown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ui.forms.dialog.ask_unsaved", lambda _w, *_a: Unsaved.DISCARD)


def without_contact_details(book_factory) -> None:  # type: ignore[no-untyped-def]
    book_factory("admin").unit_profile.update({"phone": "", "secure_email": ""})


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def planned(qtbot, book_factory, tasks, clock):  # type: ignore[no-untyped-def]
    book = book_factory("worker")
    rid, aid = admit(book)
    draft = book.care_plans.save_draft(aid, full_content())
    assess_risk(book, aid)
    book.care_plans.mark_complete(draft.plan_id)
    clock.set(datetime(2026, 1, 16, 10, 0))  # Friday; the next review is due Monday 19/01
    return book, make_ctx(book, tasks), rid, aid


def open_tab(qtbot, ctx, rid) -> ReviewsTab:  # type: ignore[no-untyped-def]
    tab = ReviewsTab(ctx, rid)
    qtbot.addWidget(tab)
    tab.show()
    qtbot.waitExposed(tab)
    return tab


def test_the_reviews_tab_invitation_sets_date_time_and_place_and_asks_about_short_notice(qtbot, planned) -> None:  # type: ignore[no-untyped-def]
    book, ctx, rid, aid = planned
    tab = open_tab(qtbot, ctx, rid)
    qtbot.mouseClick(tab.invite_button, Qt.MouseButton.LeftButton)
    dlg = tab.dialog
    assert isinstance(dlg, InvitationDialog)  # a child of the tab: closed with it
    assert dlg.meeting_on.value() == date(2026, 1, 23)  # due 19/01 leaves 3 days: a week from today instead
    assert "1 Example Street" in dlg.details.toPlainText()  # the unit's address by default
    assert dlg.profile_note.isHidden()
    dlg.meeting_on.set_value(date(2026, 1, 19))
    assert dlg.notice.isVisible() and "only 3 days away" in dlg.notice.text()
    dlg.meeting_time.setTime(QTime(11, 0))
    dlg.place.setCurrentIndex(dlg.place.findData(VIDEO))
    assert dlg.details.toPlainText() == ""  # the unit's address is no use for a video call
    assert dlg.binder.shown_error("details") or not dlg.binder.is_valid()
    dlg.details.setPlainText("Teams: the link comes by secure email")
    asked: list[str] = []
    dlg.confirm = lambda _w, text: asked.append(text) or False  # "Go back"
    dlg.save()
    assert asked and "only 3 days away" in asked[0]
    assert book.documents.list(resident_id=rid, kind="review_invitation") == []  # nothing kept
    dlg.confirm = lambda _w, text: True
    dlg.save()
    # a preview until it is printed, saved or sent (then it is filed in Documents)
    assert book.documents.list(resident_id=rid, kind="review_invitation") == []
    letter = dlg.result_value.document
    assert "19/01/2026" in letter.title
    text = text_of(letter.content)
    assert "16 January 2026" in text and "Monday 19 January 2026" in text and "11:00" in text
    assert "By video call Teams: the link comes by secure email" in text and "Recovery Worker" in text
    assert tab.letter_status.isVisible() and tab.letter_status.objectName() == "hint"
    assert "letter made" in tab.letter_status.text() and "only 3 days away" in tab.letter_status.text()
    assert tab.letter_dialog is not None and tab.letter_dialog.isVisible()


def test_the_decline_dialog_warns_before_deciding_when_the_profile_is_incomplete(qtbot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    without_contact_details(book_factory)
    manager_book = book_factory("manager")
    ctx = make_ctx(manager_book, tasks)
    r = manager_book.referrals.record(referral_input())
    d = DecisionDialog(None, ctx, r)
    qtbot.addWidget(d)
    d.show_letter = lambda *a: None
    d.choice.decline_radio.click()
    assert not d.profile_note.isHidden() and "phone" in d.profile_note.text()
    d.category.set_value("no_vacancy")
    d.reason.setPlainText("No place is available within the time the assessment says is needed.")
    asked: list[str] = []
    d.confirm_incomplete = lambda _w, text: asked.append(text) or False
    d.save_button.click()
    assert asked and "Administration" in asked[0]
    assert manager_book.referrals.get(r.id).status == "open"  # went back: nothing decided
    d.confirm_incomplete = lambda _w, text: True
    d.save_button.click()
    assert manager_book.referrals.get(r.id).status == "declined"
    assert d.result_value.letter_missing


def test_the_decline_dialog_does_not_ask_when_the_profile_is_complete(qtbot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    manager = book_factory("manager")
    r = manager.referrals.record(referral_input())
    d = DecisionDialog(None, make_ctx(manager, tasks), r)
    qtbot.addWidget(d)
    d.show_letter = lambda *a: None
    d.choice.decline_radio.click()
    assert d.profile_note.isHidden()
    d.category.set_value("no_vacancy")
    d.reason.setPlainText("No place is available within the time the assessment says is needed.")
    d.confirm_incomplete = lambda _w, text: pytest.fail("asked although the profile is complete")
    d.save_button.click()
    assert manager.referrals.get(r.id).status == "declined" and d.result_value.letter_missing == ()
