"""The demo's incidents and safeguarding: incidents across the types, some at night logged by the
night worker, checklists at every level with a MARAC referral for the high ones, safeguarding
referrals linked to what raised them, and each one in the audit trail by the person who made it."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from keyworker.casebook import Casebook
from keyworker.clock import LONDON
from keyworker.db.foundation import Account, AuditEntry
from keyworker.db.incidents import DaChecklist, Incident, SafeguardingReferral
from keyworker.demo import populate
from keyworker.incidents import INCIDENT_TYPES


def test_demo_incidents_checklists_and_referrals(manager_book: Casebook) -> None:
    populate(manager_book, 300, seed=3)
    with manager_book._read() as s:
        incidents = s.scalars(select(Incident)).all()
        checklists = s.scalars(select(DaChecklist)).all()
        referrals = s.scalars(select(SafeguardingReferral)).all()
        roles = dict(s.execute(select(Account.id, Account.role)).tuples().all())
        logged = dict(s.execute(select(AuditEntry.entity_id, AuditEntry.actor_id)
                                .where(AuditEntry.action.in_(("incident.record", "da_checklist.record",
                                                              "safeguarding.referral")))).tuples().all())
        domestic = s.execute(select(Incident.resident_id, func.count()).where(Incident.domestic_abuse.is_(True))
                             .group_by(Incident.resident_id)).tuples().all()
    assert {x.kind for x in incidents} == {o.code for o in INCIDENT_TYPES}
    assert all(x.occurred_at <= manager_book.clock.now() for x in incidents)
    night = [x for x in incidents if x.occurred_at.astimezone(LONDON).hour >= 21]
    assert night and any(roles[x.created_by] == "out_of_hours" for x in night)
    assert all(roles[x.created_by] != "out_of_hours" for x in incidents if x not in night)
    assert {c.level for c in checklists} == {"standard", "medium", "high"}
    high = [c for c in checklists if c.yes_count >= 14]
    assert high and all(c.level == "high" and c.visible_level == "high" for c in high)
    assert any(c.level == "high" and c.visible_level == "medium" and c.judgement_reason for c in checklists)
    assert all(sum(v == "yes" for v in json.loads(c.answers).values()) == c.yes_count for c in checklists)
    marac = {r.checklist_id for r in referrals if r.kind == "marac"}
    assert marac and marac <= {c.id for c in checklists if c.level == "high"}
    assert {r.kind for r in referrals} == {"children", "marac"}
    assert all(r.incident_id for r in referrals if r.kind == "children") and any(r.outcome for r in referrals)
    assert any(n >= 3 for _rid, n in domestic)  # potential escalation
    # Every record is in the History, by whoever made it.
    for row in [*incidents, *checklists, *referrals]:
        assert logged[row.id] == row.created_by
