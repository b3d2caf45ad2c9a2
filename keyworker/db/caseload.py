"""Models of the caseload: referrals, residents and their admissions.

Owned by the caseload area (issue 3). Care plans and reviews (issue 4) refer to `residents.id`
and `admissions.id`. Demographic fields store the chosen value, the literal PREFER_NOT_TO_SAY,
or NULL for "not recorded" — never confusing the last two."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.db.base import Base, Tracked, UTCDateTime

PREFER_NOT_TO_SAY = "Prefer not to say"


class Referral(Tracked, Base):
    """A referral as it arrives from the Authority's social worker (Annex 3, 4.1.2.3)."""

    __tablename__ = "referrals"
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Who is referred (a resident row exists only once admitted).
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    # The referrer: a social worker of the Authority.
    referrer_name: Mapped[str] = mapped_column(String(200))
    referrer_organisation: Mapped[str | None] = mapped_column(String(200))
    referrer_email: Mapped[str | None] = mapped_column(String(200))
    referrer_phone: Mapped[str | None] = mapped_column(String(50))
    referrer_address: Mapped[str | None] = mapped_column(Text)  # postal address block, one line per line
    referrer_reference: Mapped[str | None] = mapped_column(String(64))  # the referrer's own reference
    community_treatment_provider: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))  # emergency / priority / routine
    assessment_summary: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Decision: open / accepted / declined / admitted / withdrawn
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    decision_due_on: Mapped[date] = mapped_column(Date, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    decline_category: Mapped[str | None] = mapped_column(String(64))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    resident_id: Mapped[str | None] = mapped_column(ForeignKey("residents.id"), index=True)
    # The import that created it (keyworker.db.imports), so the import can be undone as a whole.
    import_id: Mapped[str | None] = mapped_column(String(36), index=True)


class Resident(Tracked, Base):
    __tablename__ = "residents"
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # short human reference, e.g. R-00042
    # The number inside `reference`, kept as an integer so the next one is max()+1 on an index.
    reference_no: Mapped[int] = mapped_column(Integer, unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    # Lower-cased "given family preferred reference postcode" for search-as-you-type.
    search_text: Mapped[str] = mapped_column(String(400), default="", index=True)
    # Indexed for the probable-duplicate check when a resident arrives by sync (keyworker/sync/apply).
    date_of_birth: Mapped[date] = mapped_column(Date, index=True)
    age_override_reason: Mapped[str | None] = mapped_column(Text)
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    sex: Mapped[str | None] = mapped_column(String(40))
    gender_identity: Mapped[str | None] = mapped_column(String(60))
    ethnicity: Mapped[str | None] = mapped_column(String(80))
    religion: Mapped[str | None] = mapped_column(String(60))
    sexual_orientation: Mapped[str | None] = mapped_column(String(60))
    disability: Mapped[str | None] = mapped_column(String(120))
    pregnancy: Mapped[str | None] = mapped_column(String(40))
    marital_status: Mapped[str | None] = mapped_column(String(40))
    nationality: Mapped[str | None] = mapped_column(String(60))
    postcode: Mapped[str | None] = mapped_column(String(10))
    # One of the 12 Lancashire districts (resources/reference/districts.json) or another local
    # authority by name; `district_in_lancashire` says which, so reports need not re-match names.
    district: Mapped[str | None] = mapped_column(String(80))
    district_in_lancashire: Mapped[bool | None] = mapped_column(Boolean)
    gp_practice: Mapped[str | None] = mapped_column(String(200))
    next_of_kin_name: Mapped[str | None] = mapped_column(String(200))
    next_of_kin_relationship: Mapped[str | None] = mapped_column(String(80))
    next_of_kin_phone: Mapped[str | None] = mapped_column(String(50))
    next_of_kin_address: Mapped[str | None] = mapped_column(Text)
    primary_substance: Mapped[str | None] = mapped_column(String(80))
    primary_route: Mapped[str | None] = mapped_column(String(40))
    other_substances: Mapped[str | None] = mapped_column(Text)  # JSON list of {"substance","route"}
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Denormalised for the caseload: the current (latest, undischarged) admission's key worker.
    key_worker_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The import that created it (keyworker.db.imports), so the import can be undone as a whole.
    import_id: Mapped[str | None] = mapped_column(String(36), index=True)

    # Covering index for the caseload list: sorted by name, searched on search_text, without
    # touching (and decrypting) the table pages. Measured: 45 ms -> 5 ms a keystroke at 20,000 residents.
    __table_args__ = (
        Index("ix_residents_caseload", family_name.collate("NOCASE"), given_name.collate("NOCASE"),
              "reference_no", "archived", "search_text", "id"),
    )


class Admission(Tracked, Base):
    """One stay. A resident may return; each stay has its own plan and reviews."""

    __tablename__ = "admissions"
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    referral_id: Mapped[str | None] = mapped_column(ForeignKey("referrals.id"))
    admitted_on: Mapped[date] = mapped_column(Date, index=True)
    # 24h_residential / non_24h_residential / day_programme
    setting: Mapped[str] = mapped_column(String(32))
    strand: Mapped[str] = mapped_column(String(16))  # level_1 / level_2
    planned_weeks: Mapped[int] = mapped_column(Integer)
    key_worker_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    part_time: Mapped[bool] = mapped_column(Boolean, default=False)
    part_time_notes: Mapped[str | None] = mapped_column(Text)
    discharged_on: Mapped[date | None] = mapped_column(Date, index=True)
    discharge_type: Mapped[str | None] = mapped_column(String(16))  # planned / unplanned (issue: discharges)

    # Current admissions (discharged_on IS NULL) with their resident and key worker, index-only;
    # with id, admission date and planned length, Reviews due reads no table page (migration 0020).
    __table_args__ = (Index("ix_admissions_open", "discharged_on", "archived", "resident_id", "key_worker_id",
                            "id", "admitted_on", "planned_weeks"),)


class MedicationEvent(Tracked, Base):
    """Medication is append-only: a start, then any changes, then a stop, each its own row, so the
    history of what a resident was taking on any date can be shown. `course_id` groups the events
    of one course (it is the id of the course's start event)."""

    __tablename__ = "medication_events"
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    course_id: Mapped[str] = mapped_column(String(36), index=True)
    event: Mapped[str] = mapped_column(String(8))  # start / change / stop
    effective_on: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))
    dose: Mapped[str | None] = mapped_column(String(100))
    frequency: Mapped[str | None] = mapped_column(String(100))
    prescriber: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    # How it is taken (keyworker/medication.py ROUTES); None on events recorded before 0007.
    route: Mapped[str | None] = mapped_column(String(20))
    as_directed: Mapped[bool | None] = mapped_column(Boolean)  # True in place of a dose and frequency


class Consent(Tracked, Base):
    """A consent as given or refused on a date. Append-only: recording the same kind again
    supersedes the earlier row (`superseded_by_id`), which stays as history."""

    __tablename__ = "consents"
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    # information_sharing / ctp_referral_if_overdose_risk / contact_next_of_kin
    kind: Mapped[str] = mapped_column(String(40))
    given: Mapped[bool] = mapped_column(Boolean)
    parties: Mapped[str | None] = mapped_column(Text)  # JSON list of named parties (information sharing)
    recorded_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    superseded_by_id: Mapped[str | None] = mapped_column(String(36))
