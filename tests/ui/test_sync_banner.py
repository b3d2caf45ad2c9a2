""""As of last sync HH:MM" on the screens a night worker acts on: the Risk tab (with the
contingency plan), the Medication tab and the unplanned discharge screen show it only while this
laptop is enrolled and has not synced for 15 minutes; never on a laptop that has not joined."""
from __future__ import annotations

import os
from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import ui.discharges  # noqa: F401 - registers the record window's action
import ui.risk  # noqa: F401 - registers the Risk tab
from tests.ui.conftest import make_ctx
from tests.ui.sync_helpers import enrolled  # noqa: F401 - fixture
from tests.unit.care_helpers import admit, assess_risk
from ui.discharges.unplanned import UnplannedDischargeDialog
from ui.forms import Unsaved
from ui.resident.medication import MedicationTab
from ui.resident.window import open_resident_window
from ui.risk.tab import RiskTab

SHOTS = os.environ.get("SYNC_SHOTS")


@pytest.fixture
def night(book_factory):  # type: ignore[no-untyped-def]
    manager = book_factory("manager")
    rid, aid = admit(manager)
    assess_risk(manager, aid)
    nights = book_factory("nights")
    nights.clock.set(datetime(2026, 1, 5, 22, 10))
    return nights, rid


def _window(qtbot: QtBot, book, tasks, rid):  # type: ignore[no-untyped-def]
    win = open_resident_window(make_ctx(book, tasks), rid)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    return win


def test_no_banner_on_a_laptop_that_has_not_joined(qtbot: QtBot, night, tasks) -> None:  # type: ignore[no-untyped-def]
    book, rid = night
    win = _window(qtbot, book, tasks, rid)
    win.show_tab("risk")
    tab = win.pages["risk"]
    assert isinstance(tab, RiskTab) and not tab.sync_banner.isVisible()


def test_the_banner_shows_only_when_stale(qtbot: QtBot, night, tasks, enrolled) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    book, rid = night
    enrolled.synced(book, 5)  # 22:05: fresh
    win = _window(qtbot, book, tasks, rid)
    win.show_tab("risk")
    risk = win.pages["risk"]
    qtbot.waitUntil(risk.isVisible)  # a tab made now is shown once the event loop runs
    assert not risk.sync_banner.isVisible()
    book.clock.advance(minutes=20)  # 22:30, last synced 22:05: 25 minutes
    risk.sync_banner.refresh()
    assert risk.sync_banner.isVisible()
    assert risk.sync_banner.text() == ("⚠ As of last sync 22:05: changes made on the unit's other laptops since "
                                       "then are not shown here.")
    if SHOTS:
        win.grab().save(os.path.join(SHOTS, "record-risk-banner-1280x800.png"))
        win.resize(1024, 768)
        qtbot.wait(50)
        win.grab().save(os.path.join(SHOTS, "record-risk-banner-1024x768.png"))
    win.show_tab("medication")
    med = win.pages["medication"]
    qtbot.waitUntil(med.isVisible)
    assert isinstance(med, MedicationTab) and med.sync_banner.isVisible()
    assert med.sync_banner.text().startswith("⚠ As of last sync 22:05")
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    qtbot.keyClick(QApplication.focusWidget() or win, Qt.Key.Key_U,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)  # as at night
    dlg = getattr(win, "unplanned_dialog", None)
    assert isinstance(dlg, UnplannedDischargeDialog)
    qtbot.addWidget(dlg)
    dlg.confirm_unsaved = lambda _w: Unsaved.DISCARD  # type: ignore[assignment]
    qtbot.waitUntil(dlg.sync_banner.isVisible)
    assert dlg.sync_banner.text().startswith("⚠ As of last sync 22:05")
    if SHOTS:
        dlg.grab().save(os.path.join(SHOTS, "unplanned-banner.png"))
    enrolled.synced(book, 0)  # a sync came through
    win.ctx.state.data_changed.emit("sync")
    assert not risk.sync_banner.isVisible() and not med.sync_banner.isVisible()
    assert not dlg.sync_banner.isVisible()

