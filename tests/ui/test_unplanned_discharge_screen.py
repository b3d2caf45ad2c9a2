"""The unplanned-discharge screen driven by keyboard alone (issue 13): from the record window with
Ctrl+Shift+U, night staff record a self-discharge and a senior signs with their own password; at
night the warning shows and a reason is required; a freeze needs no senior; the caseload reaches
it in two clicks or the shortcut; the CTP referral is not offered without consent."""
from __future__ import annotations

import os
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

import ui.discharges  # noqa: F401 - registers the record window's action
from tests.conftest import STAFF_PW
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit, assess_risk
from ui.discharges.unplanned import UnplannedDischargeDialog, open_unplanned_discharge
from ui.forms import Unsaved
from ui.resident.window import open_resident_window

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _admitted(book_factory):  # type: ignore[no-untyped-def]
    manager = book_factory("manager")
    rid, aid = admit(manager)
    assess_risk(manager, aid)
    return rid, aid


def _window(qtbot: QtBot, book, tasks, rid):  # type: ignore[no-untyped-def]
    win = open_resident_window(make_ctx(book, tasks), rid)
    qtbot.addWidget(win)
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    return win


def _opened(qtbot: QtBot, holder: QWidget) -> UnplannedDischargeDialog:
    dlg = getattr(holder, "unplanned_dialog", None)
    assert isinstance(dlg, UnplannedDischargeDialog)
    qtbot.addWidget(dlg)
    dlg.confirm_unsaved = lambda _w: Unsaved.DISCARD  # type: ignore[assignment]  # teardown closes it
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg)
    return dlg


def _tab_to(qtbot: QtBot, target: QWidget, limit: int = 40) -> None:
    for _ in range(limit):
        if QApplication.focusWidget() is target:
            return
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {target.objectName()}")


