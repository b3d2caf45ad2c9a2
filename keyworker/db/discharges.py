"""Discharges (issue 13): how a stay ended, or was frozen. One row per discharge of a stay; the
planned path (discharge planning meeting and letter) and the unplanned out-of-hours path share
the table. A freeze (4.1.7.9: detention under the Mental Health Act, police removal, an emergency
hospital transfer) keeps the stay open and may be resumed; only one row that ends a stay
(`ends_stay`) may exist per admission. Notifications are append-only, one row per call or letter."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.db.base import Base, Tracked, UTCDateTime

PATHS = ("planned", "unplanned")
# awaiting_senior: recorded, the second person (a senior) has not confirmed yet; confirmed: two
# staff including a senior agreed (4.1.7.6); frozen: treatment frozen, the stay stays open;
# resumed: a frozen episode resumed after reassessment (the same stay goes on).
STATES = ("awaiting_senior", "confirmed", "frozen", "resumed")


class Discharge(Tracked, Base):
    __tablename__ = "discharges"
    admission_id: Mapped[str] = mapped_column(ForeignKey("admissions.id"), index=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    path: Mapped[str] = mapped_column(String(12))  # planned / unplanned
    # keyworker/discharges.py TYPES: self_discharge / absconded / disciplinary / freeze_* /
    # planned_transfer_medical / planned_transfer_psychiatric (recorded apart, 4.1.7.11) / ...
    type: Mapped[str] = mapped_column(String(40))
    ends_stay: Mapped[bool] = mapped_column(Boolean)  # False for a freeze
    reason_code: Mapped[str | None] = mapped_column(String(60))  # resources/reference/discharge_reasons.json
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    circumstances: Mapped[str | None] = mapped_column(Text)
    destination: Mapped[str | None] = mapped_column(Text)  # where the resident went
    night_reason: Mapped[str | None] = mapped_column(Text)  # why at night (4.1.7.10), when it was
    overdose_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    naloxone_supplied: Mapped[bool] = mapped_column(Boolean, default=False)
    harm_reduction_advice: Mapped[bool] = mapped_column(Boolean, default=False)
    ctp_consent: Mapped[bool | None] = mapped_column(Boolean)  # the consent from admission, as it stood
    ctp_referral_made: Mapped[bool] = mapped_column(Boolean, default=False)
    homelessness_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    council_name: Mapped[str | None] = mapped_column(String(120))  # district council of local connection
    council_referral_made: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), index=True)
    # The second person (4.1.7.6): a senior other than the recorder (created_by).
    second_person_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    second_how: Mapped[str | None] = mapped_column(String(12))  # password / phone / signed_in
    phone_agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The complete discharge summary is due 24 hours after (4.1.7.13), exact in UTC.
    summary_due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    summary_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reassessment_note: Mapped[str | None] = mapped_column(Text)
    summary_document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"))
    risk_document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"))
    # The discharge summary a manager prints: the planned discharge letter, or for an unplanned
    # discharge the complete summary due within 24 hours (migration 0016_planned_discharge).
    letter_document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"))

    # One discharge that ends a stay per admission; freezes (which keep it open) may come before.
    __table_args__ = (Index("ux_discharges_one_per_stay", "admission_id", unique=True,
                            sqlite_where=text("ends_stay = 1")),)


class DischargeNotification(Tracked, Base):
    """Who was told, how, when, by whom and what came of it (4.1.7.7, 4.1.7.12)."""

    __tablename__ = "discharge_notifications"
    discharge_id: Mapped[str] = mapped_column(ForeignKey("discharges.id"), index=True)
    party: Mapped[str] = mapped_column(String(40))  # keyworker/discharges.py PARTIES
    method: Mapped[str] = mapped_column(String(16))  # phone / secure_email / letter / not_needed
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    contact: Mapped[str | None] = mapped_column(String(200))  # whom they spoke to or wrote to
    outcome: Mapped[str] = mapped_column(Text)


class PlacementRisk(Tracked, Base):
    """A placement at risk of breaking down (Annex 3 step 12): raised with its reason, the referrer
    and the CTP told by letter through the outbox in the same transaction; cleared with a note."""

    __tablename__ = "placement_risks"
    admission_id: Mapped[str] = mapped_column(ForeignKey("admissions.id"), index=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    letter_document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_by: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    cleared_note: Mapped[str | None] = mapped_column(Text)


# -- the planned path (issue 13's planned half; migration 0016_planned_discharge) ------------------
# route: keyworker/discharge_plans.py ROUTES (completed programme to community services, transfer to
# further residential treatment, ...). state: draft (being planned) / completed (the stay ended:
# `discharge_id` is the planned Discharge row, path "planned").
PLAN_STATES = ("draft", "completed")


class DischargePlan(Tracked, Base):
    """The discharge planning meeting and everything the discharge letter says (4.1.7.1–4.1.7.3):
    one plan per stay, edited until the discharge happens. Lists are JSON text."""

    __tablename__ = "discharge_plans"
    admission_id: Mapped[str] = mapped_column(ForeignKey("admissions.id"), unique=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    meeting_on: Mapped[date | None] = mapped_column(Date)
    attendees: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of {"name", "role"}
    referrer_invited: Mapped[bool] = mapped_column(Boolean, default=False)
    planned_date: Mapped[date | None] = mapped_column(Date)
    route: Mapped[str | None] = mapped_column(String(40))
    reason_code: Mapped[str | None] = mapped_column(String(60))  # resources/reference/discharge_reasons.json
    # {"mutual_aid": [..], "ctp": str, "housing": str, "housing_referral_made": bool,
    #  "home_visits_made": bool, "gp": str, "other": str}
    aftercare: Mapped[str] = mapped_column(Text, default="{}")
    recommendations: Mapped[str | None] = mapped_column(Text)
    goals_achieved: Mapped[str | None] = mapped_column(Text)
    medication_on_discharge: Mapped[str | None] = mapped_column(Text)  # as agreed; default: current list
    state: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    discharge_id: Mapped[str | None] = mapped_column(ForeignKey("discharges.id"))
    letter_document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"))
    key_worker_signed_by: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    senior_signed_by: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    senior_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# -- follow-ups after a completed programme (4.1.8): 3 and 6 months after discharge ----------------
# status: due (not done yet) / done (reached, with `outcome`) / not_contactable / declined.
FOLLOW_UP_STATUSES = ("due", "done", "not_contactable", "declined")
# outcome at follow-up when reached: abstinent / reduced_use / relapsed.
FOLLOW_UP_OUTCOMES = ("abstinent", "reduced_use", "relapsed")


class FollowUp(Tracked, Base):
    """One scheduled follow-up (3 or 6 months after a completed programme), created with the
    discharge in the same transaction by `keyworker.follow_ups_schedule.schedule`."""

    __tablename__ = "follow_ups"
    discharge_id: Mapped[str] = mapped_column(ForeignKey("discharges.id"), index=True)
    admission_id: Mapped[str] = mapped_column(ForeignKey("admissions.id"), index=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    months: Mapped[int] = mapped_column(Integer)  # 3 or 6
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="due", index=True)
    outcome: Mapped[str | None] = mapped_column(String(16))
    completed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class FollowUpAttempt(Tracked, Base):
    """One try at reaching the person (method, when, what happened), append-only."""

    __tablename__ = "follow_up_attempts"
    follow_up_id: Mapped[str] = mapped_column(ForeignKey("follow_ups.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(16))  # phone / letter / secure_email / text / in_person
    reached: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
