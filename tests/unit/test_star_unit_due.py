"""`book.outcome_star.unit_due(scope)` and `alerts(resident_id)`: the unit-wide list behind Today's
"Outcome Star due". Current stays only (a discharged resident drops off), corrected readings do not
count, "mine" is the signed-in key worker's residents, and the whole unit is one statement however
many residents it has (no query per resident)."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import event, update

from keyworker import outcome_star_definitions as defs
from keyworker.db.caseload import Admission
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.outcome_star import StarReadingInput
from tests.fixtures.caseload import admit

KEYS = [a.key for a in defs.current().areas]


def _reading(book, rid: str, on: date, stage: str = "review"):  # type: ignore[no-untyped-def]
    return book.outcome_star.record(StarReadingInput(rid, {k: 5 for k in KEYS}, on, stage))


def test_the_unit_list_follows_the_stays(book_factory, clock) -> None:  # type: ignore[no-untyped-def]
    manager = book_factory("manager")
    a = admit(manager, given_name="Ann").id
    b = admit(manager, given_name="Bea").id
    c = admit(manager, given_name="Cal").id
    worker = book_factory("worker")
    clock.set(datetime(2026, 2, 10, 9, 0))
    _reading(worker, a, date(2026, 1, 6), "admission")  # next by 03/02: overdue
    first = _reading(worker, b, date(2026, 1, 12), "admission")
    _reading(worker, b, date(2026, 2, 9))  # next by 09/03: not within a week
    rows = {r.resident_id: r for r in worker.outcome_star.unit_due("mine")}
    assert set(rows) == {a, c}
    assert (rows[a].kind, rows[a].due_on, rows[a].overdue) == ("review", date(2026, 2, 3), True)
    assert (rows[c].kind, rows[c].due_on, rows[c].overdue) == ("admission", date(2026, 2, 2), True)
    assert [r.resident_id for r in worker.outcome_star.unit_due("mine")] == [c, a]  # soonest due first
    # A correction replaces its reading: b's latest is still 09/02, the corrected admission one is not counted twice.
    worker.outcome_star.correct(first.id, StarReadingInput(b, {k: 3 for k in KEYS}, date(2026, 1, 12), "admission"),
                                "Wrong scores typed.")
    assert b not in {r.resident_id for r in worker.outcome_star.unit_due("mine")}
    # The header's alerts: the missing admission reading, an overdue one; nothing for b.
    assert [r.kind for r in worker.outcome_star.alerts(c)] == ["admission"]
    assert [r.kind for r in worker.outcome_star.alerts(a)] == ["review"]
    assert worker.outcome_star.alerts(b) == []
    # A stay that ended is not listed.
    with manager._write() as s:
        s.execute(update(Admission).where(Admission.resident_id == c).values(discharged_on=date(2026, 2, 9),
                                                                             discharge_type="planned"))
    assert {r.resident_id for r in worker.outcome_star.unit_due("unit")} == {a}
    # "mine" is the key worker's own: the senior holds none of these.
    assert manager.outcome_star.unit_due("mine") == [] and len(manager.outcome_star.unit_due("unit")) == 1
    with pytest.raises(ValidationError):
        worker.outcome_star.unit_due("everyone")
    with pytest.raises(PermissionDenied):
        book_factory("admin").outcome_star.unit_due("unit")


def test_the_unit_list_is_one_statement(book_factory, clock) -> None:  # type: ignore[no-untyped-def]
    manager = book_factory("manager")
    ids = [admit(manager, given_name=f"R{i}").id for i in range(6)]
    worker = book_factory("worker")
    clock.set(datetime(2026, 2, 10, 9, 0))
    for i, rid in enumerate(ids[:4]):
        _reading(worker, rid, date(2026, 1, 6 + i), "admission")
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = worker._engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        rows = worker.outcome_star.unit_due("unit")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(rows) == 6
    assert len([s for s in statements if "star_readings" in s or "admissions" in s]) == 1
