"""The bulk path of apply_page (docs/SYNC.md, "Applying as built") against the op-by-op path: the
same op stream applied to two fresh laptops, one in bulk and one forced op by op, must leave the
same rows, heads, conflicts, op-log, quarantine and page results."""
from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock, local_today
from keyworker.errors import ValidationError
from keyworker.risk import example_input
from keyworker.security.vault import FAST_KDF
from keyworker.sync import apply as apply_mod
from keyworker.sync.apply import PulledOp, apply_page, conflicts, last_seen
from keyworker.sync.oplog import first_join
from tests.conftest import STAFF_PW
from tests.fixtures.caseload import admit
from tests.sync.helpers import Exchange, copy_unit, digest, open_laptop, push, sync
from tests.sync.test_apply import _random_edit, _resident_with_plan, settle
from tests.unit.care_helpers import full_content

FRESH = {"bulk": "0196a000-0000-7000-8000-0000000000d1", "single": "0196a000-0000-7000-8000-0000000000d2"}


def _open(path: Path, device: str, clock: FixedClock) -> Casebook:
    return Casebook.open(path, "manager", STAFF_PW, clock=clock, kdf=FAST_KDF, device_id=device)


def _state(book: Casebook) -> dict[str, Any]:
    out: dict[str, Any] = dict(digest(book))
    with book._read() as s:
        out["heads"] = s.execute(text("SELECT entity_type, entity_id, field, unit_seq, op_id, device_id, actor_id, "
                                      "at, value FROM sync_heads ORDER BY entity_type, entity_id, field")).all()
        out["ops"] = s.execute(text("SELECT op_id, device_id, device_seq, entity_type, entity_id, kind, base_seq, "
                                    "key_epoch, payload, created_at, unit_seq, acknowledged FROM sync_ops "
                                    "ORDER BY op_id")).all()
        out["quarantine"] = s.execute(text("SELECT op_id, unit_seq, kind, reason FROM sync_quarantine "
                                           "ORDER BY op_id")).all()
        out["residents_search"] = s.execute(text("SELECT id, reference_no, reference, search_text FROM residents "
                                                 "ORDER BY id")).all()
        out["aliases"] = s.execute(text("SELECT entity_type, alias_id, target_id, op_id FROM sync_aliases "
                                        "ORDER BY entity_type, alias_id")).all()
        out["last_seen"] = last_seen(s)
    return out


def _apply_all(book: Casebook, stream: list[PulledOp], page: int, bulk: bool) -> list[Any]:
    results = []
    for i in range(0, len(stream), page):
        with book._write() as s:
            results.append(apply_page(s, stream[i:i + page], bulk=bulk))
    return results


@pytest.fixture
def stream(db_path: Path, tmp_path: Path, clock: FixedClock):  # type: ignore[no-untyped-def]
    """A unit synced once (the fresh laptops are copies of it then), and the stream three laptops
    then make: new residents (some changed before they were pushed, so their insert and updates
    share a page), the same person admitted on two laptops (a duplicate and a reference clash),
    two versions of one plan (a fork), a care plan and a risk assessment started for one stay on
    two laptops (an alias and a fork of two first versions), and its discharge on two (an alias
    and a `twice` conflict), the same field changed on two
    laptops (field conflicts), and random edits (reviews, Star readings, risk)."""
    ex = Exchange()
    a = open_laptop(db_path, "A", clock, "manager")
    people = [_resident_with_plan(a, "Lee", "Park"), _resident_with_plan(a, "Kim", "Lowe")]
    bare = admit(a, given_name="Eve", family_name="Moss", date_of_birth=date(1990, 2, 2))
    with a._read() as s:
        bare_stay = s.execute(text("SELECT id FROM admissions WHERE resident_id = :r"), {"r": bare.id}).scalar()
    with a._write() as s:
        first_join(s)
    sync(a, ex)
    a.close()
    fresh = {k: copy_unit(db_path, tmp_path / k / "unit.kwdb") for k in FRESH}
    paths = {"A": db_path, "B": copy_unit(db_path, tmp_path / "b" / "unit.kwdb"),
             "C": copy_unit(db_path, tmp_path / "c" / "unit.kwdb")}
    books = {n: open_laptop(p, n, clock, "manager") for n, p in paths.items()}
    start = len(ex.ops)
    try:
        settle(books, ex)
        # new residents on A, one changed twice before it is pushed, one with a plan revised at once
        for i, (given, family) in enumerate([("Amy", "Hart"), ("Bo", "Quinn"), ("Cy", "Reed")]):
            rec = admit(books["A"], given_name=given, family_name=family, date_of_birth=date(1980 + i, 3, 4))
            if i == 0:
                books["A"].residents.update(rec.id, {"postcode": "PR1 2AB"})
                books["A"].residents.update(rec.id, {"gp_practice": "Moor Park Surgery", "postcode": "PR3 1AA"})
        new = _resident_with_plan(books["A"], "Dee", "Shaw")
        _random_edit(random.Random(1), books["A"], [new], clock)
        people.append(new)
        # the same person on A and B (name folded differently), the same R-number
        admit(books["A"], given_name="Ann", family_name="O'Neill", date_of_birth=date(1979, 6, 1))
        admit(books["B"], given_name="ann", family_name="O Neill", date_of_birth=date(1979, 6, 1))
        # a fork: two new versions of one plan from the same parent
        _, aid, plan_id = people[0]
        for name, status in (("A", "in_progress"), ("B", "achieved")):
            plan = books[name].care_plans.get(admission_id=aid)
            c = plan.content.copy()
            c.goals[0].status = status
            books[name].care_plans.revise(plan_id, c, f"Changed on {name}")
        # one stay, its care plan and risk assessment started on A and on B (B changes its draft again)
        for name, level in (("A", "low"), ("B", "high")):
            books[name].care_plans.save_draft(bare_stay, full_content())
            books[name].risk.record(bare_stay, example_input(local_today(clock), level))
        c = full_content()
        c.goals[0].goal = "Changed on B before it met A's plan"
        books["B"].care_plans.save_draft(bare_stay, c)
        # and its discharge recorded on A and on C (two discharges of one stay)
        from datetime import timedelta

        from tests.unit.test_unplanned_discharge import form

        for name, kind in (("A", "self_discharge"), ("C", "absconded")):
            books[name].discharges.record_unplanned(form(bare.id, type=kind, night_reason="Could not wait.",
                                                         occurred_at=clock.now() - timedelta(minutes=5)))
        # field conflicts
        rid = people[1][0]
        books["A"].residents.update(rid, {"postcode": "PR2 9ZZ"})
        books["B"].residents.update(rid, {"postcode": "BB1 1AA"})
        books["C"].residents.update(rid, {"postcode": "LA1 1AA", "gp_practice": "Fishergate Practice"})
        for n in ("A", "B", "C"):
            push(books[n], ex)
        rng = random.Random(17)
        names = list(books)
        for _ in range(40):
            clock.advance(minutes=7)
            name = rng.choice(names)
            try:
                _random_edit(rng, books[name], people, clock)
            except ValidationError:
                pass
            if rng.random() < 0.3:
                sync(books[rng.choice(names)], ex)
        settle(books, ex)
        reference = digest(books["A"])
    finally:
        for b in books.values():
            b.close()
    yield fresh, ex.ops, start, reference


