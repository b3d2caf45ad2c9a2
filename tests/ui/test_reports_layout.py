"""The Reports page at the width it has in a 1024 px window: whether each decision was in time is
readable without scrolling sideways; the reasons column gives way (the reasons are read in full
below the table) and comes back when there is room."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics

from tests.ui.test_reports_page import declines, make_page  # noqa: F401 - the fixture
from ui.reports.page import IN_TIME, REASONS_COLUMN


def _fully_visible(page, col: int) -> bool:  # type: ignore[no-untyped-def]
    hh = page.table.horizontalHeader()
    return 0 <= hh.sectionViewportPosition(col) and \
        hh.sectionViewportPosition(col) + hh.sectionSize(col) <= page.table.viewport().width()


def test_in_time_readable_at_1024_and_reasons_come_back_when_wider(qtbot, manager_book, tasks, declines) -> None:  # type: ignore[no-untyped-def] # noqa: F811
    page = make_page(qtbot, manager_book, tasks)
    page.resize(740, 760)  # the page's share of a 1024 x 768 main window
    page.show_report()
    qtbot.waitUntil(lambda: page.model.rowCount() == 3)
    assert page.table.horizontalScrollBar().maximum() == 0  # no sideways scrolling
    assert _fully_visible(page, IN_TIME)
    late = page.model.index(1, IN_TIME)
    bold = QFontMetrics(late.data(Qt.ItemDataRole.FontRole))
    assert bold.horizontalAdvance(late.data()) <= page.table.horizontalHeader().sectionSize(IN_TIME)
    hh = page.table.horizontalHeader()
    header = QFontMetrics(hh.font()).horizontalAdvance("Reasons given")
    # Shown with room for its heading at least, or given way (the reasons are in full below).
    assert page.table.isColumnHidden(REASONS_COLUMN) or hh.sectionSize(REASONS_COLUMN) > header
    assert page.reasons.toPlainText()
    page.resize(560, 760)  # narrower still: the reasons column gives way, the rest stays readable
    qtbot.waitUntil(lambda: page.table.isColumnHidden(REASONS_COLUMN))
    page.resize(1040, 760)  # the page in a 1280 px window
    qtbot.waitUntil(lambda: not page.table.isColumnHidden(REASONS_COLUMN))
    assert page.table.horizontalScrollBar().maximum() == 0 and _fully_visible(page, IN_TIME)
