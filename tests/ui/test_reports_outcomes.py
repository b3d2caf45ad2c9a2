"""The Reports page's "Quarterly outcomes": chosen from the report list, shown as figures for the
period, the PDF in the shared viewer and the CSV saved owner-only; the declines' own controls
step aside while it is shown, and come back."""
from __future__ import annotations

import csv
import io
import stat
from datetime import date, datetime
from pathlib import Path

from pypdf import PdfReader

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.outcome_star import StarReadingInput
from tests.fixtures.caseload import admit, last_audit
from tests.ui.test_reports_page import make_page

AREAS = ['drug_use', 'alcohol_use', 'physical_health', 'meaningful_time', 'community', 'emotional_health',
         'accommodation', 'money', 'offending', 'family_relationships']


def test_the_outcomes_report_on_the_page(qtbot, manager_book: Casebook, tasks, clock: FixedClock,  # type: ignore[no-untyped-def]
                                         tmp_path: Path) -> None:
    rec = admit(manager_book)
    clock.set(datetime(2026, 3, 2, 9, 0))
    manager_book.outcome_star.record(StarReadingInput(rec.id, dict.fromkeys(AREAS, 2), date(2026, 1, 6), "admission"))
    manager_book.outcome_star.record(StarReadingInput(rec.id, dict.fromkeys(AREAS, 5), date(2026, 2, 20)))
    page = make_page(qtbot, manager_book, tasks)
    assert page.outcomes.isHidden() and not page.table.isHidden()
    page.kind.setCurrentIndex(page.kind.findData("outcomes"))
    assert not page.outcomes.isHidden() and page.table.isHidden() and page.send_button.isHidden()
    page.show_report()  # this quarter: 2026 Q1
    qtbot.waitUntil(lambda: page.outcomes.report is not None)
    t = page.outcomes.table
    rows = {(t.item(r, 0).text(), t.item(r, 1).text()): t.item(r, 2).text() for r in range(t.rowCount())}
    assert rows[("Outcome Star", "Residents with star readings")] == "1"
    assert rows[("Outcome Star", "Money: mean change")] == "+3.00"
    assert page.outcomes.summary.text().startswith(
        "Outcomes, 1 January 2026 to 31 March 2026 (2026 Q1): 1 resident with Outcome Star readings;")

    page.outcomes.open_pdf()
    dlg = page.outcomes.pdf_dialog
    assert dlg is not None and dlg.isVisible()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(dlg.pdf)).pages).split())
    assert "Quarterly outcomes report" in text and "Money 1 2.00 5.00 +3.00 100.0%" in text
    assert last_audit(manager_book)[0][1]["output"] == "pdf"
    dlg.close()

    target = tmp_path / "outcomes.csv"
    page.choose_csv_path = lambda _parent, suggested: str(target) if suggested == "outcomes-2026Q1.csv" else None
    page.outcomes.export_csv()
    qtbot.waitUntil(lambda: page.outcomes.saved_csv is not None)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    got = {(s, m): v for s, m, v in csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig")))}
    assert got[("Outcome Star", "Money: share improved (%)")] == "100.0"

    page.kind.setCurrentIndex(page.kind.findData("declines"))
    assert page.outcomes.isHidden() and not page.table.isHidden()
