"""The Reports page on a real unit database (offscreen, tasks inline): period choice, the table and
counts, the reasons in full, PDF through the shared viewer, CSV export (owner-only), keyboard use,
and who can see it."""
from __future__ import annotations

import csv
import io
import stat
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from tests.fixtures.caseload import last_audit
from tests.fixtures.reports import REASONS, at, decline_at
from tests.ui.conftest import make_ctx
from ui.reports.page import IN_TIME, REASONS_COLUMN, ReportsPage


@pytest.fixture
def declines(manager_book: Casebook, clock: FixedClock) -> dict[str, str]:
    """Three declines this quarter (one late) and one last quarter; today is 2 March 2026."""
    ids = {
        "ann": decline_at(manager_book, clock, at(2026, 1, 5, 9), at(2026, 1, 7), "risk", given_name="Ann"),
        "ben": decline_at(manager_book, clock, at(2026, 1, 5, 9), at(2026, 1, 14), "no_vacancy", given_name="Ben",
                          referrer_organisation="Blackburn with Darwen Council"),
        "cat": decline_at(manager_book, clock, at(2026, 2, 2, 9), at(2026, 2, 3), "risk", given_name="Cat"),
        "dan": decline_at(manager_book, clock, at(2025, 11, 3, 9), at(2025, 11, 4), "eligibility", given_name="Dan"),
    }
    clock.set(at(2026, 3, 2, 9))
    return ids


def make_page(qtbot, book: Casebook, tasks) -> ReportsPage:  # type: ignore[no-untyped-def]
    page = ReportsPage(make_ctx(book, tasks))
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    qtbot.waitExposed(page)
    return page


def names(page: ReportsPage) -> list[str]:
    return [r.name for r in page.model.rows]


def error_box(page: QWidget) -> QMessageBox | None:
    return page.findChild(QMessageBox, "errorBox")


def test_this_quarter_by_default_with_counts_and_reasons(qtbot, manager_book, tasks, declines) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, manager_book, tasks)
    assert page.period.currentText() == "This quarter (Q1 2026)"
    assert (page.from_edit.value(), page.to_edit.value()) == (date(2026, 1, 1), date(2026, 3, 31))
    assert not page.from_edit.isEnabled() and not page.pdf_button.isEnabled() and not page.csv_button.isEnabled()

    qtbot.mouseClick(page.show_button, Qt.MouseButton.LeftButton)
    assert names(page) == ["Ann Doe", "Ben Doe", "Cat Doe"]
    summary = page.summary.text()
    assert "3 declined referrals" in summary and "2 decided within 5 working days (67%)" in summary
    assert "1 late" in summary and "1 January 2026 to 31 March 2026" in summary
    assert "2  Risk to others" in page.by_reason.text()
    assert "1  Blackburn with Darwen Council" in page.by_organisation.text()
    late = page.model.index(1, IN_TIME)
    assert late.data() == "⚠ No, due 12/01/2026"  # in words and a symbol, not colour alone
    assert page.model.index(0, IN_TIME).data() == "✓ Yes"
    assert page.model.index(0, REASONS_COLUMN).data(Qt.ItemDataRole.ToolTipRole) == REASONS["risk"]
    assert REASONS["risk"] in page.reasons.toPlainText()  # the first row is selected
    page.table.setCurrentIndex(page.model.index(1, 0))
    assert REASONS["no_vacancy"] in page.reasons.toPlainText()
    assert page.pdf_button.isEnabled() and page.csv_button.isEnabled()
    action, detail = last_audit(manager_book)[0]
    assert action == "report.declines" and detail["output"] == "view" and detail["rows"] == 3


def test_last_quarter_and_custom_dates(qtbot, manager_book, tasks, declines) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, manager_book, tasks)
    page.period.setCurrentIndex(page.period.findData("last"))
    assert page.period.currentText() == "Last quarter (Q4 2025)"
    assert (page.from_edit.value(), page.to_edit.value()) == (date(2025, 10, 1), date(2025, 12, 31))
    page.show_report()
    assert names(page) == ["Dan Doe"]

    page.period.setCurrentIndex(page.period.findData("custom"))
    assert page.from_edit.isEnabled() and page.to_edit.isEnabled()
    page.from_edit.set_value(date(2026, 1, 10))
    page.to_edit.set_value(date(2026, 2, 3))
    page.show_report()
    assert names(page) == ["Ben Doe", "Cat Doe"]
    assert "10 January 2026 to 3 February 2026" in page.summary.text()


def test_custom_dates_out_of_order_are_refused_in_words(qtbot, manager_book, tasks, declines) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, manager_book, tasks)
    page.period.setCurrentIndex(page.period.findData("custom"))
    page.from_edit.set_value(date(2026, 3, 1))
    page.to_edit.set_value(date(2026, 2, 1))
    page.show_report()
    box = error_box(page)
    assert box is not None and "before it starts" in box.text()
    assert page.report is None and tasks.calls == 0
    box.close()


def test_an_empty_period_says_so(qtbot, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, manager_book, tasks)
    page.show_report()
    assert page.model.rowCount() == 0
    assert page.summary.text() == "No referrals were declined from 01/01/2026 to 31/03/2026."
    assert not page.counts_row.isVisible()
    assert page.csv_button.isEnabled()  # a nil return is still a return


def test_enter_in_the_period_shows_the_report(qtbot, manager_book, tasks, declines) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, manager_book, tasks)
    page.period.setFocus()
    qtbot.keyClick(page.period, Qt.Key.Key_Return)
    assert names(page) == ["Ann Doe", "Ben Doe", "Cat Doe"]


