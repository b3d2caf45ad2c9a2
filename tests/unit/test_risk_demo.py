"""The demo unit's risk assessments: every level, some reviews overdue, made by the key worker at
admission and revised over the placement with their history entries, readable through the service,
and every complete care plan linked to an assessment with a contingency plan."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from keyworker.care_plans import PlanContent
from keyworker.casebook import Casebook
from keyworker.db.care_plans import CarePlan, CarePlanVersion
from keyworker.db.caseload import Admission
from keyworker.db.foundation import AuditEntry
from keyworker.db.risk import RiskAssessment, RiskAssessmentVersion
from keyworker.demo import populate


def test_demo_residents_have_assessments_across_levels_some_overdue_with_their_history(manager_book: Casebook) -> None:
    populate(manager_book, 80, seed=4)
    book = manager_book
    with book._read() as s:
        current = s.execute(select(Admission.id, Admission.key_worker_id)
                            .where(Admission.discharged_on.is_(None))).all()
        assessed = {a.admission_id: a for a in s.scalars(select(RiskAssessment))}
        n_versions = s.scalar(select(func.count()).select_from(RiskAssessmentVersion))
        records = s.scalars(select(AuditEntry).where(AuditEntry.action == "risk.record")).all()
        revises = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "risk.revise"))
        plans = s.execute(select(CarePlan, CarePlanVersion.content)
                          .join(CarePlanVersion, CarePlanVersion.id == CarePlan.current_version_id)
                          .where(CarePlan.status == "complete")).all()
    levels = Counter(assessed[a.id].overall_level for a in current if a.id in assessed)
    assert set(levels) == {"low", "medium", "high"}
    assert any(a.id not in assessed for a in current)  # the newest admission: not yet assessed
    assert book.check(integrity=False)["risk_reviews_overdue"] > 0
    assert n_versions > len(assessed) and len(records) == len(assessed) and revises == n_versions - len(assessed)
    worker_of = dict(current)
    assert all(assessed[a].created_by == worker_of[a] for a in worker_of if a in assessed)  # the key worker

    some = next(a for a in worker_of if a in assessed and assessed[a].overall_level == "high")
    view = book.risk.current(some)
    assert view is not None and view.has_contingency and view.overall_label == "High"
    history = book.risk.history(some)
    assert history[-1].number == 1 and all(h.reason for h in history[:-1])  # every revision says why

    assert plans
    for plan, raw in plans:
        content = PlanContent.from_json(raw)
        assert content.risk_assessment_id == assessed[plan.admission_id].id
        assert content.value("risk_contingency", "risk_summary").startswith("Overall risk: ")
        assert "Who must be told: " in content.value("risk_contingency", "contingency")
    assert book.audit.verify().ok
