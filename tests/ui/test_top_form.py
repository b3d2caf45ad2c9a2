"""The TOP form and section (issue 14, part O2): a TOP entered by keyboard alone (the 28-day total
computed live), a wrong value shown by its field with nothing saved and nothing typed lost, the
section's due list and history, and the chart not blank, on screen and in a PDF alike."""
from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QWidget
from pytestqt.qtbot import QtBot
from reportlab.pdfgen.canvas import Canvas

from keyworker.charts.lines import top_chart
from keyworker.charts.pdf import draw_on_canvas
from keyworker.top import SubstanceUse, TopInput
from tests.fixtures.caseload import admit
from tests.ui.conftest import make_ctx
from ui.forms import Unsaved
from ui.outcomes.top_dialog import TopDialog
from ui.outcomes.top_section import TopSection


def _section(qtbot: QtBot, book, tasks, rid: str) -> TopSection:  # type: ignore[no-untyped-def]
    section = TopSection(make_ctx(book, tasks), rid)
    qtbot.addWidget(section)
    section.resize(1100, 640)
    section.show()
    qtbot.waitExposed(section)
    return section


def _focused() -> QWidget:
    w = QApplication.focusWidget()
    assert w is not None
    # a spin box's text field has the focus on behalf of its spin box
    return w.parentWidget() if isinstance(w.parentWidget(), QAbstractSpinBox) else w


def _type(qtbot: QtBot, target: QWidget, text: str) -> None:
    """Type into the focused field, which must be `target` (the keyboard got there, not the test)."""
    assert _focused() is target, f"focus is on {_focused().objectName()}, not {target.objectName()}"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(QApplication.focusWidget(), text)


def _tab(qtbot: QtBot, times: int = 1) -> None:
    for _ in range(times):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)


def _tab_to(qtbot: QtBot, target: QWidget, limit: int = 80) -> None:
    for _ in range(limit):
        if _focused() is target:
            return
        _tab(qtbot)
    raise AssertionError(f"Tab never reached {target.objectName()}")


def _open_dialog(qtbot: QtBot, section: TopSection) -> TopDialog:
    section.new_button.setFocus()
    qtbot.keyClick(section.new_button, Qt.Key.Key_Space)
    dlg = section.dialog
    assert isinstance(dlg, TopDialog)
    dlg.confirm_unsaved = lambda _w: Unsaved.DISCARD  # type: ignore[assignment]  # teardown closes it
    qtbot.waitExposed(dlg)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg)
    return dlg


def test_a_top_entered_by_keyboard_alone(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("worker")
    rid = admit(book_factory("manager")).id
    section = _section(qtbot, book, tasks, rid)
    assert section.next_due.text() == "Next: Start TOP due by 19/01/2026."
    assert section.empty.isVisible()
    dlg = _open_dialog(qtbot, section)
    assert dlg.stage.value() == "start"  # the TOP due next is chosen
    assert _focused() is dlg.interview_on and dlg.interview_on.text() == "05/01/2026"
    _tab_to(qtbot, dlg.weeks["alcohol"][0], limit=4)  # past the date's day, month and year
    for box, days in zip(dlg.weeks["alcohol"], "7675", strict=True):
        _type(qtbot, box, days)
        _tab(qtbot)
    assert dlg.totals["alcohol"].text() == "25"  # live, as each week is typed
    _type(qtbot, dlg.amounts["alcohol"], "24")
    _tab(qtbot, 2)  # past the unit (units, already)
    for box, days in zip(dlg.weeks["opiates"], "3201", strict=True):
        _type(qtbot, box, days)
        _tab(qtbot)
    assert dlg.totals["opiates"].text() == "6"
    _tab_to(qtbot, dlg.tobacco)
    _type(qtbot, dlg.tobacco, "28")
    _tab_to(qtbot, dlg.crime_boxes["assault"])
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    _tab_to(qtbot, dlg.scales["psychological_health"])
    for name, score in (("psychological_health", "8"), ("physical_health", "10"), ("quality_of_life", "6")):
        _type(qtbot, dlg.scales[name], score)
        _tab(qtbot)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: section.dialog is None)
    [t] = book.top.for_resident(rid)
    assert (t.stage, t.interview_on, t.days_of("alcohol"), t.days_of("opiates")) == ("start", date(2026, 1, 5), 25, 6)
    assert t.substances[0].amount_text == "24 units" and t.tobacco_days == 28 and t.assault
    assert (t.psychological_health, t.physical_health, t.quality_of_life) == (8, 10, 6)
    # the section shows it at once: history, the start TOP done, the next one due
    assert section.history.rowCount() == 1 and section.history.item(0, 1).text() == "Start"
    assert section.history.item(0, 3).text() == "Alcohol 25, Opiates 6"
    assert section.history.item(0, 2).text() == "8 / 10 / 6"
    assert section.next_due.text() == "Next: Mid-way review TOP due by 16/02/2026."
    assert section.due_table.item(0, 2).text() == "✓ Done on 05/01/2026"


