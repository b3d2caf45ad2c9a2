"""The referrer at the mid-way and pre-discharge meetings, as the key worker meets it: the review
dialog asks before recording one without them invited; recorded anyway, the review carries a
visible flag (Reviews tab, the review's detail) and Today lists it, until "Put right…" records
that they were invited or told. And a next date after the planned end of the placement says so."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from keyworker import review_schedule as rs
from keyworker.reviews import Attendee, ReviewInput
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit, assess_risk, full_content
from ui.reviews.referrer_dialog import ReferrerFollowUpDialog
from ui.reviews.review_dialog import ReviewDialog
from ui.reviews.tab import ReviewsTab
from ui.reviews.today import referrer_not_invited
from ui.today import TodayPage


def set_today(clock, d: date) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(d.year, d.month, d.day, 10, 0))


@pytest.fixture
def midway_due(book_factory, tasks, clock):  # type: ignore[no-untyped-def]
    """Dana admitted 05/01/2026 for 12 weeks, reviewed 19/01 and 02/02; today, 16/02, the mid-way review is due."""
    book = book_factory("worker")
    rid, aid = admit(book)
    assess_risk(book, aid)
    book.care_plans.mark_complete(book.care_plans.save_draft(aid, full_content()).plan_id)
    for held in (date(2026, 1, 19), date(2026, 2, 2)):
        set_today(clock, held)
        book.reviews.record(ReviewInput(aid, held, held + timedelta(days=14), "Fine",
                                        [Attendee("Dana Whitfield", "resident")]))
    set_today(clock, date(2026, 2, 16))
    return book, make_ctx(book, tasks), rid, aid


def open_tab(qtbot, ctx, rid) -> ReviewsTab:  # type: ignore[no-untyped-def]
    tab = ReviewsTab(ctx, rid)
    qtbot.addWidget(tab)
    tab.resize(1000, 700)
    tab.show()
    qtbot.waitExposed(tab)
    return tab


def open_dialog(qtbot, tab: ReviewsTab) -> ReviewDialog:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(tab.record_button, Qt.MouseButton.LeftButton)
    dlg = tab.dialog
    assert isinstance(dlg, ReviewDialog)
    qtbot.waitExposed(dlg)
    return dlg


def today_rows(qtbot, ctx, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    page = TodayPage(ctx)
    qtbot.addWidget(page)
    lst = page.lists.get(key)
    return [] if lst is None else [lst.item(i).text() for i in range(lst.count())]


def test_recording_a_midway_review_without_the_referrer_asks_first_then_flags_it_until_put_right(  # type: ignore[no-untyped-def]
        qtbot, midway_due) -> None:
    book, ctx, rid, aid = midway_due
    import ui.reviews.today  # noqa: F401 - registers the Today sections

    tab = open_tab(qtbot, ctx, rid)
    assert not tab.flag_box.isVisible()
    dlg = open_dialog(qtbot, tab)
    assert dlg.kind.currentData() == rs.MIDWAY and dlg.referrer_warning.isVisible()
    dlg.resident_view.setPlainText("Half way; going well")
    asked: list[str] = []
    dlg.confirm_referrer = lambda _w, text: asked.append(text) or False  # "Go back"
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and "not recorded as invited to this mid-way review" in asked[0]
    assert "flagged" in asked[0] and "Today" in asked[0]
    assert dlg.isVisible() and book.reviews.history(aid)[0].kind == rs.REGULAR  # nothing recorded
    assert dlg.focusWidget() is dlg.add_referrer_button  # back where the invitation is recorded

    dlg.confirm_referrer = lambda _w, text: asked.append(text) or True  # "Record it flagged"
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == ReviewDialog.DialogCode.Accepted and len(asked) == 2

    # the flag: above the table, in the row, in the review's detail, and on Today
    assert tab.flag_box.isVisible()
    assert "referrer was not invited to the mid-way review of 16/02/2026" in tab.flag_text.text()
    assert tab.table.item(0, 3).text() == "⚠ Not invited: to put right"
    assert "The referrer was not invited to this meeting" in tab.detail.toPlainText()
    assert today_rows(qtbot, ctx, "referrer_not_invited") == [
        "Referrer not invited to the mid-way review of 16/02/2026 — Dana Whitfield "
        f"({book.residents.get(rid).reference})"]
    assert [i.tab for i in referrer_not_invited(book)] == ["reviews"]  # the row opens the Reviews tab
    assert referrer_not_invited(book, "unit")[0].text.endswith(" · Sam Worker")  # a senior's unit view names them

    # put right: the referrer was rung the next day
    set_today(ctx.book.clock, date(2026, 2, 17))
    qtbot.mouseClick(tab.put_right_button, Qt.MouseButton.LeftButton)
    fix = tab.dialog
    assert isinstance(fix, ReferrerFollowUpDialog)
    qtbot.waitExposed(fix)
    assert fix.focusWidget() is fix.action.buttons["informed"]
    fix.method.setCurrentIndex(fix.method.findData("phone"))
    qtbot.keyClicks(fix.note, "Rang Priya with the outcome")
    qtbot.mouseClick(fix.save_button, Qt.MouseButton.LeftButton)
    assert fix.result() == ReferrerFollowUpDialog.DialogCode.Accepted

    assert not tab.flag_box.isVisible()
    assert tab.table.item(0, 3).text() == "✓ Told since, 17/02/2026"
    detail = tab.detail.toPlainText()
    assert "Put right: The referrer was told the outcome on 17/02/2026 by phone — Rang Priya" in detail
    assert today_rows(qtbot, ctx, "referrer_not_invited") == []


def test_a_regular_review_or_one_with_the_referrer_invited_does_not_ask(qtbot, midway_due) -> None:  # type: ignore[no-untyped-def]
    book, ctx, rid, aid = midway_due
    tab = open_tab(qtbot, ctx, rid)
    dlg = open_dialog(qtbot, tab)
    dlg.confirm_referrer = lambda _w, text: pytest.fail(f"asked although the referrer was invited: {text}")
    qtbot.mouseClick(dlg.add_referrer_button, Qt.MouseButton.LeftButton)
    dlg.invitations.rows[-1][1]["name"].setText("Priya Shah")
    dlg.resident_view.setPlainText("Half way")
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == ReviewDialog.DialogCode.Accepted
    assert not tab.flag_box.isVisible() and tab.table.item(0, 3).text() == "✓ Yes"


def test_an_invitation_dated_after_the_meeting_is_refused_in_the_dialog(qtbot, midway_due) -> None:  # type: ignore[no-untyped-def]
    book, ctx, rid, aid = midway_due
    tab = open_tab(qtbot, ctx, rid)
    dlg = open_dialog(qtbot, tab)
    dlg.confirm_referrer = lambda _w, _t: True
    dlg.resident_view.setPlainText("Half way")
    dlg.save()
    qtbot.mouseClick(tab.put_right_button, Qt.MouseButton.LeftButton)
    fix = tab.dialog
    assert isinstance(fix, ReferrerFollowUpDialog)
    fix.action.buttons["invited"].setChecked(True)
    assert fix.date_done.value() == date(2026, 2, 16)  # moved back to the meeting's date
    fix.date_done.set_value(date(2026, 2, 16))
    assert fix.save_button.isEnabled()
    fix.action.buttons["informed"].setChecked(True)
    fix.date_done.set_value(date(2026, 2, 15))
    fix.binder.reveal_all()
    assert "after the meeting (16/02/2026)" in fix.binder.shown_error("date_done")
    assert not fix.save_button.isEnabled()
    fix.done(0)


def test_night_staff_see_the_flag_but_do_not_put_it_right(qtbot, midway_due, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, rid, aid = midway_due
    book.reviews.record(ReviewInput(aid, date(2026, 2, 16), date(2026, 3, 2), "Half way",
                                    [Attendee("Dana Whitfield", "resident")]))
    tab = open_tab(qtbot, make_ctx(book_factory("nights"), tasks), rid)
    assert tab.flag_box.isVisible() and not tab.put_right_button.isEnabled()
    assert "does not record" in tab.put_right_button.toolTip()


def test_a_next_review_after_the_planned_end_says_so_and_offers_the_discharge_meeting_date(  # type: ignore[no-untyped-def]
        qtbot, midway_due, clock) -> None:
    book, ctx, rid, aid = midway_due
    for held in (date(2026, 2, 16), date(2026, 3, 2)):
        set_today(clock, held)
        book.reviews.record(ReviewInput(aid, held, held + timedelta(days=14), "Fine",
                                        [Attendee("Dana Whitfield", "resident")], kind=rs.REGULAR))
    set_today(clock, date(2026, 3, 23))  # next due 16/03; planned end 30/03
    tab = open_tab(qtbot, ctx, rid)
    dlg = open_dialog(qtbot, tab)
    assert dlg.next_on.value() == date(2026, 4, 6)  # 14 days on: after the planned end
    assert dlg.end_note.isVisible()
    assert dlg.end_text.text() == ("⚠ 06/04/2026 is after the planned end of the placement (30/03/2026). "
                                   "Plan the discharge meeting for 30/03/2026 instead.")
    qtbot.mouseClick(dlg.use_end_button, Qt.MouseButton.LeftButton)
    assert dlg.next_on.value() == date(2026, 3, 30) and not dlg.end_note.isVisible()
    dlg.next_on.set_value(date(2026, 4, 6))
    dlg.resident_view.setPlainText("Ready to go home")
    dlg.confirm_referrer = lambda _w, _t: True
    dlg.save()
    assert dlg.result() == ReviewDialog.DialogCode.Accepted
    assert tab.due_label.text() == (
        "Next review due 06/04/2026 — Pre-discharge planning meeting (the referrer must be invited). That is after "
        "the planned end of the placement (30/03/2026): plan the discharge meeting instead.")
    assert "after the planned end of the placement" in tab.warnings.text()


def test_the_reviews_page_lists_the_flags_and_opens_the_reviews_tab(qtbot, midway_due, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    from ui.reviews.page import ReviewsDuePage
    from ui.reviews.tab import ReviewsTab as Tab

    book, _ctx, rid, aid = midway_due
    book.reviews.record(ReviewInput(aid, date(2026, 2, 16), date(2026, 3, 2), "Half way",
                                    [Attendee("Dana Whitfield", "resident")]))
    ctx = make_ctx(book_factory("manager"), tasks)  # a senior, on the whole unit
    page = ReviewsDuePage(ctx)
    qtbot.addWidget(page)
    page.resize(1024, 700)
    page.show()
    qtbot.waitExposed(page)
    assert page.flags.isVisible() and page.flags.count() == 1
    item = page.flags.item(0)
    assert item.text() == (f"⚠ Dana Whitfield ({book.residents.get(rid).reference}): the referrer was not invited "
                           "to the mid-way review of 16/02/2026 · Sam Worker")  # the manager sees the whole unit
    assert page.flags.visualItemRect(item).height() >= page.flags.fontMetrics().height()  # the row is not cut
    page.flags.itemActivated.emit(item)
    win = ctx.resident_windows[rid]
    qtbot.addWidget(win)
    qtbot.waitExposed(win)
    assert isinstance(win.current_page(), Tab)  # opened on the Reviews tab, where it is put right
    tab = win.current_page()
    QApplication.processEvents()  # a tab made on demand is shown by a queued call
    assert tab.flag_box.isVisible()
