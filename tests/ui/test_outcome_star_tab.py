"""The Outcomes tab's Outcome Star page and the "New reading…" dialog: a reading entered by keyboard
alone (digits and Tab, the stage shown live, Ctrl+S), nothing typed is lost on closing, the chart
is not blank (ChartView's pixels with and without a reading differ where the reading is drawn),
the same chart in a PDF renders with the reading's colour, and the tab offers add_page for TOP."""
from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from keyworker import outcome_star_definitions as defs
from keyworker.casebook import Casebook
from keyworker.charts.radar import star_chart
from keyworker.outcome_star import StarReadingInput
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit
from ui.forms.dialog import Unsaved
from ui.outcomes.star_dialog import StarReadingDialog, open_star_dialog
from ui.outcomes.tab import OutcomesTab

D = defs.current()
ADMITTED = date(2026, 1, 5)


def _focused() -> QWidget:
    w = QApplication.focusWidget()
    assert w is not None
    return w


def _blue_pixels(img: QImage) -> int:
    n = 0
    for y in range(0, img.height(), 2):
        for x in range(0, img.width(), 2):
            c = img.pixelColor(x, y)
            if c.blue() > c.red() + 40 and c.blue() > 120:
                n += 1
    return n


def test_a_reading_entered_by_keyboard_alone(qtbot, worker_book: Casebook, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _aid = admit(worker_book)
    ctx = make_ctx(worker_book, tasks)
    d = open_star_dialog(ctx, None, rid, stage="admission")
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD  # a failing test must not wait on a question
    qtbot.waitExposed(d)
    d.activateWindow()
    f = d.binder.fields
    qtbot.waitUntil(lambda: QApplication.focusWidget() is f["taken_on"].editor)

    def tab() -> QWidget:
        start = _focused()
        for _ in range(4):  # a date takes a Tab per part
            qtbot.keyClick(_focused(), Qt.Key.Key_Tab)
            if _focused() is not start:
                break
        return _focused()

    assert tab() is f["stage"].editor
    assert tab() is f["completed_by"].editor
    typed = [3, 4, 2, 6, 5, 1, 10, 7, 8, 9]
    for area, score in zip(D.areas, typed, strict=True):
        spin = tab()
        assert spin is f[f"score_{area.key}"].editor, area.name
        qtbot.keyClicks(spin, str(score))
        assert d.stage_text(area.key) == D.stage_for(score).name  # shown live, from the bands
        note = tab()
        assert note is f[f"note_{area.key}"].editor
        if area.key == "money":
            qtbot.keyClicks(note, "Debt advice booked")
    qtbot.keyClick(_focused(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: d.result_value is not None)
    v = d.result_value
    assert [a.score for a in v.scores] == typed
    assert v.stage == "admission" and v.taken_on == ADMITTED
    assert next(a for a in v.scores if a.key == "money").note == "Debt advice booked"
    assert d.stage_labels["offending"].text() == "Learning"


def test_typed_scores_are_not_lost_on_closing(qtbot, worker_book: Casebook, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _aid = admit(worker_book)
    d = open_star_dialog(make_ctx(worker_book, tasks), None, rid)
    qtbot.addWidget(d)
    asked: list[bool] = []
    d.confirm_unsaved = lambda _w: (asked.append(True), Unsaved.CANCEL)[1]
    qtbot.waitExposed(d)
    d.scores["drug_use"].setFocus()
    d.scores["drug_use"].selectAll()
    qtbot.keyClicks(d.scores["drug_use"], "6")
    d.reject()
    assert asked and d.isVisible() and d.scores["drug_use"].value() == 6
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    d.reject()
    assert not d.isVisible()


def test_save_with_an_area_unscored_says_which(qtbot, worker_book: Casebook, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _aid = admit(worker_book)
    d = open_star_dialog(make_ctx(worker_book, tasks), None, rid)
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    for a in D.areas:
        if a.key != "money":
            d.scores[a.key].setValue(5)
    d.save()
    assert d.result_value is None
    assert d.binder.shown_error("score_money") == "Money: give a score from 1 to 10."


def _record(book: Casebook, rid: str, on: date, values: list[int], stage: str = "review") -> None:
    book.outcome_star.record(StarReadingInput(resident_id=rid, taken_on=on, stage=stage,
                                              scores={a.key: v for a, v in zip(D.areas, values, strict=True)}))


def test_the_chart_is_drawn_and_the_distance_shown(qtbot, worker_book: Casebook, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    rid, _aid = admit(worker_book)
    ctx = make_ctx(worker_book, tasks)
    tab = OutcomesTab(ctx, rid)
    qtbot.addWidget(tab)
    tab.resize(1000, 700)
    tab.show()
    qtbot.waitExposed(tab)
    page = tab.star
    assert page.due_label.text() == "The admission reading has not been recorded yet."
    empty = page.chart.grab().toImage()
    assert _blue_pixels(empty) == 0

    clock.advance(minutes=60 * 24 * 40)
    _record(worker_book, rid, ADMITTED, [2, 3, 4, 2, 3, 2, 1, 3, 5, 2], "admission")
    _record(worker_book, rid, ADMITTED + timedelta(days=28), [6, 7, 6, 5, 4, 5, 3, 4, 8, 6])
    tab.refresh()
    qtbot.waitUntil(lambda: page.history.rowCount() == 2)
    filled = page.chart.grab().toImage()
    assert filled.size() == empty.size()
    assert _blue_pixels(filled) > 200  # the latest reading, filled
    changed = sum(1 for y in range(0, filled.height(), 3) for x in range(0, filled.width(), 3)
                  if filled.pixel(x, y) != empty.pixel(x, y))
    assert changed > 300
    assert page.history.item(0, 0).text() == "02/02/2026" and page.history.item(1, 1).text() == "Admission"
    assert page.compare.currentText() == "05/01/2026 (admission)"
    assert [page.distance.item(0, c).text() for c in range(5)] == ["Drug use", "2", "6", "+4", "Stuck → Believing"]
    assert "10 of 10 areas improved" in page.distance_note.text()
    page.compare.setCurrentIndex(0)  # nothing to compare: the latest only, no dashed outline
    assert not any(getattr(s, "dashed", False) for s in page.chart.drawing().shapes)  # type: ignore[union-attr]
    assert page.distance.item(0, 2).text() == "6"

    from ui.outcomes.top_section import TopSection

    assert [tab.tabs.tabText(i) for i in range(tab.tabs.count())] == ["Outcome Star", "TOP", "Surveys"]
    assert isinstance(tab.pages()[1], TopSection)
    extra = QLabel("Another page")
    tab.add_page("More", extra)
    assert tab.tabs.count() == 4 and tab.tabs.tabText(3) == "More" and tab.pages()[3] is extra


def test_nights_see_the_star_without_new_reading(qtbot, worker_book: Casebook, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _aid = admit(worker_book)
    tab = OutcomesTab(make_ctx(book_factory("nights"), tasks), rid)
    qtbot.addWidget(tab)
    assert tab.star.new_button.isHidden()
    assert tab.star.chart.drawing() is not None


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) renders the PDF")
def test_the_star_chart_in_a_pdf_is_not_blank(tmp_path: Path, worker_book: Casebook, clock) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image
    from reportlab.lib.units import cm
    from reportlab.platypus import SimpleDocTemplate

    from keyworker.charts.pdf import ChartFlowable

    rid, _aid = admit(worker_book)
    clock.advance(minutes=60 * 24 * 40)
    _record(worker_book, rid, ADMITTED, [2, 3, 4, 2, 3, 2, 1, 3, 5, 2], "admission")
    _record(worker_book, rid, ADMITTED + timedelta(days=28), [6, 7, 6, 5, 4, 5, 3, 4, 8, 6])
    latest, first = worker_book.outcome_star.readings(rid)
    pages = {}
    for name, drawing in (("with", star_chart(D, latest, first)), ("without", star_chart(D, None))):
        pdf = tmp_path / f"{name}.pdf"
        SimpleDocTemplate(str(pdf)).build([ChartFlowable(drawing, 12 * cm)])
        subprocess.run(["pdftoppm", "-png", "-r", "72", "-singlefile", str(pdf), str(tmp_path / name)], check=True)
        pages[name] = Image.open(tmp_path / f"{name}.png").convert("RGB")
    def blue(img) -> int:  # type: ignore[no-untyped-def]
        return sum(1 for y in range(0, img.height, 2) for x in range(0, img.width, 2)
                   if (p := img.getpixel((x, y)))[2] > p[0] + 40 and p[2] > 120)
    def inked(img) -> int:  # type: ignore[no-untyped-def]
        return sum(1 for y in range(0, img.height, 2) for x in range(0, img.width, 2)
                   if sum(img.getpixel((x, y))) < 600)
    assert inked(pages["without"]) > 100  # the rings and labels
    assert blue(pages["without"]) == 0
    assert blue(pages["with"]) > 200  # the reading, filled


def test_correcting_a_reading_from_the_history(qtbot, worker_book: Casebook, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    rid, _aid = admit(worker_book)
    clock.advance(minutes=60 * 24 * 40)
    _record(worker_book, rid, ADMITTED, [2, 3, 4, 2, 3, 2, 1, 3, 5, 2], "admission")
    _record(worker_book, rid, ADMITTED + timedelta(days=28), [6, 7, 6, 5, 4, 5, 3, 4, 8, 6])
    ctx = make_ctx(worker_book, tasks)
    tab = OutcomesTab(ctx, rid)
    qtbot.addWidget(tab)
    page = tab.star
    page.history.setCurrentCell(0, 0)
    assert page.correct_button.isEnabled()
    page.correct()
    from ui.outcomes.star_dialog import open_dialogs

    (d,) = [w for w in open_dialogs() if isinstance(w, StarReadingDialog)]  # the page's child: closed with it
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    assert d.scores["drug_use"].value() == 6 and d.stage_text("drug_use") == "Believing"
    d.scores["drug_use"].setValue(9)
    d.save()
    assert d.result_value is None and "Say why" in d.binder.shown_error("correction_reason")
    d.reason.setText("Typed 6 for 9")
    d.save()
    assert d.result_value is not None and d.result_value.supersedes_id
    tab.refresh()
    assert page.history.rowCount() == 3
    assert "replaced by a correction" in page.history.item(1, 4).text()
    assert "corrected: Typed 6 for 9" in page.history.item(0, 4).text()
    assert page.distance.item(0, 2).text() == "9"  # the correction counts
    page.history.setCurrentCell(1, 0)
    assert not page.correct_button.isEnabled()
