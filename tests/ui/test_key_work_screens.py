"""The key-work screens: the group dialog's register marked by keyboard and the group then on each
attendee's Key work tab; Ctrl+Shift+K in a resident's record opening "Record session…"; what an
out-of-hours worker sees (the sessions, no buttons, no shortcut); the pre-admission assessment
recorded from the Referrals page, its row saying so, and the decision dialog showing it; Today's
follow-up actions opening the Key work tab."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

import ui.key_work  # noqa: F401  (registers the tab, the window action and Today's section)
from keyworker.casebook import Casebook
from keyworker.key_work_input import FollowUp
from tests.fixtures.caseload import referral_input
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit
from tests.unit.test_key_work import session
from ui.forms.dialog import Unsaved
from ui.key_work.group_dialog import GroupDialog
from ui.key_work.session_dialog import SessionDialog, open_dialogs
from ui.key_work.tab import KeyWorkTab
from ui.resident.window import close_resident_windows, open_resident_window


@pytest.fixture(autouse=True)
def _no_dialogs_left() -> Iterator[None]:
    yield
    for d in open_dialogs():
        d.confirm_unsaved = lambda _w: Unsaved.DISCARD  # type: ignore[attr-defined]
        d.close()


def _tab(qtbot, ctx: Any, rid: str) -> KeyWorkTab:  # type: ignore[no-untyped-def]
    tab = KeyWorkTab(ctx, rid)
    qtbot.addWidget(tab)
    tab.show()
    return tab


def _texts(tab: KeyWorkTab, column: int) -> list[str]:
    return [tab.table.item(r, column).text() for r in range(tab.table.rowCount())]  # type: ignore[union-attr]


def test_a_group_register_by_keyboard_shows_on_each_attendees_record(qtbot, worker_book: Casebook, tasks) -> None:  # type: ignore[no-untyped-def]
    ann, _ = admit(worker_book, given="Ann", family="Aston")
    ben, _ = admit(worker_book, given="Ben", family="Brook")
    cal, _ = admit(worker_book, given="Cal", family="Cole")
    ctx = make_ctx(worker_book, tasks)
    d = GroupDialog(None, ctx, worker_book.key_work.register_candidates())
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    d.show()
    d.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is d)
    qtbot.keyClicks(d.binder.fields["title"].editor, "Relapse prevention")
    reg = d.register
    reg.setFocus()
    assert [r.name for r in reg.residents] == ["Ann Aston", "Ben Brook", "Cal Cole"]
    for key in (Qt.Key.Key_A, Qt.Key.Key_D, Qt.Key.Key_E):  # each moves on to the next resident
        qtbot.keyClick(reg, key)
    assert [reg.item(i, 1).text() for i in range(3)] == ["Attended", "Did not attend", "Excused"]  # type: ignore[union-attr]
    qtbot.keyClick(reg, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert d.result() == d.DialogCode.Accepted.value, (d.status.text(), d.form_error.text(), d.binder.errors())
    for rid, outcome in ((ann, "Attended"), (ben, "Did not attend"), (cal, "Excused")):
        tab = _tab(qtbot, ctx, rid)
        assert _texts(tab, 2) == ["Group: Relapse prevention"] and _texts(tab, 3) == [outcome]
        assert "Relapse prevention" in tab.detail.toPlainText()


def test_an_empty_register_is_refused_in_words(qtbot, worker_book: Casebook, tasks) -> None:  # type: ignore[no-untyped-def]
    admit(worker_book)
    d = GroupDialog(None, make_ctx(worker_book, tasks), worker_book.key_work.register_candidates())
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    d.show()
    qtbot.keyClicks(d.binder.fields["title"].editor, "Art")
    d.save()
    assert d.result() != d.DialogCode.Accepted.value
    assert d.binder.shown_error("register") == "Mark at least one resident on the register."


def test_ctrl_shift_k_in_the_record_opens_record_session(qtbot, worker_book: Casebook, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _ = admit(worker_book)
    ctx = make_ctx(worker_book, tasks)
    win = open_resident_window(ctx, rid)
    win.confirm_unsaved = lambda _w: Unsaved.DISCARD
    try:
        qtbot.waitExposed(win)
        win.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
        qtbot.keyClick(win, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        dialogs = [d for d in open_dialogs() if isinstance(d, SessionDialog)]
        assert len(dialogs) == 1 and dialogs[0].resident_id == rid and dialogs[0].isVisible()
        assert "Key work" in [win.tabs.tabText(i) for i in range(win.tabs.count())]
    finally:
        close_resident_windows(ctx)


def test_out_of_hours_read_sessions_but_cannot_record_them(qtbot, worker_book: Casebook, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _ = admit(worker_book)
    worker_book.key_work.record(session(rid, outcome="did_not_attend", outcome_reason="Asleep"))
    nights = book_factory("nights")
    ctx = make_ctx(nights, tasks)
    tab = _tab(qtbot, ctx, rid)
    assert _texts(tab, 3) == ["Did not attend"] and "Asleep" in tab.detail.toPlainText()
    assert not any(b.isVisible() for b in (tab.record_button, tab.group_button, tab.correct_button))
    win = open_resident_window(ctx, rid)
    try:
        assert "record_session" not in win.record_actions  # no toolbar button or shortcut either
    finally:
        close_resident_windows(ctx)


def test_a_corrected_session_stays_visible_struck_through(qtbot, worker_book: Casebook, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _ = admit(worker_book)
    first = worker_book.key_work.record(session(rid, notes="Old words"))
    worker_book.key_work.correct(first.id, session(rid, notes="New words"), "Typo")
    tab = _tab(qtbot, make_ctx(worker_book, tasks), rid)
    outcomes = _texts(tab, 3)
    assert sorted(outcomes) == ["Attended (replaced by a correction)", "Attended ✎ corrected"]
    old_row = outcomes.index("Attended (replaced by a correction)")
    assert tab.table.item(old_row, 2).font().strikeOut()  # type: ignore[union-attr]
    tab.table.setCurrentCell(old_row, 0)
    assert "Old words" in tab.detail.toPlainText() and not tab.correct_button.isEnabled()


def test_the_referrals_row_and_the_decision_dialog_show_the_pre_admission_assessment(
        qtbot, manager_book: Casebook, tasks, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.test_referrals_page import make_page
    from ui.key_work.pre_admission_dialog import PreAdmissionDialog
    from ui.referrals.dialogs import DecisionDialog

    ref = manager_book.referrals.record(referral_input())
    page = make_page(qtbot, manager_book, monkeypatch)
    column = page.model.headings.index("Assessed")
    assert page.model.index(0, column).data() == "No"
    page.assess_button.click()
    (d,) = [x for x in open_dialogs() if isinstance(x, PreAdmissionDialog)]
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    b = d.binder
    b.fields["method"].editor.set_value("video")  # type: ignore[attr-defined]
    qtbot.keyClicks(b.fields["domain_physical"].editor, "Liver function tests due.")
    qtbot.keyClicks(b.fields["motivation"].editor, "Wants to stop; ready to come in.")
    d.checklist.boxes["house_rules"].setChecked(True)
    d.save()
    assert d.result() == d.DialogCode.Accepted.value, d.form_error.text()
    assert page.model.index(0, column).data() == "✓ Yes"
    decision = DecisionDialog(None, make_ctx(manager_book, tasks), manager_book.referrals.get(ref.id))
    qtbot.addWidget(decision)
    text = decision.pre_admission.text.toPlainText()
    assert "Video call" in text and "Liver function tests due." in text
    assert "Not covered" in text and "Service model described to the person" in text


def test_todays_key_work_section_lists_follow_ups_that_open_the_key_work_tab(worker_book: Casebook) -> None:
    from ui.key_work.today import follow_ups

    rid, _ = admit(worker_book)
    worker_book.key_work.record(session(rid, follow_ups=[FollowUp("Ring the housing officer", "Sam", date(2026, 1, 7))]))
    (item,) = follow_ups(worker_book)
    assert item.text == "Dana Whitfield (R-0" + item.text.split("(R-0")[1].split(")")[0] + ") — Ring the housing officer (Sam)"
    assert (item.resident_id, item.tab, item.due, item.overdue) == (rid, "key_work", date(2026, 1, 7), False)


def test_the_tab_fits_a_small_window(qtbot, worker_book: Casebook, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, aid = admit(worker_book)
    worker_book.key_work.record(session(rid, kind="bbv"))
    ctx = make_ctx(worker_book, tasks)
    win = open_resident_window(ctx, rid)
    try:
        win.resize(1024, 768)
        tab = win.show_tab("key_work")
        assert isinstance(tab, KeyWorkTab)
        qtbot.waitExposed(win)
        QApplication.processEvents()  # a tab added to a shown window is shown on the next turn
        assert tab.isVisible() and tab.record_button.isVisible()
        assert "1 session held" in tab.summary.text() and "Blood-borne virus" in tab.summary.text()
        for b in (tab.record_button, tab.group_button, tab.correct_button):
            assert b.width() >= b.sizeHint().width()  # never cut short
        win.grab().save("/tmp/kw_tab_1024.png")
    finally:
        close_resident_windows(ctx)
