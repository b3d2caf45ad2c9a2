"""The Discharges & follow-ups page (issue 13): the four sections filled, with their counts and
the 24-hour countdown (overdue in the warning style); every empty state; a try and the outcome of
a follow-up recorded through the dialogs; Enter opening the resident on the Discharge tab; the
date range of recent discharges; the Today section and the Discharge tab's follow-ups; and the
page laid out at 1280×800 and 1024×768 (written to KW_SHOTS when set, to look at)."""
from __future__ import annotations

import os
from datetime import date, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import ui.discharges  # noqa: F401 - registers the page, the tab and the Today sections
from keyworker.clock import LONDON
from keyworker.discharges import UnplannedDischargeInput
from tests.fixtures.caseload import admit
from tests.fixtures.follow_ups import discharged
from tests.ui.conftest import make_ctx
from ui.context import AppContext
from ui.discharges.follow_up_dialog import AttemptDialog, OutcomeDialog
from ui.discharges.page import WARNING_INK, DischargesPage
from ui.forms import Unsaved


class RecordingContext(AppContext):
    """The real context, except that opening a resident is noted instead of opening a window."""

    def __init__(self, *a, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*a, **kw)
        self.opened: list[tuple[str, str | None]] = []

    def open_resident(self, resident_id: str, tab: str | None = None) -> None:
        self.opened.append((resident_id, tab))


@pytest.fixture
def unit(book_factory, clock):  # type: ignore[no-untyped-def]
    """Ann and Ben discharged after a completed programme on 06/01 and 20/01 (3-month follow-ups
    due 06/04 and 20/04); on 10/04/2026 Cal absconded at 10:00 the day before (summary overdue) and
    Dee self-discharged at 14:00 today (due in 23 h), neither yet confirmed by a senior."""
    manager = book_factory("manager")
    ann = discharged(manager, date(2026, 1, 6), given_name="Ann", family_name="Able")
    ben = discharged(manager, date(2026, 1, 20), given_name="Ben", family_name="Baker", key_worker="worker2")
    cal = admit(manager, referral={"given_name": "Cal", "family_name": "Cross"}, given_name="Cal",
                family_name="Cross").id
    dee = admit(manager, referral={"given_name": "Dee", "family_name": "Dean"}, given_name="Dee",
                family_name="Dean").id
    clock.set(datetime(2026, 4, 10, 15, 0))
    nights = book_factory("nights")
    nights.discharges.record_unplanned(UnplannedDischargeInput(
        cal, "absconded", datetime(2026, 4, 9, 10, 0, tzinfo=LONDON), "Not in his room at the 10:00 check."))
    nights.discharges.record_unplanned(UnplannedDischargeInput(
        dee, "self_discharge", datetime(2026, 4, 10, 14, 0, tzinfo=LONDON), "Left after a phone call."))
    return {"ann": ann, "ben": ben, "cal": cal, "dee": dee}


def shown(qtbot: QtBot, ctx: AppContext, size: tuple[int, int] = (1280, 800)) -> DischargesPage:
    page = DischargesPage(ctx)
    qtbot.addWidget(page)
    page.resize(*size)
    page.show()
    qtbot.waitExposed(page)
    return page


def column(section, col: int) -> list[str]:  # type: ignore[no-untyped-def]
    m = section.model
    return [m.index(r, col).data() for r in range(m.rowCount())]


