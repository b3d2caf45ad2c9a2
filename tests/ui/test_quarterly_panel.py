"""The Reports page's "Quarterly contract report": chosen from the report list, the figures shown in
grouped tables with the shares chart, the PDF in the shared viewer, the CSV saved owner-only, sent
by a senior; screenshots at 1280×800 and 1024×768 when QUARTERLY_SHOTS names a folder."""
from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

from pypdf import PdfReader

from keyworker.reports import quarterly as q
from tests.fixtures.caseload import last_audit
from tests.ui.test_reports_page import make_page
from tests.unit.test_quarterly_report import unit  # noqa: F401 - the hand-built unit, 2026 Q3


def test_the_quarterly_report_on_the_page(qtbot, book_factory, unit, tasks, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    book = book_factory("manager")
    book.unit_profile.update({"authority_name": "Commissioner", "authority_email": "commissioner@example.org"})
    page = make_page(qtbot, book, tasks)
    assert page.quarterly.isHidden()
    page.kind.setCurrentIndex(page.kind.findData("quarterly"))
    assert not page.quarterly.isHidden() and page.table.isHidden() and page.outcomes.isHidden()
    assert page.send_button.isHidden()  # the declines' own Send steps aside
    page.period.setCurrentIndex(page.period.findData("last"))  # the clock is in 2026 Q4: last is Q3
    page.show_report()
    qtbot.waitUntil(lambda: page.quarterly.report is not None)
    panel = page.quarterly
    assert panel.summary.text().startswith("Quarterly contract report, 1 July 2026 to 30 September 2026")
    assert [panel.tabs.tabText(i) for i in range(panel.tabs.count())] == panel.report.sections
    reviews = panel.figures_shown(q.REVIEWS)
    assert ["Reviews held within 14 days", "4", "5", "80.0%"] in reviews
    people = panel.figures_shown(q.PEOPLE)
    assert ["Sexual orientation", "", "", ""] in people
    assert ["    Prefer not to say", "1", "4", "25.0%"] in people and ["    Not recorded", "1", "4", "25.0%"] in people
    assert panel.shares.drawing() is not None and "80.0% (4 of 5)" in panel.shares.drawing().title

    shots = os.environ.get("QUARTERLY_SHOTS")
    if shots:
        for w, h in ((1280, 800), (1024, 768)):
            page.resize(w, h)
            qtbot.wait(50)
            panel.tabs.setCurrentIndex(panel.report.sections.index(q.PEOPLE))
            page.grab().save(str(Path(shots) / f"quarterly-{w}x{h}.png"))

    panel.open_pdf()
    dlg = panel.pdf_dialog
    assert dlg is not None and dlg.isVisible()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(dlg.pdf)).pages).split())
    assert "Quarterly contract report" in text and "Reviews held within 14 days 4 5 80.0%" in text
    assert last_audit(book)[0][1]["output"] == "pdf"
    dlg.close()

    target = tmp_path / "quarterly.csv"
    page.choose_csv_path = lambda _parent, suggested: str(target) if suggested == "quarterly-2026Q3.csv" else None
    panel.export_csv()
    qtbot.waitUntil(lambda: panel.saved_csv is not None)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert {(r["Section"], r["Figure"]): r["Share (%)"] for r in rows}[(q.REVIEWS, "Reviews held within 14 days")] \
        == "80.0"

    assert not panel.send_button.isHidden() and panel.send_button.isEnabled()
    panel.send_report()
    qtbot.waitUntil(lambda: panel.last_sent is not None)
    assert panel.last_sent.created

    page.kind.setCurrentIndex(page.kind.findData("declines"))
    assert panel.isHidden() and not page.table.isHidden()


def test_a_worker_has_no_send(qtbot, book_factory, unit, tasks) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = make_page(qtbot, book_factory("admin"), tasks)
    page.kind.setCurrentIndex(page.kind.findData("quarterly"))
    assert page.quarterly.send_button.isHidden()  # an administrator makes it but does not send it