def test_every_control_has_an_accessible_name_and_labels_have_buddies(qtbot, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, manager_book, tasks)
    for w in (page.kind, page.period, page.from_edit, page.to_edit, page.show_button, page.table, page.reasons,
              page.pdf_button, page.csv_button):
        assert w.accessibleName(), w
    buddies = {lbl.buddy() for lbl in page.findChildren(QLabel) if lbl.buddy() is not None}
    assert {page.kind, page.period, page.from_edit, page.to_edit, page.reasons} <= buddies
    assert page.focusProxy() is page.period


def test_pdf_opens_in_the_shared_viewer_with_every_reason(qtbot, manager_book, tasks, declines) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, manager_book, tasks)
    page.show_report()
    qtbot.mouseClick(page.pdf_button, Qt.MouseButton.LeftButton)
    dlg = page.pdf_dialog
    assert dlg is not None and dlg.isVisible()
    qtbot.addWidget(dlg)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(dlg.pdf)).pages).split())
    assert REASONS["risk"] in text and REASONS["no_vacancy"] in text
    assert "1 January 2026 to 31 March 2026 (2026 Q1)" in text and "Test Unit" in text
    assert last_audit(manager_book)[0][1]["output"] == "pdf"
    dlg.close()


def test_csv_export_is_owner_only_and_reads_back(qtbot, manager_book, tasks, declines, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, manager_book, tasks)
    page.show_report()
    asked: list[str] = []
    target = tmp_path / "declines.csv"
    page.choose_csv_path = lambda _parent, suggested: asked.append(suggested) or str(target)  # type: ignore[func-returns-value]
    qtbot.mouseClick(page.csv_button, Qt.MouseButton.LeftButton)
    assert asked == ["declined-referrals-2026Q1.csv"]
    assert page.saved_csv == target and "owner-only" in page.status.text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert [r["Given name"] for r in rows] == ["Ann", "Ben", "Cat"]
    assert last_audit(manager_book)[0][1]["output"] == "csv"


def test_cancelling_the_csv_dialog_saves_nothing(qtbot, manager_book, tasks, declines) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, manager_book, tasks)
    page.show_report()
    calls = tasks.calls
    page.choose_csv_path = lambda _parent, _suggested: None
    page.export_csv()
    assert tasks.calls == calls and page.saved_csv is None


def test_a_change_to_referrals_marks_the_report_out_of_date(qtbot, manager_book, tasks, declines) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, manager_book, tasks)
    page.ctx.state.data_changed.emit("referrals")
    assert page.status.text() == ""  # nothing shown yet, nothing to go stale
    page.show_report()
    page.ctx.state.data_changed.emit("referrals")
    assert "press Show to update" in page.status.text()


def test_a_new_user_signing_in_clears_the_report(qtbot, manager_book, tasks, declines) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, manager_book, tasks)
    page.show_report()
    page.ctx.state.actor_changed.emit()
    assert page.model.rowCount() == 0 and page.report is None
    assert page.reasons.toPlainText() == "" and not page.pdf_button.isEnabled()


def test_a_key_worker_is_refused_in_words(qtbot, worker_book, tasks) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, worker_book, tasks)
    page.show_report()
    box = error_box(page)
    assert box is not None and "not allowed" in box.text()
    assert page.report is None and page.show_button.isEnabled()
    box.close()


@pytest.mark.parametrize("user, shown", [("manager", True), ("admin", True), ("worker", False)])
def test_reports_page_in_the_main_window_for_seniors_and_admins(qtbot, main_window_for, monkeypatch,  # type: ignore[no-untyped-def]
                                                                user: str, shown: bool) -> None:
    import ui.main_window as mw

    monkeypatch.setattr(mw, "FEATURE_MODULES", ("ui.today", "ui.admin.page", "ui.reports.page"))
    window = main_window_for(user)
    titles = [window.nav.item(i).text() for i in range(window.nav.count()) if not window.nav.item(i).isHidden()]
    assert ("Reports" in titles) is shown
    if shown:
        spec = next(s for s in mw.page_specs() if s.key == "reports")
        assert spec.factory is ReportsPage


def test_a_pdf_finished_after_the_unit_locked_is_not_shown(qtbot, manager_book, tasks, declines) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, manager_book, tasks)
    page.show_report()
    real_run = tasks.run

    def lock_before_pdf(fn, on_done=None, on_error=None, *, pool=False):  # type: ignore[no-untyped-def]
        if pool:  # the unit locks while the PDF is being drawn
            page.ctx.state.set_locked(True)
        return real_run(fn, on_done, on_error, pool=pool)

    tasks.run = lock_before_pdf
    page.open_pdf()
    assert page.pdf_dialog is None and "locked" in page.status.text()
    page.show_report()  # nothing runs while locked
    assert tasks.calls == 3


def test_controls_are_in_reading_order_for_the_tab_key(qtbot, manager_book, tasks, declines) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, manager_book, tasks)
    page.period.setCurrentIndex(page.period.findData("custom"))
    page.show_report()
    order = [page.kind, page.period, page.from_edit, page.to_edit, page.show_button, page.table, page.reasons,
             page.pdf_button, page.csv_button]
    # Walk Qt's focus chain as Tab does: focusable, visible, enabled widgets, each mapped to its control
    # (a date edit's inner line edit stands for the date edit).
    seen: list[QWidget] = []
    w = page.kind.nextInFocusChain()
    while w is not page.kind and len(seen) < 50:
        if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisible() and w.isEnabled():
            control = next((c for c in order if c is w or c.isAncestorOf(w)), None)
            if control is not None and (not seen or seen[-1] is not control):
                seen.append(control)
        w = w.nextInFocusChain()
    assert [page.kind, *seen] == order
