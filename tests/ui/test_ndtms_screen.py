"""Reports → NDTMS on the hand-built unit of tests/unit/test_ndtms_return.py (offscreen, tasks
inline): the month's counts and compliance, the problems table, Enter or a double-click opening the
record on the tab named, saving (owner-only) and sending, and the seniors' Today section."""
from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from sqlalchemy import func, select

from keyworker.db.outbox import OutboxItem
from keyworker.security.permissions import Role
from tests.ui.conftest import make_ctx
from tests.unit.test_ndtms_return import MONTH, parse, unit  # noqa: F401 - the fixture
from ui.reports.ndtms import NdtmsPage, open_page, today_items
from ui.today import today_sections


def make_page(qtbot, book, tasks) -> NdtmsPage:  # type: ignore[no-untyped-def]
    page = NdtmsPage(make_ctx(book, tasks))
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    qtbot.waitExposed(page)
    return page


def test_the_month_shows_its_counts_compliance_and_problems(qtbot, book_factory, tasks, unit) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = make_page(qtbot, book_factory("manager"), tasks)
    assert page.month.currentText() == "April 2026" and not page.send_button.isEnabled()
    assert page.minimumSizeHint().width() <= 800  # fits 1024 px beside the navigation
    page.choose_month(MONTH)
    qtbot.mouseClick(page.show_button, Qt.MouseButton.LeftButton)
    assert page.summary.text().startswith("March 2026: 4 episodes; 1 problem for 1 resident")
    assert "1 sent without identifying details" in page.summary.text()
    assert "3 of 4 episodes complete (75.0%), target 100% — below target" in page.compliance.text()
    assert "TOP" in page.compliance.text()
    cells = [page.model.index(0, c).data() for c in range(page.model.columnCount())]
    assert cells == ["R-00103", "@Cara =Cole|' /C calc'!A0", "Ethnicity (ETHNIC)", "Missing",
                     "Ethnicity is not recorded.", "Overview tab: Ethnicity"]


def test_enter_or_double_click_opens_the_record_on_the_tab(qtbot, book_factory, tasks, unit) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = make_page(qtbot, book_factory("manager"), tasks)
    opened: list[tuple[str, Any]] = []
    page.ctx.open_resident = lambda rid, tab=None: opened.append((rid, tab))  # type: ignore[method-assign]
    page.choose_month(MONTH)
    page.show_return()
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened == [(unit["cara"][0], "overview")]
    page.table.doubleClicked.emit(page.model.index(0, 2))
    assert opened[-1] == (unit["cara"][0], "overview")


def test_saving_is_owner_only_and_sending_queues_two_items(qtbot, book_factory, tasks, unit,  # type: ignore[no-untyped-def]  # noqa: F811
                                                           tmp_path: Path) -> None:
    book = book_factory("manager")
    page = make_page(qtbot, book, tasks)
    page.choose_month(MONTH)
    page.show_return()
    for button, name in ((page.csv_button, "r.csv"), (page.pdf_button, "q.pdf"), (page.quality_csv_button, "q.csv")):
        target = tmp_path / name
        page.choose_path = lambda *_a, t=target: str(t)  # type: ignore[misc]
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert target.exists() and stat.S_IMODE(target.stat().st_mode) == 0o600
        assert "not encrypted" in page.summary.text()
    assert len(parse((tmp_path / "r.csv").read_bytes())) == 4
    from pypdf import PdfReader

    text = "".join(pg.extract_text() for pg in PdfReader(str(tmp_path / "q.pdf")).pages)
    assert "Test Unit" in text and "NDTMS data quality: March 2026" in text and "Ethnicity is not recorded" in text
    areas: list[str] = []
    page.ctx.state.data_changed.connect(areas.append)
    qtbot.mouseClick(page.send_button, Qt.MouseButton.LeftButton)
    assert "Queued in the outbox with its data-quality report" in page.summary.text() and "outbox" in areas
    with book._read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "ndtms_return")) == 2


def test_today_shows_seniors_the_compliance_and_opens_the_page(qtbot, book_factory, tasks, unit) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    section = next(s for s in today_sections() if s.key == "ndtms_quality")
    assert section.title == "NDTMS data quality"
    for role in Role:
        from keyworker.security.permissions import GRANTS
        assert (section.permission in GRANTS[role]) == (role == Role.SENIOR)
    book = book_factory("manager")
    items = today_items(book)  # April 2026: the clock's month
    assert [i.text.split(":")[0] for i in items] == ["NDTMS core fields", "TOP"]
    assert items[0].open is open_page
    page = make_page(qtbot, book, tasks)

    class Main:
        def show_page(self, key: str) -> Any:
            assert key == "ndtms"
            return page
    page.ctx.main_window = Main()  # type: ignore[assignment]
    assert open_page(page.ctx) is page and page.summary.text().startswith("April 2026:")


def test_the_record_opens_at_the_field(qtbot, book_factory, tasks, unit) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = make_page(qtbot, book_factory("manager"), tasks)
    page.choose_month(MONTH)
    page.show_return()
    try:
        editor = page.open_problem(0)
        window = page.ctx.resident_windows[unit["cara"][0]]
        assert window.tabs.tabText(window.tabs.currentIndex()) == "Overview"
        assert editor is not None and editor.objectName() == "field_ethnicity"
    finally:
        for w in list(page.ctx.resident_windows.values()):
            w.close()