def _compare(fresh: dict[str, Path], ops: list[PulledOp], clock: FixedClock, page: int,
             monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    calls = {"n": 0}
    one = apply_mod._apply_one

    def counted(*a: Any, **k: Any) -> Any:
        calls["n"] += 1
        return one(*a, **k)

    books = {k: _open(p, FRESH[k], clock) for k, p in fresh.items()}
    try:
        monkeypatch.setattr(apply_mod, "_apply_one", counted)
        got_bulk = _apply_all(books["bulk"], ops, page, True)
        bulk_calls, calls["n"] = calls["n"], 0
        got_single = _apply_all(books["single"], ops, page, False)
        assert bulk_calls <= calls["n"] - 20, (bulk_calls, calls["n"])  # the new rows went the bulk way
        assert got_bulk == got_single
        states = {k: _state(b) for k, b in books.items()}
        for key in states["bulk"]:
            assert states["bulk"][key] == states["single"][key], key
        with books["bulk"]._read() as s:
            kinds = {c.kind for c in conflicts(s)}
        return {"kinds": kinds, "state": states["bulk"], "results": got_bulk}
    finally:
        for b in books.values():
            b.close()


@pytest.mark.parametrize("page", [500, 37])
def test_bulk_and_op_by_op_leave_the_same_laptop(stream, clock: FixedClock, page: int,  # type: ignore[no-untyped-def]
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    fresh, ops, start, reference = stream
    out = _compare(fresh, ops, clock, page, monkeypatch)
    assert {"field", "fork", "duplicate"} <= out["kinds"]
    assert out["state"]["quarantine"] == []
    assert sorted(a.entity_type for a in out["state"]["aliases"]) == ["care_plans", "discharges", "risk_assessments"]
    assert "twice" in out["kinds"]
    for table, h in reference.items():  # and the same as the laptops that made the stream
        assert out["state"][table] == h, table
    assert sum(r.skipped for r in out["results"]) >= start  # the ops the copies already had


def test_bulk_keeps_hub_order_for_a_child_before_its_parent(stream, clock: FixedClock,  # type: ignore[no-untyped-def]
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Three admissions moved before their resident's insert: in hub order the admission comes
    before its resident and is quarantined; written parents first it would not be, so the bulk
    path must not reorder them. A payload that does not open and
    the same op twice in a page are there too."""
    fresh, ops, start, _ = stream
    ops = list(ops)
    moved = 0
    i = start
    while i < len(ops) and moved < 3:
        if ops[i].entity_type == "residents" and ops[i].base_seq is None:
            j = next((k for k in range(i + 1, min(i + 8, len(ops))) if ops[k].entity_type == "admissions"), None)
            if j is not None:
                ops.insert(i, ops.pop(j))  # the admission now comes before its resident
                moved += 1
                i += 1
        i += 1
    bad = ops[-1]
    ops[-1] = PulledOp(bad.unit_seq, bad.op_id, bad.device_id, bad.device_seq, bad.entity_type, bad.entity_id,
                       bad.base_seq, bad.created_at, bad.payload[:-1] + bytes([bad.payload[-1] ^ 1]))
    ops.insert(start + 5, ops[start + 4])  # the same op twice in one page
    ops = [PulledOp(n + 1, o.op_id, o.device_id, o.device_seq, o.entity_type, o.entity_id, o.base_seq, o.created_at,
                    o.payload) for n, o in enumerate(ops)]
    out = _compare(fresh, ops, clock, 500, monkeypatch)
    assert moved == 3
    held = out["state"]["quarantine"]
    assert any("payload" in r.reason for r in held) and any("FOREIGN KEY" in r.reason for r in held)
