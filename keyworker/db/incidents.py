"""Incidents, safeguarding referrals (children, adults, MARAC) and domestic abuse risk checklists.
All append-only: a row is never rewritten except a referral's outcome, which is audited."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.db.base import Base, Tracked, UTCDateTime


class Incident(Tracked, Base):
    __tablename__ = "incidents"
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)  # keyworker.incidents.INCIDENT_TYPES
    description: Mapped[str] = mapped_column(Text)
    people_involved: Mapped[str | None] = mapped_column(Text)
    actions_taken: Mapped[str | None] = mapped_column(Text)
    # Counted towards "potential escalation" (3 in 12 months) whatever its type.
    domestic_abuse: Mapped[bool] = mapped_column(Boolean, default=False)
    police_involved: Mapped[bool] = mapped_column(Boolean, default=False)
    police_reference: Mapped[str | None] = mapped_column(String(64))
    safeguarding_referral: Mapped[bool] = mapped_column(Boolean, default=False)
    safeguarding_to: Mapped[str | None] = mapped_column(String(200))
    safeguarding_reference: Mapped[str | None] = mapped_column(String(64))


class DaChecklist(Tracked, Base):
    """One completed domestic abuse risk checklist; a new one is a new row (who/when: created_*)."""

    __tablename__ = "da_checklists"
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    completed_on: Mapped[date] = mapped_column(Date)
    answers: Mapped[str] = mapped_column(Text)  # JSON {"1": "yes" | "no" | "not_known", ...} by question number
    yes_count: Mapped[int] = mapped_column(Integer)
    visible_level: Mapped[str] = mapped_column(String(10))  # standard / medium / high, from the count
    level: Mapped[str] = mapped_column(String(10))  # after professional judgement (never lower)
    judgement_reason: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class SafeguardingReferral(Tracked, Base):
    __tablename__ = "safeguarding_referrals"
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # children / adults / marac
    referred_on: Mapped[date] = mapped_column(Date)
    agency: Mapped[str] = mapped_column(String(200))
    made_by: Mapped[str] = mapped_column(String(200))  # the person who made the referral
    reference: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(Text)
    # What raised it (any may be empty): an incident, a checklist, a risk assessment (issue 10, risk).
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    checklist_id: Mapped[str | None] = mapped_column(ForeignKey("da_checklists.id"), index=True)
    risk_assessment_id: Mapped[str | None] = mapped_column(String(36))
    grounds: Mapped[str | None] = mapped_column(String(24))  # MARAC: visible_high / judgement / escalation
