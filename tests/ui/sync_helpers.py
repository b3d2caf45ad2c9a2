"""For the sync screens' tests: laptops of one unit with real conflicts, made by the real services
and exchanged in process (tests/sync/helpers.py), and a laptop "enrolled" for the status line."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock, local_today
from keyworker.db.caseload import Admission
from keyworker.risk import example_input
from keyworker.sync.apply import set_state
from keyworker.sync.oplog import first_join
from keyworker.sync.service import SyncService
from tests.fixtures.caseload import admit
from tests.sync.helpers import Exchange, copy_unit, open_laptop, sync
from tests.unit.care_helpers import full_content


@dataclass
class Unit:
    books: dict[str, Casebook]
    ex: Exchange
    resident_id: str
    admission_id: str
    plan_id: str
    clock: FixedClock

    def settle(self) -> None:
        for _ in range(2):
            for b in self.books.values():
                sync(b, self.ex)

    def postcode_conflict(self) -> None:
        """A (Sam Worker, Lee's key worker) and B (Morgan Manager) change Lee's postcode offline."""
        self.books["A"].residents.update(self.resident_id, {"postcode": "PR2 9ZZ"})
        self.books["B"].residents.update(self.resident_id, {"postcode": "BB1 1AA"})
        sync(self.books["A"], self.ex)
        sync(self.books["B"], self.ex)
        self.settle()

    def plan_fork(self) -> None:
        for name, status in (("A", "in_progress"), ("B", "achieved")):
            plan = self.books[name].care_plans.get(admission_id=self.admission_id)
            c = plan.content.copy()
            c.goals[0].status = status
            self.books[name].care_plans.revise(self.plan_id, c, f"Goal updated on laptop {name}")
        self.settle()

    def duplicate(self) -> tuple[str, str]:
        """The senior admits Ann O'Neill on B, and again on C (signed in as the senior there too)."""
        c = self.books["C"]
        c.close()
        self.books["C"] = open_laptop(c.path, "C", self.clock, "manager")
        ra = admit(self.books["B"], given_name="Ann", family_name="O'Neill", date_of_birth=date(1979, 6, 1))
        rb = admit(self.books["C"], given_name="Ann", family_name="O'Neill", date_of_birth=date(1979, 6, 1))
        self.settle()
        return ra.id, rb.id


    def two_discharges(self) -> None:
        """The senior records Lee's self-discharge on B, and C (the senior signed in there too)
        records him as absconded, offline: one stay, two discharges."""
        from tests.unit.test_unplanned_discharge import form

        c = self.books["C"]
        c.close()
        self.books["C"] = open_laptop(c.path, "C", self.clock, "manager")
        now = self.clock.now()
        self.books["B"].discharges.record_unplanned(form(self.resident_id, occurred_at=now - timedelta(minutes=30)))
        self.books["C"].discharges.record_unplanned(form(self.resident_id, type="absconded",
                                                         occurred_at=now - timedelta(minutes=20),
                                                         destination="Not known"))
        self.settle()


def make_unit(db_path: Path, tmp_path: Path, clock: FixedClock) -> Unit:
    ex = Exchange()
    a = open_laptop(db_path, "A", clock, "manager")
    rec = admit(a, given_name="Lee", family_name="Park", ethnicity="White: Irish", postcode="PR1 2AB")
    with a._read() as s:
        aid = s.scalar(select(Admission.id).where(Admission.resident_id == rec.id))
    a.care_plans.save_draft(aid, full_content())
    a.risk.record(aid, example_input(local_today(clock), "low"))
    plan = a.care_plans.mark_complete(a.care_plans.get(admission_id=aid).plan_id)
    with a._write() as s:
        first_join(s)
    sync(a, ex)
    a.close()
    paths = {"A": db_path, "B": copy_unit(db_path, tmp_path / "b" / "unit.kwdb"),
             "C": copy_unit(db_path, tmp_path / "c" / "unit.kwdb")}
    users = {"A": "worker", "B": "manager", "C": "worker2"}
    books = {n: open_laptop(p, n, clock, users[n]) for n, p in paths.items()}
    return Unit(books, ex, rec.id, str(aid), plan.plan_id, clock)


@pytest.fixture
def sync_unit(db_path: Path, tmp_path: Path, clock: FixedClock) -> Iterator[Unit]:
    u = make_unit(db_path, tmp_path, clock)
    yield u
    for b in u.books.values():
        b.close()


@pytest.fixture
def enrolled(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every book counts as joined to a hub; `synced(book, minutes_ago)` and `offline(book, at)` set
    what the transport (keyworker/sync/run.py) writes after a round."""
    monkeypatch.setattr(SyncService, "_hub", lambda self: (True, "https://hub.preston-house.example:8443"))

    class Marks:
        @staticmethod
        def synced(book: Casebook, minutes_ago: float) -> None:
            with book._write() as s:
                set_state(s, "last_synced_at", (book.clock.now() - timedelta(minutes=minutes_ago)).isoformat())

        @staticmethod
        def offline(book: Casebook, minutes_ago: float) -> None:
            with book._write() as s:
                set_state(s, "offline_since", (book.clock.now() - timedelta(minutes=minutes_ago)).isoformat())
                set_state(s, "last_error", "Could not connect to the hub (connection refused).")

    return Marks()
