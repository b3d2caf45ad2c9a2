"""The "Reviews due" page: overdue, due today and due this week, most urgent first; mine or the
whole unit; keyboard-driven, with Enter opening the resident's record."""
from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import Qt

from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit
from ui.context import AppContext
from ui.reviews.page import ReviewsDuePage


class RecordingContext(AppContext):
    """The real context, except that opening a resident is noted instead of opening a window."""

    def __init__(self, *a, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*a, **kw)
        self.opened: list[str] = []

    def open_resident(self, resident_id: str) -> None:
        self.opened.append(resident_id)


def names(page: ReviewsDuePage) -> list[str]:
    return [page.proxy.index(r, 2).data() for r in range(page.proxy.rowCount())]


def test_reviews_due_sorted_by_urgency_mine_or_unit_and_enter_opens(qtbot, book_factory, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("worker")
    clock.set(datetime(2026, 1, 20, 9, 0))
    # admitted on: due = +14 days
    ids = {}
    ids["late"] = admit(book, given="Ali", family="Late", admitted_on=date(2026, 1, 1))[0]  # due 15/01
    ids["today"] = admit(book, given="Bea", family="Today", admitted_on=date(2026, 1, 6))[0]  # due 20/01
    ids["week"] = admit(book, given="Cal", family="Soon", admitted_on=date(2026, 1, 10))[0]  # due 24/01
    admit(book, given="Dee", family="Later", admitted_on=date(2026, 1, 19))  # due 02/02: not shown
    ids["other"] = admit(book, given="Eve", family="Elsewhere", key_worker="worker2",
                         admitted_on=date(2026, 1, 2))[0]  # due 16/01, not mine
    ctx = RecordingContext(book, tasks)
    page = ReviewsDuePage(ctx)
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    qtbot.waitExposed(page)

    assert names(page) == ["Ali Late", "Bea Today", "Cal Soon"]
    assert page.proxy.index(0, 0).data() == "⚠ Overdue by 5 days"
    assert page.proxy.index(1, 0).data() == "● Due today"
    assert page.proxy.index(2, 0).data() == "○ Due this week"
    assert page.proxy.index(0, 1).data() == "15/01/2026"
    assert "1 overdue, 1 due today, 1 due this week — your residents" in page.subtitle.text()

    qtbot.mouseClick(page.unit, Qt.MouseButton.LeftButton)
    assert names(page) == ["Ali Late", "Eve Elsewhere", "Bea Today", "Cal Soon"]
    assert page.proxy.index(1, 5).data() == "Jo Second"

    # keyboard: type to filter, Enter moves to the list, Enter opens the resident
    page.filter.setFocus()
    qtbot.keyClicks(page.filter, "soon")
    assert names(page) == ["Cal Soon"]
    qtbot.keyClick(page.filter, Qt.Key.Key_Return)
    assert page.table.hasFocus() or page.table.currentIndex().row() == 0
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert ctx.opened == [ids["week"]]
    page.filter.clear()
    page.table.setFocus()
    page.table.setCurrentIndex(page.proxy.index(0, 0))
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    qtbot.keyClick(page.table, Qt.Key.Key_Enter)
    assert ctx.opened[-1] == ids["other"]

    # a write elsewhere refreshes the page
    qtbot.mouseClick(page.mine, Qt.MouseButton.LeftButton)
    clock.set(datetime(2026, 1, 26, 9, 0))
    ctx.state.data_changed.emit("reviews")
    assert names(page)[:3] == ["Ali Late", "Bea Today", "Cal Soon"]
    assert all(page.proxy.index(r, 0).data().startswith("⚠ Overdue") for r in range(3))


def test_empty_page_says_nothing_is_due(qtbot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    page = ReviewsDuePage(make_ctx(book_factory("worker"), tasks))
    qtbot.addWidget(page)
    page.show()
    assert page.proxy.rowCount() == 0
    assert page.empty.isVisible()
    assert page.empty.text() == "No reviews overdue or due this week. “Later ones too” shows every next review."
    assert not page.table.isVisible()  # no empty grid above the sentence


def test_later_ones_too_shows_every_current_residents_next_review(qtbot, book_factory, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("worker")
    admit(book, given="Cal", family="Later", admitted_on=date(2026, 1, 5))  # due 19/01: not this week
    page = ReviewsDuePage(make_ctx(book, tasks))
    qtbot.addWidget(page)
    page.show()
    assert page.proxy.rowCount() == 0 and page.empty.isVisible()
    qtbot.mouseClick(page.later, Qt.MouseButton.LeftButton)
    assert page.table.isVisible() and not page.empty.isVisible()
    assert names(page) == ["Cal Later"]
    assert page.proxy.index(0, 0).data() == "Later" and page.proxy.index(0, 1).data() == "19/01/2026"


def test_importing_the_page_registers_the_page_tab_and_today_sections() -> None:
    import ui.care_plans  # noqa: F401
    import ui.reviews.page  # noqa: F401
    from ui.main_window import page_specs
    from ui.resident.tabs import resident_tabs
    from ui.today import today_sections

    assert any(p.key == "reviews_due" and p.factory is ReviewsDuePage for p in page_specs())
    assert {"care_plan", "reviews"} <= {t.key for t in resident_tabs()}
    assert {"reviews_overdue", "reviews_due_week", "care_plans_incomplete"} <= {s.key for s in today_sections()}
