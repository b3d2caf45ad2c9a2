"""Administration → Audit trail on a real unit (offscreen, tasks inline): newest first in words,
loaded a page at a time as the list scrolls, filters, the administrator sees references and no
names, the senior finds a resident by name, a filter mistake is said beside the filters, and the
CSV export is owner-only."""
from __future__ import annotations

import csv
import io
import stat
from datetime import date, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.fixtures.caseload import admit, last_audit
from ui.admin.audit_trail import DETAILS, RESIDENT


@pytest.fixture
def jane(book_factory, clock):  # type: ignore[no-untyped-def]
    """Jane Doe admitted by the manager on 6 January; her record opened by the worker."""
    clock.set(datetime(2026, 1, 6, 10, 0))
    rec = admit(book_factory("manager"))
    book_factory("worker").residents.get(rec.id)
    clock.set(datetime(2026, 1, 8, 9, 0))
    return rec


def audit_tab(window):  # type: ignore[no-untyped-def]
    page = window.show_page("admin")
    page.tabs.setCurrentWidget(page.audit_tab)
    return page.audit_tab


def cells(tab, col: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [tab.model.index(r, col).data() for r in range(tab.model.rowCount())]


def test_opens_on_the_newest_entries_in_words(qtbot, jane, admin_window) -> None:  # type: ignore[no-untyped-def]
    tab = audit_tab(admin_window)
    assert tab.isVisible() and tab.model.rowCount() > 0
    assert cells(tab, 2)[0] == "Signed in" and cells(tab, 1)[0] == "Ada Admin"
    assert cells(tab, 0)[0] == "08/01/2026 09:00"
    assert "entries in the audit trail, newest first" in tab.summary.text()
    assert "Record opened" in cells(tab, 2) and "Sam Worker" in cells(tab, 1)
    assert last_audit(admin_window.ctx.book)[0][0] == "audit.view"  # looking is audited
    # Administrators: the resident by reference only, no names anywhere.
    shown = " ".join(" ".join(cells(tab, c)) for c in range(5))
    assert "Jane" not in shown and "Doe" not in shown and jane.reference in cells(tab, RESIDENT)
    assert tab.resident.placeholderText() == "Reference, e.g. R-00042"


def test_filters_by_reference_person_action_and_dates(qtbot, jane, admin_window) -> None:  # type: ignore[no-untyped-def]
    tab = audit_tab(admin_window)
    qtbot.keyClicks(tab.resident, jane.reference)
    qtbot.keyClick(tab.resident, Qt.Key.Key_Return)
    assert tab.model.rowCount() >= 3 and set(cells(tab, RESIDENT)) == {jane.reference}
    assert "match" in tab.summary.text()

    tab.clear_filters()
    tab.person.setCurrentIndex(tab.person.findText("Sam Worker (worker)"))
    tab.action.setCurrentIndex(tab.action.findText("Signing in and locking"))
    tab.show_button.click()
    assert cells(tab, 2) == ["Signed in"] and cells(tab, 1) == ["Sam Worker"]

    tab.clear_filters()
    tab.date_from.set_value(date(2026, 1, 8))
    tab.date_to.set_value(date(2026, 1, 8))
    tab.show_button.click()
    assert cells(tab, 0) and all(c.startswith("08/01/2026") for c in cells(tab, 0))

    tab.resident.setText("Jane")  # not a reference: an administrator cannot look people up by name
    tab.show_button.click()
    assert tab.model.rowCount() == 0 and tab.summary.text() == "No resident has the reference “Jane”."


def test_a_date_mistake_is_said_beside_the_filters(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    tab = audit_tab(admin_window)
    tab.date_from.set_value(date(2026, 1, 8))
    tab.date_to.set_value(date(2026, 1, 1))
    tab.show_button.click()
    assert tab.problem.isVisible() and tab.problem.text() == "The To date is before the From date."
    assert tab.findChild(QMessageBox, "errorBox") is None
    tab.date_to.set_value(date(2026, 1, 9))
    tab.show_button.click()
    assert not tab.problem.isVisible()


def test_senior_finds_a_resident_by_name(qtbot, jane, main_window_for) -> None:  # type: ignore[no-untyped-def]
    tab = audit_tab(main_window_for("manager"))
    assert tab.isVisible()
    tab.resident.setText("jane doe")
    tab.show_button.click()
    assert set(cells(tab, RESIDENT)) == {f"Jane Doe ({jane.reference})"}
    assert "Record opened" in cells(tab, 2) and "Referral recorded" in cells(tab, 2)


def test_more_entries_load_as_the_list_is_scrolled(qtbot, book_factory, main_window_for) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("admin")
    for i in range(230):  # 230 setting changes: more than one page
        book.settings.set("idle_lock_minutes", 5 + i % 20)
    tab = audit_tab(main_window_for("admin"))
    assert tab.model.rowCount() == 200 and tab.model.canFetchMore()
    total = int(tab.summary.text().split()[0].replace(",", ""))
    tab.table.scrollToBottom()
    qtbot.waitUntil(lambda: tab.model.rowCount() == total)
    seqs = [line.seq for line in tab.model.rows]
    assert seqs == list(range(total, 0, -1)) and not tab.model.canFetchMore()


def test_export_csv_owner_only(qtbot, jane, admin_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tab = audit_tab(admin_window)
    tab.resident.setText(jane.reference)
    tab.show_button.click()
    shown = tab.model.rowCount()
    target = tmp_path / "audit.csv"
    asked: list[str] = []
    tab.choose_csv_path = lambda _p, suggested: asked.append(suggested) or str(target)
    tab.export_button.click()
    assert asked == ["audit-trail-2026-01-08.csv"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows[0][:5] == ["Number", "When", "Who", "User name", "What"] and len(rows) - 1 == shown
    assert "Jane" not in target.read_text(encoding="utf-8-sig")
    assert str(target) in tab.status.text() and "owner-only" in tab.status.text()
    assert last_audit(admin_window.ctx.book)[0][0] == "audit.export"
    assert tab.model.index(0, DETAILS).data(Qt.ItemDataRole.ToolTipRole) in (None, tab.model.rows[0].details)


def test_with_the_real_task_runner_no_query_runs_on_the_ui_thread(qtbot, book_factory) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.conftest import make_ctx
    from tests.ui.test_ui_thread_queries import StatementThreads
    from ui.admin.audit_trail import AuditTrailTab
    from ui.tasks import TaskRunner

    book = book_factory("admin")
    for i in range(210):
        book.settings.set("idle_lock_minutes", 5 + i % 20)
    runner = TaskRunner()
    seen = StatementThreads(book._engine)
    try:
        tab = AuditTrailTab(make_ctx(book, runner))
        qtbot.addWidget(tab)
        tab.resize(1000, 700)
        tab.show()
        qtbot.waitUntil(lambda: tab.model.rowCount() == 200 and not tab.busy)
        assert not tab.progress.isVisible()
        tab.table.scrollToBottom()
        qtbot.waitUntil(lambda: tab.model.rowCount() > 200 and not tab.model.loading)
        qtbot.waitUntil(lambda: not runner.busy)
        assert seen.total > 0 and seen.on_ui_thread == []
    finally:
        seen.stop()
        runner.shutdown()
