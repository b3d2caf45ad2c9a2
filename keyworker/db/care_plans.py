"""Models of Treatment and Recovery Care Plans and their fortnightly reviews (issue 4).

- `care_plans`: one per admission; status 'draft' until every required section is filled, then
  'complete'. Points at its current version and holds the resident's agreement to it.
- `care_plan_versions`: snapshots of the whole plan (all sections and goals as JSON). While the
  plan is a draft its single draft version is edited in place; from completion on, versions are
  frozen and every change appends a new one with its parent, reason and author.
- `reviews`: append-only. A correction is a new row; the old one gets `superseded_by_id`.
  Invitations, attendees and goal progress are JSON lists on the review. A mid-way or
  pre-discharge meeting held without the referrer invited is flagged (`referrer_missing`) until
  how it was put right is recorded, once, in `referrer_followup`.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.db.base import Base, Tracked, UTCDateTime


class CarePlan(Tracked, Base):
    __tablename__ = "care_plans"
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    admission_id: Mapped[str] = mapped_column(ForeignKey("admissions.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)  # draft / complete
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    # Not a foreign key: versions point back at the plan, and SQLite cannot defer the cycle.
    current_version_id: Mapped[str | None] = mapped_column(String(36))
    # The resident's agreement to the plan (4.1.4.3, 4.1.5.2): the latest one recorded.
    agreed_on: Mapped[date | None] = mapped_column(Date)
    agreement_method: Mapped[str | None] = mapped_column(String(16))  # signed_paper / verbal / declined
    agreement_note: Mapped[str | None] = mapped_column(Text)  # reason when declined
    agreement_version_id: Mapped[str | None] = mapped_column(String(36))
    agreement_recorded_by: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))


class CarePlanVersion(Tracked, Base):
    __tablename__ = "care_plan_versions"
    # Not unique: a fork (two laptops each saving a new version of the same one) holds two
    # versions numbered N+1 (docs/SYNC.md, "Versioned records").
    __table_args__ = (Index("ix_care_plan_versions_plan_number", "plan_id", "number"),)
    plan_id: Mapped[str] = mapped_column(ForeignKey("care_plans.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    parent_version_id: Mapped[str | None] = mapped_column(ForeignKey("care_plan_versions.id"))
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    content: Mapped[str] = mapped_column(Text)  # JSON: see keyworker.care_plans.PlanContent
    reason: Mapped[str | None] = mapped_column(Text)  # why it changed (None for the first version)
    review_id: Mapped[str | None] = mapped_column(String(36))  # the review that made this change, if any


class Review(Tracked, Base):
    __tablename__ = "reviews"
    # Covers "the latest current review of each admission" (next due date, kinds held) without
    # touching the table: the Reviews-due query over a 20,000-resident unit reads only this index.
    __table_args__ = (Index("ix_reviews_admission_current", "admission_id", "superseded_by_id", "held_on",
                            "created_at", "next_review_on", "kind"),
                      # The open referrer flags (Today): a handful of rows, found without a scan.
                      Index("ix_reviews_referrer_open", "admission_id",
                            sqlite_where=text("referrer_missing = 1 AND referrer_followup IS NULL "
                                              "AND superseded_by_id IS NULL")))
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    admission_id: Mapped[str] = mapped_column(ForeignKey("admissions.id"))
    held_on: Mapped[date] = mapped_column(Date)
    next_review_on: Mapped[date] = mapped_column(Date)
    next_review_reason: Mapped[str | None] = mapped_column(Text)  # required when > 14 days later
    kind: Mapped[str] = mapped_column(String(16), default="regular")  # regular / midway / pre_discharge
    attendees: Mapped[str] = mapped_column(Text, default="[]")  # JSON [{"name","role"}]
    # JSON [{"name","role" family|carer|referrer|other,"invited_on","method","meeting_on","notice_days"}]
    invitations: Mapped[str] = mapped_column(Text, default="[]")
    goal_progress: Mapped[str] = mapped_column(Text, default="[]")  # JSON [{"goal_id","status","note"}]
    resident_view: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    plan_version_id: Mapped[str | None] = mapped_column(ForeignKey("care_plan_versions.id"))
    supersedes_id: Mapped[str | None] = mapped_column(String(36))
    superseded_by_id: Mapped[str | None] = mapped_column(String(36))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    # The referrer was not invited to this mid-way or pre-discharge meeting (contract 4.1.5.7): no
    # invitation recorded and no invitation letter made. Open until `referrer_followup` is set.
    referrer_missing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # How it was put right: JSON {"action": invited|informed, "on", "method", "note", "by", "at"}.
    referrer_followup: Mapped[str | None] = mapped_column(Text)
