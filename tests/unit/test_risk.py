"""Risk assessments (issue 10), on real encrypted units: the suggested overall level and the reason
to lower it, review dates, versions with who/when/why and a diff in words, prompts after an
incident, what is overdue, who may record and who may only read, the caseload's level and flag,
and the care plan that cannot be completed without a current contingency plan."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from keyworker import audit_words
from keyworker.casebook import Casebook
from keyworker.caseload_query import CaseloadFilter
from keyworker.clock import FixedClock
from keyworker.db.foundation import AuditEntry
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.risk import Contingency, DomainRating, RiskAction, RiskInput, example_input
from keyworker.risk_domains import DOMAINS
from tests.unit.care_helpers import admit, full_content

TODAY = date(2026, 1, 5)  # the clock fixture's day


def rated(overrides: dict[str, str], overall: str, **kw) -> RiskInput:  # type: ignore[no-untyped-def]
    """Every domain low except `overrides`, with evidence, and the overall level given."""
    base = example_input(TODAY)
    domains = [DomainRating(d.key, overrides.get(d.key, "low"), f"Evidence for {d.label.lower()}.") for d in DOMAINS]
    return dataclasses.replace(base, domains=domains, overall_level=overall, **kw)


def actions(book: Casebook, prefix: str) -> list[str]:
    with book._read() as s:
        return [a for a in s.scalars(select(AuditEntry.action).where(AuditEntry.action.like(prefix + "%"))
                                     .order_by(AuditEntry.seq))]


# -- the overall level ---------------------------------------------------------------------------------
def test_the_suggested_level_is_the_highest_domain_rating_and_a_lower_one_needs_a_reason(worker_book) -> None:  # type: ignore[no-untyped-def]
    _, aid = admit(worker_book)
    data = rated({"mental_health": "high", "self_harm": "medium"}, "medium")
    with pytest.raises(ValidationError) as e:
        worker_book.risk.record(aid, data)
    assert set(e.value.fields) == {"overall_reason"}
    assert "lower than the highest rating (High)" in str(e.value) and "overall_reason" not in str(e.value)
    assert worker_book.risk.current(aid) is None  # nothing saved

    view = worker_book.risk.record(aid, dataclasses.replace(
        data, overall_reason="Symptoms well managed by the crisis team; medium reflects the plan."))
    assert (view.suggested_level, view.overall_level, view.overall_label) == ("high", "medium", "Medium")
    assert "Rated high: Mental health." in view.summary and "Symptoms well managed" in view.summary


def test_a_higher_overall_level_needs_no_reason(worker_book) -> None:  # type: ignore[no-untyped-def]
    _, aid = admit(worker_book)
    view = worker_book.risk.record(aid, rated({"overdose_relapse": "medium"}, "high"))
    assert (view.suggested_level, view.overall_level) == ("medium", "high")


def test_every_domain_must_be_rated_with_evidence(worker_book) -> None:  # type: ignore[no-untyped-def]
    _, aid = admit(worker_book)
    data = rated({}, "low")
    data.domains = [d for d in data.domains if d.key != "domestic_abuse"]
    data.domains[0] = DomainRating("overdose_relapse", "low", "  ")
    with pytest.raises(ValidationError) as e:
        worker_book.risk.record(aid, data)
    assert "Not yet rated: Domestic abuse" in str(e.value)
    assert "Overdose and relapse evidence: this is required." in str(e.value)


# -- review dates ----------------------------------------------------------------------------------------
def test_review_date_is_four_weeks_one_week_when_high_and_later_only_with_a_reason(worker_book) -> None:  # type: ignore[no-untyped-def]
    _, aid = admit(worker_book)
    _, aid2 = admit(worker_book, given="Lee")
    assert worker_book.risk.record(aid, rated({}, "low")).review_on == date(2026, 2, 2)
    high = rated({"harm_to_others": "high"}, "high")
    with pytest.raises(ValidationError) as e:
        worker_book.risk.record(aid2, dataclasses.replace(high, review_on=date(2026, 1, 19)))
    assert set(e.value.fields) == {"review_reason"} and "12/01/2026 (1 week)" in str(e.value)
    with pytest.raises(ValidationError, match="cannot be in the past"):
        worker_book.risk.record(aid2, dataclasses.replace(high, review_on=date(2026, 1, 4)))
    assert worker_book.risk.record(aid2, high).review_on == date(2026, 1, 12)
    later = worker_book.risk.revise(aid2, dataclasses.replace(
        high, review_on=date(2026, 1, 19), review_reason="Psychiatrist reviews him on 18/01."), "Date moved")
    assert later.review_on == date(2026, 1, 19) and later.review_reason.startswith("Psychiatrist")


# -- versions ----------------------------------------------------------------------------------------------
def test_each_save_is_a_version_with_who_when_why_and_a_diff_in_words(book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    worker, manager = book_factory("worker"), book_factory("manager")
    _, aid = admit(worker)
    first = worker.risk.record(aid, rated({}, "low"))
    with pytest.raises(ValidationError, match="already has a risk assessment"):
        worker.risk.record(aid, rated({}, "low"))
    clock.advance(days=3)
    changed = rated({"overdose_relapse": "high"}, "high")
    changed.actions = [RiskAction("Naloxone kit checked before every leave", "Key worker", date(2026, 1, 15))]
    with pytest.raises(ValidationError, match="Say why"):
        manager.risk.revise(aid, changed, "  ")
    second = manager.risk.revise(aid, changed, "Used on home leave: tolerance is low after detox.")
    with pytest.raises(ValidationError, match="Nothing in the risk assessment has changed"):
        manager.risk.revise(aid, changed, "Again")

    history = worker.risk.history(aid)
    assert [(h.number, h.saved_by, h.overall_label) for h in history] == [
        (2, "Morgan Manager", "High"), (1, "Sam Worker", "Low")]
    assert history[0].reason == "Used on home leave: tolerance is low after detox." and history[1].reason is None
    assert history[0].saved_at - history[1].saved_at == timedelta(days=3)
    diff = worker.risk.diff(first.version_id, second.version_id)
    assert "Overdose and relapse: Low → High." in diff
    assert "Overall level: Low → High." in diff
    assert "Review date: 02/02/2026 → 15/01/2026." in diff
    assert "Action added: Naloxone kit checked before every leave (Key worker, by 15/01/2026)." in diff
    assert "Action removed: Daily check-in with key worker (Key worker, by 12/01/2026)." in diff
    old = worker.risk.version(first.version_id)
    assert old.number == 1 and not old.is_current and old.overall_level == "low"
    assert worker.risk.current(aid).version_id == second.version_id  # type: ignore[union-attr]


# -- reads, writes and their audit entries -----------------------------------------------------------------
def test_key_workers_and_seniors_record_nights_only_read_and_the_administrator_neither(book_factory) -> None:  # type: ignore[no-untyped-def]
    worker, nights, admin = book_factory("worker"), book_factory("nights"), book_factory("admin")
    _, aid = admit(worker)
    with pytest.raises(PermissionDenied):
        nights.risk.record(aid, rated({}, "low"))
    worker.risk.record(aid, rated({}, "low"))
    with pytest.raises(PermissionDenied):
        nights.risk.revise(aid, rated({"self_harm": "high"}, "high"), "Night shift worry")
    seen = nights.risk.current(aid)
    assert seen is not None and seen.contingency.who_to_tell == "Referrer, CTP and probation."
    assert nights.risk.history(aid) and nights.risk.overdue("mine") == []
    with pytest.raises(PermissionDenied):
        admin.risk.current(aid)


def test_every_read_and_change_is_audited_in_words(worker_book) -> None:  # type: ignore[no-untyped-def]
    _, aid = admit(worker_book)
    worker_book.risk.current(aid)
    v1 = worker_book.risk.record(aid, rated({}, "low"))
    v2 = worker_book.risk.revise(aid, rated({"domestic_abuse": "medium"}, "medium"), "Disclosed at key work")
    worker_book.risk.history(aid)
    worker_book.risk.diff(v1.version_id, v2.version_id)
    worker_book.risk.needs_review(aid)
    done = actions(worker_book, "risk.")
    assert done == ["risk.view", "risk.record", "risk.revise", "risk.history", "risk.diff", "risk.view"]
    with worker_book._read() as s:
        revise = s.scalars(select(AuditEntry).where(AuditEntry.action == "risk.revise")).one()
        detail = json.loads(revise.detail) if isinstance(revise.detail, str) else revise.detail
    assert "Disclosed" not in json.dumps(detail)  # names of parts only, never their content
    assert audit_words.sentence("risk.revise", detail, "Sam Worker") == (
        "Risk assessment version 2 made by Sam Worker (Changed: Domestic abuse, overall level).")
    for action in set(done):
        assert ":" not in audit_words.describe(action, {}).what  # not the fallback "Risk: view"


# -- prompts and what is overdue ----------------------------------------------------------------------------
def test_an_incident_asks_for_a_new_assessment_until_the_next_version_is_saved(worker_book, clock) -> None:  # type: ignore[no-untyped-def]
    _, aid = admit(worker_book)
    assert [p.reason for p in worker_book.risk.needs_review(aid)] == ["not_assessed"]
    worker_book.risk.record(aid, rated({}, "low"))
    assert worker_book.risk.needs_review(aid) == []
    clock.advance(days=2)
    with worker_book._write() as s:  # as the incidents area will, inside its own transaction
        worker_book.risk.prompt(s, aid, "incident", source_id="0196a000-0000-7000-8000-00000000e001")
    prompts = worker_book.risk.needs_review(aid)
    assert [(p.reason, p.text) for p in prompts] == [
        ("incident", "An incident was logged on 07/01/2026: review the risk assessment.")]
    due = worker_book.risk.overdue("mine")
    assert [(d.name, d.why) for d in due] == [
        ("Dana Whitfield", "An incident was logged on 07/01/2026: review the risk assessment")]
    worker_book.risk.revise(aid, rated({"harm_to_others": "high"}, "high"), "After the incident")
    assert [p.reason for p in worker_book.risk.needs_review(aid)] == ["high"]  # high: weekly, not the incident
    assert worker_book.risk.overdue("mine") == []
    with pytest.raises(ValidationError), worker_book._write() as s:
        worker_book.risk.prompt(s, aid, "gossip")


def test_overdue_reviews_are_listed_for_today_and_counted_for_check(book_factory, clock) -> None:  # type: ignore[no-untyped-def]
    worker, worker2 = book_factory("worker"), book_factory("worker2")
    _, aid = admit(worker)
    _, aid2 = admit(worker, given="Lee", key_worker="worker2")
    worker.risk.record(aid, rated({}, "low"))  # due 02/02
    worker2.risk.record(aid2, rated({"self_harm": "high"}, "high"))  # due 12/01
    clock.advance(days=10)  # 15/01
    assert [d.name for d in worker2.risk.overdue("mine")] == ["Lee Whitfield"]
    assert worker.risk.overdue("mine") == []
    unit = worker.risk.overdue("unit")
    assert [(d.name, d.overall_label, d.overdue_days, d.why) for d in unit] == [
        ("Lee Whitfield", "High", 3, "Risk review was due on 12/01/2026")]
    assert worker.check(integrity=False)["risk_reviews_overdue"] == 1
    assert worker.risk.current(aid2).overdue  # type: ignore[union-attr]


def test_check_json_reports_risk_reviews_overdue(tmp_path: Path, db_path: Path) -> None:
    main = Path(__file__).resolve().parents[2] / "main.py"
    from tests.unit.test_cli import run

    res = run(tmp_path, "check", "--json", "--db", str(db_path))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["risk_reviews_overdue"] == 0
    words = subprocess.run([sys.executable, "-c", "from keyworker.cli.check_text import words; "
                            "print(words('risk_reviews_overdue'))"], capture_output=True, text=True, check=True)
    assert words.stdout.strip() == "Risk reviews overdue" and main.exists()


# -- the caseload --------------------------------------------------------------------------------------------
def test_the_caseload_shows_the_overall_level_and_a_risk_review_overdue_flag_in_words(worker_book, clock) -> None:  # type: ignore[no-untyped-def]
    ann, a1 = admit(worker_book, given="Ann", family="Adams")
    bob, a2 = admit(worker_book, given="Bob", family="Baker")
    cat, _a3 = admit(worker_book, given="Cat", family="Clarke")
    row = {r.resident_id: r for r in worker_book.caseload.rows([ann, bob, cat])}
    assert row[ann].risk_level == "Not assessed" and not row[ann].risk_overdue
    worker_book.risk.record(a1, rated({}, "low"))
    worker_book.risk.record(a2, rated({"mental_health": "high"}, "high"))
    clock.advance(days=8)
    row = {r.resident_id: r for r in worker_book.caseload.rows([ann, bob, cat])}
    assert (row[ann].risk_level, row[bob].risk_level, row[cat].risk_level) == ("Low", "High", "Not assessed")
    assert row[bob].risk_overdue and not row[ann].risk_overdue
    assert "Risk review overdue" in row[bob].flags_text and row[bob].overdue
    assert "due on 12/01/2026, 1 day ago" in next(f.detail for f in row[bob].flags if f.code == "risk_review_overdue")
    ids = worker_book.caseload.ids(CaseloadFilter(sort_key="risk"))
    assert ids == [bob, ann, cat]  # highest first, not assessed last
    assert worker_book.caseload.ids(CaseloadFilter(sort_key="risk", descending=True)) == [cat, ann, bob]


# -- the care plan ----------------------------------------------------------------------------------------------
def test_a_care_plan_cannot_be_completed_without_a_current_assessment_with_a_contingency_plan(worker_book) -> None:  # type: ignore[no-untyped-def]
    _, aid = admit(worker_book)
    draft = worker_book.care_plans.save_draft(aid, full_content())
    with pytest.raises(ValidationError) as e:
        worker_book.care_plans.mark_complete(draft.plan_id)
    assert set(e.value.fields) == {"risk_contingency"}
    assert "no current risk assessment (record one on the Risk tab)" in str(e.value)

    partial = rated({}, "low", contingency=Contingency("Naloxone kit given.", "Consents to referral back."))
    worker_book.risk.record(aid, partial)
    with pytest.raises(ValidationError) as e:
        worker_book.care_plans.mark_complete(draft.plan_id)
    assert "contingency plan is not complete: where the resident would likely go, who must be told" in str(e.value)
    assert [m.key for m in worker_book.care_plans.missing_sections(aid)] == ["risk_contingency"]

    worker_book.risk.revise(aid, rated({}, "low", contingency=Contingency(
        "Naloxone kit given.", "Consents to referral back.", "Sister's flat in Blackpool", "Probation and the CTP")),
        "Contingency plan agreed")
    done = worker_book.care_plans.mark_complete(draft.plan_id)
    section = done.content.sections["risk_contingency"]
    assert section["risk_summary"].startswith("Overall risk: Low (assessed 05/01/2026, version 2).")
    assert "Where the resident would likely go: Sister's flat in Blackpool" in section["contingency"]
    assert "Who must be told: Probation and the CTP" in section["contingency"]
    assert done.content.risk_assessment_id == worker_book.risk.current(aid).assessment_id  # type: ignore[union-attr]
