"""The caseload shows the 24-hour countdown of the complete discharge summary (issue 13: "on the
record, in the caseload and on Today"): "Summary due in N h", then "Summary overdue", gone once
the summary is made; a planned discharge (its letter is its summary) never shows it."""
from __future__ import annotations

from datetime import date, datetime

from keyworker.caseload_query import SUMMARY_DUE, SUMMARY_OVERDUE, CaseloadFilter
from keyworker.clock import LONDON, FixedClock
from tests.fixtures.caseload import admit
from tests.unit.test_discharge_plans import plan_input
from tests.unit.test_unplanned_discharge import form


def summary_flags(book, resident_id):  # type: ignore[no-untyped-def]
    row = book.caseload.rows([resident_id])[0]
    return [f for f in row.flags if f.code in (SUMMARY_DUE, SUMMARY_OVERDUE)]


def test_the_countdown_then_overdue_then_gone(book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 1, 5, 15, 0))
    manager = book_factory("manager")
    resident_id = admit(manager).id
    # Discharged at 14:00: due by 14:00 tomorrow, 23 hours from now.
    d = manager.discharges.record_unplanned(form(resident_id))
    # A discharged resident shows only when the list includes them, with both flags.
    assert resident_id not in manager.caseload.ids(CaseloadFilter())
    assert resident_id in manager.caseload.ids(CaseloadFilter(include_discharged=True))
    [flag] = summary_flags(manager, resident_id)
    assert (flag.code, flag.text) == (SUMMARY_DUE, "Summary due in 23 h")
    assert flag.detail == "The complete discharge summary is due by 06/01/2026 14:00 (UK time)."
    assert "Discharged" in manager.caseload.rows([resident_id])[0].flags_text
    clock.advance(hours=18, minutes=30)
    assert summary_flags(manager, resident_id)[0].text == "Summary due in 5 h"
    clock.advance(hours=7)  # 16:30 the next day
    [flag] = summary_flags(manager, resident_id)
    assert (flag.code, flag.text) == (SUMMARY_OVERDUE, "Summary overdue")
    assert flag.detail == "The complete discharge summary was due by 06/01/2026 14:00 (UK time), 2 h ago."
    assert manager.caseload.rows([resident_id])[0].overdue
    manager.discharges.complete_summary(d.id)
    assert summary_flags(manager, resident_id) == []


def test_a_frozen_resident_is_current_and_flagged(book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 1, 5, 15, 0))
    manager = book_factory("manager")
    resident_id = admit(manager).id
    frozen = admit(manager, given_name="Fay", family_name="Frost").id
    manager.discharges.record_unplanned(form(frozen, type="freeze_police",
                                             occurred_at=datetime(2026, 1, 5, 10, 0, tzinfo=LONDON)))
    ids = manager.caseload.ids(CaseloadFilter())
    assert frozen in ids and resident_id in ids
    assert summary_flags(manager, frozen)[0].text == "Summary due in 19 h"
    assert summary_flags(manager, resident_id) == []
    # The flags sort counts it: most flags first.
    by_flags = manager.caseload.ids(CaseloadFilter(sort_key="flags"))
    assert manager.caseload.rows([resident_id])[0].flags == ()
    assert by_flags.index(frozen) < by_flags.index(resident_id)


def test_a_planned_discharge_never_shows_it(book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 1, 5, 15, 0))
    manager = book_factory("manager")
    resident_id = admit(manager, gp_practice="Fishergate Surgery").id
    clock.set(datetime(2026, 3, 30, 11, 0))
    worker = book_factory("worker")
    worker.discharge_plans.save(plan_input(resident_id))
    worker.discharge_plans.complete(resident_id, "30/03/2026")  # awaiting a senior's signature
    assert summary_flags(worker, resident_id) == []
    clock.advance(days=2)  # past its 24 hours, still unsigned
    row = worker.caseload.rows([resident_id])[0]
    assert [f.code for f in row.flags] == ["discharged"] and row.discharged_on == date(2026, 3, 30)
