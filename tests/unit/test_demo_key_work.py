"""The demo's key work: sessions of every type over each stay with some not attended or cancelled
(each with a reason), one-to-ones linked to the plan's goals, weekly groups with a register of
residents staying that day, pre-admission assessments for admitted and open referrals, and the
recent ones in the audit trail by whoever recorded them; Today has follow-ups to show."""
from __future__ import annotations

import json

from sqlalchemy import select

from keyworker.casebook import Casebook
from keyworker.db.caseload import Admission, Referral
from keyworker.db.foundation import AuditEntry
from keyworker.db.key_work import GroupAttendance, GroupSession, KeyWorkSession, PreAdmissionAssessment
from keyworker.demo import populate
from keyworker.key_work_input import SESSION_TYPES


def test_demo_sessions_groups_and_pre_admission_assessments(manager_book: Casebook) -> None:
    populate(manager_book, 120, seed=5)
    today = manager_book.clock.now().date()
    with manager_book._read() as s:
        sessions = s.scalars(select(KeyWorkSession)).all()
        groups = s.scalars(select(GroupSession)).all()
        register = s.scalars(select(GroupAttendance)).all()
        assessed = set(s.scalars(select(PreAdmissionAssessment.referral_id)))
        admitted = set(s.scalars(select(Admission.referral_id).where(Admission.referral_id.is_not(None))))
        open_refs = set(s.scalars(select(Referral.id).where(Referral.status == "open")))
        stays = {a.id: a for a in s.scalars(select(Admission))}
        logged = set(s.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "key_work.record")))
    assert {x.kind for x in sessions} | {g.kind for g in groups} == {o.code for o in SESSION_TYPES}
    assert {x.outcome for x in sessions} == {"attended", "did_not_attend", "cancelled"}
    assert all(x.outcome_reason for x in sessions if x.outcome != "attended")
    assert any(json.loads(x.goals) for x in sessions if x.kind == "one_to_one")
    for x in sessions:
        a = stays[x.admission_id]
        assert a.admitted_on <= x.held_on <= (a.discharged_on or today)
    assert groups and register and {r.attendance for r in register} == {"attended", "did_not_attend", "excused"}
    assert admitted <= assessed and assessed & open_refs
    assert logged and logged <= {x.id for x in sessions}
    assert manager_book.key_work.follow_ups_due("unit")
