"""Versions of a complete plan: every change is a new frozen version with its parent, author and
reason; the history lists them; the diff shows what changed between any two."""
from __future__ import annotations

import pytest

from keyworker.care_plans import Goal, GoalAction
from keyworker.casebook import Casebook
from keyworker.errors import ValidationError
from tests.unit.care_helpers import admit, assess_risk, full_content


def _complete_plan(book: Casebook):  # type: ignore[no-untyped-def]
    _, aid = admit(book)
    view = book.care_plans.save_draft(aid, full_content())
    assess_risk(book, aid)
    return book.care_plans.mark_complete(view.plan_id)


def test_drafts_stay_one_version_until_completion(worker_book: Casebook) -> None:
    _, aid = admit(worker_book)
    v1 = worker_book.care_plans.save_draft(aid, full_content(1))
    v2 = worker_book.care_plans.save_draft(aid, full_content(2))
    assert v1.version.id == v2.version.id and not v2.version.frozen
    assert len(v2.content.goals) == 2
    assert [v.number for v in worker_book.care_plans.versions(v2.plan_id)] == [1]


def test_each_change_after_completion_is_a_new_version(worker_book: Casebook, clock) -> None:
    plan = _complete_plan(worker_book)
    c = plan.content.copy()
    c.goals[0].status = "in_progress"
    clock.advance(days=3)
    v2 = worker_book.care_plans.revise(plan.plan_id, c, "Started 1:1 work")
    c = v2.content.copy()
    c.goals.append(Goal(domain="ete", goal="Start a college course in September",
                        actions=[GoalAction("Visit Preston College open day", "Resident", plan.admitted_on)]))
    v3 = worker_book.care_plans.revise(plan.plan_id, c, "New goal agreed")
    history = worker_book.care_plans.versions(plan.plan_id)
    assert [(h.number, h.reason) for h in history] == [(3, "New goal agreed"), (2, "Started 1:1 work"), (1, None)]
    assert all(h.frozen for h in history) and all(h.created_by_name == "Sam Worker" for h in history)
    assert history[0].parent_version_id == history[1].id and history[1].parent_version_id == history[2].id
    assert history[1].created_at > history[2].created_at
    # the old version is unchanged: an immutable snapshot
    _, old = worker_book.care_plans.version_content(plan.version.id)
    assert old.goals[0].status == "not_started" and len(old.goals) == 2
    assert v3.version.number == 3 and len(v3.content.goals) == 3


def test_revise_needs_a_reason_a_change_and_completeness(worker_book: Casebook) -> None:
    plan = _complete_plan(worker_book)
    c = plan.content.copy()
    c.set("follow_ups", "arrangements", "Video call")
    with pytest.raises(ValidationError) as e:
        worker_book.care_plans.revise(plan.plan_id, c, "  ")
    assert "reason" in e.value.fields
    with pytest.raises(ValidationError, match="Nothing"):
        worker_book.care_plans.revise(plan.plan_id, plan.content, "No change")
    c.set("confidentiality", "agreement", "")
    with pytest.raises(ValidationError) as e:
        worker_book.care_plans.revise(plan.plan_id, c, "Dropped a section")
    assert "confidentiality" in e.value.fields


def test_diff_between_any_two_versions(worker_book: Casebook) -> None:
    plan = _complete_plan(worker_book)
    c = plan.content.copy()
    c.goals[0].status = "achieved"
    c.goals[0].progress_notes = "Clean for six weeks"
    removed = c.goals.pop(1)
    c.set("follow_ups", "arrangements", "Video calls by the aftercare worker.")
    c.domains["housing"].interventions = "Housing options appointment booked"
    v2 = worker_book.care_plans.revise(plan.plan_id, c, "Mid-way review")
    changes = worker_book.care_plans.diff(plan.version.id, v2.version.id)
    assert [ch.key for ch in changes] == ["goals", "domains", "follow_ups"]
    goals = changes[0].changes
    assert goals[0].label == "Goal 1" and "Status: Not started" in goals[0].before
    assert "Status: Achieved" in goals[0].after and "Clean for six weeks" in goals[0].after
    assert goals[1].label == "Goal removed" and removed.goal in goals[1].before and goals[1].after == ""
    assert changes[1].changes[0].label == "Housing"
    assert changes[2].changes == (changes[2].changes[0],)
    assert changes[2].changes[0].after == "Video calls by the aftercare worker."
    # reversed: the same sections, before and after swapped
    back = worker_book.care_plans.diff(v2.version.id, plan.version.id)
    assert [ch.key for ch in back] == ["goals", "domains", "follow_ups"]
    assert back[2].changes[0].before == "Video calls by the aftercare worker."
    assert worker_book.care_plans.diff(v2.version.id, v2.version.id) == []


def test_diff_refuses_versions_of_different_plans(worker_book: Casebook) -> None:
    a = _complete_plan(worker_book)
    b = _complete_plan(worker_book)
    with pytest.raises(ValidationError):
        worker_book.care_plans.diff(a.version.id, b.version.id)


def test_a_gap_in_the_record_does_not_block_revising_a_complete_plan(worker_book: Casebook) -> None:
    from keyworker.db.caseload import Resident

    plan = _complete_plan(worker_book)
    with worker_book._write() as s:
        s.get(Resident, plan.resident_id).ethnicity = None
    c = plan.content.copy()
    c.goals[0].status = "in_progress"
    v2 = worker_book.care_plans.revise(plan.plan_id, c, "Progress")
    assert v2.version.number == 2 and v2.content.value("demographics", "ethnicity") == ""