def test_a_wrong_value_is_shown_by_its_field_and_nothing_is_saved(qtbot: QtBot, book_factory,  # type: ignore[no-untyped-def]
                                                                  tasks) -> None:
    book = book_factory("worker")
    rid = admit(book_factory("manager")).id
    book.top.record(TopInput(rid, "start", date(2026, 1, 5), 5, 5, 5))
    section = _section(qtbot, book, tasks, rid)
    dlg = _open_dialog(qtbot, section)
    dlg.stage.set_value("start")  # a second start TOP: the core refuses it, at the stage
    dlg.weeks["other"][0].setValue(2)  # an other substance used, not named
    for box in dlg.scales.values():
        box.setValue(9)
    dlg.save()
    assert dlg.binder.shown_error("substances.other.other_name") == "Other substance: say which substance."
    assert dlg.isVisible() and len(book.top.for_resident(rid)) == 1
    dlg.other_name.setText("Ketamine")
    dlg.save()
    assert dlg.binder.shown_error("stage") == "This stay already has a start TOP (05/01/2026)."
    assert dlg.isVisible() and len(book.top.for_resident(rid)) == 1
    # nothing typed is lost
    assert dlg.weeks["other"][0].value() == 2 and dlg.other_name.text() == "Ketamine"
    assert dlg.totals["other"].text() == "2"
    dlg.stage.set_value("review")
    dlg.save()
    qtbot.waitUntil(lambda: section.dialog is None)
    views = book.top.for_resident(rid)
    assert [v.stage for v in views] == ["start", "review"]
    assert views[1].substances_used[0].label == "Other substance (Ketamine)"


def _dark_pixels(pixel_at, w: int, h: int) -> tuple[int, tuple[float, float]]:  # type: ignore[no-untyped-def]
    """How many painted (non-white) pixels, and their centre as fractions of width and height."""
    n, sx, sy = 0, 0.0, 0.0
    for y in range(0, h, 2):
        for x in range(0, w, 2):
            r, g, b = pixel_at(x, y)
            if r + g + b < 600:
                n += 1
                sx += x / w
                sy += y / h
    return n, ((sx / n, sy / n) if n else (0.0, 0.0))


def _tops(book, rid: str, clock) -> list:  # type: ignore[no-untyped-def]
    from datetime import datetime

    clock.set(datetime(2026, 2, 20, 10, 0))
    book.top.record(TopInput(rid, "start", date(2026, 1, 5), 4, 8, 3,
                             substances=[SubstanceUse("alcohol", [7, 7, 6, 7]), SubstanceUse("crack", total_days=9)]))
    book.top.record(TopInput(rid, "review", date(2026, 2, 16), 14, 13, 15,
                             substances=[SubstanceUse("alcohol", [0, 1, 0, 0])]))
    return book.top.for_resident(rid)


