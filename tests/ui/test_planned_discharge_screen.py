"""The "Plan discharge" screen (issue 13): reached from the resident's Discharge tab and the record
window's action; the referrer-not-invited warning is live; what was typed is saved as a draft and
closing with unsaved changes asks first; "Preview letter" opens the document viewer on a DRAFT;
the key worker completes the discharge after a confirmation; a senior signs and sends; screenshots
at 1280×800 and 1024×768."""
from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

import ui.discharges  # noqa: F401 - registers the record window's action
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit, assess_risk
from ui.discharges.planned import PlannedDischargeDialog, open_planned_discharge
from ui.discharges.tab import DischargeTab
from ui.forms import Unsaved

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def _admitted(book_factory):  # type: ignore[no-untyped-def]
    manager = book_factory("manager")
    manager.clock.set(datetime(2026, 1, 5, 10, 0))
    rid, aid = admit(manager)
    assess_risk(manager, aid)
    manager.clock.set(datetime(2026, 3, 30, 11, 0))
    return manager, rid


def _opened(qtbot: QtBot, holder: QWidget) -> PlannedDischargeDialog:
    dlg = getattr(holder, "planned_dialog", None)
    assert isinstance(dlg, PlannedDischargeDialog)
    # its parent (added to qtbot) closes it
    dlg.confirm_unsaved = lambda _w: Unsaved.DISCARD  # type: ignore[assignment]  # teardown closes it
    return dlg


def _fill(qtbot: QtBot, dlg: PlannedDischargeDialog) -> None:
    dlg.meeting_on.set_value(date(2026, 3, 16))
    dlg.add_person.click()
    dlg.attendees.item(0, 0).setText("Dana Whitfield")
    dlg.attendees.item(0, 1).setText("Resident")
    dlg.planned_date.set_value(date(2026, 3, 30))
    dlg.route.set_value("community")
    dlg.reason.set_value("completed_drug_free")
    qtbot.keyClicks(dlg.mutual_aid, "SMART Recovery, Tuesdays")
    qtbot.keyClicks(dlg.ctp, "Inspire Preston, 02/04/2026")
    dlg.housing_referral.setChecked(True)
    qtbot.keyClicks(dlg.goals, "Abstinent for twelve weeks.")
    qtbot.keyClicks(dlg.recommendations, "Keep going to SMART.")
    qtbot.keyClicks(dlg.medication, "No medicines to take home.")


def test_warning_draft_preview_complete_and_sign(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    manager, rid = _admitted(book_factory)
    worker = book_factory("worker")
    tab = DischargeTab(make_ctx(worker, tasks), rid)
    qtbot.addWidget(tab)
    tab.plan_button.click()
    dlg = _opened(qtbot, tab)
    dlg.show()
    qtbot.waitExposed(dlg)
    # The referrer-not-invited warning is there from the start and goes as soon as the box is ticked.
    assert dlg.warning.isVisible() and "not invited" in dlg.warning.text()
    dlg.referrer_invited.setChecked(True)
    assert not dlg.warning.isVisible()
    dlg.referrer_invited.setChecked(False)
    assert dlg.warning.isVisible()
    _fill(qtbot, dlg)
    assert dlg.dirty
    # Ctrl+S keeps what was typed.
    dlg.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg)
    qtbot.keyClick(QApplication.focusWidget() or dlg, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dlg.dirty, dlg.status.text()
    assert not dlg.dirty and "Draft saved" in dlg.status.text()
    saved = worker.discharge_plans.plan(rid)
    assert saved.aftercare.ctp == "Inspire Preston, 02/04/2026" and saved.attendees[0].name == "Dana Whitfield"
    assert saved.missing == ()
    # The preview opens the viewer on a DRAFT.
    shown: list[bytes] = []
    dlg.open_viewer = shown.append  # type: ignore[assignment]
    dlg.preview_button.click()
    assert shown and "DRAFT" in PdfReader(io.BytesIO(shown[0])).pages[0].extract_text()
    for w, h in ((1280, 800), (1024, 768)):
        dlg.resize(w, h)
        QApplication.processEvents()
        SHOTS.mkdir(parents=True, exist_ok=True)
        dlg.grab().save(str(SHOTS / f"planned-discharge-{w}x{h}.png"))
    # A senior cannot sign yet; the key worker completes after the confirmation.
    assert not dlg.sign_button.isVisible()
    asked: list[date] = []
    dlg.ask_complete = lambda _w, _n, d: (asked.append(d), None)[1]  # type: ignore[assignment]
    dlg.complete_button.click()
    assert asked == [date(2026, 3, 30)] and not worker.discharge_plans.plan(rid).completed  # cancelled
    dlg.ask_complete = lambda _w, _n, d: d  # type: ignore[assignment]
    dlg.complete_button.click()
    assert dlg.view.completed and "Discharge completed" in dlg.status.text()
    assert not dlg.save_button.isEnabled() and not dlg.goals.isEnabled()
    assert "Awaiting a senior" in dlg.state_label.text()
    dlg.close()

    senior = book_factory("manager")
    holder = QWidget()
    qtbot.addWidget(holder)
    open_planned_discharge(holder, make_ctx(senior, tasks), rid)
    sdlg = _opened(qtbot, holder)
    sdlg.show()
    assert sdlg.sign_button.isVisible() and sdlg.sign_button.isEnabled()
    sdlg.sign_button.click()
    assert sdlg.view.signed and "in the outbox for 3 recipients" in sdlg.status.text()
    assert "Could not be sent yet" in sdlg.state_label.text()  # the resident has no email
    assert not sdlg.sign_button.isEnabled()
    sdlg.resize(1024, 768)
    QApplication.processEvents()
    sdlg.grab().save(str(SHOTS / "planned-discharge-signed.png"))


def test_closing_with_unsaved_changes_asks_first(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    _, rid = _admitted(book_factory)
    worker = book_factory("worker")
    holder = QWidget()
    qtbot.addWidget(holder)
    open_planned_discharge(holder, make_ctx(worker, tasks), rid)
    dlg = _opened(qtbot, holder)
    dlg.show()
    qtbot.keyClicks(dlg.goals, "Typed and not saved")
    asked: list[bool] = []
    dlg.confirm_unsaved = lambda _w: (asked.append(True), Unsaved.CANCEL)[1]  # type: ignore[assignment]
    dlg.close()
    assert asked and dlg.isVisible()
    dlg.confirm_unsaved = lambda _w: Unsaved.SAVE  # type: ignore[assignment]
    dlg.close()
    assert worker.discharge_plans.plan(rid).goals_achieved == "Typed and not saved"
    qtbot.waitUntil(lambda: not dlg.isVisible())


def test_the_record_window_offers_plan_discharge(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    from ui.resident.tabs import resident_actions

    action = next(a for a in resident_actions() if a.key == "planned_discharge")
    assert action.shortcut == "Ctrl+Shift+D" and "Plan discharge" in action.text
