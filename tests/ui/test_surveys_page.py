"""The Outcomes tab's Surveys page and the "New survey…" dialog: a carer's survey entered by
keyboard alone (Tab, digits, Ctrl+S), a refused save and a cancelled close keep what was typed,
the history and comments shown, and out-of-hours staff read without "New survey…"."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from keyworker.casebook import Casebook
from keyworker.surveys import SurveyInput
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit
from ui.forms.dialog import Unsaved
from ui.outcomes.survey_dialog import SurveyDialog
from ui.outcomes.surveys_page import SurveysPage


def _focused() -> QWidget:
    w = QApplication.focusWidget()
    assert w is not None
    return w


def _tab(qtbot) -> QWidget:  # type: ignore[no-untyped-def]
    start = _focused()
    for _ in range(4):  # a date takes a Tab per part
        qtbot.keyClick(_focused(), Qt.Key.Key_Tab)
        if _focused() is not start:
            break
    return _focused()


def test_a_carer_survey_by_keyboard_alone(qtbot, worker_book: Casebook, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _aid = admit(worker_book)
    d = SurveyDialog(None, make_ctx(worker_book, tasks), rid)
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD  # a failing test must not wait on a question
    d.show()
    qtbot.waitExposed(d)
    d.activateWindow()
    f = d.binder.fields
    qtbot.waitUntil(lambda: QApplication.focusWidget() is f["taken_on"].editor)
    who = _tab(qtbot)
    assert who is f["respondent"].editor
    assert not f["respondent_name"].editor.isEnabled()  # asked only of a carer
    qtbot.keyClick(who, Qt.Key.Key_C)  # "Carer or family member"
    assert d.respondent.value() == "carer" and f["respondent_name"].editor.isEnabled()
    name = _tab(qtbot)
    assert name is f["respondent_name"].editor
    qtbot.keyClicks(name, "Mary Doe")
    rel = _tab(qtbot)
    assert rel is f["relationship"].editor
    qtbot.keyClicks(rel, "Mother")
    typed = {"listened": "4", "respected": "5", "goals": None, "recommend": "4", "overall": "5"}
    for key, digit in typed.items():
        combo = _tab(qtbot)
        assert combo is f[key].editor, key
        if digit:
            qtbot.keyClick(combo, getattr(Qt.Key, f"Key_{digit}"))
    comments = _tab(qtbot)
    assert comments is f["comments"].editor
    qtbot.keyClicks(comments, "They rang me every week.")
    assert _tab(qtbot) is f["completed_by"].editor  # Tab leaves the comments
    qtbot.keyClick(_focused(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: d.result_value is not None)
    v = d.result_value
    assert (v.respondent, v.respondent_name, v.relationship, v.taken_on) == ("carer", "Mary Doe", "Mother",
                                                                             date(2026, 1, 5))
    assert [x for _k, _l, x in v.ratings] == [4, 5, None, 4, 5]
    assert v.comments == "They rang me every week."


def test_nothing_typed_is_lost(qtbot, worker_book: Casebook, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _aid = admit(worker_book)
    d = SurveyDialog(None, make_ctx(worker_book, tasks), rid)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    d.respondent.set_value("carer")
    d.comments.setPlainText("Kind staff.")
    d.ratings["overall"].set_value("4")
    d.save()  # a carer with no name: refused, the form keeps everything
    assert d.result_value is None and d.isVisible()
    assert d.binder.shown_error("respondent_name") == "Give the name of the carer or family member who answered."
    assert d.comments.toPlainText() == "Kind staff." and d.ratings["overall"].value() == "4"
    asked: list[bool] = []
    d.confirm_unsaved = lambda _w: (asked.append(True), Unsaved.CANCEL)[1]
    d.reject()
    assert asked and d.isVisible() and d.comments.toPlainText() == "Kind staff."
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    d.reject()
    assert not d.isVisible()


def test_the_page_shows_the_history(qtbot, worker_book: Casebook, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _aid = admit(worker_book)
    worker_book.surveys.record(SurveyInput(rid, listened=5, overall=4, comments="Felt safe here."))
    page = SurveysPage(make_ctx(worker_book, tasks), rid)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.table.rowCount() == 1)
    assert [page.table.item(0, c).text() for c in range(8)] == ["05/01/2026", "Resident", "5", "–", "–", "–", "4",
                                                                "Sam Worker"]
    assert page.comments.toPlainText() == "Felt safe here."
    assert page.due_label.text() == "Last survey from the resident: 05/01/2026."
    nights = SurveysPage(make_ctx(book_factory("nights"), tasks), rid)
    qtbot.addWidget(nights)
    qtbot.waitUntil(lambda: nights.table.rowCount() == 1)
    assert nights.new_button.isHidden()
