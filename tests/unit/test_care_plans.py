"""Care plans: drafting, the completeness check per section, completion, agreement, permissions
and audit (section keys only, never plan text)."""
from __future__ import annotations

import json
from datetime import date

import pytest

from keyworker.care_plans import DomainPlan, Goal, GoalAction, PlanContent
from keyworker.casebook import Casebook
from keyworker.db.foundation import AuditEntry
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.plan_sections import SECTIONS
from tests.unit.care_helpers import admit, assess_risk, full_content


def _audit(book: Casebook, prefix: str) -> list[AuditEntry]:
    from sqlalchemy import select

    with book._read() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action.like(prefix + "%")).order_by(AuditEntry.seq)))


def test_a_new_admission_has_no_plan_and_every_typed_section_missing(worker_book: Casebook) -> None:
    rid, aid = admit(worker_book)
    view = worker_book.care_plans.get(rid)
    assert view.plan_id is None and view.status == "not_started"
    assert view.admission_id == aid
    missing = {m.key for m in view.missing}
    # key worker and demographics come from the record, everything typed is missing
    assert missing == {"goals", "risk_contingency", "confidentiality", "domains", "mutual_aid_relapse",
                       "follow_ups", "induction_conduct"}
    assert view.content.value("key_worker", "name") == "Sam Worker"


def test_mark_complete_is_refused_listing_what_is_missing(worker_book: Casebook) -> None:
    _, aid = admit(worker_book)
    assess_risk(worker_book, aid)
    c = full_content()
    c.set("follow_ups", "arrangements", "")
    del c.domains["money"]
    c.goals[0].actions = [GoalAction("Weekly 1:1", "", None)]
    view = worker_book.care_plans.save_draft(aid, c)
    with pytest.raises(ValidationError) as e:
        worker_book.care_plans.mark_complete(view.plan_id)
    assert set(e.value.fields) == {"follow_ups", "domains", "goals"}
    assert "Money and debt" in e.value.fields["domains"]
    assert "goal 1 needs an action with who and by when" in e.value.fields["goals"]
    assert "Arrangements for the 3- and 6-month follow-ups" in str(e.value)
    assert worker_book.care_plans.get(admission_id=aid).status == "draft"


@pytest.mark.parametrize("section", [s.key for s in SECTIONS if s.kind in ("fields", "goals", "domains")])
def test_completeness_per_section(worker_book: Casebook, section: str) -> None:
    _, aid = admit(worker_book)
    if section != "risk_contingency":  # an assessment fills the risk section's empty answers
        assess_risk(worker_book, aid)
    c = full_content()
    if section == "goals":
        c.goals = []
    elif section == "domains":
        c.domains["housing"] = DomainPlan(needs="Homeless on discharge")  # a need without interventions
    else:
        c.sections[section] = {}
    worker_book.care_plans.save_draft(aid, c)
    assert [m.key for m in worker_book.care_plans.missing_sections(aid)] == [section]


def test_demographics_must_be_recorded_prefer_not_to_say_counts(worker_book: Casebook) -> None:
    _, aid = admit(worker_book, ethnicity=None)
    assess_risk(worker_book, aid)
    worker_book.care_plans.save_draft(aid, full_content())
    missing = worker_book.care_plans.missing_sections(aid)
    assert [m.key for m in missing] == ["demographics"] and "Ethnicity" in missing[0].message
    _, aid2 = admit(worker_book, ethnicity="Prefer not to say", given="Lee")
    assess_risk(worker_book, aid2)
    worker_book.care_plans.save_draft(aid2, full_content())
    assert worker_book.care_plans.missing_sections(aid2) == []


def test_complete_plan_on_admission_day_is_not_flagged(worker_book: Casebook, clock) -> None:
    _, aid = admit(worker_book, admitted_on=date(2026, 1, 5))
    view = worker_book.care_plans.save_draft(aid, full_content())
    assess_risk(worker_book, aid)
    done = worker_book.care_plans.mark_complete(view.plan_id)
    assert done.status == "complete" and done.complete and not done.overdue
    assert done.version.number == 1 and done.version.frozen
    assert done.content.value("key_worker", "name") == "Sam Worker"
    with worker_book._read() as s:
        assert worker_book.care_plans.counts(s) == {"care_plans_incomplete": 0}


def test_incomplete_plan_is_flagged_after_the_admission_day(worker_book: Casebook, clock) -> None:
    _, aid = admit(worker_book, admitted_on=date(2026, 1, 5))
    worker_book.care_plans.save_draft(aid, full_content())
    admit(worker_book, admitted_on=date(2026, 1, 5), given="Sol")  # no plan at all
    with worker_book._read() as s:
        assert worker_book.care_plans.counts(s) == {"care_plans_incomplete": 0}  # still the admission day
    assert [p.overdue for p in worker_book.care_plans.incomplete("mine")] == [False, False]
    clock.set(clock.now().replace(day=6))
    with worker_book._read() as s:
        assert worker_book.care_plans.counts(s) == {"care_plans_incomplete": 2}
    plans = worker_book.care_plans.incomplete("mine")
    assert sorted(p.status for p in plans) == ["draft", "not_started"] and all(p.overdue for p in plans)
    assert worker_book.care_plans.get(admission_id=aid).overdue