def test_the_sections_are_filled_with_counts_and_the_countdown(qtbot: QtBot, unit, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    page = shown(qtbot, make_ctx(book_factory("manager"), tasks))
    assert page.awaiting.heading.text() == "Awaiting senior confirmation (2)"
    assert column(page.awaiting, 1) == ["Cal Cross", "Dee Dean"]
    assert column(page.awaiting, 0) == ["29 h", "1 h"]
    assert page.summaries.heading.text() == "Summaries due within 24 hours (2, 1 overdue)"
    assert column(page.summaries, 0) == ["⚠ Overdue by 5 h", "○ Due in 23 h"]
    assert column(page.summaries, 1) == ["10/04/2026 10:00", "11/04/2026 14:00"]
    m = page.summaries.model
    assert m.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) == WARNING_INK
    assert m.index(1, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    # Follow-ups: a senior sees the whole unit, overdue first.
    assert page.unit.isChecked() and page.follow_ups.heading.text() == "Follow-ups due (2)"
    assert column(page.follow_ups, 2) == ["Ann Able", "Ben Baker"]
    assert column(page.follow_ups, 0) == ["⚠ Overdue by 4 days", "○ Due in 10 days"]
    assert column(page.follow_ups, 7) == ["Sam Worker", "Jo Second"]
    assert page.follow_ups.model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) == WARNING_INK
    assert page.follow_ups.model.index(1, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    # Recent: the last 30 days, newest first (Ann's and Ben's discharges were in January).
    assert page.recent.heading.text() == "Recent discharges (2)"
    assert column(page.recent, 1) == ["Dee Dean", "Cal Cross"]
    assert column(page.recent, 3) == ["Unplanned self-discharge", "Absconded"]
    assert page.date_from.value() == date(2026, 3, 11) and page.date_to.value() == date(2026, 4, 10)
    # A wider range: Ann's and Ben's too.
    page.date_from.set_value(date(2026, 1, 1))
    qtbot.mouseClick(page.show_button, Qt.MouseButton.LeftButton)
    assert column(page.recent, 1) == ["Dee Dean", "Cal Cross", "Ben Baker", "Ann Able"]
    page.date_to.set_value(date(2025, 12, 1))
    qtbot.mouseClick(page.show_button, Qt.MouseButton.LeftButton)
    assert page.range_error.isVisible() and "before the “from” date" in page.range_error.text()
    qtbot.mouseClick(page.last_30, Qt.MouseButton.LeftButton)
    assert not page.range_error.isVisible() and page.recent.model.rowCount() == 2


def test_a_key_worker_starts_on_their_own_follow_ups(qtbot: QtBot, unit, book_factory, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 4, 21, 9, 0))
    page = shown(qtbot, make_ctx(book_factory("worker2"), tasks))
    assert page.mine.isChecked()
    assert column(page.follow_ups, 2) == ["Ben Baker"]
    qtbot.mouseClick(page.unit, Qt.MouseButton.LeftButton)
    assert column(page.follow_ups, 2) == ["Ann Able", "Ben Baker"]


def test_every_section_says_so_when_it_is_empty(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    page = shown(qtbot, make_ctx(book_factory("worker"), tasks))
    for section, words in ((page.awaiting, "No discharges are waiting for a senior to confirm them."),
                           (page.summaries, "No complete discharge summaries are due: every one has been sent."),
                           (page.follow_ups, "No follow-ups overdue or due in the next 14 days for your former "
                                             "residents."),
                           (page.recent, "No discharges from 06/12/2025 to 05/01/2026.")):
        assert section.heading.text().endswith("(0)")
        assert section.empty.isVisible() and section.empty.text() == words
        assert not section.table.isVisible()
    assert not page.attempt_button.isEnabled() and not page.outcome_button.isEnabled()


def _dialog(qtbot: QtBot, page: DischargesPage, kind: type):  # type: ignore[no-untyped-def]
    dlg = page.dialog
    assert isinstance(dlg, kind)  # a child of the page: it goes with it (the page deletes the last one)
    dlg.confirm_unsaved = lambda _w: Unsaved.DISCARD
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg)
    return dlg


