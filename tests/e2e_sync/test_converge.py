"""Three real laptops (C enrolled by `main.py sync join` in its own process) editing through the
real services and syncing through a real hub: they converge table by table, and a field conflict,
a care-plan fork and a duplicate admission show up identically on all three."""
from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from keyworker.clock import FixedClock
from keyworker.db.caseload import Resident
from keyworker.db.sync import SyncOp
from keyworker.errors import AuthenticationFailed, ValidationError
from keyworker.sync.apply import conflicts, quarantined
from keyworker.sync.run import pull_all, sync_once, client_for
from tests.conftest import STAFF_PW
from tests.e2e_sync.helpers import open_laptop, settle, three_laptops
from tests.fixtures.caseload import admit
from tests.sync.helpers import digest
from tests.sync.test_apply import _random_edit


def _conflict_views(book):  # type: ignore[no-untyped-def]
    with book._read() as s:
        return [(c.id, c.kind, c.entity_type, c.entity_id, c.field, c.op_a, c.op_b, c.record_a, c.record_b,
                 c.value_a, c.value_b) for c in conflicts(s)]


def test_three_laptops_converge_and_see_the_same_conflicts(hub, certs, db_path: Path, tmp_path: Path,
                                                           clock: FixedClock) -> None:
    unit, books, people = three_laptops(hub, certs, db_path, tmp_path, clock, cli_join=True)
    try:
        a, b, c = books["A"], books["B"], books["C"]
        rid, aid, plan_id = people[0]
        # a field conflict: A and B change one resident's postcode offline
        a.residents.update(rid, {"postcode": "PR2 9ZZ"})
        b.residents.update(rid, {"postcode": "BB1 1AA"})
        # a care-plan fork: B and C each save a new version on the same parent
        for book, status in ((b, "achieved"), (c, "in_progress")):
            plan = book.care_plans.get(admission_id=aid)
            content = plan.content.copy()
            content.goals[0].status = status
            book.care_plans.revise(plan_id, content, "Changed here")
        # a duplicate admission: the same person admitted on A and C
        ra = admit(a, given_name="Ann", family_name="O'Neill", date_of_birth=date(1979, 6, 1))
        rc = admit(c, given_name="ann", family_name="O Neill", date_of_birth=date(1979, 6, 1))
        # and some ordinary edits everywhere
        rng = random.Random(5)
        for _ in range(12):
            name = rng.choice("ABC")
            try:
                _random_edit(rng, books[name], people[1:], clock)  # not the resident in conflict
            except ValidationError:
                pass
        settle(books)
        digests = {n: digest(bk) for n, bk in books.items()}
        for table in digests["A"]:
            assert digests["A"][table] == digests["B"][table] == digests["C"][table], table
        views = {n: _conflict_views(bk) for n, bk in books.items()}
        assert views["A"] == views["B"] == views["C"]
        kinds = {(v[1], v[4]) for v in views["A"]}
        assert ("field", "postcode") in kinds and ("fork", None) in kinds and ("duplicate", None) in kinds
        dup = [v for v in views["A"] if v[1] == "duplicate" and v[4] is None]
        assert {dup[0][7], dup[0][8]} == {ra.id, rc.id}
        for bk in books.values():
            with bk._read() as s:
                assert quarantined(s) == []
                # every op is in each laptop's log exactly once, acknowledged
                ops = s.execute(select(SyncOp.op_id, SyncOp.unit_seq, SyncOp.acknowledged)).all()
                assert all(o.acknowledged and o.unit_seq for o in ops)
                assert len({o.unit_seq for o in ops}) == len(ops)
    finally:
        for bk in books.values():
            bk.close()


def test_a_pull_while_an_edit_is_unpushed_keeps_the_edit(hub, certs, db_path: Path, tmp_path: Path,
                                                         clock: FixedClock) -> None:
    unit, books, people = three_laptops(hub, certs, db_path, tmp_path, clock)
    try:
        a, b = books["A"], books["B"]
        rid = people[0][0]
        a.residents.update(rid, {"gp_practice": "Fishergate Practice"})
        sync_once(a)
        b.residents.update(rid, {"gp_practice": "Moor Park Surgery"})  # not pushed
        with client_for(b) as hub_client:
            pull_all(b, hub_client)
        with b._read() as s:
            assert s.scalar(select(Resident.gp_practice).where(Resident.id == rid)) == "Moor Park Surgery"
        settle(books)
        values = set()
        for bk in books.values():
            with bk._read() as s:
                values.add(s.scalar(select(Resident.gp_practice).where(Resident.id == rid)))
        assert values == {"Moor Park Surgery"}  # pushed later in hub order, so it stands everywhere
        assert _conflict_views(a) == _conflict_views(b) == _conflict_views(books["C"])
    finally:
        for bk in books.values():
            bk.close()


def test_a_password_changed_on_one_laptop_signs_in_on_another_after_sync(hub, certs, db_path: Path,
                                                                         tmp_path: Path, clock: FixedClock) -> None:
    unit, books, _ = three_laptops(hub, certs, db_path, tmp_path, clock, people=0)
    for bk in books.values():
        bk.close()
    worker_b = open_laptop(unit, "B", "worker")
    worker_b.accounts.change_own_password(STAFF_PW, "Brand-New-Pass-31")
    sync_once(worker_b)
    worker_b.close()
    # A and C, signed in as someone else, sync; then the worker signs in there with the new password
    for name in ("A", "C"):
        other = open_laptop(unit, name, "manager")
        sync_once(other)
        other.close()
        from keyworker.casebook import Casebook
        from keyworker.security.vault import FAST_KDF

        with pytest.raises(AuthenticationFailed):
            Casebook.open(unit.paths[name], "worker", STAFF_PW, clock=clock, kdf=FAST_KDF,
                          device_id=unit.devices[name])
        w = Casebook.open(unit.paths[name], "worker", "Brand-New-Pass-31", clock=clock, kdf=FAST_KDF,
                          device_id=unit.devices[name])
        assert w.actor.username == "worker"
        sync_once(w)  # and nothing is published back as a change of its own
        with w._read() as s:
            mine = s.execute(select(SyncOp).where(SyncOp.device_id == unit.devices[name],
                                                  SyncOp.entity_type == "vault_slots",
                                                  SyncOp.unit_seq.is_(None))).all()
        assert mine == []
        w.close()
