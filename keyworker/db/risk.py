"""Models of risk assessments (issue 10).

- `risk_assessments`: one per admission. Points at its current version; `overall_level` and
  `review_on` copy the current version's, written in the same transaction, so the caseload and
  Today read them with one join instead of opening JSON.
- `risk_assessment_versions`: append-only, one per save (who = created_by, when = created_at,
  why = reason; the first has no reason). The content is JSON: see keyworker.risk.RiskInput.
- `risk_review_prompts`: "a new assessment is due" raised by another area (an incident, a
  relapse) inside its own transaction; answered by the next saved version.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.db.base import Base, Tracked, UTCDateTime


class RiskAssessment(Tracked, Base):
    __tablename__ = "risk_assessments"
    # "Reviews overdue" for Today and check: the handful of rows whose date has passed, by date.
    __table_args__ = (Index("ix_risk_assessments_review_on", "review_on", "admission_id"),)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    admission_id: Mapped[str] = mapped_column(ForeignKey("admissions.id"), unique=True)
    # Not a foreign key: versions point back at the assessment (as care_plans.current_version_id).
    current_version_id: Mapped[str | None] = mapped_column(String(36))
    overall_level: Mapped[str] = mapped_column(String(8))  # low / medium / high
    review_on: Mapped[date] = mapped_column(Date)


class RiskAssessmentVersion(Tracked, Base):
    __tablename__ = "risk_assessment_versions"
    # Not unique: a fork holds two versions numbered N+1 (docs/SYNC.md, "Versioned records").
    __table_args__ = (Index("ix_risk_assessment_versions_assessment_number", "assessment_id", "number"),)
    assessment_id: Mapped[str] = mapped_column(ForeignKey("risk_assessments.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    parent_version_id: Mapped[str | None] = mapped_column(ForeignKey("risk_assessment_versions.id"))
    content: Mapped[str] = mapped_column(Text)  # JSON
    reason: Mapped[str | None] = mapped_column(Text)  # why it changed (None for the first version)


class RiskReviewPrompt(Tracked, Base):
    __tablename__ = "risk_review_prompts"
    __table_args__ = (Index("ix_risk_review_prompts_open", "admission_id",
                            sqlite_where=text("answered_by_version_id IS NULL")),)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    admission_id: Mapped[str] = mapped_column(ForeignKey("admissions.id"))
    reason: Mapped[str] = mapped_column(String(16))  # incident / relapse / safeguarding / other
    source_id: Mapped[str | None] = mapped_column(String(36))  # the incident (or other record) behind it
    note: Mapped[str | None] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_by_version_id: Mapped[str | None] = mapped_column(String(36))