def test_a_try_and_then_the_outcome_recorded_from_the_page(qtbot: QtBot, unit, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    worker = book_factory("worker")
    page = shown(qtbot, make_ctx(worker, tasks))
    assert column(page.follow_ups, 2) == ["Ann Able"] and page.attempt_button.isEnabled()
    # Not contactable is refused before any try, in words.
    qtbot.mouseClick(page.outcome_button, Qt.MouseButton.LeftButton)
    dlg = _dialog(qtbot, page, OutcomeDialog)
    dlg.status_choice.set_value("not_contactable")
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert dlg.isVisible() and "at least one try" in dlg.binder.shown_error("status")
    dlg.reject()

    qtbot.mouseClick(page.attempt_button, Qt.MouseButton.LeftButton)
    dlg = _dialog(qtbot, page, AttemptDialog)
    assert "Ann Able" in dlg.windowTitle() and QApplication.focusWidget() is dlg.method
    qtbot.keyClick(dlg.method, Qt.Key.Key_Down)  # Phone
    qtbot.keyClicks(dlg.note, "No answer; left a voicemail.")
    qtbot.keyClick(dlg, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not dlg.isVisible())
    assert column(page.follow_ups, 5) == ["1"]
    assert column(page.follow_ups, 6) == ["Phone 10/04/2026, not reached"]

    # Done needs how they are; the outcome box is only enabled for done.
    qtbot.mouseClick(page.outcome_button, Qt.MouseButton.LeftButton)
    dlg = _dialog(qtbot, page, OutcomeDialog)
    assert not dlg.outcome.isEnabled()
    dlg.status_choice.set_value("done")
    assert dlg.outcome.isEnabled()
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert dlg.isVisible() and dlg.binder.shown_error("outcome") == ("Say how they are: abstinent, reduced use "
                                                                     "or relapsed.")
    dlg.outcome.set_value("abstinent")
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.isVisible())
    assert page.follow_ups.heading.text() == "Follow-ups due (0)" and page.follow_ups.empty.isVisible()
    [three, _six] = worker.follow_ups.for_resident(unit["ann"])
    assert (three.status, three.outcome, len(three.attempts)) == ("done", "abstinent", 1)


