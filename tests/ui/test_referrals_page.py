"""The referrals inbox: deadlines in words and icons, actions by role, and the Today section."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication

from keyworker.casebook import Casebook
from keyworker.clock import LONDON
from tests.fixtures.caseload import admission_input, referral_input, resident_input, worker_id
from ui.context import AppContext
from ui.referrals import dialogs
from ui.referrals.page import COLUMNS, DEADLINE_COLUMN, ReferralsModel, ReferralsPage, decisions_due
from ui.tasks import SyncTaskRunner


def received(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, 0, tzinfo=LONDON)


@pytest.fixture
def referrals(worker_book: Casebook) -> dict[str, str]:
    """The clock says Monday 05/01/2026."""
    rec = worker_book.referrals.record
    return {
        "far": rec(referral_input(given_name="Fay", family_name="Far", received_at=received(2026, 1, 2))).id,
        "late": rec(referral_input(given_name="Lee", family_name="Late", received_at=received(2025, 12, 22),
                                   referrer_organisation=None)).id,
        "near": rec(referral_input(given_name="Nia", family_name="Near", received_at=received(2025, 12, 29),
                                   category="priority")).id,
    }


def make_page(qtbot, book: Casebook, monkeypatch: pytest.MonkeyPatch) -> ReferralsPage:  # type: ignore[no-untyped-def]
    ctx = AppContext(book, SyncTaskRunner())
    ctx.opened = []  # type: ignore[attr-defined]
    monkeypatch.setattr(ctx, "open_resident", ctx.opened.append)  # type: ignore[attr-defined]
    page = ReferralsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    return page


def cells(page: ReferralsPage, row: int) -> list[str]:
    return [page.model.index(row, c).data() for c in range(page.model.columnCount())]


def test_inbox_soonest_deadline_first_in_words(qtbot, worker_book, referrals, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, worker_book, monkeypatch)
    assert cells(page, 0) == ["22/12/2025", "Lee Late", "Pat Fielding", "Routine", "31/12/2025",
                              "Overdue by 2 working days", "No"]
    assert cells(page, 1)[1:] == ["Nia Near", "Pat Fielding", "Priority", "06/01/2026",
                                  "Due soon: 1 working day left", "No"]
    assert cells(page, 2)[5] == "4 working days left"
    assert page.count.text() == ("3 waiting for a decision (1 overdue); 0 accepted, waiting for admission; "
                                 "3 without a pre-admission assessment")


def test_deadlines_have_icons_and_accessible_text(qtbot, worker_book, referrals, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, worker_book, monkeypatch)
    m = page.model
    late, near, far = (m.index(r, DEADLINE_COLUMN) for r in range(3))
    assert late.data(Qt.ItemDataRole.DecorationRole).cacheKey() == m.warning_icon.cacheKey()
    assert near.data(Qt.ItemDataRole.DecorationRole).cacheKey() == m.info_icon.cacheKey()
    assert far.data(Qt.ItemDataRole.DecorationRole) is None
    assert late.data(Qt.ItemDataRole.AccessibleTextRole) == "Status: Overdue by 2 working days"
    assert "Wednesday 31/12/2025" in late.data(Qt.ItemDataRole.ToolTipRole)
    assert m.index(1, 2).data(Qt.ItemDataRole.ToolTipRole).startswith("Pat Fielding\nLancashire County Council")


def test_model_passes_qtmodeltester(qtmodeltester, worker_book, referrals) -> None:  # type: ignore[no-untyped-def]
    model = ReferralsModel()
    model.set_items(worker_book.referrals.list_open(include_accepted=True))
    qtmodeltester.check(model, force_py=True)


def test_key_worker_records_but_cannot_decide(qtbot, worker_book, referrals, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, worker_book, monkeypatch)
    assert page.new_button.isEnabled()
    assert not page.accept_button.isEnabled() and not page.decline_button.isEnabled()
    assert "senior" in page.accept_button.toolTip()
    assert not page.admit_button.isEnabled()


def test_accept_and_decline_open_the_decision_dialog_preset(qtbot, manager_book, referrals,  # type: ignore[no-untyped-def]
                                                            monkeypatch) -> None:
    shown: list[tuple[str, str | None]] = []

    def fake_exec(dlg: Any) -> int:
        shown.append((dlg.referral.id, dlg.choice.value()))
        return 0  # cancelled

    monkeypatch.setattr(dialogs.DecisionDialog, "exec", fake_exec)
    page = make_page(qtbot, manager_book, monkeypatch)
    assert page.accept_button.isEnabled() and page.decline_button.isEnabled()
    page.accept_button.click()
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    page.decline_button.click()
    assert shown == [(referrals["late"], "accept"), (referrals["near"], "decline")]


def test_accepted_referral_can_be_admitted_and_opens_the_record(qtbot, manager_book, referrals,  # type: ignore[no-untyped-def]
                                                                monkeypatch) -> None:
    page = make_page(qtbot, manager_book, monkeypatch)
    assert not page.admit_button.isEnabled()
    manager_book.referrals.accept(referrals["late"])
    page.ctx.state.data_changed.emit("referrals")
    assert cells(page, 2)[1:2] + cells(page, 2)[5:] == ["Lee Late", "Accepted, awaiting admission", "No"]
    assert "after the 5 working days" in page.model.index(2, 5).data(Qt.ItemDataRole.ToolTipRole)
    assert page.selected().id == referrals["late"]  # the selection follows the referral
    assert page.admit_button.isEnabled() and not page.accept_button.isEnabled()
    assert page.count.text() == ("2 waiting for a decision; 1 accepted, waiting for admission; "
                                 "3 without a pre-admission assessment")

    def admit(parent: Any, ctx: AppContext, referral: Any) -> Any:
        return ctx.book.referrals.admit(referral.id, admission_input(worker_id(ctx.book)),
                                        resident_input(given_name="Lee", family_name="Late"))

    monkeypatch.setattr(dialogs.AdmitDialog, "ask", admit)
    page.admit_button.click()
    assert [cells(page, r)[1] for r in range(page.model.rowCount())] == ["Nia Near", "Fay Far"]
    assert len(page.ctx.opened) == 1  # the new resident's record


def test_new_referral_refreshes_the_inbox(qtbot, worker_book, referrals, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def ask(parent: Any, ctx: AppContext, referral: Any = None) -> Any:
        return ctx.book.referrals.record(referral_input(given_name="Neo", family_name="New",
                                                        received_at=datetime(2026, 1, 5, 8, 30, tzinfo=LONDON)))

    monkeypatch.setattr(dialogs.ReferralDialog, "ask", ask)
    page = make_page(qtbot, worker_book, monkeypatch)
    page.new_button.click()
    assert [cells(page, r)[1] for r in range(page.model.rowCount())][-1] == "Neo New"


def test_today_lists_decisions_for_seniors_only(worker_book, manager_book, referrals) -> None:  # type: ignore[no-untyped-def]
    assert decisions_due(worker_book) == []
    items = decisions_due(manager_book)
    assert [i.overdue for i in items] == [True, False, False]
    assert items[0].text == "Decide on the referral for Lee Late (Routine, from Pat Fielding)"
    assert items[1].text.endswith("(1 working day left)")
    assert items[0].due is not None and items[0].resident_id is None


def test_page_and_today_section_registered() -> None:
    from ui.main_window import _PAGES
    from ui.today import today_sections

    assert _PAGES["referrals"].factory is ReferralsPage
    assert "referral_decisions" in [s.key for s in today_sections()]


def test_opening_a_decision_loads_the_whole_referral_and_audits_the_view(qtbot, manager_book, referrals,  # type: ignore[no-untyped-def]
                                                                         monkeypatch) -> None:
    from sqlalchemy import select

    from keyworker.db.foundation import AuditEntry

    def viewed() -> list[str]:
        with manager_book._read() as s:
            return list(s.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "referral.view")))

    shown: list[Any] = []
    monkeypatch.setattr(dialogs.DecisionDialog, "exec", lambda dlg: shown.append(dlg.referral) or 0)
    page = make_page(qtbot, manager_book, monkeypatch)
    assert not hasattr(page.selected(), "assessment_summary") and viewed() == []  # the list is not a view
    page.accept_button.click()
    [referral] = shown
    assert referral.id == referrals["late"] and referral.assessment_summary  # the dialog shows the assessment
    assert viewed() == [referrals["late"]]


@pytest.fixture
def fresh_show_setting():  # type: ignore[no-untyped-def]
    """The Show choice is remembered between sessions: each test starts from the default."""
    from PySide6.QtCore import QSettings

    from ui.referrals.page import SHOW_SETTING

    QSettings().remove(SHOW_SETTING)
    yield
    QSettings().remove(SHOW_SETTING)


def test_enter_opens_the_referral_and_a_correction_is_audited(qtbot, manager_book, referrals,  # type: ignore[no-untyped-def]
                                                              monkeypatch, fresh_show_setting) -> None:
    from tests.fixtures.caseload import last_audit

    opened: list[Any] = []

    def correct(dlg: Any) -> int:
        opened.append(dlg.referral.id)
        dlg.show()
        assert dlg.focusWidget() is dlg.binder.fields["given_name"].editor
        dlg.binder.fields["given_name"].editor.setText("Leigh")
        dlg.save()
        return dlg.result()

    monkeypatch.setattr(dialogs.ReferralDialog, "exec", correct)
    page = make_page(qtbot, manager_book, monkeypatch)
    qtbot.keyClick(page.table, Qt.Key.Key_Return)  # Enter: the referral opens, not a decision
    assert opened == [referrals["late"]]
    assert last_audit(manager_book)[0] == ("referral.update", {"fields": ["given_name"]})
    assert cells(page, 0)[1] == "Leigh Late"
    qtbot.keyClick(page.table, Qt.Key.Key_Down)  # as the press of a double-click selects the row
    page.table.doubleClicked.emit(page.model.index(1, 1))  # a double-click opens it too
    assert opened[-1] == referrals["near"]


def test_an_opened_referral_leads_to_its_decision(qtbot, manager_book, referrals, monkeypatch,  # type: ignore[no-untyped-def]
                                                  fresh_show_setting) -> None:
    decided: list[str] = []

    def go_on(dlg: Any) -> int:
        assert dlg.next_button is not None and dlg.next_button.isVisibleTo(dlg)
        dlg.next_button.click()
        return dlg.result()

    monkeypatch.setattr(dialogs.ReferralDialog, "exec", go_on)
    monkeypatch.setattr(dialogs.DecisionDialog, "exec", lambda dlg: decided.append(dlg.referral.id) or 0)
    page = make_page(qtbot, manager_book, monkeypatch)
    page.open_button.click()
    assert decided == [referrals["late"]]


def test_decided_referrals_are_shown_by_the_filter_it_is_remembered(qtbot, manager_book, referrals,  # type: ignore[no-untyped-def]
                                                                    monkeypatch, fresh_show_setting) -> None:
    manager_book.referrals.decline(referrals["far"], "no_vacancy",
                                   "No place is free within the time the assessment says is needed.")
    page = make_page(qtbot, manager_book, monkeypatch)
    assert page.show_box.value() == "current"  # open ones by default
    assert [cells(page, r)[1] for r in range(page.model.rowCount())] == ["Lee Late", "Nia Near"]
    page.show_box.set_value("declined")
    assert [cells(page, r)[1:2] + cells(page, r)[5:] for r in range(page.model.rowCount())] == [
        ["Fay Far", "Declined", "No"]]
    assert page.count.text() == "1 referral (declined)"
    assert not page.accept_button.isEnabled() and page.open_button.isEnabled()
    again = make_page(qtbot, manager_book, monkeypatch)  # the next time the page is made
    assert again.show_box.value() == "declined" and again.model.rowCount() == 1
    again.show_box.set_value("all")
    assert again.model.rowCount() == 3


def test_search_as_you_type(qtbot, worker_book, referrals, monkeypatch, fresh_show_setting) -> None:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, worker_book, monkeypatch)
    qtbot.keyClicks(page.search, "ni")
    assert [cells(page, r)[1] for r in range(page.model.rowCount())] == ["Nia Near"]
    assert page.count.text() == "1 referral matching “ni” (open)"
    qtbot.keyClicks(page.search, "x")
    assert page.model.rowCount() == 0 and "No referral matching “nix”" in page.count.text()
    page.search.clear()
    assert page.model.rowCount() == 3


@pytest.mark.parametrize("size", [(1280, 800), (1024, 768)])
def test_every_column_is_readable_without_scrolling(qtbot, main_window_for, manager_book, size,  # type: ignore[no-untyped-def]
                                                    fresh_show_setting) -> None:
    """At 1024 px the old columns ran off the right edge and "Accepted — awaiting admission" was cut."""
    rec = manager_book.referrals.record
    rec(referral_input(given_name="Nia", family_name="Near", received_at=received(2025, 12, 29), category="emergency"))
    manager_book.referrals.accept(rec(referral_input(given_name="Connor", family_name="Robinson",
                                                     received_at=received(2025, 12, 22))).id)
    rec(referral_input(given_name="Lee", family_name="Late", received_at=received(2025, 12, 15)))
    win = main_window_for("manager")
    win.resize(*size)
    page = win.show_page("referrals")
    QApplication.processEvents()  # the layout settles at the new size
    assert page.model.rowCount() == 3
    table = page.table
    assert not table.horizontalScrollBar().isVisible()
    fm = table.fontMetrics()
    for row in range(page.model.rowCount()):
        for col in range(page.model.columnCount()):
            if table.isColumnHidden(col):  # "Assessed" gives way to the names when narrow
                continue
            text = page.model.index(row, col).data()
            icon = 22 if page.model.index(row, col).data(Qt.ItemDataRole.DecorationRole) is not None else 0
            assert fm.horizontalAdvance(text) + icon + 8 <= table.columnWidth(col), (size, text)
    assert sum(table.columnWidth(c) for c in range(6)) <= table.viewport().width() + 1
    bold = QFont(table.horizontalHeader().font())
    bold.setBold(True)
    for col, title in enumerate(COLUMNS):  # headings too, bold as the stylesheet makes them
        if table.isColumnHidden(col):
            continue
        assert QFontMetrics(bold).horizontalAdvance(title) + 16 <= table.columnWidth(col), (size, title)
