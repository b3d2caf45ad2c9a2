"""Logging an incident: by keyboard alone from the record window (Ctrl+Shift+I), the police and
safeguarding details only once ticked, a future time refused at its field, night staff may log,
and the risk review the core prompts is said on the tab."""
from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QPlainTextEdit
from pytestqt.qtbot import QtBot

import ui.incidents  # noqa: F401 - registers the Incidents tab and the record window's action
from keyworker.clock import LONDON
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit
from ui.forms import Unsaved
from ui.incidents.form import IncidentDialog
from ui.incidents.tab import IncidentsTab
from ui.resident.window import open_resident_window


def _record_window(qtbot: QtBot, book, tasks, rid):  # type: ignore[no-untyped-def]
    win = open_resident_window(make_ctx(book, tasks), rid)
    qtbot.addWidget(win)
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)  # its shortcuts work once it is active
    return win


def _dialog(qtbot: QtBot, book, tasks, rid) -> IncidentDialog:  # type: ignore[no-untyped-def]
    dlg = IncidentDialog(None, make_ctx(book, tasks), rid)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.confirm_unsaved = lambda _w: Unsaved.DISCARD  # type: ignore[assignment]  # teardown closes it
    return dlg


def _tab_until(qtbot: QtBot, widget_type: type, limit: int = 8):  # type: ignore[no-untyped-def]
    for _ in range(limit):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if isinstance(QApplication.focusWidget(), widget_type):
            return QApplication.focusWidget()
    raise AssertionError(f"Tab never reached a {widget_type.__name__}")


def test_an_incident_logged_by_keyboard_alone_is_listed_and_prompts_a_risk_review(  # type: ignore[no-untyped-def]
        qtbot: QtBot, book_factory, tasks) -> None:
    book = book_factory("worker")
    rid, aid = admit(book)
    win = _record_window(qtbot, book, tasks, rid)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    tab = win.current_page()
    assert isinstance(tab, IncidentsTab) and isinstance(tab.dialog, IncidentDialog)
    dlg = tab.dialog
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg)
    assert QApplication.focusWidget() is dlg.occurred  # the time first, already "now"
    assert dlg.occurred.text() == "05/01/2026 09:00"
    combo = _tab_until(qtbot, QComboBox)
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # the first type: relapse or use on site
    qtbot.keyClick(combo, Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), "Found using in the garden")
    for _ in range(3):  # people involved, actions taken, the domestic abuse tick
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dlg.police
    qtbot.keyClick(dlg.police, Qt.Key.Key_Space)
    qtbot.keyClick(dlg.police, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dlg.police_reference
    qtbot.keyClicks(dlg.police_reference, "LC-2026-0105")
    qtbot.keyClick(dlg.police_reference, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dlg.isVisible()
    assert [(x.kind_label, x.when_text, x.police_reference) for x in book.incidents.for_resident(rid)] == [
        ("Relapse or use on site", "05/01/2026 09:00", "LC-2026-0105")]
    assert tab.table.item(0, 1).text() == "Relapse or use on site"
    assert tab.table.item(0, 2).text() == "✓ Police"
    assert "Found using in the garden" in tab.detail.toPlainText()
    assert "relapse" in [p.reason for p in book.risk.needs_review(aid)]
    assert tab.status.isVisible() and "A risk review has been prompted" in tab.status.text()


def test_police_and_safeguarding_details_only_once_ticked_and_kept_when_unticked(  # type: ignore[no-untyped-def]
        qtbot: QtBot, book_factory, tasks) -> None:
    book = book_factory("worker")
    rid, _aid = admit(book)
    dlg = _dialog(qtbot, book, tasks, rid)
    assert not dlg.police_reference.isEnabled() and not dlg.safeguarding_to.isEnabled()
    assert not dlg.safeguarding_reference.isEnabled()
    dlg.safeguarding.setChecked(True)
    assert dlg.safeguarding_to.isEnabled() and dlg.safeguarding_reference.isEnabled()
    dlg.kind.set_value("safeguarding")
    dlg.description.setPlainText("Disclosed a child at home is not safe")
    dlg.save()
    assert dlg.isVisible()  # refused: to whom, at that field
    assert dlg.binder.shown_error("safeguarding_to") == "Say to whom the safeguarding referral was made."
    dlg.safeguarding_to.setText("Children's social care")
    dlg.safeguarding.setChecked(False)
    assert not dlg.safeguarding_to.isEnabled() and dlg.safeguarding_to.text() == "Children's social care"
    assert dlg.binder.value("safeguarding_to") is None  # not saved while unticked
    dlg.safeguarding.setChecked(True)
    assert dlg.binder.value("safeguarding_to") == "Children's social care"


def test_a_time_in_the_future_is_refused_at_its_field(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("worker")
    rid, _aid = admit(book)
    dlg = _dialog(qtbot, book, tasks, rid)
    dlg.occurred.set_value(book.clock.now().astimezone(LONDON) + timedelta(hours=2))
    dlg.kind.set_value("other")
    dlg.description.setPlainText("Fire alarm")
    dlg.save()
    assert dlg.binder.shown_error("occurred_at") == "Date and time cannot be in the future."
    assert QApplication.focusWidget() is dlg.occurred or not dlg.isActiveWindow()
    assert book.incidents.for_resident(rid) == []


def test_night_staff_log_an_incident_from_the_tab(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _aid = admit(book_factory("worker"))
    nights = book_factory("nights")
    win = _record_window(qtbot, nights, tasks, rid)
    tab = win.show_tab("incidents")
    assert tab.log_button.isEnabled()
    assert "log_incident" in win.record_actions
    tab.log_incident()
    dlg = tab.dialog
    dlg.kind.set_value("absconding")
    dlg.description.setPlainText("Left through the back gate at 02:10")
    dlg.save()
    assert [x.recorded_by_name for x in nights.incidents.for_resident(rid)] == ["Nico Nights"]


def test_the_form_fits_a_1024_by_768_screen_and_keeps_typed_text(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("worker")
    rid, _aid = admit(book)
    dlg = _dialog(qtbot, book, tasks, rid)
    room = dlg.screen().availableGeometry()
    assert dlg.width() <= min(room.width(), 1024) and dlg.height() <= min(room.height(), 768)
    dlg.description.setPlainText("Half-written account")
    asked: list[bool] = []
    dlg.confirm_unsaved = lambda _w: (asked.append(True), Unsaved.CANCEL)[1]  # type: ignore[assignment]
    dlg.reject()
    assert asked and dlg.isVisible()
    dlg.confirm_unsaved = lambda _w: Unsaved.DISCARD  # type: ignore[assignment]
    assert isinstance(dlg.description, QPlainTextEdit) and dlg.description.toPlainText() == "Half-written account"
    dlg.grab().save("/tmp/incui/incident_form.png")
