"""The print-summaries dialog (issue 13): it lists the discharges of a date range with ticks, saves
one combined PDF or one per discharge (0600 files, a new folder 0700), and prints: the summaries'
pages painted onto a QPrinter in PDF format offscreen, and "Print to file" written owner-only.
Reached from the Reports page. The Discharge tab's button makes and sends the complete summary."""
from __future__ import annotations

import io
import stat
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot

from keyworker.clock import FixedClock
from tests.ui.conftest import make_ctx
from tests.unit.test_print_summaries import three_discharges
from ui.discharges.print_summaries import PrintSummariesDialog, last_month, open_print_summaries
from ui.documents.viewer import render_to_printer


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def pages(pdf: bytes | Path) -> int:
    return len(PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else str(pdf)).pages)


def _dialog(qtbot: QtBot, book: Any, tasks: Any) -> PrintSummariesDialog:
    dlg = PrintSummariesDialog(make_ctx(book, tasks))
    qtbot.addWidget(dlg)
    dlg.from_edit.set_value(date(2026, 1, 1))
    dlg.to_edit.set_value(date(2026, 1, 31))
    qtbot.mouseClick(dlg.show_button, Qt.MouseButton.LeftButton)
    return dlg


def test_default_range_is_last_month() -> None:
    assert last_month(date(2026, 3, 15)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert last_month(date(2026, 1, 2)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_lists_ticks_and_saves(qtbot: QtBot, book_factory: Any, clock: FixedClock, tasks: Any,
                               tmp_path: Path) -> None:
    manager = book_factory("manager")
    d = three_discharges(manager, clock)
    dlg = _dialog(qtbot, manager, tasks)
    assert dlg.table.rowCount() == 3
    assert [dlg.table.item(r, 2).text() for r in range(3)] == ["Ann Ash", "Bob Birch", "Cy Cedar"]
    assert dlg.table.item(0, 5).text() == "Complete summary"
    assert dlg.table.item(1, 5).text().startswith("Out-of-hours summary only")
    assert "3 discharges" in dlg.status.text() and "2 without a complete summary" in dlg.status.text()
    # One PDF for all the ticked ones.
    dlg.set_ticked(2, False)
    assert dlg.chosen_ids() == [d["done"].id, d["brief"].id]
    target = tmp_path / "jan.pdf"
    dlg.choose_file = lambda _p, suggested: (str(target) if suggested.endswith(".pdf") else None)
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert target.exists() and mode(target) == 0o600 and "Saved 2" in dlg.status.text()
    assert pages(target) == sum(pages(p.pdf) for p in dlg.printed)
    # One per discharge into a new folder.
    dlg.set_ticked(2, True)
    folder = tmp_path / "each"
    dlg.save_mode.setCurrentIndex(1)
    dlg.choose_folder = lambda _p: str(folder)
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert mode(folder) == 0o700 and len(dlg.saved) == 3 and all(mode(p) == 0o600 for p in dlg.saved)
    # Nothing ticked: nothing to print or save.
    qtbot.mouseClick(dlg.none_button, Qt.MouseButton.LeftButton)
    assert not dlg.print_button.isEnabled() and not dlg.save_button.isEnabled()


def test_prints_onto_a_pdf_printer_offscreen(qtbot: QtBot, book_factory: Any, clock: FixedClock, tasks: Any,
                                             tmp_path: Path) -> None:
    manager = book_factory("manager")
    three_discharges(manager, clock)
    dlg = _dialog(qtbot, manager, tasks)
    painted = tmp_path / "painted.pdf"
    seen: dict[str, int] = {}

    def preview(_parent: Any, printer: QPrinter, paint: Any) -> bool:
        # What the preview does: paint onto its printer. Here a real printer in PDF format.
        from keyworker import discharge_summaries as ds

        out = QPrinter(QPrinter.PrinterMode.HighResolution)
        out.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        out.setOutputFileName(str(painted))
        seen["pages"] = render_to_printer(ds.combined(dlg.printed), out)
        # And "Print to file" chosen in the print dialog: written owner-only, not by Qt.
        to_file = QPrinter()
        to_file.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        to_file.setOutputFileName(str(tmp_path / "to-file.pdf"))
        paint(to_file)
        return True

    dlg.choose_preview = preview
    qtbot.mouseClick(dlg.print_button, Qt.MouseButton.LeftButton)
    expected = sum(pages(p.pdf) for p in dlg.printed)
    assert len(dlg.printed) == 3 and seen["pages"] == expected
    assert pages(painted) == expected
    assert dlg.pages_printed == expected and mode(tmp_path / "to-file.pdf") == 0o600
    assert pages(tmp_path / "to-file.pdf") == expected
    assert "sent to the printer" in dlg.status.text()


def test_reached_from_the_reports_page(qtbot: QtBot, book_factory: Any, clock: FixedClock, tasks: Any) -> None:
    from ui.reports.page import ReportsPage

    manager = book_factory("manager")
    clock.set(datetime(2026, 2, 10, 9, 0))
    page = ReportsPage(make_ctx(manager, tasks))
    qtbot.addWidget(page)
    page.show()
    assert page.print_summaries_button.isVisible()
    qtbot.mouseClick(page.print_summaries_button, Qt.MouseButton.LeftButton)
    dlg = page.print_summaries_dialog
    assert isinstance(dlg, PrintSummariesDialog)
    qtbot.addWidget(dlg)
    assert (dlg.from_edit.value(), dlg.to_edit.value()) == (date(2026, 1, 1), date(2026, 1, 31))
    assert dlg.table.rowCount() == 0 and "No discharges from 01/01/2026 to 31/01/2026" in dlg.status.text()
    assert open_print_summaries is not None


def test_the_discharge_tab_makes_the_complete_summary(qtbot: QtBot, book_factory: Any, clock: FixedClock,
                                                      tasks: Any) -> None:
    from tests.unit.test_unplanned_discharge import admitted, form, with_risk_and_medication
    from ui.discharges.tab import DischargeTab

    clock.set(datetime(2026, 1, 5, 15, 0))
    manager = book_factory("manager")
    rid, aid = admitted(manager)
    with_risk_and_medication(manager, rid, aid)
    d = manager.discharges.record_unplanned(form(rid))
    ctx = make_ctx(manager, tasks)
    changed: list[str] = []
    ctx.state.data_changed.connect(changed.append)
    tab = DischargeTab(ctx, rid)
    qtbot.addWidget(tab)
    tab.refresh()
    assert tab.sent_button.isEnabled() and "Complete &summary" in tab.sent_button.text()
    tab.confirm_summary = lambda _p, _t: True
    qtbot.mouseClick(tab.sent_button, Qt.MouseButton.LeftButton)
    view = manager.discharges.get(d.id)
    assert view.letter_document_id and view.summary_sent_at is not None
    assert "Complete summary made" in tab.status.text() and "outbox" in changed
    assert not tab.sent_button.isEnabled()