def test_recorded_and_signed_by_a_senior_by_keyboard_alone(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _ = _admitted(book_factory)
    nights = book_factory("nights")
    nights.clock.set(datetime(2026, 1, 5, 14, 0))
    win = _window(qtbot, nights, tasks, rid)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_U, CTRL_SHIFT)
    dlg = _opened(qtbot, win)
    assert QApplication.focusWidget() is dlg.type
    qtbot.keyClick(dlg.type, Qt.Key.Key_Down)  # the first type: unplanned self-discharge
    assert dlg.type.value() == "self_discharge"
    assert not dlg.night_warning.isVisible()
    _tab_to(qtbot, dlg.circumstances)
    qtbot.keyClicks(dlg.circumstances, "Left after a phone call; would not wait.")
    qtbot.keyClick(dlg.circumstances, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dlg.destination
    qtbot.keyClicks(dlg.destination, "Brother's flat, Blackburn")
    assert not dlg.ctp.isEnabled()  # no consent at admission: not offered
    _tab_to(qtbot, dlg.how)
    qtbot.keyClick(dlg.how, Qt.Key.Key_Down)  # a senior signs now with their password
    qtbot.keyClick(dlg.how, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dlg.senior_username
    qtbot.keyClicks(dlg.senior_username, "manager")
    qtbot.keyClick(dlg.senior_username, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dlg.senior_password
    qtbot.keyClicks(dlg.senior_password, STAFF_PW)
    qtbot.keyClick(dlg.senior_password, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dlg.isVisible()
    [d] = nights.discharges.for_resident(rid)
    assert d.state == "confirmed" and d.second_person_name == "Morgan Manager"
    # The summary and the risk analysis for the referrer (this resident has no GP or CTP recorded).
    assert d.destination == "Brother's flat, Blackburn" and d.outbox_items == 2
    saved = win.findChild(QWidget, "unplannedSaved")
    assert saved is not None and "Confirmed by a senior" in saved.text()  # type: ignore[attr-defined]
    assert "put in the outbox" in saved.text()  # type: ignore[attr-defined]


def test_at_night_the_warning_shows_and_a_reason_is_required(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _ = _admitted(book_factory)
    nights = book_factory("nights")
    nights.clock.set(datetime(2026, 1, 5, 23, 30))
    win = _window(qtbot, nights, tasks, rid)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_U, CTRL_SHIFT)
    dlg = _opened(qtbot, win)
    qtbot.keyClick(dlg.type, Qt.Key.Key_Down)
    qtbot.keyClick(dlg.type, Qt.Key.Key_Down)  # absconded
    assert dlg.night_warning.isVisible() and "at night" in dlg.night_warning.text()
    _tab_to(qtbot, dlg.circumstances)
    qtbot.keyClicks(dlg.circumstances, "Not in room at the 23:00 check; window open.")
    _tab_to(qtbot, dlg.how)
    for _ in range(3):  # not yet: a senior confirms later
        qtbot.keyClick(dlg.how, Qt.Key.Key_Down)
    qtbot.keyClick(dlg.how, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dlg.isVisible()  # refused: the night reason is missing
    assert QApplication.focusWidget() is dlg.night_reason
    qtbot.keyClicks(dlg.night_reason, "Left without telling anyone: nothing could be done to delay it.")
    qtbot.keyClick(dlg.night_reason, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dlg.isVisible()
    [d] = nights.discharges.for_resident(rid)
    assert d.state == "awaiting_senior" and d.night_reason and d.type_label == "Absconded"
    assert [r.id for r in nights.discharges.awaiting_senior()] == [d.id]


def test_a_freeze_needs_no_senior_and_keeps_the_stay(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _ = _admitted(book_factory)
    nights = book_factory("nights")
    nights.clock.set(datetime(2026, 1, 5, 14, 0))
    win = _window(qtbot, nights, tasks, rid)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_U, CTRL_SHIFT)
    dlg = _opened(qtbot, win)
    dlg.type.set_value("freeze_police")
    assert not dlg.senior_group.isVisible() and not dlg.reason.isEnabled()
    _tab_to(qtbot, dlg.circumstances)
    qtbot.keyClicks(dlg.circumstances, "Arrested on site by Lancashire Police.")
    qtbot.keyClick(dlg.circumstances, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dlg.isVisible()
    [d] = nights.discharges.for_resident(rid)
    assert d.state == "frozen"
    assert nights.discharges.start(rid).frozen


def test_from_the_caseload_with_the_shortcut(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    from ui.caseload.page import CaseloadPage

    rid, _ = _admitted(book_factory)
    worker = book_factory("worker")
    page = CaseloadPage(make_ctx(worker, tasks))
    qtbot.addWidget(page)
    page.show()
    page.activateWindow()
    qtbot.waitExposed(page)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page)
    qtbot.waitUntil(lambda: page.model.rowCount() > 0)
    assert page.unplanned_button.isVisible()
    page.table.setFocus()
    page.table.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_U, CTRL_SHIFT)
    dlg = _opened(qtbot, page)
    assert dlg.start.resident_id == rid
    dlg.reject()


def test_not_shown_to_the_administrator(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    from ui.caseload.page import CaseloadPage

    page = CaseloadPage(make_ctx(book_factory("admin"), tasks))
    qtbot.addWidget(page)
    page.show()
    assert not page.unplanned_button.isVisible()


def test_screenshots(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    """Laid out at 1280×800 and 1024×768 (written to KW_SHOTS when set, to look at)."""
    rid, _ = _admitted(book_factory)
    nights = book_factory("nights")
    nights.clock.set(datetime(2026, 1, 5, 23, 30))
    host = QWidget()
    qtbot.addWidget(host)
    open_unplanned_discharge(host, make_ctx(nights, tasks), rid)
    dlg = getattr(host, "unplanned_dialog")
    qtbot.addWidget(dlg)
    dlg.confirm_unsaved = lambda _w: Unsaved.DISCARD  # type: ignore[assignment]
    dlg.type.set_value("self_discharge")
    for w, h in ((1280, 800), (1024, 768)):
        dlg.resize(min(dlg.width(), w - 40), h - 80)
        qtbot.waitExposed(dlg)
        assert dlg.width() <= w and dlg.height() <= h
        out = os.environ.get("KW_SHOTS")
        if out:
            dlg.grab().save(os.path.join(out, f"unplanned_{w}x{h}.png"))


def test_the_countdown_on_today_and_in_the_record_header(book_factory) -> None:  # type: ignore[no-untyped-def]
    from keyworker.clock import LONDON
    from keyworker.discharges import UnplannedDischargeInput
    from ui.discharges.today import awaiting_senior, summaries_due
    from ui.resident.tabs import header_sources

    rid, _ = _admitted(book_factory)
    nights = book_factory("nights")
    nights.clock.set(datetime(2026, 3, 28, 22, 30))
    nights.discharges.record_unplanned(UnplannedDischargeInput(
        rid, "absconded", datetime(2026, 3, 28, 22, 0, tzinfo=LONDON), "Not in room at the check",
        night_reason="Left unseen"))
    [item] = summaries_due(nights)
    # 24 real hours across the spring clock change: 23:00 BST, 23 h 30 min from now.
    assert "due by 29/03/2026 23:00 (in 23 h 30 min)" in item.text and not item.overdue
    manager = book_factory("manager")
    assert "awaiting senior confirmation" in awaiting_senior(manager)[0].text
    nights.clock.set(datetime(2026, 3, 30, 0, 0))
    [late] = summaries_due(nights)
    assert late.overdue and "(overdue by 1 h 00 min)" in late.text
    from ui.today import shown_label
    # The Today row says "overdue" once: the warning prefix, then by how much.
    assert shown_label(late).startswith("⚠ Overdue: ") and shown_label(late).lower().count("overdue") == 2
    assert not shown_label(late).endswith("overdue")
    source = next(h for h in header_sources() if h.key == "discharges")
    texts = [h.text for h in source.fetch(nights, rid)]
    assert any(t.startswith("Discharge summary due by 29/03/2026 23:00 (overdue") for t in texts)
    assert "Discharge awaiting senior confirmation" in texts


def test_the_discharge_tab_checklist_and_the_senior_confirming(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    from keyworker.clock import LONDON
    from keyworker.discharges import UnplannedDischargeInput
    from ui.discharges.tab import DischargeTab, NotificationDialog

    rid, _ = _admitted(book_factory)
    nights = book_factory("nights")
    nights.clock.set(datetime(2026, 1, 5, 14, 0))
    d = nights.discharges.record_unplanned(UnplannedDischargeInput(
        rid, "self_discharge", datetime(2026, 1, 5, 13, 30, tzinfo=LONDON), "Left after a row"))
    win = _window(qtbot, nights, tasks, rid)
    tab = win.show_tab("discharge")
    assert isinstance(tab, DischargeTab)
    assert "Awaiting senior confirmation" in tab.summary.text() and "7 still to tell" in tab.summary.text()
    assert not tab.confirm_button.isVisible()  # night staff do not confirm
    assert tab.table.item(2, 1).text() == "✕ No consent: do not tell"  # next of kin
    tab.table.setFocus()
    tab.table.setCurrentCell(0, 0)
    tab.notify_button.setFocus()
    qtbot.keyClick(tab.notify_button, Qt.Key.Key_Space)  # Record notification… (the referrer row chosen)
    dlg = tab.dialog
    assert isinstance(dlg, NotificationDialog)
    qtbot.addWidget(dlg)
    dlg.confirm_unsaved = lambda _w: Unsaved.DISCARD  # type: ignore[assignment]
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg)
    assert dlg.party.value() == "referrer" and QApplication.focusWidget() is dlg.method
    qtbot.keyClick(dlg.method, Qt.Key.Key_Down)  # phone
    _tab_to(qtbot, dlg.outcome)
    qtbot.keyClicks(dlg.outcome, "Spoke to Priya; she will ring the resident")
    qtbot.keyClick(dlg.outcome, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dlg.isVisible()
    assert tab.table.item(0, 1).text() == "✓ Told" and "6 still to tell" in tab.summary.text()
    if os.environ.get("KW_SHOTS"):
        win.resize(1024, 768)
        win.grab().save(os.path.join(os.environ["KW_SHOTS"], "discharge_tab_1024x768.png"))
    manager = book_factory("manager")
    win2 = _window(qtbot, manager, tasks, rid)
    tab2 = win2.show_tab("discharge")
    assert isinstance(tab2, DischargeTab) and tab2.confirm_button.isEnabled()
    qtbot.mouseClick(tab2.confirm_button, Qt.MouseButton.LeftButton)
    assert manager.discharges.get(d.id).state == "confirmed"
    assert "Confirmed by a senior" in tab2.summary.text()
