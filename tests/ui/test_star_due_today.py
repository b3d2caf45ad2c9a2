"""The Outcome Star on Today and in the record's header: the admission reading missing from the
first day; a reading due within a week, then overdue 4 weeks after the latest; the discharge
reading once discharge is planned. Key workers see their residents, a senior the whole unit with
the Mine/Unit switch; the page's section shows the rows and opens the Outcomes tab."""
from __future__ import annotations

from datetime import date, datetime

from keyworker import outcome_star_definitions as defs
from keyworker.outcome_star import StarReadingInput
from tests.fixtures.caseload import admit
from tests.ui.conftest import make_ctx
from ui.outcomes.star_register import header, star_due
from ui.resident.tabs import header_sources
from ui.today import TodayPage, today_sections

KEYS = [a.key for a in defs.current().areas]


def _reading(book, rid: str, on: date, stage: str = "review") -> None:  # type: ignore[no-untyped-def]
    book.outcome_star.record(StarReadingInput(rid, {k: 4 for k in KEYS}, on, stage))


def test_star_due_on_today_and_the_record_header(qtbot, book_factory, clock) -> None:  # type: ignore[no-untyped-def]
    assert "star_due" in {s.key for s in today_sections()} and "outcome_star" in {h.key for h in header_sources()}
    manager = book_factory("manager")
    rid = admit(manager).id  # admitted Monday 05/01/2026, key worker "worker"
    worker = book_factory("worker")
    [item] = star_due(worker)
    assert item.text.startswith("Jane Doe (") and item.text.endswith(") — Admission reading")
    assert (item.overdue, item.due, item.tab, item.resident_id) == (False, date(2026, 2, 2), "outcomes", rid)
    assert star_due(manager) == [] and len(star_due(manager, "unit")) == 1  # not the senior's own resident
    [alert] = header(worker, rid)
    assert (alert.text, alert.symbol) == ("Admission Star reading missing", "⚠")
    assert alert.tooltip == "Take it in the first 4 weeks of the stay, by 02/02/2026."
    assert header(book_factory("admin"), rid) == []

    clock.set(datetime(2026, 1, 7, 9, 0))
    _reading(worker, rid, date(2026, 1, 6), "admission")
    assert star_due(worker) == [] and header(worker, rid) == []  # next one by 03/02: not within a week
    clock.set(datetime(2026, 1, 28, 9, 0))
    [item] = star_due(worker)
    assert item.text.endswith("— Star reading (the last on 06/01/2026)") and item.due == date(2026, 2, 3)
    assert not item.overdue
    assert header(worker, rid) == []  # due, not overdue
    clock.set(datetime(2026, 2, 5, 9, 0))
    [item] = star_due(worker)
    assert item.text.endswith("— Star reading (the last on 06/01/2026)") and item.overdue
    [alert] = header(worker, rid)
    assert alert.text == "Star reading overdue"
    assert alert.tooltip == "The last was on 06/01/2026; it was due by 03/02/2026."
    _reading(worker, rid, date(2026, 2, 5))
    assert star_due(worker) == [] and header(worker, rid) == []


def test_the_discharge_reading_once_discharge_is_planned(qtbot, book_factory, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.unit.test_discharge_plans import plan_input

    manager = book_factory("manager")
    rid = admit(manager).id
    worker = book_factory("worker")
    clock.set(datetime(2026, 3, 20, 9, 0))
    _reading(worker, rid, date(2026, 1, 6), "admission")
    _reading(worker, rid, date(2026, 3, 16))
    assert star_due(worker) == []
    worker.discharge_plans.save(plan_input(rid))  # planned for 30/03/2026
    assert star_due(worker) == []  # the discharge reading shows in the week before
    clock.set(datetime(2026, 3, 24, 9, 0))
    [item] = star_due(worker)
    assert item.text.endswith("— Discharge reading") and item.due == date(2026, 3, 30) and not item.overdue
    _reading(worker, rid, date(2026, 3, 24), "discharge")
    assert star_due(worker) == []  # nothing more for the stay


def test_the_today_page_shows_the_section_and_opens_the_outcomes_tab(qtbot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    manager = book_factory("manager")
    rid = admit(manager).id
    night = book_factory("nights")
    worker = book_factory("worker")
    page = TodayPage(make_ctx(worker, tasks))
    qtbot.addWidget(page)
    page.refresh()
    lst = page.lists["star_due"]
    assert [lst.item(i).text() for i in range(lst.count())] == ["Jane Doe (R-00001) — Admission reading — due 02/02/2026"]
    opened: list[tuple[str, str | None]] = []
    page.ctx.open_resident = lambda resident_id, tab=None: opened.append((resident_id, tab))  # type: ignore[method-assign]
    lst.itemActivated.emit(lst.item(0))
    assert opened == [(rid, "outcomes")]
    nights = TodayPage(make_ctx(night, tasks))
    qtbot.addWidget(nights)
    nights.refresh()
    assert "star_due" not in nights.lists  # nights do not record readings