def test_the_chart_is_drawn_on_screen_and_in_a_pdf_alike(qtbot: QtBot, book_factory, tasks,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path, clock) -> None:
    from PIL import Image

    from ui.charts import render_image

    book = book_factory("worker")
    rid = admit(book_factory("manager")).id
    tops = _tops(book, rid, clock)
    drawing = top_chart(tops)
    blank = render_image(top_chart([]), 2.0)
    img = render_image(drawing, 2.0)
    screen_n, screen_centre = _dark_pixels(lambda x, y: (img.pixelColor(x, y).red(), img.pixelColor(x, y).green(),
                                                         img.pixelColor(x, y).blue()), img.width(), img.height())
    blank_n, _ = _dark_pixels(lambda x, y: (blank.pixelColor(x, y).red(), blank.pixelColor(x, y).green(),
                                            blank.pixelColor(x, y).blue()), blank.width(), blank.height())
    assert screen_n > 10 * max(1, blank_n)  # lines, points, axes and words: far from blank
    # the scales' lines: the start's psychological health (4) low, the review's (14) high, in blue
    blue = [(x, y) for y in range(img.height()) for x in range(img.width())
            if (c := img.pixelColor(x, y)).blue() > 140 and c.red() < 60 and 80 < c.green() < 130]
    assert blue, "the psychological health line is painted"
    # the section shows the same drawing
    section = _section(qtbot, book, tasks, rid)
    assert section.chart.drawing() == drawing
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) renders the PDF")
    pdf = tmp_path / "chart.pdf"
    c = Canvas(str(pdf), pagesize=(drawing.width, drawing.height))
    draw_on_canvas(c, drawing, 0, 0)
    c.showPage()
    c.save()
    subprocess.run(["pdftoppm", "-png", "-r", "144", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    page = Image.open(tmp_path / "page.png").convert("RGB")
    pdf_n, pdf_centre = _dark_pixels(lambda x, y: page.getpixel((x, y)), page.width, page.height)
    assert pdf_n > 10 * max(1, blank_n)
    assert pdf_centre == pytest.approx(screen_centre, abs=0.04)  # the same picture, in the same place


def test_tops_due_on_today_and_the_record_header(qtbot: QtBot, book_factory, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    from ui.outcomes.top_register import header, tops_due
    from ui.resident.tabs import header_sources
    from ui.today import today_sections

    assert "tops_due" in {s.key for s in today_sections()} and "top" in {h.key for h in header_sources()}
    manager = book_factory("manager")
    rid = admit(manager).id
    worker = book_factory("worker")
    assert tops_due(worker) == [] and header(worker, rid) == []  # due 19/01: not yet within a week
    clock.set(datetime(2026, 1, 20, 9, 0))
    [item] = tops_due(worker)
    assert item.text.startswith("Jane Doe (") and item.text.endswith(") — Start TOP")
    assert (item.overdue, item.due, item.tab, item.resident_id) == (True, date(2026, 1, 19), "outcomes", rid)
    assert tops_due(manager) == [] and len(tops_due(manager, "unit")) == 1  # not the senior's own resident
    [alert] = header(worker, rid)
    assert (alert.text, alert.symbol, alert.tooltip) == ("Start TOP overdue", "⚠", "It was due by 19/01/2026.")
    assert header(book_factory("admin"), rid) == []


def test_a_units_licensed_wording_is_shown_under_its_field(qtbot: QtBot, book_factory, tasks,  # type: ignore[no-untyped-def]
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.outcomes.top_dialog as td

    monkeypatch.setattr(td, "field_wording", lambda name: "The unit's licensed words" if name == "tobacco_days" else "")
    book = book_factory("worker")
    rid = admit(book_factory("manager")).id
    dlg = TopDialog(None, make_ctx(book, tasks), rid)
    qtbot.addWidget(dlg)
    notes = [w.text() for w in dlg.findChildren(td.QLabel, "licensedWording")]
    assert notes == ["The unit's licensed words"] and dlg.tobacco.toolTip() == "The unit's licensed words"