def test_enter_or_a_double_click_opens_the_resident_on_the_discharge_tab(qtbot: QtBot, unit, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    ctx = RecordingContext(book_factory("manager"), tasks)
    page = shown(qtbot, ctx)
    page.summaries.table.setFocus()
    page.summaries.table.setCurrentIndex(page.summaries.model.index(1, 0))
    qtbot.keyClick(page.summaries.table, Qt.Key.Key_Return)
    assert ctx.opened == [(unit["dee"], "discharge")]
    page.follow_ups.table.setCurrentIndex(page.follow_ups.model.index(0, 0))
    qtbot.keyClick(page.follow_ups.table, Qt.Key.Key_Enter)
    assert ctx.opened[-1] == (unit["ann"], "discharge")
    table = page.recent.table
    page.scroll_area.ensureWidgetVisible(table)
    rect = table.visualRect(page.recent.model.index(1, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a real mouse presses first
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert ctx.opened[-1] == (unit["cal"], "discharge")


def test_a_write_elsewhere_refreshes_the_page(qtbot: QtBot, unit, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    manager = book_factory("manager")
    ctx = make_ctx(manager, tasks)
    page = shown(qtbot, ctx)
    cal = manager.discharges.awaiting_senior()[0]
    manager.discharges.confirm(cal.id)
    ctx.state.data_changed.emit("discharges")
    assert column(page.awaiting, 1) == ["Dee Dean"]


def test_today_lists_follow_ups_due_and_the_tab_shows_them_with_their_tries(qtbot: QtBot, unit, book_factory,
                                                                             tasks) -> None:  # type: ignore[no-untyped-def]
    from ui.discharges.tab import DischargeTab
    from ui.discharges.today import follow_ups_due
    from ui.today import item_label, today_sections

    worker = book_factory("worker")
    fid = worker.follow_ups.due()[0].id
    worker.follow_ups.record_attempt(fid, "phone", datetime(2026, 4, 9, 11, 0, tzinfo=LONDON), False,
                                     "No answer")
    [item] = follow_ups_due(worker, "mine")
    assert item.resident_id == unit["ann"] and item.tab == "discharge" and item.overdue
    assert item_label(item) == "Ann Able (R-00001) — 3-month follow-up — overdue since 06/04/2026"
    assert follow_ups_due(book_factory("worker2"), "mine") == []
    section = next(s for s in today_sections() if s.key == "follow_ups_due")
    assert section.scoped and section.visible_to(worker.actor)
    assert not section.visible_to(book_factory("nights").actor)

    tab = DischargeTab(make_ctx(worker, tasks), unit["ann"])
    qtbot.addWidget(tab)
    tab.show()
    tree = tab.follow_ups.tree
    assert tab.follow_ups.isVisible() and tab.follow_ups.heading.text() == "Follow-ups (2, 2 still open)"
    top = tree.topLevelItem(0)
    assert [top.text(c) for c in range(4)] == ["3-month follow-up", "06/04/2026", "⚠ Overdue", "1 try"]
    assert [top.child(0).text(c) for c in range(4)] == ["Phone 09/04/2026 11:00", "", "Not reached",
                                                       "No answer — by Sam Worker"]
    assert tree.topLevelItem(1).text(0) == "6-month follow-up" and tree.topLevelItem(1).text(2) == "Due"


def test_the_page_in_the_main_window_at_both_sizes(qtbot: QtBot, unit, book_factory, tasks, shown_window) -> None:  # type: ignore[no-untyped-def]
    worker = book_factory("manager")
    for w, h in ((1280, 800), (1024, 768)):
        win = shown_window(make_ctx(worker, tasks), (w, h))
        win.show_page("discharges")
        page = win.pages["discharges"]
        assert isinstance(page, DischargesPage)
        qtbot.waitUntil(lambda p=page: p.isVisible())
        assert win.width() <= w and win.height() <= h
        # Every section's heading and first row fit across the page (no sideways scrolling needed).
        for s in (page.awaiting, page.summaries, page.follow_ups, page.recent):
            assert s.table.horizontalHeader().length() <= s.table.viewport().width() + 1, (w, s.key)
        out = os.environ.get("KW_SHOTS")
        if out:
            win.grab().save(os.path.join(out, f"discharges_page_{w}x{h}.png"))
        win.close()


def test_the_page_reads_nothing_on_the_ui_thread(qtbot: QtBot, unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.test_ui_thread_queries import StatementThreads
    from ui.tasks import TaskRunner

    manager = book_factory("manager")
    runner = TaskRunner()
    watched = StatementThreads(manager._engine)
    try:
        page = shown(qtbot, make_ctx(manager, runner))
        qtbot.waitUntil(lambda: not runner.busy and page.follow_ups.model.rowCount() == 2)
        page.ctx.state.data_changed.emit("follow_ups")
        qtbot.waitUntil(lambda: not runner.busy)
        assert watched.total > 0 and watched.on_ui_thread == []
    finally:
        watched.stop()
        runner.shutdown()


def test_long_waits_read_in_days_not_thousands_of_hours() -> None:
    from datetime import UTC, datetime, timedelta

    from ui.discharges.page import countdown_text, span_text

    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert span_text(47 * 3600 + 59 * 60) == "47 h 59 min"
    assert span_text(48 * 3600) == "2 days"
    assert countdown_text(now - timedelta(days=566, hours=5), now) == "⚠ Overdue by 566 days"
    assert countdown_text(now + timedelta(hours=5), now) == "○ Due in 5 h"


def test_print_summaries_opens_from_the_page(qtbot, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from ui.discharges.page import DischargesPage
    from ui.discharges.print_summaries import PrintSummariesDialog
    from tests.ui.conftest import make_ctx

    page = DischargesPage(make_ctx(manager_book, tasks))
    qtbot.addWidget(page)
    page.show()
    qtbot.mouseClick(page.print_button, Qt.MouseButton.LeftButton)
    assert isinstance(page.print_dialog, PrintSummariesDialog) and page.print_dialog.isVisible()
    page.print_dialog.close()
