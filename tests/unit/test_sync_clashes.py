"""One row per stay, started on two laptops offline (keyworker/sync/apply.py, `_clash` / `_fold`):
two care plans (or two risk assessments) for one stay become one, the later an alias of the
earlier, with both first versions kept as a visible fork a senior chooses or merges; the same on
every laptop, the one that wrote the later included."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock, local_today
from keyworker.db.care_plans import CarePlan, CarePlanVersion
from keyworker.db.caseload import Admission
from keyworker.db.risk import RiskAssessment, RiskAssessmentVersion
from keyworker.db.sync import ALIASES_T
from keyworker.risk import example_input
from keyworker.sync.apply import quarantined
from keyworker.sync.oplog import first_join
from tests.fixtures.caseload import admit, last_audit
from tests.sync.helpers import Exchange, copy_unit, digest, open_laptop, pull, sync
from tests.unit.care_helpers import full_content


@pytest.fixture
def unit(db_path: Path, tmp_path: Path, clock: FixedClock) -> Iterator[tuple[dict[str, Casebook], Exchange, str]]:
    """Laptops A, B, C of one unit with one resident admitted and no plan yet, all synced; every
    laptop signed in as the senior."""
    ex = Exchange()
    a = open_laptop(db_path, "A", clock, "manager")
    rec = admit(a, given_name="Lee", family_name="Park", ethnicity="White: Irish")
    with a._read() as s:
        aid = s.scalar(select(Admission.id).where(Admission.resident_id == rec.id))
    with a._write() as s:
        first_join(s)
    sync(a, ex)
    a.close()
    paths = {"A": db_path, "B": copy_unit(db_path, tmp_path / "b" / "unit.kwdb"),
             "C": copy_unit(db_path, tmp_path / "c" / "unit.kwdb")}
    books = {n: open_laptop(p, n, clock, "manager") for n, p in paths.items()}
    yield books, ex, str(aid)
    for b in books.values():
        b.close()


def settle(books: dict[str, Casebook], ex: Exchange) -> None:
    for _ in range(2):
        for b in books.values():
            sync(b, ex)


def _rows(book: Casebook, cls: Any, col: Any, value: str) -> list[Any]:
    with book._read() as s:
        return list(s.scalars(select(cls).where(col == value)).all())


def _offline_then_sync(books: dict[str, Casebook], ex: Exchange, b_pushes_first: bool) -> None:
    """A syncs first (its row is the earlier in hub order). B either pushes and then pulls (its
    ops have seqs when A's arrive) or pulls first (its ops are still unpushed then)."""
    sync(books["A"], ex)
    if not b_pushes_first:
        pull(books["B"], ex)
    settle(books, ex)


@pytest.mark.parametrize("b_pushes_first", [True, False])
def test_two_care_plans_started_for_one_stay_become_one_plan_with_a_fork(unit, b_pushes_first: bool) -> None:  # type: ignore[no-untyped-def]
    books, ex, aid = unit
    ca, cb = full_content(), full_content()
    ca.goals[0].goal, cb.goals[0].goal = "Goal written on A", "Goal written on B"
    books["A"].care_plans.save_draft(aid, ca)
    books["B"].care_plans.save_draft(aid, full_content())
    books["B"].care_plans.save_draft(aid, cb)  # an unpushed edit of the draft: it must survive
    plan_a = books["A"].care_plans.get(admission_id=aid).plan_id
    plan_b = books["B"].care_plans.get(admission_id=aid).plan_id
    assert plan_a != plan_b
    _offline_then_sync(books, ex, b_pushes_first)

    for name, book in books.items():
        (plan,) = _rows(book, CarePlan, CarePlan.admission_id, aid)
        assert plan.id == plan_a, name  # the earlier in hub order stands
        versions = _rows(book, CarePlanVersion, CarePlanVersion.plan_id, plan_a)
        goals = sorted(json.loads(v.content)["goals"][0]["goal"] for v in versions)
        assert goals == ["Goal written on A", "Goal written on B"], name  # both kept, B's latest edit too
        v_a = next(v for v in versions if "on A" in v.content)
        assert plan.current_version_id == v_a.id, name  # it does not flip to the later plan's version
        assert book.care_plans.get(admission_id=aid).plan_id == plan_a
        with book._read() as s:
            aliases = s.connection().execute(select(ALIASES_T)).all()
            assert [(r.entity_type, r.alias_id, r.target_id) for r in aliases] == [("care_plans", plan_b, plan_a)]
            assert quarantined(s) == [], name  # nothing held back
        (item,) = book.sync.conflicts()
        assert item.kind == "fork" and item.what == "Care plan: two versions" and item.entity_id == plan_a
        assert {s.key for s in item.sides} == {v.id for v in versions}
        assert [s.stands for s in item.sides] == [True, False]
    assert len({str(digest(b)) for b in books.values()}) == 1

    (item,) = books["C"].sync.conflicts()
    merged = json.loads(item.sides[1].content or "")
    merged["goals"][0]["goal"] = "Goal agreed by both"
    new_id = books["C"].sync.merge_versions(item.id, json.dumps(merged))
    assert last_audit(books["C"])[0][0] == "sync.fork.merge"
    settle(books, ex)
    for name, book in books.items():
        assert book.sync.conflicts() == [], name
        (plan,) = _rows(book, CarePlan, CarePlan.admission_id, aid)
        assert plan.current_version_id == new_id, name
        assert len(_rows(book, CarePlanVersion, CarePlanVersion.plan_id, plan_a)) == 3
        assert book.care_plans.get(admission_id=aid).content.goals[0].goal == "Goal agreed by both"
    assert len({str(digest(b)) for b in books.values()}) == 1


@pytest.mark.parametrize("b_pushes_first", [True, False])
def test_two_risk_assessments_recorded_for_one_stay_become_one_with_a_fork(unit, b_pushes_first: bool) -> None:  # type: ignore[no-untyped-def]
    books, ex, aid = unit
    today = local_today(books["A"].clock)
    books["A"].risk.record(aid, example_input(today, "low"))
    books["B"].risk.record(aid, example_input(today, "high"))
    with books["B"]._read() as s:
        ra_b = s.scalar(select(RiskAssessment.id).where(RiskAssessment.admission_id == aid))
    _offline_then_sync(books, ex, b_pushes_first)

    for name, book in books.items():
        (ra,) = _rows(book, RiskAssessment, RiskAssessment.admission_id, aid)
        assert ra.id != ra_b and ra.overall_level == "low", name  # A's stands, level and version agree
        versions = _rows(book, RiskAssessmentVersion, RiskAssessmentVersion.assessment_id, ra.id)
        assert sorted(json.loads(v.content)["overall_level"] for v in versions) == ["high", "low"], name
        assert json.loads(next(v for v in versions if v.id == ra.current_version_id).content)["overall_level"] == "low"
        (item,) = book.sync.conflicts()
        assert item.kind == "fork" and item.what == "Risk assessment: two versions"
    assert len({str(digest(b)) for b in books.values()}) == 1

    (item,) = books["B"].sync.conflicts()
    high = next(s for s in item.sides if not s.stands)
    books["B"].sync.choose_version(item.id, high.key)
    assert last_audit(books["B"])[0][0] == "sync.fork.choose"
    settle(books, ex)
    for name, book in books.items():
        assert book.sync.conflicts() == [], name
        (ra,) = _rows(book, RiskAssessment, RiskAssessment.admission_id, aid)
        assert ra.overall_level == "high", name
    assert len({str(digest(b)) for b in books.values()}) == 1


def test_later_edits_of_the_later_plan_reach_the_earlier_one(unit) -> None:  # type: ignore[no-untyped-def]
    """B goes on editing its plan after it was pushed but before it met A's: the edits are
    applied to the one plan on every laptop (a version's in-place draft edit, the agreement)."""
    books, ex, aid = unit
    books["A"].care_plans.save_draft(aid, full_content())
    books["B"].care_plans.save_draft(aid, full_content())
    sync(books["A"], ex)
    from tests.sync.helpers import push

    push(books["B"], ex)
    c = full_content()
    c.goals[0].goal = "Edited on B after its push"
    books["B"].care_plans.save_draft(aid, c)
    settle(books, ex)
    for name, book in books.items():
        (plan,) = _rows(book, CarePlan, CarePlan.admission_id, aid)
        goals = [json.loads(v.content)["goals"][0]["goal"]
                 for v in _rows(book, CarePlanVersion, CarePlanVersion.plan_id, plan.id)]
        assert "Edited on B after its push" in goals, name
        with book._read() as s:
            assert quarantined(s) == [], name
            assert s.scalar(select(func.count()).select_from(CarePlan)) == 1
    assert len({str(digest(b)) for b in books.values()}) == 1


def _resident_of(book: Casebook, aid: str) -> str:
    with book._read() as s:
        return str(s.scalar(select(Admission.resident_id).where(Admission.id == aid)))


@pytest.mark.parametrize("b_pushes_first", [True, False])
def test_two_discharges_of_one_stay_are_a_visible_conflict_a_senior_resolves(unit, b_pushes_first: bool) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from keyworker.db.discharges import Discharge
    from tests.unit.test_unplanned_discharge import form

    books, ex, aid = unit
    rid = _resident_of(books["A"], aid)
    now = books["A"].clock.now()
    night = "The police brought him back and he left again straight away."
    d_a = books["A"].discharges.record_unplanned(form(rid, occurred_at=now - timedelta(hours=2),
                                                                           night_reason=night)).id
    d_b = books["B"].discharges.record_unplanned(form(rid, type="absconded", occurred_at=now - timedelta(hours=1),
                                                      circumstances="Not in the house at the 9 pm check.",
                                                      destination="Not known", night_reason=night)).id
    _offline_then_sync(books, ex, b_pushes_first)

    for name, book in books.items():
        with book._read() as s:
            (d,) = s.scalars(select(Discharge).where(Discharge.admission_id == aid)).all()
            assert d.id == d_a and d.type == "self_discharge", name  # the earlier stands
            assert quarantined(s) == [], name
        twice = [i for i in book.sync.conflicts() if i.kind == "twice"]
        assert len(twice) == 1, name
        (item,) = twice
        assert item.what == "Two discharges" and "recorded for one stay on different laptops" in item.explanation
        a, b = item.sides
        assert a.stands and not b.stands
        assert a.value.startswith("Unplanned self-discharge") and b.value.startswith("Absconded"), (a.value, b.value)
        assert json.loads(b.content or "{}")["Circumstances"] == "Not in the house at the 9 pm check."
        assert json.loads(a.content or "{}")["Destination"] == "Brother's flat in Blackburn"
        assert b.by == a.by == "Morgan Manager" and b.at is not None
        assert (a.laptop, b.laptop) == (
            "this laptop" if name == "A" else f"another laptop ({books['A'].device_id[-6:]})",
            "this laptop" if name == "B" else f"another laptop ({books['B'].device_id[-6:]})")
    assert len({str(digest(b)) for b in books.values()}) == 1

    (item,) = [i for i in books["C"].sync.conflicts() if i.kind == "twice"]
    books["C"].sync.keep_record(item.id, "b")
    assert last_audit(books["C"])[0][0] == "sync.twice.keep"
    assert not [i for i in books["C"].sync.conflicts() if i.kind == "twice"]
    settle(books, ex)
    for name, book in books.items():
        with book._read() as s:
            (d,) = s.scalars(select(Discharge).where(Discharge.admission_id == aid)).all()
            assert (d.id, d.type, d.destination) == (d_a, "absconded", "Not known"), name
        assert not [i for i in book.sync.conflicts() if i.kind == "twice"], name
    assert len({str(digest(b)) for b in books.values()}) == 1
    assert d_b  # its op and its fields stay in the conflict record (resolved)


def test_two_discharge_plans_of_one_stay_keep_this_one_everywhere(unit) -> None:  # type: ignore[no-untyped-def]
    """The later plan is kept readable in the conflict; the senior keeps the earlier: what differs
    is written again on top of both (an op), and the decision closes it on every laptop."""
    from keyworker.db.discharges import DischargePlan
    from tests.unit.test_discharge_plans import plan_input

    books, ex, aid = unit
    rid = _resident_of(books["A"], aid)
    books["A"].discharge_plans.save(plan_input(rid))
    books["B"].discharge_plans.save(plan_input(rid, route="further_residential", planned_date="06/04/2026",
                                               recommendations="Move on to second-stage housing."))
    sync(books["A"], ex)
    settle(books, ex)
    for name, book in books.items():
        with book._read() as s:
            assert s.scalar(select(func.count()).select_from(DischargePlan)) == 1, name
            assert quarantined(s) == [], name
        (item,) = [i for i in book.sync.conflicts() if i.kind == "twice"]
        assert item.what == "Two discharge plans"
        a, b = item.sides
        assert a.value.startswith("Completed programme, to community services, planned for 30/03/2026")
        assert b.value.startswith("Transfer to further residential treatment, planned for 06/04/2026")
        assert json.loads(b.content or "{}")["Recommendations"] == "Move on to second-stage housing."
    assert len({str(digest(b)) for b in books.values()}) == 1

    (item,) = [i for i in books["B"].sync.conflicts() if i.kind == "twice"]
    books["B"].sync.keep_record(item.id, "a")
    detail = last_audit(books["B"])[0][1]
    assert detail["kept"] == "a" and detail["fields"] == ["planned_date", "recommendations", "route"]
    assert books["B"].sync.status().pending_ops == 2  # A's values written again, and the decision
    settle(books, ex)
    for name, book in books.items():
        assert not [i for i in book.sync.conflicts() if i.kind == "twice"], name
        with book._read() as s:
            (p,) = s.scalars(select(DischargePlan)).all()
            assert p.route == "community", name
    assert len({str(digest(b)) for b in books.values()}) == 1


def test_three_laptops_starting_one_plan_converge_on_one_plan_and_three_versions(unit) -> None:  # type: ignore[no-untyped-def]
    books, ex, aid = unit
    for name in ("A", "B", "C"):
        c = full_content()
        c.goals[0].goal = f"Goal written on {name}"
        books[name].care_plans.save_draft(aid, c)
    sync(books["A"], ex)
    pull(books["C"], ex)  # C meets A's plan with its own unpushed, then B's arrives after it
    settle(books, ex)
    for name, book in books.items():
        (plan,) = _rows(book, CarePlan, CarePlan.admission_id, aid)
        versions = _rows(book, CarePlanVersion, CarePlanVersion.plan_id, plan.id)
        assert sorted(json.loads(v.content)["goals"][0]["goal"] for v in versions) == [
            "Goal written on A", "Goal written on B", "Goal written on C"], name
        assert [i.kind for i in book.sync.conflicts()] == ["fork"] * 3, name  # every pair of first versions
    assert len({str(digest(b)) for b in books.values()}) == 1
