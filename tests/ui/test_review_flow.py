"""The review flow end to end on a real encrypted unit: the resident's Reviews tab, the review dialog
(goal progress, a plan change, the resident's view, the next date and its reason, the referrer at a
mid-way review and the invitation letter), then the new plan version and the next due date."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import Qt, QTime

from keyworker import review_schedule as rs
from keyworker.reviews import Attendee, ReviewInput
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit, assess_risk, full_content
from ui.care_plans.editor import CarePlanTab
from ui.reviews.invitation_dialog import InvitationDialog
from ui.reviews.review_dialog import ReviewDialog
from ui.reviews.tab import ReviewsTab
from ui.reviews.today import reviews_overdue, reviews_this_week


def set_today(clock, d: date) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(d.year, d.month, d.day, 10, 0))


@pytest.fixture
def planned(qtbot, book_factory, tasks, clock):  # type: ignore[no-untyped-def]
    """Dana admitted 05/01/2026 on a 12-week plan that is complete; today is 16/01/2026."""
    book = book_factory("worker")
    rid, aid = admit(book)
    draft = book.care_plans.save_draft(aid, full_content())
    assess_risk(book, aid)
    book.care_plans.mark_complete(draft.plan_id)
    set_today(clock, date(2026, 1, 16))
    ctx = make_ctx(book, tasks)
    return book, ctx, rid, aid


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


def test_record_a_review_with_goal_progress_and_a_plan_change(qtbot, planned) -> None:  # type: ignore[no-untyped-def]
    book, ctx, rid, aid = planned
    changed: list[str] = []
    ctx.state.data_changed.connect(changed.append)
    tab = open_tab(qtbot, ctx, rid)
    assert tab.due_label.text() == "Next review due 19/01/2026 — Review"
    assert tab.empty.isVisible() and tab.table.rowCount() == 0

    dlg = open_dialog(qtbot, tab)
    assert dlg.held_on.value() == date(2026, 1, 16)
    assert dlg.next_on.value() == date(2026, 1, 30)  # 14 days later by default
    assert not dlg.next_reason.isVisible()
    assert [a.role for a in dlg.attendees.value()] == ["resident", "key_worker"]
    assert "resident_view" in dlg.binder.errors()  # the resident's view is still missing
    assert dlg.binder.shown_error("resident_view") == ""  # not shouted before it is left or Save is tried
    assert not dlg.referrer_warning.isVisible()  # a regular review

    # progress on each goal: the first achieved with a note, a new goal agreed
    status1 = dlg.progress.rows[0][1]
    status1.setCurrentIndex(status1.findData("achieved"))
    qtbot.keyClicks(dlg.progress.rows[0][2], "Clean for six weeks")
    qtbot.mouseClick(dlg.new_goals.add_button, Qt.MouseButton.LeftButton)
    card = dlg.new_goals.cards[0]
    card.domain.setCurrentIndex(card.domain.findData("ete"))
    card.goal.setPlainText("Start volunteering at the food bank")
    card.actions.add_action("Call the volunteer coordinator", "Dana", date(2026, 1, 23))
    qtbot.keyClicks(dlg.change_reason, "Goal 1 achieved; volunteering goal added")
    # invited: the resident's sister with a letter a week before
    dlg.invitations.add_row("Jo Whitfield", "family", date(2026, 1, 9), "letter")
    assert dlg.invitations.rows[0][1]["notice"].text() == "7 days notice"
    dlg.resident_view.setPlainText("I’m proud of six weeks — I want to give something back.")
    assert dlg.save_button.isEnabled()
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == ReviewDialog.DialogCode.Accepted

    # the review is in the history, the plan has a new version, the next review moved on
    assert {"reviews", "care_plans"} <= set(changed)
    assert tab.table.rowCount() == 1
    assert tab.table.item(0, 0).text() == "16/01/2026" and tab.table.item(0, 5).text() == "Version 2"
    assert tab.due_label.text() == "Next review due 30/01/2026 — Review"
    detail = tab.detail.toPlainText()
    assert "[Achieved] — Clean for six weeks" in detail and "Jo Whitfield" in detail
    plan = book.care_plans.get(rid)
    assert plan.version.number == 2 and plan.version.reason == "Goal 1 achieved; volunteering goal added"
    goal = plan.content.goals[0]
    assert goal.status == "achieved" and "16/01/2026 (review): Clean for six weeks" in goal.progress_notes
    assert plan.content.goals[-1].goal == "Start volunteering at the food bank"
    assert book.reviews.next_for(aid).due_on == date(2026, 1, 30)

    # the Care plan tab shows the new version and the history can compare it with the first
    cp = CarePlanTab(ctx, rid)
    qtbot.addWidget(cp)
    assert "Complete — version 2" in cp.status.text()
    cp.show_history()
    qtbot.addWidget(cp.versions_dialog)
    history = cp.versions_dialog.history
    assert history.table.item(0, 3).text() == "Goal 1 achieved; volunteering goal added (at a review)"
    assert "Start volunteering" in history.diff.plain_text()


def test_next_review_later_than_14_days_needs_a_reason(qtbot, planned) -> None:  # type: ignore[no-untyped-def]
    book, ctx, rid, aid = planned
    tab = open_tab(qtbot, ctx, rid)
    dlg = open_dialog(qtbot, tab)
    dlg.resident_view.setPlainText("Happy with how things are going")
    assert dlg.save_button.isEnabled()
    dlg.next_on.set_value(date(2026, 2, 3))
    assert dlg.next_reason.isVisible()  # the field appears only when needed
    dlg.save()  # tried: the message shows and nothing is saved
    assert dlg.result() != ReviewDialog.DialogCode.Accepted and not dlg.save_button.isEnabled()
    assert "more than 14 days" in dlg.binder.shown_error("next_review_reason")
    qtbot.keyClicks(dlg.next_reason, "Home leave 28 Jan to 2 Feb")
    assert dlg.save_button.isEnabled()
    # moving the meeting date does not silently move a date the user chose
    dlg.held_on.set_value(date(2026, 1, 15))
    assert dlg.next_on.value() == date(2026, 2, 3)
    dlg.save()
    assert dlg.result() == ReviewDialog.DialogCode.Accepted
    nxt = book.reviews.next_for(aid)
    assert nxt.due_on == date(2026, 2, 3)
    assert book.reviews.history(aid)[0].next_review_reason == "Home leave 28 Jan to 2 Feb"
    assert book.care_plans.get(rid).version.number == 1  # no change to the plan: no new version


def test_midway_review_warns_when_the_referrer_is_not_invited_and_offers_the_letter(qtbot, planned, clock) -> None:  # type: ignore[no-untyped-def]
    book, ctx, rid, aid = planned
    # reviews held every fortnight; the next, due 13/02, is the one nearest the mid-way point (16/02 of
    # a 12-week stay)
    held = date(2026, 1, 16)
    set_today(clock, date(2026, 2, 6))
    while held <= date(2026, 1, 30):
        book.reviews.record(ReviewInput(aid, held, held + timedelta(days=14), "Fine",
                                        [Attendee("Dana Whitfield", "resident")]))
        held += timedelta(days=14)
    assert book.reviews.next_for(aid).kind == rs.MIDWAY
    tab = open_tab(qtbot, ctx, rid)
    assert "Mid-way review (the referrer must be invited)" in tab.due_label.text()
    dlg = open_dialog(qtbot, tab)
    assert dlg.kind.currentData() == rs.MIDWAY
    assert "★ Mid-way review" in dlg.kind_note.text()
    assert dlg.referrer_warning.isVisible() and "not recorded as invited" in dlg.referrer_text.text()
    qtbot.mouseClick(dlg.letter_button, Qt.MouseButton.LeftButton)
    inv = dlg.invitation_dialog
    assert isinstance(inv, InvitationDialog)  # a child of the review dialog: closed with it
    assert inv.kind.currentData() == rs.MIDWAY
    assert inv.meeting_on.value() == date(2026, 2, 13)  # the due date: a week's notice from 06/02
    inv.meeting_time.setTime(QTime(14, 15))
    inv.confirm = lambda _w, text: pytest.fail(f"asked although there is a week's notice: {text}")
    inv.save()
    assert dlg.letter_dialog is not None and dlg.letter_dialog.isVisible()
    qtbot.addWidget(dlg.letter_dialog)
    assert "Invitation to the referrer" in dlg.letter_dialog.windowTitle()
    assert "13/02/2026" in dlg.letter_dialog.windowTitle()
    # it can go by the outbox from its window: kept, and waiting for the referrer
    send = dlg.letter_dialog.send_button
    assert send is not None and not send.isHidden()
    qtbot.mouseClick(send, Qt.MouseButton.LeftButton)
    assert "Waiting in the outbox for Priya Shah" in dlg.letter_dialog.note.text()
    assert [d.kind for d in book.documents.list(resident_id=rid)].count("review_invitation") == 1
    # the good news is shown as such, not in the warning box
    assert "letter made" in dlg.letter_status.text() and dlg.letter_status.objectName() == "hint"
    assert "letter made" not in dlg.referrer_text.text()
    # recording the referrer's invitation clears the warning
    qtbot.mouseClick(dlg.add_referrer_button, Qt.MouseButton.LeftButton)
    dlg.invitations.rows[-1][1]["name"].setText("Priya Shah")
    assert not dlg.referrer_warning.isVisible()
    dlg.resident_view.setPlainText("Half way there")
    dlg.save()
    review = book.reviews.history(aid)[0]
    assert review.kind == rs.MIDWAY and review.referrer_invited


def test_today_shows_my_overdue_and_due_this_week_reviews(planned, clock, book_factory) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, _rid, _aid = planned
    admit(book, given="Lee", family="Marsh", admitted_on=date(2026, 1, 1))  # due 15/01: overdue
    admit(book, given="Kim", family="Other", key_worker="worker2", admitted_on=date(2026, 1, 1))  # not mine
    overdue = reviews_overdue(book)
    assert [i.text for i in overdue] == [next(i.text for i in overdue if "Lee Marsh" in i.text)]
    assert overdue[0].overdue and overdue[0].due == date(2026, 1, 15)
    week = reviews_this_week(book)
    assert len(week) == 1 and "Dana Whitfield" in week[0].text and week[0].due == date(2026, 1, 19)


def test_night_staff_read_the_reviews_but_cannot_record_one(qtbot, planned, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, rid, aid = planned
    nights = book_factory("nights")
    tab = open_tab(qtbot, make_ctx(nights, tasks), rid)
    assert tab.due_label.text()  # what is due is shown
    assert not tab.record_button.isEnabled()
    assert "does not record" in tab.record_button.toolTip()
    qtbot.mouseClick(tab.record_button, Qt.MouseButton.LeftButton)
    assert tab.dialog is None and nights.reviews.history(aid) == []
