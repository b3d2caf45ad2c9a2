"""The Caseload page and its ID-based lazy table model, on a real encrypted unit database."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, Signal

from keyworker.caseload_query import BATCH
from tests.caseload_helpers import add_resident, add_review, bulk_residents, complete_plan
from ui.caseload.model import COLUMNS, FLAGS_COLUMN, RESIDENT_ID_ROLE, CaseloadModel
from ui.caseload.page import CaseloadPage
from ui.context import AppContext
from ui.tasks import SyncTaskRunner


class QueuedTaskRunner(QObject):
    """Holds tasks until `run_all()`/`run_one()`, so a test decides when a search "finishes"."""

    busy_changed = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self.queue: list[tuple[Callable[[], Any], Any, Any]] = []

    def run(self, fn: Callable[[], Any], on_done: Any = None, on_error: Any = None, *, pool: bool = False) -> None:
        self.queue.append((fn, on_done, on_error))

    def run_one(self, i: int = 0) -> None:
        fn, on_done, _ = self.queue.pop(i)
        result = fn()
        if on_done:
            on_done(result)

    def run_all(self) -> None:
        while self.queue:
            self.run_one()


@pytest.fixture
def unit(worker_book) -> dict[str, str]:  # type: ignore[no-untyped-def]
    b = worker_book
    ids = {
        "ann": add_resident(b, "Ann", "Baker", admitted_on=date(2025, 12, 1), postcode="PR1 2AB"),
        "bob": add_resident(b, "Bob", "Adams", admitted_on=date(2026, 1, 2), postcode="BB2 7XY"),
        "cat": add_resident(b, "Cat", "Clarke", admitted_on=date(2025, 11, 20), key_worker="worker2"),
        "dan": add_resident(b, "Dan", "Dawson", admitted_on=date(2025, 6, 1), discharged_on=date(2025, 9, 1)),
    }
    complete_plan(b, ids["ann"])
    add_review(b, ids["ann"], date(2025, 12, 20), date(2026, 1, 2))  # overdue since 02/01
    return ids


@pytest.fixture
def ctx(worker_book, unit, monkeypatch) -> AppContext:  # type: ignore[no-untyped-def]
    c = AppContext(worker_book, SyncTaskRunner())
    c.opened = []  # type: ignore[attr-defined]
    monkeypatch.setattr(c, "open_resident", c.opened.append)  # type: ignore[attr-defined]
    return c


@pytest.fixture
def page(qtbot, ctx) -> CaseloadPage:  # type: ignore[no-untyped-def]
    p = CaseloadPage(ctx)
    qtbot.addWidget(p)
    p.show()
    qtbot.waitExposed(p)
    return p


def names(p: CaseloadPage) -> list[str]:
    return [p.model.index(r, 0).data() for r in range(p.model.rowCount())]


def test_model_passes_qtmodeltester(qtmodeltester, ctx) -> None:  # type: ignore[no-untyped-def]
    model = CaseloadModel(ctx)
    model.refresh()
    assert model.rowCount() == 3
    qtmodeltester.check(model, force_py=True)
    model.set_filter(model.filter.with_(include_discharged=True, sort_key="flags"))
    qtmodeltester.check(model, force_py=True)


def test_lazy_model_passes_qtmodeltester_while_fetching(qtmodeltester, worker_book) -> None:  # type: ignore[no-untyped-def]
    bulk_residents(worker_book, 2 * BATCH + 5)
    model = CaseloadModel(AppContext(worker_book, SyncTaskRunner()))
    model.refresh()
    assert model.rowCount() == BATCH and model.canFetchMore()
    qtmodeltester.check(model, force_py=True)  # the tester fetches the rest through fetchMore
    assert model.rowCount() == 2 * BATCH + 5 and not model.canFetchMore()


def test_shows_current_residents_with_columns(page: CaseloadPage) -> None:
    assert names(page) == ["Adams, Bob", "Baker, Ann", "Clarke, Cat"]
    row = [page.model.index(1, c).data() for c in range(len(COLUMNS))]
    assert row == ["Baker, Ann", "○ Not assessed", "Review overdue", "02/01/2026", "Week 6 of 12", "Sam Worker", "R-00001",
                   "01/12/2025", "24-hour"]  # most important first
    assert page.count.text() == "3 current residents"


def test_flags_are_text_icon_tooltip_and_accessible(page: CaseloadPage) -> None:
    baker = page.model.index(1, FLAGS_COLUMN)
    assert baker.data() == "Review overdue"
    assert "02/01/2026" in baker.data(Qt.ItemDataRole.ToolTipRole)
    assert baker.data(Qt.ItemDataRole.AccessibleTextRole) == "Flags: Review overdue"
    assert not baker.data(Qt.ItemDataRole.DecorationRole).isNull()
    adams = page.model.index(0, FLAGS_COLUMN)
    assert adams.data() == "Plan incomplete"  # admitted 02/01, no plan by 05/01
    assert adams.data(Qt.ItemDataRole.DecorationRole).cacheKey() == page.model.warning_icon.cacheKey()


def test_search_as_you_type_filters_rows(qtbot, page: CaseloadPage) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(page.search, "bak")
    qtbot.waitUntil(lambda: names(page) == ["Baker, Ann"])
    page.search.clear()
    qtbot.keyClicks(page.search, "bb2")  # postcode
    qtbot.waitUntil(lambda: names(page) == ["Adams, Bob"])
    page.search.clear()
    qtbot.keyClicks(page.search, "r-00003")  # reference
    qtbot.waitUntil(lambda: names(page) == ["Clarke, Cat"])
    page.search.clear()
    qtbot.keyClicks(page.search, "nobody")
    qtbot.waitUntil(lambda: page.model.rowCount() == 0)
    assert page.count.text() == "No residents match."


def test_typing_is_debounced_into_one_query(qtbot, page: CaseloadPage) -> None:  # type: ignore[no-untyped-def]
    runs = page.ctx.tasks.calls
    qtbot.keyClicks(page.search, "clarke")
    qtbot.waitUntil(lambda: names(page) == ["Clarke, Cat"])
    assert page.ctx.tasks.calls - runs == 1


def test_non_ascii_search_text(qtbot, worker_book, page: CaseloadPage) -> None:  # type: ignore[no-untyped-def]
    add_resident(worker_book, "Zoë", "Öztürk")
    page.search.setText("öZT")  # keyClicks cannot type non-ASCII
    qtbot.waitUntil(lambda: names(page) == ["Öztürk, Zoë"])


def test_keyboard_type_down_enter_opens_the_resident(qtbot, page: CaseloadPage, unit) -> None:  # type: ignore[no-untyped-def]
    page.search.setFocus()
    qtbot.keyClicks(page.search, "a")  # Adams, Baker, Clarke all contain an "a"
    qtbot.keyClick(page.search, Qt.Key.Key_Down)  # into the table, first row selected
    assert page.table.hasFocus()
    assert page.selected_resident_id() == unit["bob"]
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    assert page.selected_resident_id() == unit["ann"]
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert page.ctx.opened == [unit["ann"]]
    qtbot.keyClick(page.table, Qt.Key.Key_Up)
    qtbot.keyClick(page.table, Qt.Key.Key_Up)  # from the first row back to the search box
    assert page.search.hasFocus()


def test_typing_in_the_table_goes_to_the_search_box(qtbot, page: CaseloadPage, unit) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(page.search, Qt.Key.Key_Down)
    qtbot.keyClicks(page.table, "cla")
    assert page.search.hasFocus() and page.search.text() == "cla"
    qtbot.waitUntil(lambda: names(page) == ["Clarke, Cat"])
    qtbot.keyClick(page.search, Qt.Key.Key_Return)  # Enter in the search box opens the first match
    assert page.ctx.opened == [unit["cat"]]


def test_enter_right_after_typing_opens_the_newest_match(qtbot, page: CaseloadPage, unit) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(page.search, "dams")
    qtbot.keyClick(page.search, Qt.Key.Key_Enter)  # before the debounce timer fires
    assert page.ctx.opened == [unit["bob"]]


def test_double_click_opens(qtbot, page: CaseloadPage, unit) -> None:  # type: ignore[no-untyped-def]
    rect = page.table.visualRect(page.model.index(2, 0))
    # a view needs the press before the double click, as a real mouse sends it
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.ctx.opened[-1] == unit["cat"]


def test_header_sorting_requeries(qtbot, page: CaseloadPage) -> None:  # type: ignore[no-untyped-def]
    header = page.table.horizontalHeader()
    ref_col = [c.key for c in COLUMNS].index("reference")
    page.table.sortByColumn(ref_col, Qt.SortOrder.DescendingOrder)
    assert page.model.filter.sort_key == "reference" and page.model.filter.descending
    assert names(page) == ["Clarke, Cat", "Adams, Bob", "Baker, Ann"]
    assert header.sortIndicatorSection() == ref_col
    flags_col = FLAGS_COLUMN
    page.table.sortByColumn(flags_col, Qt.SortOrder.AscendingOrder)
    assert names(page)[0] == "Clarke, Cat"  # plan incomplete and review overdue
    page.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert names(page) == ["Adams, Bob", "Baker, Ann", "Clarke, Cat"]


def test_my_caseload_and_discharged_toggles(qtbot, page: CaseloadPage) -> None:  # type: ignore[no-untyped-def]
    page.mine.setChecked(True)
    assert names(page) == ["Adams, Bob", "Baker, Ann"]
    page.discharged.setChecked(True)
    assert names(page) == ["Adams, Bob", "Baker, Ann", "Dawson, Dan"]
    dawson = page.model.index(2, [c.key for c in COLUMNS].index("week"))
    assert dawson.data() == "Discharged 01/09/2025"
    page.mine.setChecked(False)
    assert len(names(page)) == 4
    assert page.count.text() == "4 current and discharged residents"


def test_scrolling_fetches_more_rows(qtbot, worker_book, page: CaseloadPage) -> None:  # type: ignore[no-untyped-def]
    bulk_residents(worker_book, BATCH + 20)
    page.ctx.state.data_changed.emit("residents")
    assert page.model.rowCount() == BATCH and len(page.model.ids) == BATCH + 23
    assert "scroll for more" in page.count.text()
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.rowCount() == BATCH + 23)
    assert "scroll for more" not in page.count.text()


def test_a_write_elsewhere_refreshes_and_keeps_the_selection(qtbot, worker_book, page, unit) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(page.search, Qt.Key.Key_Down)
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    assert page.selected_resident_id() == unit["ann"]
    add_resident(worker_book, "Aaron", "Aardvark")
    page.ctx.state.data_changed.emit("residents")
    assert names(page)[0] == "Aardvark, Aaron"
    assert page.selected_resident_id() == unit["ann"]


def test_newest_keystroke_wins(qtbot, worker_book, unit) -> None:  # type: ignore[no-untyped-def]
    runner = QueuedTaskRunner()
    model = CaseloadModel(AppContext(worker_book, runner))  # type: ignore[arg-type]
    model.set_filter(model.filter.with_(text="ba"))
    model.set_filter(model.filter.with_(text="bak"))
    model.set_filter(model.filter.with_(text="ad"))
    runner.run_one(2)  # the newest answer arrives first ...
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["Adams, Bob"]
    runner.run_all()  # ... and the older ones, arriving late, change nothing
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["Adams, Bob"]


def test_stale_fetch_more_is_dropped(worker_book) -> None:  # type: ignore[no-untyped-def]
    bulk_residents(worker_book, BATCH + 5)
    runner = QueuedTaskRunner()
    model = CaseloadModel(AppContext(worker_book, runner))  # type: ignore[arg-type]
    model.refresh()
    runner.run_all()
    model.fetchMore()
    model.set_filter(model.filter.with_(text="test0001"))
    runner.run_all()
    assert model.rowCount() == 1 and not model.canFetchMore()


def test_resident_id_role(page: CaseloadPage, unit) -> None:  # type: ignore[no-untyped-def]
    assert page.model.index(0, 3).data(RESIDENT_ID_ROLE) == unit["bob"]


def test_page_is_registered() -> None:
    from ui.main_window import _PAGES

    assert _PAGES["caseload"].factory is CaseloadPage


# -- in the main window, as a user sees it ----------------------------------------------------
@pytest.fixture
def caseload_window(worker_book, unit, monkeypatch, shown_window):  # type: ignore[no-untyped-def]
    """main window(size) -> a MainWindow signed in as the key worker, on the Caseload, at that size."""
    import ui.main_window as mw

    monkeypatch.setattr(mw, "FEATURE_MODULES", ("ui.today", "ui.caseload.page"))
    return lambda width=1280, height=800: shown_window(AppContext(worker_book, SyncTaskRunner()), (width, height))


def text_fits(table: Any, row: int, column: int) -> bool:
    """Is the cell's whole text drawn, not elided: its text, icon and the delegate's margins within
    the section, and the section within the visible part of the table (no scrolling needed)?"""
    from PySide6.QtWidgets import QStyle

    index = table.model().index(row, column)
    text = index.data()
    margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    icon = 0 if index.data(Qt.ItemDataRole.DecorationRole) is None else table.iconSize().width() + 2 * margin
    if icon == 0 and index.data(Qt.ItemDataRole.DecorationRole) is not None:
        icon = 16 + 2 * margin
    needed = table.fontMetrics().horizontalAdvance(text) + icon + 2 * margin
    header = table.horizontalHeader()
    left = header.sectionViewportPosition(column)
    return needed <= header.sectionSize(column) and 0 <= left and left + header.sectionSize(column) <= \
        table.viewport().width()


def test_two_flags_are_readable_without_scrolling_at_1280(qtbot, caseload_window, unit) -> None:  # type: ignore[no-untyped-def]
    w = caseload_window(1280, 800)
    page = w.show_page("caseload")
    row = page.model.row_of(unit["cat"])
    assert page.model.index(row, FLAGS_COLUMN).data() == "Plan incomplete, Review overdue"
    assert text_fits(page.table, row, FLAGS_COLUMN)
    assert page.table.horizontalScrollBar().maximum() == 0  # nothing to scroll to
    ann = page.model.row_of(unit["ann"])
    assert text_fits(page.table, ann, FLAGS_COLUMN)  # "Review overdue"


def test_flags_and_discharged_are_readable_at_1024(qtbot, caseload_window, unit) -> None:  # type: ignore[no-untyped-def]
    w = caseload_window(1024, 768)
    page = w.show_page("caseload")
    page.discharged.setChecked(True)
    assert text_fits(page.table, page.model.row_of(unit["cat"]), FLAGS_COLUMN)
    week = [c.key for c in COLUMNS].index("week")
    dawson = page.model.row_of(unit["dan"])
    assert page.model.index(dawson, week).data() == "Discharged 01/09/2025"
    assert text_fits(page.table, dawson, week)


def test_chosen_columns_are_remembered_for_the_user(qtbot, caseload_window) -> None:  # type: ignore[no-untyped-def]
    w = caseload_window()
    page = w.show_page("caseload")
    keys = [c.key for c in COLUMNS]
    assert page.table.isColumnHidden(keys.index("setting")) and not page.table.isColumnHidden(keys.index("reference"))
    menu = page.columns_menu()
    titles = {a.text(): a for a in menu.actions()}
    assert not titles["Name"].isEnabled()  # the name is always shown
    titles["Reference"].setChecked(False)
    titles["Admitted"].setChecked(True)
    assert page.table.isColumnHidden(keys.index("reference"))
    again = caseload_window().show_page("caseload")  # a new window: as after a restart
    assert again.table.isColumnHidden(keys.index("reference"))
    assert not again.table.isColumnHidden(keys.index("admitted"))
    assert again.table.isColumnHidden(keys.index("setting"))


def test_header_right_click_offers_the_columns(qtbot, caseload_window) -> None:  # type: ignore[no-untyped-def]
    page = caseload_window().show_page("caseload")
    header = page.table.horizontalHeader()
    header.customContextMenuRequested.emit(header.rect().center())
    menu = page.open_menu
    assert menu.isVisible() and [a.text() for a in menu.actions()][:3] == ["Name", "Risk", "Flags"]
    menu.close()
    page.columns_button.click()  # the same menu from the keyboard
    assert page.open_menu.isVisible() and page.open_menu is not menu
    page.open_menu.close()


def test_ctrl_2_puts_typing_into_the_search_box(qtbot, caseload_window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    w = caseload_window()
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.nav)
    qtbot.keyClick(w.nav, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert w.current_key() == "caseload"
    qtbot.keyClicks(QApplication.focusWidget(), "bak")
    page = w.pages["caseload"]
    assert page.search.text() == "bak"
    qtbot.waitUntil(lambda: names(page) == ["Baker, Ann"])


def test_any_way_to_the_caseload_lets_typing_search(qtbot, caseload_window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    w = caseload_window()
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.nav)
    qtbot.keyClick(w.nav, Qt.Key.Key_Down)  # arrowing through the navigation keeps focus there ...
    assert w.current_key() == "caseload" and QApplication.focusWidget() is w.nav
    qtbot.keyClicks(w.nav, "cl")  # ... and typing goes into the search
    page = w.pages["caseload"]
    assert page.search.text() == "cl" and page.search.hasFocus()
    w.show_page("today")
    w.nav.setFocus()
    rect = w.nav.visualItemRect(w.nav.item(1))
    qtbot.mouseClick(w.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a click
    assert page.search.hasFocus()


def test_cells_carry_their_full_text_as_a_tooltip(page: CaseloadPage) -> None:
    week = [c.key for c in COLUMNS].index("week")
    key_worker = [c.key for c in COLUMNS].index("key_worker")
    assert page.model.index(1, week).data(Qt.ItemDataRole.ToolTipRole) == "Week 6 of 12"
    assert page.model.index(1, key_worker).data(Qt.ItemDataRole.ToolTipRole) == "Sam Worker"


def test_night_staff_are_not_offered_my_caseload(qtbot, book_factory, unit) -> None:  # type: ignore[no-untyped-def]
    """Out-of-hours staff hold no caseload: "My caseload only" would always show nobody."""
    p = CaseloadPage(AppContext(book_factory("nights"), SyncTaskRunner()))
    qtbot.addWidget(p)
    p.show()
    assert not p.mine.isVisible() and names(p) == ["Adams, Bob", "Baker, Ann", "Clarke, Cat"]
    assert p.count.isVisible() and p.count.text() == "3 current residents"
