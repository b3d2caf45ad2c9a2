"""The Safeguarding tab and its dialogs: the checklist answered by keyboard (Y / N), 14 "yes" shows a
visible high risk and the MARAC prompt, judgement cannot lower it (nothing lower is offered) and a
raise needs a reason; the MARAC referral offered straight away; a referral linked to an incident
shows that incident; night staff read but the buttons are greyed with the reason."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import ui.incidents  # noqa: F401 - registers the tabs
from keyworker import da_checklist as da
from keyworker.incidents import IncidentInput
from keyworker.safeguarding import ChecklistInput
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit
from ui.forms import Unsaved
from ui.incidents.checklist import ChecklistDialog
from ui.incidents.referral import OutcomeDialog, ReferralDialog
from ui.incidents.safeguarding_tab import READ_ONLY, SafeguardingTab
from ui.resident.window import open_resident_window


def _tab(qtbot: QtBot, book, tasks, rid) -> SafeguardingTab:  # type: ignore[no-untyped-def]
    win = open_resident_window(make_ctx(book, tasks), rid)
    qtbot.addWidget(win)
    qtbot.waitExposed(win)
    win.confirm_unsaved = lambda _w: Unsaved.DISCARD  # type: ignore[assignment]
    tab = win.show_tab("safeguarding")
    assert isinstance(tab, SafeguardingTab)
    qtbot.waitUntil(tab.isVisible)  # the layout shows a new tab on its next turn of the event loop
    return tab


def _dialog(qtbot: QtBot, tab: SafeguardingTab, kind: type):  # type: ignore[no-untyped-def]
    dlg = tab.dialog
    assert isinstance(dlg, kind)
    dlg.confirm_unsaved = lambda _w: Unsaved.DISCARD
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg)
    return dlg


def test_fourteen_yes_by_keyboard_is_a_visible_high_risk_with_the_marac_prompt(  # type: ignore[no-untyped-def]
        qtbot: QtBot, book_factory, tasks) -> None:
    book = book_factory("worker")
    rid, _aid = admit(book)
    tab = _tab(qtbot, book, tasks, rid)
    assert "no checklist completed yet" in tab.status_label.text()
    assert not tab.marac_box.isVisible()
    tab.confirm_marac = lambda _w: False  # not straight away: the tab keeps asking
    tab.complete_checklist()
    dlg = _dialog(qtbot, tab, ChecklistDialog)
    assert QApplication.focusWidget() is dlg.answers.buttons[1][da.YES]
    for n in da.QUESTIONS:  # Y answers and moves to the next question
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Y if n <= 14 else Qt.Key.Key_N)
    assert dlg.answers.yes_count() == 14 and len(dlg.answers.value()) == 24
    assert dlg.result.text() == "⚠ Result: Visible high risk (14 of 24). A MARAC referral is needed."
    # a visible high risk cannot be lowered: the control offers nothing at all
    assert dlg.judgement.codes() == [] and not dlg.judgement.isEnabled()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dlg.isVisible()
    assert book.safeguarding.status(rid).marac_due
    assert "Visible high risk (14 of 24)" in tab.status_label.text()
    assert tab.marac_box.isVisible() and "Make a MARAC referral" in tab.marac_text.text()
    assert tab.marac_button.isEnabled()
    assert tab.checklists.item(0, 1).text() == "⚠ Visible high risk (14 of 24)"
    tab.record_marac()
    ref = _dialog(qtbot, tab, ReferralDialog)
    assert (ref.kind.value(), ref.grounds.value()) == ("marac", "visible_high")
    assert ref.link.currentText() == "Checklist of 05/01/2026: Visible high risk (14 of 24)"
    # what raised it reads in full, not elided (the combo's arrow and padding take about 40 px)
    assert ref.link.fontMetrics().horizontalAdvance(ref.link.currentText()) + 40 <= ref.link.width()
    ref.reference.setText("MARAC/26/001")
    ref.save()
    assert not ref.isVisible() and not tab.marac_box.isVisible()
    assert not book.safeguarding.status(rid).marac_due
    assert tab.referrals.item(0, 1).text() == "MARAC" and tab.referrals.item(0, 3).text() == "MARAC/26/001"


def test_judgement_only_raises_and_needs_a_reason_and_marac_is_offered_at_once(  # type: ignore[no-untyped-def]
        qtbot: QtBot, book_factory, tasks) -> None:
    book = book_factory("worker")
    rid, _aid = admit(book)
    tab = _tab(qtbot, book, tasks, rid)
    offered: list[bool] = []
    tab.confirm_marac = lambda _w: (offered.append(True), True)[1]
    tab.complete_checklist()
    dlg = _dialog(qtbot, tab, ChecklistDialog)
    dlg.answers.set_value({n: ("yes" if n <= 10 else "no") for n in da.QUESTIONS})
    assert dlg.judgement.codes() == ["high"]  # medium shown by the answers: only higher is offered
    dlg.answers.set_value({n: ("yes" if n <= 6 else "not_known") for n in da.QUESTIONS})
    assert dlg.judgement.codes() == ["medium", "high"]
    assert dlg.result.text() == "Result: Standard risk (6 of 24)"
    dlg.judgement.set_value("high")
    assert dlg.result.text().startswith("⚠ Result: High risk by professional judgement (6 of 24 “yes”)")
    dlg.save()
    assert dlg.isVisible()
    assert dlg.binder.shown_error("judgement_reason") == "Give the reason for raising the level to high."
    dlg.reason.setPlainText("Threats to kill since the last contact")
    dlg.save()
    assert not dlg.isVisible() and offered == [True]
    ref = _dialog(qtbot, tab, ReferralDialog)  # offered straight away, on the grounds of judgement
    assert (ref.kind.value(), ref.grounds.value()) == ("marac", "judgement")
    ref.confirm_unsaved = lambda _w: Unsaved.DISCARD
    ref.reject()


def test_a_referral_linked_to_an_incident_shows_the_incident_and_its_outcome(  # type: ignore[no-untyped-def]
        qtbot: QtBot, book_factory, tasks) -> None:
    book = book_factory("worker")
    rid, _aid = admit(book)
    x = book.incidents.record(IncidentInput(rid, "05/01/2026 08:00", "safeguarding",
                                            "Said a child at home is left alone", safeguarding_referral=True,
                                            safeguarding_to="Children's social care"))
    tab = _tab(qtbot, book, tasks, rid)
    assert tab.referrals.item(0, 0).text() == "No referrals recorded."
    assert not tab.outcome_button.isEnabled()
    tab.record_referral()
    ref = _dialog(qtbot, tab, ReferralDialog)
    ref.kind.set_value("children")
    ref.agency.setText("Lancashire children's social care")
    ref.link.set_value(f"incident:{x.id}")
    assert not ref.grounds.isEnabled()  # grounds are for MARAC only
    ref.save()
    assert not ref.isVisible()
    assert tab.referrals.item(0, 4).text() == "Incident: Safeguarding concern, 05/01/2026 08:00"
    assert tab.referrals.item(0, 5).text() == "Awaited"
    assert book.safeguarding.referrals(rid)[0].incident_id == x.id
    assert tab.outcome_button.isEnabled()
    tab.record_outcome()
    out = _dialog(qtbot, tab, OutcomeDialog)
    out.outcome.setPlainText("Strategy meeting held; child protection plan")
    out.save()
    assert tab.referrals.item(0, 5).text() == "Strategy meeting held; child protection plan"


def test_night_staff_read_safeguarding_but_record_nothing_and_are_told_why(  # type: ignore[no-untyped-def]
        qtbot: QtBot, book_factory, tasks) -> None:
    worker = book_factory("worker")
    rid, _aid = admit(worker)
    worker.safeguarding.record_checklist(ChecklistInput(rid, "05/01/2026",
                                                        {n: ("yes" if n <= 15 else "no") for n in da.QUESTIONS}))
    nights = book_factory("nights")
    tab = _tab(qtbot, nights, tasks, rid)
    assert "Visible high risk (15 of 24)" in tab.status_label.text()
    assert tab.marac_box.isVisible()  # they need to know
    for b in (tab.checklist_button, tab.marac_button, tab.referral_button, tab.outcome_button):
        assert not b.isEnabled() and b.toolTip() == READ_ONLY
    assert tab.read_only_note.isVisible() and tab.read_only_note.text() == READ_ONLY
    tab.complete_checklist()
    assert tab.dialog is None
    incidents = tab.window().show_tab("incidents")
    assert incidents.log_button.isEnabled()  # but they do log incidents
