"""The Discharge tab's "Placement at risk" box (Annex 3 step 12): a key worker raises the flag
through its dialog (the reason required; the referrer and the CTP are sent a letter through the
outbox), the box shows since when, by whom, why and the letters queued; "No longer at risk…"
clears it with a note and the button comes back. Out-of-hours staff (no record_risk) do not see
the button. A screenshot of the tab at 1024×768 is written to KW_SHOTS when set, to look at."""
from __future__ import annotations

import os
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

import ui.discharges  # noqa: F401 - registers the Discharge tab
from keyworker.db.outbox import OutboxItem
from tests.fixtures.caseload import admit
from tests.ui.test_unplanned_discharge_screen import _window
from ui.discharges.placement_risk import PlacementRiskDialog
from ui.discharges.tab import DischargeTab
from ui.forms import Unsaved

CTRL_S = (Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)


def _letters(book) -> int:  # type: ignore[no-untyped-def]
    with book._read() as s:
        return int(s.scalar(select(func.count()).select_from(OutboxItem)
                            .where(OutboxItem.kind == "placement_at_risk")) or 0)


def _dialog(qtbot: QtBot, tab: DischargeTab) -> PlacementRiskDialog:
    dlg = tab.placement_risk.dialog
    assert isinstance(dlg, PlacementRiskDialog)  # a child of the box: closed with the window
    dlg.confirm_unsaved = lambda _w: Unsaved.DISCARD  # type: ignore[assignment]
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg)
    return dlg


def test_raise_and_clear_through_the_dialogs(qtbot: QtBot, book_factory, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 1, 5, 15, 0))
    rid = admit(book_factory("manager")).id
    worker = book_factory("worker")
    win = _window(qtbot, worker, tasks, rid)
    tab = win.show_tab("discharge")
    assert isinstance(tab, DischargeTab)
    box = tab.placement_risk
    qtbot.waitUntil(tab.isVisible)
    assert box.raise_button.isVisible() and not box.clear_button.isVisible()
    assert "not flagged" in box.text.text()
    qtbot.mouseClick(box.raise_button, Qt.MouseButton.LeftButton)
    dlg = _dialog(qtbot, tab)
    assert "Community Treatment Provider" in dlg.findChild(type(box.text), "placementRiskIntro").text()
    assert QApplication.focusWidget() is dlg.text
    qtbot.keyClick(dlg.text, *CTRL_S)  # the reason is required
    assert dlg.isVisible() and _letters(worker) == 0
    qtbot.keyClicks(dlg.text, "Using on home leave twice; talking of leaving.")
    qtbot.keyClick(dlg.text, *CTRL_S)
    assert not dlg.isVisible()
    assert _letters(worker) == 2  # the referrer and the CTP
    text = box.text.text()
    assert "At risk since 05/01/2026 15:00" in text and "Using on home leave twice" in text
    assert "2 letters queued in the outbox" in text
    assert not box.raise_button.isVisible() and box.clear_button.isVisible()
    if os.environ.get("KW_SHOTS"):
        win.resize(1024, 768)
        QApplication.processEvents()
        win.grab().save(os.path.join(os.environ["KW_SHOTS"], "discharge_tab_placement_risk_1024x768.png"))
    qtbot.mouseClick(box.clear_button, Qt.MouseButton.LeftButton)
    dlg = _dialog(qtbot, tab)
    qtbot.keyClicks(dlg.text, "Settled after the review with the referrer.")
    qtbot.keyClick(dlg.text, *CTRL_S)
    assert not dlg.isVisible()
    assert worker.discharges.placement_risk(rid) is None
    assert box.raise_button.isVisible() and not box.clear_button.isVisible()
    assert "not flagged" in box.text.text()


def test_out_of_hours_staff_see_the_flag_but_not_the_button(qtbot: QtBot, book_factory, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 1, 5, 15, 0))
    rid = admit(book_factory("manager")).id
    book_factory("worker").discharges.flag_placement_at_risk(rid, "Talking of leaving.")
    nights = book_factory("nights")
    win = _window(qtbot, nights, tasks, rid)
    tab = win.show_tab("discharge")
    assert isinstance(tab, DischargeTab)
    qtbot.waitUntil(tab.isVisible)
    box = tab.placement_risk
    assert box.isVisible() and "Talking of leaving." in box.text.text()
    assert box.raise_button.isHidden() and box.clear_button.isHidden()


def test_not_offered_once_the_stay_has_ended(qtbot: QtBot, book_factory, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    from keyworker.clock import LONDON
    from keyworker.discharges import UnplannedDischargeInput

    clock.set(datetime(2026, 1, 5, 15, 0))
    manager = book_factory("manager")
    rid = admit(manager).id
    manager.discharges.record_unplanned(UnplannedDischargeInput(
        rid, "self_discharge", datetime(2026, 1, 5, 14, 0, tzinfo=LONDON), "Left after a phone call."))
    win = _window(qtbot, book_factory("worker"), tasks, rid)
    tab = win.show_tab("discharge")
    assert isinstance(tab, DischargeTab)
    qtbot.waitUntil(tab.isVisible)
    box = tab.placement_risk
    assert box.raise_button.isHidden() and "Not in the unit" in box.text.text()
