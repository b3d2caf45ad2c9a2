"""Where risk shows outside its own tab, on a real encrypted unit: the resident header (level in
words and a symbol, "Risk review overdue", a click opens the Risk tab), the caseload's Risk column
(every level, sorted highest first, readable at 1024×768), Today's "Risk reviews overdue" and the
night worker's "High-risk residents" (each row opens the Risk tab), and the care plan's risk
section (copied fields read-only, following the assessment, a button to the Risk tab)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

import ui.main_window as mw
from keyworker import risk_domains as rd
from keyworker.clock import local_today
from keyworker.risk import example_input
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit
from ui.caseload.model import COLUMNS
from ui.care_plans.editor import CarePlanTab
from ui.care_plans.risk_section import RiskSection
from ui.resident.window import open_resident_window
from ui.risk.today import high_risk_residents, risk_reviews_overdue
from ui.tasks import SyncTaskRunner

RISK_PAGES = ("ui.today", "ui.caseload.page", "ui.resident.window", "ui.care_plans", "ui.risk")


@pytest.fixture(autouse=True)
def _risk_registered() -> None:
    """Other tests replace header items and tabs; these use the risk area's own."""
    import ui.risk

    ui.risk.register()


@pytest.fixture
def unit(book_factory):  # type: ignore[no-untyped-def]
    """Four residents of Sam Worker's: high, medium, low and not yet assessed."""
    worker = book_factory("worker")
    today = local_today(worker.clock)
    ids = {}
    for given, level in (("Hana", rd.HIGH), ("Mo", rd.MEDIUM), ("Lou", rd.LOW), ("Nell", None)):
        rid, aid = admit(worker, given=given, family="Test")
        if level is not None:
            worker.risk.record(aid, example_input(today, level))
        ids[given] = (rid, aid)
    return worker, ids


@pytest.fixture
def risk_window(book_factory, monkeypatch, shown_window):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(mw, "FEATURE_MODULES", RISK_PAGES)
    return lambda username, size=None: shown_window(make_ctx(book_factory(username), SyncTaskRunner()), size)


def current_tab(win) -> str:  # type: ignore[no-untyped-def]
    return win.specs[win.tabs.currentIndex()].key


