"""The resident's Risk tab and the assessment form on a real encrypted unit, as a key worker and
an out-of-hours worker use them: the empty state, an assessment recorded by keyboard alone, the
suggested level and the reasons the rules ask for (shown at their fields), a review as a new
version, what a night worker may do, versions and the diff, the printed copy, and the layout at
1024×768."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QWidget

from keyworker import risk_domains as rd
from keyworker.clock import local_today
from keyworker.errors import ValidationError
from keyworker.risk import DomainRating, example_input
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit
from ui.risk.form import RiskFormDialog
from ui.risk.history import RiskHistoryDialog
from ui.risk.tab import ENDED_TIP, READ_ONLY_TIP, RiskTab


@pytest.fixture
def opened(qtbot, book_factory, tasks):  # type: ignore[no-untyped-def]
    """open_tab(username, level=None) -> (book, tab, resident_id, admission_id); the worker records
    an assessment at `level` first when given."""
    worker = book_factory("worker")
    rid, aid = admit(worker)

    def open_tab(username: str = "worker", level: str | None = None):  # type: ignore[no-untyped-def]
        if level is not None:
            worker.risk.record(aid, example_input(local_today(worker.clock), level))
        book = worker if username == "worker" else book_factory(username)
        tab = RiskTab(make_ctx(book, tasks), rid)
        qtbot.addWidget(tab)
        tab.set_record(book.residents.get(rid))
        tab.resize(1000, 700)
        tab.show()
        qtbot.waitExposed(tab)
        return book, tab, rid, aid

    return open_tab


def focused() -> QWidget:
    w = QApplication.focusWidget()
    assert w is not None
    return w


def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(focused(), key, modifier)


def type_text(text: str) -> None:
    QTest.keyClicks(focused(), text)


def open_form(qtbot, button) -> RiskFormDialog:  # type: ignore[no-untyped-def]
    button.setFocus()
    QTest.keyClick(button, Qt.Key.Key_Space)
    dlg = button.parent().dialog
    assert isinstance(dlg, RiskFormDialog)
    qtbot.waitExposed(dlg)
    dlg.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg)
    dlg.confirm_unsaved = lambda _w: pytest.fail("nothing should ask about unsaved work")
    return dlg


def fill(dlg: RiskFormDialog, ratings: dict[str, str] | None = None) -> None:
    """As if chosen and typed: every area rated (low unless given) with evidence."""
    for d in rd.DOMAINS:
        dlg.ratings[d.key].set_value((ratings or {}).get(d.key, "low"))
        dlg.evidence[d.key].setPlainText(f"Talked about {d.label.lower()}.")


def test_not_assessed_says_so_and_offers_to_record(opened) -> None:  # type: ignore[no-untyped-def]
    _book, tab, _rid, _aid = opened()
    assert tab.empty.isVisible() and "No risk assessment has been recorded" in tab.empty.text()
    assert tab.level.text() == "○ Not assessed"
    assert tab.record_button.isVisible() and tab.record_button.isEnabled()
    assert not tab.revise_button.isVisible() and not tab.print_button.isEnabled()


def test_an_assessment_recorded_by_keyboard_alone(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    book, tab, _rid, aid = opened()
    dlg = open_form(qtbot, tab.record_button)
    assert focused() is dlg.ratings["overdose_relapse"]  # typing starts at the first risk area
    for n, d in enumerate(rd.DOMAINS):
        for _ in range(2 if n == 0 else 1):  # Down: Low, then Medium for overdose and relapse
            press(Qt.Key.Key_Down)
        press(Qt.Key.Key_Tab)
        assert focused() is dlg.evidence[d.key]
        type_text(f"Evidence for {d.label}")
        press(Qt.Key.Key_Tab)
    assert focused() is dlg.overall and dlg.overall.value() == rd.MEDIUM  # suggested: the highest rating
    press(Qt.Key.Key_Tab)
    assert focused() is dlg.actions.add_button  # no reason asked: the level is not lower
    press(Qt.Key.Key_Space)
    assert focused() is dlg.actions.rows[0].what
    type_text("Daily check-in")
    press(Qt.Key.Key_Tab)
    assert focused() is dlg.actions.rows[0].who
    type_text("Key worker")
    for _ in range(8):  # on past the date and the row's Remove button
        press(Qt.Key.Key_Tab)
        if focused() is dlg.contingency["naloxone"]:
            break
    assert focused() is dlg.contingency["naloxone"]
    for key in rd.CONTINGENCY_FIELDS:
        assert focused() is dlg.contingency[key]
        type_text(f"Agreed: {key.replace('_', ' ')}")
        press(Qt.Key.Key_Tab)
    assert dlg.review_on.value() == local_today(book.clock) + timedelta(days=28)
    press(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dlg.result() == dlg.DialogCode.Accepted.value
    view = book.risk.current(aid)
    assert view is not None and view.overall_level == rd.MEDIUM and view.number == 1
    assert view.domains[0].rating == rd.MEDIUM and view.domains[0].evidence == "Evidence for Overdose and relapse"
    assert [(a.what, a.who) for a in view.actions] == [("Daily check-in", "Key worker")]
    assert view.has_contingency
    assert tab.level.text().startswith("◆ Medium risk") and not tab.empty.isVisible()
    assert "Agreed: who to tell" in tab.body.toPlainText()


def test_suggested_level_follows_the_ratings_and_a_lower_level_needs_a_reason(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    book, tab, _rid, aid = opened()
    dlg = open_form(qtbot, tab.record_button)
    fill(dlg, {"self_harm": "high"})
    assert dlg.overall.value() == rd.HIGH and "Suggested: High" in dlg.suggested.text()
    assert dlg.review_on.value() == local_today(book.clock) + timedelta(days=7)  # 1 week when high
    reason_box = dlg.binder.fields["overall_reason"].box
    assert not reason_box.isVisibleTo(dlg)
    dlg.overall.set_value(rd.MEDIUM)  # the user picks a lower level
    assert reason_box.isVisibleTo(dlg)
    dlg.ratings["mental_health"].set_value(rd.LOW)  # the choice stays once made
    assert dlg.overall.value() == rd.MEDIUM
    dlg.save()
    assert "lower than the highest rating (High)" in dlg.binder.shown_error("overall_reason")
    assert focused() is dlg.overall_reason
    assert book.risk.current(aid) is None and dlg.isVisible()
    assert dlg.evidence["self_harm"].toPlainText() == "Talked about self-harm and suicide."  # nothing lost
    dlg.overall_reason.setPlainText("Protective factors: family contact daily, no plans.")
    dlg.save()
    view = book.risk.current(aid)
    assert view is not None and view.overall_level == rd.MEDIUM and view.suggested_level == rd.HIGH
    assert "(suggested High)" in tab.level.text()


def test_a_later_review_date_needs_a_reason_at_its_field(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    book, tab, _rid, aid = opened()
    dlg = open_form(qtbot, tab.record_button)
    fill(dlg)
    dlg.review_on.set_value(local_today(book.clock) + timedelta(days=40))
    assert dlg.binder.fields["review_reason"].box.isVisibleTo(dlg)
    dlg.save()
    assert "later than" in dlg.binder.shown_error("review_reason")
    dlg.review_reason.setText("Planned leave; reviewed on return")
    dlg.save()
    assert book.risk.current(aid).review_on == local_today(book.clock) + timedelta(days=40)  # type: ignore[union-attr]


def test_a_review_starts_from_the_current_version_and_needs_a_reason(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    book, tab, _rid, aid = opened(level=rd.LOW)
    assert tab.revise_button.isVisible() and not tab.record_button.isVisible()
    dlg = open_form(qtbot, tab.revise_button)
    assert focused() is dlg.reason
    assert dlg.evidence["overdose_relapse"].toPlainText() == "Discussed at assessment; low concern."
    assert dlg.contingency["likely_destination"].toPlainText() == "Mother's address in Preston."
    dlg.ratings["overdose_relapse"].set_value(rd.HIGH)
    assert dlg.overall.value() == rd.HIGH  # it followed the ratings: it was the suggested level
    dlg.save()
    assert dlg.binder.shown_error("reason") == "Say why the risk assessment is changing."
    assert book.risk.current(aid).number == 1  # type: ignore[union-attr]
    dlg.reason.setText("Used on leave at the weekend")
    dlg.reason.setFocus()
    QTest.keyClick(dlg.reason, Qt.Key.Key_Return)  # Enter saves
    view = book.risk.current(aid)
    assert view is not None and view.number == 2 and view.reason == "Used on leave at the weekend"
    assert tab.level.text().startswith("▲ High risk")


def test_a_refusal_from_the_core_is_shown_and_keeps_what_was_typed(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    book, tab, _rid, aid = opened(level=rd.LOW)
    dlg = open_form(qtbot, tab.revise_button)
    dlg.reason.setText("Checked again")  # ... but nothing else changed: the service refuses
    dlg.save()
    assert dlg.isVisible() and "Nothing in the risk assessment has changed" in dlg.form_error.text()
    assert dlg.reason.text() == "Checked again"
    dlg._failed(ValidationError({"actions.1.who": "Action 1: who will do it: this is required."}))
    assert "Action 1: who will do it" in dlg.binder.shown_error("actions")  # at the plan, not lost
    assert book.risk.current(aid).number == 1  # type: ignore[union-attr]


def test_escape_asks_before_throwing_typed_work_away(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    _book, tab, _rid, _aid = opened()
    dlg = open_form(qtbot, tab.record_button)
    asked: list[bool] = []
    from ui.forms.dialog import Unsaved

    dlg.confirm_unsaved = lambda _w: asked.append(True) or Unsaved.CANCEL  # type: ignore[func-returns-value]
    dlg.evidence["self_harm"].setPlainText("Typed")
    QTest.keyClick(dlg, Qt.Key.Key_Escape)
    assert asked and dlg.isVisible()


def test_out_of_hours_reads_and_prints_but_does_not_record(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    _book, tab, _rid, _aid = opened("nights")
    assert not tab.record_button.isEnabled() and tab.record_button.toolTip() == READ_ONLY_TIP
    assert "A key worker or senior records it" in tab.empty.text()
    tab.record_assessment()
    assert tab.dialog is None
    _book, tab, _rid, _aid = opened("nights", level=rd.HIGH)
    assert tab.level.text().startswith("▲ High risk")
    assert not tab.revise_button.isEnabled() and tab.revise_button.toolTip() == READ_ONLY_TIP
    assert tab.print_button.isEnabled() and tab.history_button.isEnabled()
    body = tab.body.toPlainText()
    assert body.index("contingency plan") < body.index("Risk areas")  # what to do if they leave comes first
    assert "Referrer, CTP and probation." in body


def test_an_ended_stay_reads_only(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from keyworker.db.caseload import Admission

    book, tab, rid, aid = opened(level=rd.LOW)
    assert tab.revise_button.isEnabled()
    with book._write() as s:
        adm = s.get(Admission, aid)
        assert adm is not None
        adm.discharged_on = date(2026, 1, 5)
    tab.set_record(book.residents.get(rid))
    tab.refresh()
    assert not tab.revise_button.isEnabled() and tab.revise_button.toolTip() == ENDED_TIP
    assert tab.print_button.isEnabled()


def test_the_tab_shows_why_a_review_is_due_and_overdue(qtbot, opened, clock) -> None:  # type: ignore[no-untyped-def]
    _book, tab, _rid, _aid = opened(level=rd.MEDIUM)
    assert tab.review.text().startswith("Next review by 02/02/2026")
    clock.advance(days=30)
    tab.refresh()
    assert tab.review.text().startswith("⚠ Risk review overdue: it was due on 02/02/2026")
    assert "The risk review was due on 02/02/2026." in tab.prompts.text() and tab.prompts.isVisible()


def test_every_area_reads_without_scrolling_sideways_at_1024(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    book, tab, _rid, aid = opened()
    today = local_today(book.clock)
    long = "Disclosed a long history, discussed in detail with the resident and the referrer. " * 6
    book.risk.record(aid, dataclasses.replace(
        example_input(today), domains=[DomainRating(d.key, "low", long) for d in rd.DOMAINS]))
    tab.refresh()
    tab.resize(1000, 560)  # the tab inside a 1024×768 record window
    QApplication.processEvents()
    assert tab.body.horizontalScrollBar().maximum() == 0
    assert tab.body.document().idealWidth() <= tab.body.viewport().width()


def test_the_form_fits_a_1024_by_768_screen(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    _book, tab, _rid, _aid = opened()
    dlg = open_form(qtbot, tab.record_button)
    screen = dlg.screen().availableGeometry()
    assert dlg.height() <= min(768, screen.height()) and dlg.width() <= min(1024, screen.width())
    assert dlg._scroll is not None and dlg._scroll.horizontalScrollBar().maximum() == 0
    for d in rd.DOMAINS:  # each area's hint shows where its evidence is typed
        assert dlg.evidence[d.key].placeholderText() == d.hint
    assert isinstance(dlg.evidence["mental_health"], QPlainTextEdit)


def test_versions_and_what_changed_in_words(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    book, tab, _rid, aid = opened(level=rd.LOW)
    today = local_today(book.clock)
    data = example_input(today)
    data.domains[0] = DomainRating("overdose_relapse", "high", "Used on leave.")
    book.risk.revise(aid, dataclasses.replace(data, overall_level="high"), "Relapse on leave")
    tab.refresh()
    tab.show_history()
    dlg = tab.dialog
    assert isinstance(dlg, RiskHistoryDialog)
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == 2
    row = [dlg.table.item(0, c).text() for c in range(dlg.table.columnCount())]
    assert row[0] == "2" and row[2] == "Sam Worker" and row[3] == "Relapse on leave" and row[4] == "▲ High"
    text = dlg.detail_text()
    assert "Version 2 (the current version)" in text and "Overdose and relapse: Low → High." in text
    dlg.table.setCurrentCell(1, 0)  # the first version, as it was saved
    text = dlg.detail_text()
    assert "Version 1 (an earlier version, read only)" in text and "● Low" in text
    dlg.newer.setCurrentIndex(1)
    dlg.older.setCurrentIndex(0)  # chosen the wrong way round: still read older → newer
    dlg.compare()
    assert "What changed from version 1 to version 2" in dlg.detail_text()
    assert "Overdose and relapse: Low → High." in dlg.detail_text()


def test_print_previews_the_assessment_and_files_nothing_until_printed(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    book, tab, rid, _aid = opened(level=rd.MEDIUM)
    QTest.keyClick(tab.print_button, Qt.Key.Key_Space)
    assert tab.pdf_dialog is not None
    qtbot.addWidget(tab.pdf_dialog)
    assert "Risk assessment" in tab.pdf_dialog.windowTitle()
    assert book.documents.list(resident_id=rid, kind="risk_assessment") == []
