"""Synthetic review histories for the demo unit: a review every 10-14 days from admission with
goal progress and plan changes (a new plan version), the referrer invited to mid-way and
pre-discharge meetings (not always: most of those meetings were put right afterwards, some are
still flagged), family sometimes, and a share of current residents whose review is overdue. The
last review before the planned end sets the next date no later than that end (the discharge
meeting). Called for each plan by keyworker/demo/care_plans.py."""
from __future__ import annotations

import json
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from keyworker import review_schedule as rs
from keyworker.clock import format_date
from keyworker.demo.rows import plan_json
from keyworker.ids import new_id

if TYPE_CHECKING:
    from keyworker.demo.care_plans import PlanGenerator

VIEWS = ["Feeling more settled and wants more one-to-one time.", "Finding groups hard but says they help.",
         "Happy with progress; worried about going home.", "Says the cravings are easing.",
         "Wants to focus on seeing the children.", "Frustrated about housing; otherwise positive.",
         "Chose not to comment this time.", "Proud of the weeks clean; wants to start college."]
NOTES = ["Going well.", "Some setbacks this fortnight.", "Attending every session.", "Needs more support.", ""]
FAMILY = ["Mother", "Sister", "Partner", "Father", "Brother"]


def review_history(self: PlanGenerator, r: Any, plan: dict[str, Any], content: dict[str, Any], version_id: str, *,
                   frozen: bool) -> None:
    rng = self.rng
    admitted: date = r["admitted_on"]
    end: date = r["discharged_on"] or self.today
    weeks: int = r["planned_weeks"]
    worker = r["key_worker_id"]
    # Some current residents have fallen behind: their next review is overdue.
    behind = r["discharged_on"] is None and rng.random() < 0.15
    number, held_kinds = 1, set()
    # Full version histories where someone is likely to look (current and recent stays); older
    # stays keep their first version, which keeps a 20,000-resident demo database small.
    max_versions = 5 if end >= self.today - timedelta(days=180) else 1
    resident_json = json.dumps({"name": f"{r['given_name']} {r['family_name']}", "role": "resident",
                                "remote": False}, ensure_ascii=False)
    worker_json = json.dumps({"name": self.names.get(worker, "Key worker"), "role": "key_worker",
                              "remote": False}, ensure_ascii=False)
    held = admitted + timedelta(days=rng.randint(10, 14))
    while held <= end and held < self.today:
        if behind and held + timedelta(days=rs.REVIEW_INTERVAL_DAYS) >= self.today:
            break  # this review never happened: the resident is now overdue
        kind = rs.suggested_kind(held, admitted, weeks, midway_held=rs.MIDWAY in held_kinds,
                                 pre_discharge_held=rs.PRE_DISCHARGE in held_kinds)
        held_kinds.add(kind)
        gap = 14 if rng.random() < 0.9 else rng.randint(7, 13)
        next_on = held + timedelta(days=gap)
        reason = None
        if rng.random() < 0.03:
            next_on, reason = held + timedelta(days=21), "Resident on planned home leave; agreed with referrer."
        planned_end = rs.planned_end(admitted, weeks)
        if held < planned_end < next_on:
            next_on, reason = planned_end, None  # the discharge meeting, on the planned end
        review_id = new_id()
        progress: list[str] = []
        changed = False
        for g in content["goals"] if frozen else ():
            before = g["status"]
            if before == "not_started" and rng.random() < 0.6:
                g["status"] = "in_progress"
            elif before == "in_progress" and rng.random() < 0.2:
                g["status"] = "achieved"
            changed |= g["status"] != before
            # Hand-built JSON: ids, statuses and notes are our own plain strings (no escaping needed).
            progress.append(f'{{"goal_id":"{g["id"]}","status":"{g["status"]}","note":"{rng.choice(NOTES)}"}}')
        plan_version_id = None
        if changed and number < max_versions and rng.random() < 0.5:
            number += 1
            for g in content["goals"]:
                if g["status"] == "achieved" and not g["progress_notes"]:
                    g["progress_notes"] = f"Achieved by the review of {format_date(held)}."
            plan_version_id = new_id()
            self.versions.append(self.tracked(plan_version_id, self.at(held, 15), worker, {
                "plan_id": plan["id"], "number": number, "parent_version_id": version_id,
                "frozen": True, "content": plan_json(content),
                "reason": f"Changed at the review of {format_date(held)}", "review_id": review_id}))
            version_id = plan_version_id
            plan["current_version_id"] = version_id
            self.history.record(self.versions[-1]["created_at"], worker, "care_plan.revise", "care_plan",
                                plan["id"], r["resident_id"], version=number, sections=["goals"],
                                review_id=review_id)
        invitations = []
        referrer = r["referrer_name"]
        if referrer and (kind in rs.REFERRER_KINDS and rng.random() < 0.9 or rng.random() < 0.3):
            invitations.append({"name": referrer, "role": "referrer", "method": "email",
                                "invited_on": (held - timedelta(days=14)).isoformat(), "notice_days": 14})
        family = None
        if rng.random() < 0.35:
            family = f"{rng.choice(FAMILY)} of {r['given_name']}"
            notice = rng.choice((3, 7, 10, 14))
            invitations.append({"name": family, "role": "family", "method": rng.choice(["phone", "letter"]),
                                "invited_on": (held - timedelta(days=notice)).isoformat(), "notice_days": notice})
        # A meeting without the referrer invited is flagged; most were put right within days.
        missing = kind in rs.REFERRER_KINDS and not any(i["role"] == "referrer" for i in invitations)
        followup = None
        told = held + timedelta(days=rng.randint(1, 3))
        if missing and told < self.today and rng.random() < 0.7:
            followup = json.dumps({"action": "informed", "on": told.isoformat(), "method": "email",
                                   "note": "Sent the review notes and the next date.", "by": worker,
                                   "at": self.at(told, 11).isoformat()})
        attendees = [resident_json, worker_json]
        for inv in invitations:
            if rng.random() < 0.6:
                attendees.append(json.dumps({"name": inv["name"], "role": inv["role"],
                                             "remote": rng.random() < 0.5}, ensure_ascii=False))
        self.reviews.append(self.tracked(review_id, self.at(held, 14), worker, {
            "resident_id": r["resident_id"], "admission_id": r["id"], "held_on": held,
            "next_review_on": next_on, "next_review_reason": reason, "kind": kind,
            "attendees": "[" + ",".join(attendees) + "]",
            "invitations": json.dumps(invitations, ensure_ascii=False) if invitations else "[]",
            "goal_progress": "[" + ",".join(progress) + "]", "resident_view": rng.choice(VIEWS),
            "summary": None, "plan_version_id": plan_version_id, "supersedes_id": None,
            "superseded_by_id": None, "correction_reason": None, "referrer_missing": missing,
            "referrer_followup": followup}))
        # As the reviews service audits it, by the key worker on the day of the meeting.
        self.history.record(self.reviews[-1]["created_at"], worker, "review.record", "review", review_id,
                            r["resident_id"], kind=kind, held_on=held.isoformat(), goals_updated=len(progress),
                            plan_version=number if plan_version_id else None)
        # Reviews happen on time or a little early, occasionally a few days late.
        held = next_on - timedelta(days=rng.choice((0, 0, 0, 1, 2))) if rng.random() < 0.93 \
            else next_on + timedelta(days=rng.randint(1, 4))