def test_bad_vocabulary_is_refused_even_in_a_draft(worker_book: Casebook) -> None:
    _, aid = admit(worker_book)
    c = PlanContent(goals=[Goal(domain="astrology", goal="x")])
    with pytest.raises(ValidationError) as e:
        worker_book.care_plans.save_draft(aid, c)
    assert "goals.1.domain" in e.value.fields


def test_save_draft_after_completion_is_refused(worker_book: Casebook) -> None:
    _, aid = admit(worker_book)
    plan = worker_book.care_plans.save_draft(aid, full_content())
    assess_risk(worker_book, aid)
    worker_book.care_plans.mark_complete(plan.plan_id)
    with pytest.raises(ValidationError, match="new version"):
        worker_book.care_plans.save_draft(aid, full_content())


def test_agreement_signed_verbal_or_declined_with_reason(worker_book: Casebook) -> None:
    _, aid = admit(worker_book)
    plan = worker_book.care_plans.save_draft(aid, full_content())
    with pytest.raises(ValidationError):  # a draft cannot be agreed
        worker_book.care_plans.record_agreement(plan.plan_id, date(2026, 1, 5), "verbal")
    assess_risk(worker_book, aid)
    worker_book.care_plans.mark_complete(plan.plan_id)
    with pytest.raises(ValidationError) as e:
        worker_book.care_plans.record_agreement(plan.plan_id, date(2026, 1, 5), "declined")
    assert "note" in e.value.fields
    with pytest.raises(ValidationError) as e:
        worker_book.care_plans.record_agreement(plan.plan_id, date(2026, 1, 6), "verbal")
    assert "agreed_on" in e.value.fields
    view = worker_book.care_plans.record_agreement(plan.plan_id, date(2026, 1, 5), "declined",
                                                   "Wants to read it with her sister first")
    assert view.agreement.method_label == "Declined to sign" and view.agreement.version_number == 1
    view = worker_book.care_plans.record_agreement(plan.plan_id, date(2026, 1, 5), "signed_paper")
    assert view.agreement.method == "signed_paper" and view.agreement.note is None


def test_out_of_hours_can_read_but_not_edit_a_plan(book_factory) -> None:
    worker = book_factory("worker")
    _, aid = admit(worker)
    plan = worker.care_plans.save_draft(aid, full_content())
    nights = book_factory("nights")
    assert nights.care_plans.get(admission_id=aid).plan_id == plan.plan_id
    with pytest.raises(PermissionDenied):
        nights.care_plans.save_draft(aid, full_content())
    with pytest.raises(PermissionDenied):
        nights.care_plans.mark_complete(plan.plan_id)
    assess_risk(worker, aid)
    worker.care_plans.mark_complete(plan.plan_id)
    with pytest.raises(PermissionDenied):
        nights.care_plans.revise(plan.plan_id, full_content(3), "More goals")
    with pytest.raises(PermissionDenied):
        nights.care_plans.record_agreement(plan.plan_id, date(2026, 1, 5), "verbal")


def test_admin_cannot_edit_plans(admin_book: Casebook) -> None:
    _, aid = admit(admin_book)
    with pytest.raises(PermissionDenied):
        admin_book.care_plans.save_draft(aid, full_content())


def test_views_and_changes_are_audited_with_section_keys_only(worker_book: Casebook) -> None:
    rid, aid = admit(worker_book)
    c = full_content()
    plan = worker_book.care_plans.save_draft(aid, c)
    worker_book.care_plans.get(rid)
    assess_risk(worker_book, aid)
    worker_book.care_plans.mark_complete(plan.plan_id)
    c2 = full_content()
    c2.goals = [Goal(id=g.id, domain=g.domain, goal=g.goal, actions=g.actions, status="in_progress")
                for g in plan.content.goals]
    c2.set("follow_ups", "arrangements", "Video calls instead.")
    worker_book.care_plans.revise(plan.plan_id, c2, "Resident prefers video")
    entries = _audit(worker_book, "care_plan.")
    assert [e.action for e in entries] == ["care_plan.create", "care_plan.view", "care_plan.complete",
                                           "care_plan.revise"]
    assert all(e.resident_id == rid for e in entries)
    revise = json.loads(entries[-1].detail)
    assert revise == {"version": 2, "sections": ["goals", "follow_ups"]}
    everything = " ".join(e.detail for e in entries)
    for text in ("heroin", "Video calls", "video", "daughter", "Naloxone"):
        assert text not in everything
    assert worker_book.audit.verify().ok