def test_the_header_says_high_risk_and_a_click_opens_the_risk_tab(qtbot, unit, tasks) -> None:  # type: ignore[no-untyped-def]
    worker, ids = unit
    win = open_resident_window(make_ctx(worker, tasks), ids["Hana"][0])
    qtbot.addWidget(win)
    assert win.header.risk.text() == "▲ High risk"
    assert current_tab(win) == "overview"
    QTest.mouseClick(win.header.risk, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert current_tab(win) == "risk"
    win.close()
    for given, text in (("Mo", "◆ Medium risk"), ("Lou", "● Low risk"), ("Nell", "○ Risk: not yet assessed")):
        other = open_resident_window(make_ctx(worker, tasks), ids[given][0])
        qtbot.addWidget(other)
        assert other.header.risk.text() == text, given
        other.close()


def test_the_header_warns_when_the_review_is_overdue_and_follows_a_new_version(qtbot, unit, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    worker, ids = unit
    rid, aid = ids["Mo"]
    clock.advance(days=29)
    ctx = make_ctx(worker, tasks)
    win = open_resident_window(ctx, rid)
    qtbot.addWidget(win)
    assert "Risk review overdue" in win.header.alert_texts()
    assert win.header.risk.text() == "◆ Medium risk"  # the warning is an alert, not the level
    worker.risk.revise(aid, example_input(local_today(clock), rd.HIGH), "Relapse")
    ctx.state.data_changed.emit("risk")  # as the form does after saving
    assert win.header.risk.text() == "▲ High risk" and "Risk review overdue" not in win.header.alert_texts()
    win.close()


def test_the_caseload_shows_each_level_in_words_and_sorts_highest_first(qtbot, unit, risk_window) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.test_caseload_page import text_fits

    w = risk_window("worker", (1024, 768))
    page = w.show_page("caseload")
    risk = [c.key for c in COLUMNS].index("risk")
    assert page.model.headerData(risk, Qt.Orientation.Horizontal) == "Risk"
    shown = {page.model.index(r, 0).data(): page.model.index(r, risk).data() for r in range(page.model.rowCount())}
    assert shown == {"Test, Hana": "▲ High", "Test, Mo": "◆ Medium", "Test, Lou": "● Low", "Test, Nell": "○ Not assessed"}
    for r in range(page.model.rowCount()):
        assert text_fits(page.table, r, risk), page.model.index(r, 0).data()  # not elided, on screen at 1024
    page.table.sortByColumn(risk, Qt.SortOrder.AscendingOrder)
    order = [page.model.index(r, 0).data() for r in range(page.model.rowCount())]
    assert order == ["Test, Hana", "Test, Mo", "Test, Lou", "Test, Nell"]


def test_the_caseload_flags_an_overdue_risk_review(qtbot, unit, risk_window, clock) -> None:  # type: ignore[no-untyped-def]
    clock.advance(days=10)  # Hana's weekly review has passed
    page = risk_window("worker").show_page("caseload")
    flags = [c.key for c in COLUMNS].index("flags")
    row = next(r for r in range(page.model.rowCount()) if page.model.index(r, 0).data() == "Test, Hana")
    assert "Risk review overdue" in page.model.index(row, flags).data()


def test_today_lists_overdue_risk_reviews_and_a_row_opens_the_risk_tab(qtbot, unit, risk_window, clock) -> None:  # type: ignore[no-untyped-def]
    _worker, ids = unit
    clock.advance(days=10)
    items = risk_reviews_overdue(_worker, "mine")
    assert [i.tab for i in items] == ["risk"] and items[0].resident_id == ids["Hana"][0] and items[0].overdue
    w = risk_window("worker")
    page = w.pages["today"]
    lst = page.lists["risk_reviews_overdue"]
    text = lst.item(0).text()
    assert lst.count() == 1 and "Hana Test (" in text and "▲ High" in text and "overdue since 12/01/2026" in text
    lst.itemActivated.emit(lst.item(0))
    record = w.ctx.resident_windows[ids["Hana"][0]]
    assert record.isVisible() and current_tab(record) == "risk"


def test_an_incident_asks_for_a_review_on_today_in_its_own_words(qtbot, unit) -> None:  # type: ignore[no-untyped-def]
    worker, ids = unit
    rid, aid = ids["Lou"]
    with worker._write() as s:  # the incidents area calls this inside its own write
        worker.risk.prompt(s, aid, "incident", note="Violence or threat on 05/01/2026 08:30")
    items = risk_reviews_overdue(worker, "mine")
    lou = next(i for i in items if i.resident_id == rid)
    assert "Violence or threat on 05/01/2026 08:30: review the risk assessment" in lou.text and lou.tab == "risk"
    assert lou.due is None  # not "overdue since" a review date still to come


def test_night_staff_see_high_risk_residents_with_what_to_do_if_they_leave(qtbot, unit, risk_window) -> None:  # type: ignore[no-untyped-def]
    worker, ids = unit
    items = high_risk_residents(worker)
    assert [i.resident_id for i in items] == [ids["Hana"][0]]
    w = risk_window("nights")
    page = w.pages["today"]
    assert "risk_reviews_overdue" not in page.lists  # nights read, they do not review
    lst = page.lists["high_risk_residents"]
    text = lst.item(0).text()
    assert text.startswith("▲ High — Test, Hana") and "tell Referrer, CTP and probation." in text
    lst.itemActivated.emit(lst.item(0))
    assert current_tab(w.ctx.resident_windows[ids["Hana"][0]]) == "risk"


def test_the_care_plan_shows_the_assessment_read_only_and_follows_it(qtbot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    worker = book_factory("worker")
    rid, aid = admit(worker)
    ctx = make_ctx(worker, tasks)
    opened: list[tuple[str, str | None]] = []
    ctx.open_resident = lambda r, tab=None: opened.append((r, tab))  # type: ignore[method-assign]
    tab = CarePlanTab(ctx, rid)
    qtbot.addWidget(tab)
    tab.show()
    box = tab.sections["risk_contingency"]
    assert isinstance(box, RiskSection)
    summary, contingency = box.editors["risk_summary"], box.editors["contingency"]
    assert summary.isReadOnly() and contingency.isReadOnly()
    assert not box.editors["risk_management"].isReadOnly()  # the plan's own answer is typed here
    box.editors["risk_management"].setPlainText("Typed, not yet saved")
    worker.risk.record(aid, example_input(local_today(worker.clock), rd.MEDIUM))
    tab.refresh()  # as the record window does when the risk area changes
    assert summary.toPlainText().startswith("Overall risk: Medium")
    assert "Who must be told: Referrer, CTP and probation." in contingency.toPlainText()
    assert box.editors["risk_management"].toPlainText() == "Typed, not yet saved"
    assert "risk" in tab.refresh_areas
    QTest.mouseClick(box.open_risk, Qt.MouseButton.LeftButton)
    assert opened == [(rid, "risk")]
