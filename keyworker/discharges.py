"""Discharges (`book.discharges`, issue 13): the unplanned discharge, the out-of-hours path.

What the contract asks (Lancashire specification 4.1.7, 4.1.2.6, Annex 3), in the code's terms:
- An unplanned self-discharge, absconding or a disciplinary discharge ends the stay; a freeze
  (MHA detention to an acute ward or a PICU, an informal mental health admission, removal by
  police, an emergency transfer to acute medical care: 4.1.7.9) keeps the stay open until it is
  resumed after reassessment. Planned transfers to medical or psychiatric care are not unplanned
  discharges (4.1.7.11) and are refused here: the planned path records them.
- Discharge to the community at night must be avoided (4.1.7.10): between the unit's night
  times (settings, default 21:00 to 08:00 UK time) a reason is required.
- At least two staff, including a senior manager, agree it (4.1.7.6): the second, a senior who is
  not the recorder, signs with their own password there and then, or a phone agreement is
  recorded (who and when) and that senior confirms later, signed in. Until then the discharge
  is awaiting senior confirmation.
- In the same transaction as the discharge and its audit: the brief out-of-hours summary (current
  medication, the latest risk assessment and its contingency plan, a reminder to follow up by
  phone) to the referring social worker and the GP (4.1.7.12), and the risk analysis (the latest
  risk assessment) to the referrer and the Community Treatment Provider (4.1.7.6), as outbox items.
- At risk of opiate overdose: naloxone or harm-reduction advice, and the referral back to the CTP
  when the resident consented at admission (4.1.7.14). At risk of homelessness: the duty to refer
  to the district council of local connection (4.1.7.15).
- The notification checklist (4.1.7.7, 4.1.7.12): each party with method, time, by whom and
  outcome; next of kin only with consent.
- The complete discharge summary is due 24 hours after (4.1.7.13), exact in UTC.
No Qt."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from keyworker import discharge_reasons as dr
from keyworker import reference_data as ref
from keyworker.clock import LONDON, format_datetime, to_local
from keyworker.db.caseload import Admission, Consent, Referral, Resident
from keyworker.db.discharges import Discharge, DischargeNotification, PlacementRisk
from keyworker.db.foundation import Account, Setting
from keyworker.errors import AuthenticationFailed, NotFound, SignInThrottled, ValidationError
from keyworker.input_types import form_fields, typed_inputs
from keyworker.security.permissions import Permission, Role
from keyworker.settings import SPECS
from keyworker.validation import Cleaner

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

UNPLANNED_TYPES: tuple[ref.Option, ...] = (
    ref.Option("self_discharge", "Unplanned self-discharge"),
    ref.Option("absconded", "Absconded"),
    ref.Option("disciplinary", "Disciplinary discharge"),
    ref.Option("freeze_mha_acute", "Freeze: detained under the Mental Health Act, to an acute ward"),
    ref.Option("freeze_mha_picu", "Freeze: detained under the Mental Health Act, to a PICU or high dependency ward"),
    ref.Option("freeze_informal_mh", "Freeze: informal admission to a mental health ward"),
    ref.Option("freeze_police", "Freeze: removed by police"),
    ref.Option("freeze_acute_medical", "Freeze: emergency transfer to acute medical care"),
)
# Recorded apart (4.1.7.11): the planned path records these.
PLANNED_TRANSFERS: tuple[ref.Option, ...] = (
    ref.Option("planned_transfer_medical", "Planned transfer to a general medical facility"),
    ref.Option("planned_transfer_psychiatric", "Planned transfer to a psychiatric facility"),
)
TYPE_LABELS = {o.code: o.label for o in (*UNPLANNED_TYPES, *PLANNED_TRANSFERS)}
# The planned path (keyworker/discharge_plans.py): by the route out of the unit.
TYPE_LABELS.update({"planned_completed": "Planned discharge: programme completed",
                    "planned_transfer": "Planned discharge: transfer to further treatment"})
# The NDTMS reason each type records unless one is chosen (a freeze records none: the stay goes on).
DEFAULT_REASONS = {"self_discharge": "incomplete_dropped_out", "absconded": "incomplete_dropped_out",
                   "disciplinary": "incomplete_withdrawn_by_provider"}
STATE_LABELS = {"awaiting_senior": "Awaiting senior confirmation", "confirmed": "Confirmed by a senior",
                "frozen": "Treatment frozen", "resumed": "Resumed after reassessment"}
ENDED_LATER_LABEL = "Frozen, then discharged"


def state_label(state: str, ended_later: bool = False) -> str:
    """The state in words; a freeze whose stay was later ended reads as ended, not frozen."""
    if state == "frozen" and ended_later:
        return ENDED_LATER_LABEL
    return STATE_LABELS.get(state, "Recorded")


SECOND_HOW_LABELS = {"password": "signed with their password", "phone": "agreed by phone",
                     "signed_in": "confirmed signed in"}

# Who is told (4.1.7.7, 4.1.7.12, 4.1.7.15), in the checklist's order.
PARTIES: tuple[ref.Option, ...] = (
    ref.Option("referrer", "Referrer or the Authority"),
    ref.Option("ctp", "Community Treatment Provider"),
    ref.Option("next_of_kin", "Next of kin"),
    ref.Option("rio", "Recovery Infrastructure Organisation"),
    ref.Option("gp", "GP"),
    ref.Option("mental_health", "Mental health services"),
    ref.Option("probation", "Probation"),
    ref.Option("out_of_hours_social_care", "Out-of-hours adult social care or emergency duty team"),
    ref.Option("district_council", "District council (duty to refer)"),
)
PARTY_LABELS = {o.code: o.label for o in PARTIES}
METHODS: tuple[ref.Option, ...] = (
    ref.Option("phone", "Phone"),
    ref.Option("secure_email", "Secure email"),
    ref.Option("letter", "Letter"),
    ref.Option("not_needed", "Not needed (not involved)"),
)
METHOD_LABELS = {o.code: o.label for o in METHODS}

SUMMARY_KIND = "unplanned_discharge_summary"
RISK_KIND = "risk_analysis"
SUMMARY_HOURS = 24
TEXT_MAX = 4000


def is_freeze(kind: str) -> bool:
    return kind.startswith("freeze_")


# -- input and output ------------------------------------------------------------------------
@dataclass(frozen=True)
class UnplannedDischargeInput:
    resident_id: str
    type: str  # a code or label of UNPLANNED_TYPES
    occurred_at: datetime | str | None
    circumstances: str  # what happened; for a disciplinary discharge, the reasons given to the referrer
    destination: str | None = None  # where the resident went
    reason_code: str | None = None  # discharge_reasons.json (unplanned path); default by type
    night_reason: str | None = None  # required between the night times
    overdose_risk: bool = False
    naloxone_supplied: bool = False
    harm_reduction_advice: bool = False
    ctp_referral_made: bool = False
    homelessness_risk: bool = False
    council_name: str | None = None
    council_referral_made: bool = False


@dataclass(frozen=True)
class DischargeStart:
    """What the screen needs before anything is typed: whose stay, the consents that decide the
    prompts, the night window and the out-of-hours number."""

    resident_id: str
    resident_name: str
    reference: str
    admission_id: str
    frozen: bool  # the stay is frozen already
    ctp_consent: bool | None  # referral back to the CTP if at overdose risk: given, refused, not asked
    next_of_kin_consent: bool
    district: str | None  # the council of local connection, usually
    referrer_name: str | None
    gp_practice: str | None
    night_starts: str
    night_ends: str
    out_of_hours_phone: str


@dataclass(frozen=True)
class ChecklistItem:
    party: str
    label: str
    status: str  # done / outstanding / not_allowed / not_needed
    method: str | None
    at: datetime | None
    by_name: str | None
    contact: str | None
    outcome: str | None
    note: str  # the phone number or why it may not be made

    @property
    def done(self) -> bool:
        return self.status in ("done", "not_needed", "not_allowed")


@dataclass(frozen=True)
class DischargeView:
    id: str
    admission_id: str
    resident_id: str
    resident_name: str
    reference: str
    path: str
    type: str
    reason_code: str | None
    occurred_at: datetime
    circumstances: str | None
    destination: str | None
    night_reason: str | None
    overdose_risk: bool
    naloxone_supplied: bool
    harm_reduction_advice: bool
    ctp_consent: bool | None
    ctp_referral_made: bool
    homelessness_risk: bool
    council_name: str | None
    council_referral_made: bool
    state: str
    recorded_by_id: str | None
    recorded_by_name: str
    second_person_id: str | None
    second_person_name: str | None
    second_how: str | None
    phone_agreed_at: datetime | None
    confirmed_at: datetime | None
    summary_due_at: datetime
    summary_sent_at: datetime | None
    summary_overdue: bool
    resumed_at: datetime | None
    reassessment_note: str | None
    outbox_items: int  # queued with the discharge
    warnings: tuple[str, ...] = ()  # what could not be sent, in words
    # The printable discharge summary (the complete summary, or the planned discharge letter).
    letter_document_id: str | None = None
    summary_document_id: str | None = None  # the brief out-of-hours summary
    ended_later: bool = False  # a freeze whose stay was ended since by a discharge

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, "Other")

    @property
    def state_label(self) -> str:
        return state_label(self.state, self.ended_later)

    @property
    def reason_label(self) -> str:
        r = dr.reason(self.reason_code) if self.reason_code else None
        return r.label if r else ""

    @property
    def awaiting_senior(self) -> bool:
        return self.state == "awaiting_senior"

    @property
    def due_text(self) -> str:
        """The 24-hour deadline in UK time, as the record, the caseload and Today show it."""
        if self.summary_sent_at is not None:
            return f"Complete summary sent {format_datetime(self.summary_sent_at)}"
        return f"Complete summary due by {format_datetime(self.summary_due_at)}" + (
            " (overdue)" if self.summary_overdue else "")


@dataclass(frozen=True)
class PlacementRiskView:
    id: str
    resident_id: str
    admission_id: str
    raised_at: datetime
    raised_by_name: str
    reason: str
    letters: int  # queued for the referrer and the CTP
    cleared_at: datetime | None
    cleared_note: str | None
    warnings: tuple[str, ...] = ()

    @property
    def current(self) -> bool:
        return self.cleared_at is None


@dataclass(frozen=True)
class DischargeRow:
    """A line of the lists (awaiting senior, summaries due): what the list shows."""

    id: str
    resident_id: str
    resident_name: str
    reference: str
    type: str
    occurred_at: datetime
    state: str
    summary_due_at: datetime
    summary_overdue: bool
    ended_later: bool = False  # a freeze whose stay was ended since by a discharge
    letter_document_id: str | None = None  # the printable discharge summary, once made
    summary_document_id: str | None = None  # the brief out-of-hours summary
    path: str = "unplanned"

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, "Other")

    @property
    def state_label(self) -> str:
        return state_label(self.state, self.ended_later)


# -- rules -----------------------------------------------------------------------------------
def _hhmm(text: str, fallback: str) -> time:
    for value in (text, fallback):
        try:
            h, m = value.strip().split(":")
            return time(int(h), int(m))
        except (ValueError, AttributeError):
            continue
    return time(0, 0)


def setting(s: Session, key: str) -> str:
    row = s.get(Setting, key)
    return str(row.value) if row is not None and row.value.strip() else str(SPECS[key].default)


def night_window(s: Session) -> tuple[time, time]:
    return (_hhmm(setting(s, "discharge_night_starts"), str(SPECS["discharge_night_starts"].default)),
            _hhmm(setting(s, "discharge_night_ends"), str(SPECS["discharge_night_ends"].default)))


def at_night(at: datetime, starts: time, ends: time) -> bool:
    """Whether `at` falls in the night, UK local time: from `starts` (included) to `ends` (not)."""
    t = to_local(at).time().replace(second=0, microsecond=0)
    if starts <= ends:
        return starts <= t < ends
    return t >= starts or t < ends


def summary_due(occurred_at: datetime) -> datetime:
    """24 real hours later, counted in UTC, so across a clock change the local time shown moves
    by the hour (22:00 GMT on 28/03 is due at 23:00 BST on 29/03)."""
    return occurred_at.astimezone(UTC) + timedelta(hours=SUMMARY_HOURS)


def consent_given(s: Session, resident_id: str, kind: str) -> bool | None:
    c = s.scalars(select(Consent).where(Consent.resident_id == resident_id, Consent.kind == kind,
                                        Consent.superseded_by_id.is_(None), Consent.archived.is_(False))
                  .order_by(Consent.recorded_on.desc(), Consent.created_at.desc())).first()
    return None if c is None else bool(c.given)


def validate_unplanned(data: Mapping[str, Any] | UnplannedDischargeInput, *, now: datetime,
                       night: tuple[time, time], ctp_consent: bool | None) -> tuple[dict[str, Any], dict[str, str]]:
    c = Cleaner(form_fields(data))
    c.text("resident_id", "Resident", required=True, max_len=36)
    raw_type = c.data.get("type")
    if isinstance(raw_type, str) and ref.find_code(PLANNED_TRANSFERS, raw_type):
        c.error("type", "A planned transfer to a medical or psychiatric facility is not an unplanned discharge: "
                        "record it as a planned discharge.")
    else:
        c.choice("type", "Type of discharge", UNPLANNED_TYPES, required=True)
    c.datetime("occurred_at", "Date and time", required=True, not_after=now + timedelta(minutes=5))
    c.text("circumstances", "What happened", required=True, max_len=TEXT_MAX)
    c.text("destination", "Where the resident went", max_len=TEXT_MAX)
    c.text("reason_code", "Discharge reason", max_len=60)
    c.text("night_reason", "Why at night", max_len=TEXT_MAX)
    for key, label in (("overdose_risk", "At risk of opiate overdose"), ("naloxone_supplied", "Naloxone supplied"),
                       ("harm_reduction_advice", "Harm-reduction advice given"),
                       ("ctp_referral_made", "Referred back to the Community Treatment Provider"),
                       ("homelessness_risk", "At risk of homelessness"),
                       ("council_referral_made", "Referred to the district council")):
        c.boolean(key, label)
    c.text("council_name", "District council", max_len=120)
    v, kind = c.values, c.values.get("type")
    if kind:
        freeze = is_freeze(kind)
        code = v.get("reason_code")
        if code:
            reason = dr.reason(code) or next((r for r in dr.offered("unplanned") if r.label.lower() == code.lower()),
                                             None)
            if reason is None or not reason.offered_for("unplanned"):
                c.error("reason_code", "Choose a discharge reason from: "
                        + "; ".join(r.label for r in dr.offered("unplanned")) + ".")
            elif freeze:
                c.error("reason_code", "A freeze keeps the stay open: it has no discharge reason.")
            else:
                v["reason_code"] = reason.code
        elif not freeze:
            v["reason_code"] = DEFAULT_REASONS.get(kind)
        at = v.get("occurred_at")
        if at is not None and not freeze and at_night(at, *night) and not v.get("night_reason"):
            c.error("night_reason", f"This was at night ({night[0]:%H:%M} to {night[1]:%H:%M}). Discharge to the "
                                    "community at night must be avoided: say why it could not wait.")
    if v.get("overdose_risk"):
        if not (v.get("naloxone_supplied") or v.get("harm_reduction_advice")):
            c.error("naloxone_supplied", "At risk of opiate overdose: supply naloxone or give harm-reduction "
                                         "advice, and tick what was done.")
        if ctp_consent and not v.get("ctp_referral_made"):
            c.error("ctp_referral_made", "The resident consented at admission to a referral back to the Community "
                                         "Treatment Provider if at risk of overdose: make the referral and tick it.")
    if v.get("ctp_referral_made") and not ctp_consent:
        c.error("ctp_referral_made", "The resident did not consent at admission to a referral back to the Community "
                                     "Treatment Provider: it cannot be recorded as made.")
    if v.get("ctp_referral_made") and not v.get("overdose_risk") and "ctp_referral_made" not in c.errors:
        c.error("overdose_risk", "Tick “At risk of opiate overdose” for the referral back to the Community "
                                 "Treatment Provider.")
    if v.get("homelessness_risk"):
        if not v.get("council_name") and "council_name" not in c.errors:
            c.error("council_name", "At risk of homelessness: name the district council of the resident's local "
                                    "connection (the duty to refer, Homelessness Reduction Act 2017).")
    elif v.get("council_referral_made") or v.get("council_name"):
        c.error("homelessness_risk", "Tick “At risk of homelessness” to record the referral to the district council.")
    return v, c.errors


# -- the service -------------------------------------------------------------------------------
def _of(resident_id: str | None, where: Any) -> Any:
    return where if resident_id is None else and_(where, Discharge.resident_id == resident_id)


class DischargeService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    # reading ------------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def start(self, resident_id: str) -> DischargeStart:
        """What the unplanned-discharge screen shows before anything is typed. Audited (it reads
        the resident's consents)."""
        with self._book._write() as s:
            res, adm = self._open_stay(s, resident_id)
            referral = s.get(Referral, adm.referral_id) if adm.referral_id else None
            night = night_window(s)
            frozen = self._open_freeze(s, adm.id) is not None
            self._book._record(s, "discharge.start", "resident", res.id, resident_id=res.id)
            return DischargeStart(res.id, _name(res), res.reference, adm.id, frozen,
                                  consent_given(s, res.id, "ctp_referral_if_overdose_risk"),
                                  bool(consent_given(s, res.id, "contact_next_of_kin")), res.district,
                                  referral.referrer_name if referral else None, res.gp_practice,
                                  f"{night[0]:%H:%M}", f"{night[1]:%H:%M}",
                                  setting(s, "out_of_hours_social_care_phone"))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def get(self, discharge_id: str) -> DischargeView:
        """One discharge. Audited."""
        with self._book._write() as s:
            d = self._load(s, discharge_id)
            self._book._record(s, "discharge.view", "discharge", d.id, resident_id=d.resident_id)
            return self._view(s, d)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def for_resident(self, resident_id: str) -> list[DischargeView]:
        """The resident's discharges and freezes, newest first. Audited."""
        with self._book._write() as s:
            if s.get(Resident, resident_id) is None:
                raise NotFound("That resident does not exist.")
            rows = s.scalars(select(Discharge).where(Discharge.resident_id == resident_id,
                                                     Discharge.archived.is_(False))
                             .order_by(Discharge.occurred_at.desc())).all()
            self._book._record(s, "discharge.history", "resident", resident_id, resident_id=resident_id)
            return [self._view(s, d) for d in rows]

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def awaiting_senior(self, resident_id: str | None = None) -> list[DischargeRow]:
        """Discharges two staff have not yet agreed, oldest first (rows only: opening one reads it);
        the unit's, or one resident's (the record's header)."""
        with self._book._read() as s:
            return self._rows(s, _of(resident_id, Discharge.state == "awaiting_senior"))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def due_summaries(self, resident_id: str | None = None) -> list[DischargeRow]:
        """Complete discharge summaries not yet sent, soonest due first; overdue ones say so; the
        unit's, or one resident's (the record's header)."""
        with self._book._read() as s:
            return sorted(self._rows(s, _of(resident_id, Discharge.summary_sent_at.is_(None))),
                          key=lambda r: r.summary_due_at)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def between(self, start: date, end: date, *, ends_stay_only: bool = True) -> list[DischargeRow]:
        """Discharges (planned and unplanned) that happened on `start`..`end` inclusive, UK dates,
        oldest first: the Discharges page's recent list and the print list. Freezes are left out
        unless `ends_stay_only` is False."""
        if end < start:
            raise ValidationError({"end": "The end date is before the start date."})
        lo = datetime.combine(start, time(0, 0), LONDON).astimezone(UTC)
        hi = datetime.combine(end + timedelta(days=1), time(0, 0), LONDON).astimezone(UTC)
        where = (Discharge.occurred_at >= lo) & (Discharge.occurred_at < hi)
        if ends_stay_only:
            where = where & Discharge.ends_stay.is_(True)
        with self._book._read() as s:
            return self._rows(s, where)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def checklist(self, discharge_id: str) -> list[ChecklistItem]:
        """Every party to tell, done or still outstanding (the latest notification of each).
        Next of kin shows as not allowed without the resident's consent. Audited."""
        with self._book._write() as s:
            d = self._load(s, discharge_id)
            self._book._record(s, "discharge.checklist", "discharge", d.id, resident_id=d.resident_id)
            return self._checklist(s, d)

    def counts(self, session: Session) -> dict[str, Any]:
        now = self._book.clock.now()
        live = Discharge.archived.is_(False)
        awaiting = session.scalar(select(func.count()).select_from(Discharge)
                                  .where(live, Discharge.state == "awaiting_senior")) or 0
        overdue = session.scalar(select(func.count()).select_from(Discharge)
                                 .where(live, Discharge.summary_sent_at.is_(None), Discharge.summary_due_at < now)) or 0
        return {"discharges_awaiting_senior": int(awaiting), "summaries_overdue": int(overdue)}

    # recording ----------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.RECORD_UNPLANNED_DISCHARGE)
    def record_unplanned(self, data: UnplannedDischargeInput) -> DischargeView:
        """Record an unplanned discharge or a freeze. In one transaction: the discharge, the stay
        ended (not for a freeze), the out-of-hours summary and the risk analysis filed and queued
        in the outbox, and the audit entries. Awaiting senior confirmation until a second person,
        a senior, agrees (a freeze is frozen at once)."""
        book = self._book
        now = book.clock.now()
        resident_id = data.resident_id if isinstance(data, UnplannedDischargeInput) else None
        with book._write() as s:
            ctp_consent = consent_given(s, resident_id, "ctp_referral_if_overdose_risk") \
                if isinstance(resident_id, str) and len(resident_id) <= 36 else None
            values, errors = validate_unplanned(data, now=now, night=night_window(s), ctp_consent=ctp_consent)
            if errors:
                raise ValidationError(errors)
            res, adm = self._open_stay(s, values["resident_id"])
            freeze = is_freeze(values["type"])
            if values["occurred_at"].astimezone(LONDON).date() < adm.admitted_on:
                raise ValidationError({"occurred_at": "The date is before this stay began "
                                                      f"({adm.admitted_on:%d/%m/%Y})."})
            open_freeze = self._open_freeze(s, adm.id)
            if freeze and open_freeze is not None:
                raise ValidationError({"type": "This stay is frozen already. Resume it before recording another "
                                               "freeze."})
            d = Discharge(admission_id=adm.id, resident_id=res.id, path="unplanned", ends_stay=not freeze,
                          state="frozen" if freeze else "awaiting_senior", ctp_consent=ctp_consent,
                          summary_due_at=summary_due(values["occurred_at"]),
                          **{k: v for k, v in values.items() if k != "resident_id"})
            s.add(d)
            s.flush([d])
            if not freeze:
                adm.discharged_on = to_local(d.occurred_at).date()
                adm.discharge_type = "unplanned"
            warnings = self._send_papers(s, d, res, adm)
            book._record(s, "discharge.record_unplanned", "discharge", d.id, resident_id=res.id,
                         detail={"type": d.type, "occurred_at": d.occurred_at.isoformat(),
                                 "night": bool(d.night_reason), "freeze": freeze})
            return self._view(s, d, warnings)

    @typed_inputs(requires=Permission.RECORD_UNPLANNED_DISCHARGE)
    def confirm_by_password(self, discharge_id: str, username: str, password: str) -> DischargeView:
        """The second person, a senior other than the recorder, agrees there and then with their
        own password (checked as the lock screen checks it, with the same throttle)."""
        book = self._book
        with book._read() as s:
            d = self._load(s, discharge_id)
            acct = s.scalars(select(Account).where(Account.username == username.strip().lower(),
                                                   Account.archived.is_(False))).first()
            problem = self._second_person_problem(d, acct) if acct is not None else \
                "There is no account with that user name."
        if problem:
            self._refuse(discharge_id, d.resident_id, problem, "username")
        assert acct is not None
        try:
            key = book._vault.unlock(acct.username, password, book.clock)
        except SignInThrottled:
            self._audit_failed_sign_ins()
            raise
        except AuthenticationFailed:
            self._audit_failed_sign_ins()
            self._refuse(discharge_id, d.resident_id, f"That is not {acct.full_name}'s password.", "password")
        if key != book._key:
            self._refuse(discharge_id, d.resident_id, "That account belongs to another unit.", "username")
        with book._write() as s:
            d = self._load(s, discharge_id)
            if d.state != "awaiting_senior":
                raise ValidationError({"": "This discharge is not awaiting senior confirmation."})
            now = book.clock.now()
            d.second_person_id, d.second_how, d.confirmed_at, d.state = acct.id, "password", now, "confirmed"
            book._record(s, "discharge.confirm", "discharge", d.id, resident_id=d.resident_id,
                         detail={"how": "password", "senior": acct.full_name})
            return self._view(s, d)

    @typed_inputs(requires=Permission.RECORD_UNPLANNED_DISCHARGE)
    def record_phone_agreement(self, discharge_id: str, senior_account_id: str,
                               agreed_at: datetime | str | None) -> DischargeView:
        """A senior agreed by phone: who and when. They confirm later, signed in (`confirm`)."""
        book = self._book
        c = Cleaner({"agreed_at": agreed_at})
        c.datetime("agreed_at", "Time of the phone agreement", required=True,
                   not_after=book.clock.now() + timedelta(minutes=5))
        if c.errors:
            raise ValidationError(c.errors)
        with book._write() as s:
            d = self._load(s, discharge_id)
            acct = s.get(Account, senior_account_id) if len(senior_account_id) <= 36 else None
            problem = self._second_person_problem(d, acct) if acct is not None and not acct.archived else \
                "Choose the senior who agreed from the staff list."
            if problem:
                raise ValidationError({"senior_account_id": problem})
            assert acct is not None
            if c.values["agreed_at"] < d.occurred_at - timedelta(hours=24):
                raise ValidationError({"agreed_at": "The phone agreement cannot be more than a day before the "
                                                    "discharge."})
            d.second_person_id, d.second_how, d.phone_agreed_at = acct.id, "phone", c.values["agreed_at"]
            book._record(s, "discharge.phone_agreement", "discharge", d.id, resident_id=d.resident_id,
                         detail={"senior": acct.full_name, "agreed_at": d.phone_agreed_at.isoformat()})
            return self._view(s, d)

    @typed_inputs(requires=Permission.CONFIRM_DISCHARGES)
    def confirm(self, discharge_id: str) -> DischargeView:
        """The signed-in senior confirms: the one named in a phone agreement, or, with none
        recorded, any senior other than the recorder."""
        book = self._book
        with book._write() as s:
            d = self._load(s, discharge_id)
            acct = s.get(Account, book.actor.id)
            problem = self._second_person_problem(d, acct) if acct is not None else "Sign in as a senior."
            if not problem and d.second_how == "phone" and d.second_person_id != book.actor.id:
                who = s.get(Account, d.second_person_id or "")
                problem = (f"The phone agreement was with {who.full_name if who else 'another senior'}: "
                           "they confirm it.")
            if problem:
                raise ValidationError({"": problem})
            if d.second_how != "phone":
                d.second_person_id, d.second_how = book.actor.id, "signed_in"
            d.confirmed_at, d.state = book.clock.now(), "confirmed"
            book._record(s, "discharge.confirm", "discharge", d.id, resident_id=d.resident_id,
                         detail={"how": d.second_how, "senior": book.actor.full_name})
            return self._view(s, d)

    @typed_inputs(requires=Permission.RECORD_UNPLANNED_DISCHARGE)
    def record_notification(self, discharge_id: str, party: str, method: str, at: datetime | str | None,
                            outcome: str, contact: str | None = None) -> ChecklistItem:
        """One party told (or not needed): how, when and what came of it; by the signed-in person.
        Next of kin is refused without the resident's consent to contact them."""
        book = self._book
        c = Cleaner({"party": party, "method": method, "at": at, "outcome": outcome, "contact": contact})
        c.choice("party", "Who", PARTIES, required=True)
        c.choice("method", "How", METHODS, required=True)
        c.datetime("at", "When", required=True, not_after=book.clock.now() + timedelta(minutes=5))
        c.text("outcome", "Outcome", required=True, max_len=TEXT_MAX)
        c.text("contact", "Whom you spoke or wrote to", max_len=200)
        if c.errors:
            raise ValidationError(c.errors)
        v = c.values
        with book._write() as s:
            d = self._load(s, discharge_id)
            if v["party"] == "next_of_kin" and v["method"] != "not_needed" \
                    and not consent_given(s, d.resident_id, "contact_next_of_kin"):
                raise ValidationError({"party": "The resident has not consented to their next of kin being "
                                                "contacted: do not tell them."})
            if v["at"] < d.occurred_at - timedelta(hours=24):
                raise ValidationError({"at": "This is more than a day before the discharge."})
            n = DischargeNotification(discharge_id=d.id, party=v["party"], method=v["method"], at=v["at"],
                                      by_id=book.actor.id, contact=v["contact"], outcome=v["outcome"])
            s.add(n)
            s.flush([n])
            book._record(s, "discharge.notification", "discharge", d.id, resident_id=d.resident_id,
                         detail={"party": n.party, "method": n.method})
            return next(i for i in self._checklist(s, d) if i.party == n.party)

    @typed_inputs(requires=Permission.RECORD_UNPLANNED_DISCHARGE)
    def record_summary_sent(self, discharge_id: str, sent_at: datetime | str | None) -> DischargeView:
        """The complete discharge summary was sent some other way (by hand, outside the app): the
        24-hour countdown stops. `complete_summary` makes, files and sends it, and stops it too;
        once either has happened the other is refused (or, for `complete_summary`, files the
        summary for printing without sending it again)."""
        book = self._book
        c = Cleaner({"sent_at": sent_at})
        c.datetime("sent_at", "When it was sent", required=True, not_after=book.clock.now() + timedelta(minutes=5))
        if c.errors:
            raise ValidationError(c.errors)
        with book._write() as s:
            d = self._load(s, discharge_id)
            if d.summary_sent_at is not None:
                raise ValidationError({"sent_at": "The complete summary is recorded as sent already."})
            if c.values["sent_at"] < d.occurred_at:
                raise ValidationError({"sent_at": "The summary cannot be sent before the discharge."})
            d.summary_sent_at = c.values["sent_at"]
            book._record(s, "discharge.summary_sent", "discharge", d.id, resident_id=d.resident_id,
                         detail={"late": d.summary_sent_at > d.summary_due_at})
            return self._view(s, d)

    @typed_inputs(requires=Permission.CONFIRM_DISCHARGES)
    def resume(self, discharge_id: str, reassessment_note: str) -> DischargeView:
        """Resume a frozen stay after reassessment: the same admission goes on."""
        book = self._book
        c = Cleaner({"reassessment_note": reassessment_note})
        c.text("reassessment_note", "The reassessment", required=True, max_len=TEXT_MAX)
        if c.errors:
            raise ValidationError(c.errors)
        with book._write() as s:
            d = self._load(s, discharge_id)
            if d.state != "frozen":
                raise ValidationError({"": "Only a frozen stay can be resumed."})
            adm = s.get(Admission, d.admission_id)
            if adm is None or adm.discharged_on is not None:
                raise ValidationError({"": "This stay has ended since: it cannot be resumed."})
            d.state, d.resumed_at, d.reassessment_note = "resumed", book.clock.now(), c.values["reassessment_note"]
            book._record(s, "discharge.resume", "discharge", d.id, resident_id=d.resident_id,
                         detail={"type": d.type})
            return self._view(s, d)

    # a placement at risk of breaking down (Annex 3 step 12) ----------------------------------------
    @typed_inputs(requires=Permission.RECORD_RISK)
    def flag_placement_at_risk(self, resident_id: str, reason: str) -> PlacementRiskView:
        """Flag the current stay as at risk of breaking down; the letter to the referrer and to the
        CTP is filed and queued in the outbox in the same transaction."""
        from keyworker.documents import placement_risk_letter
        from keyworker.outbox.queue import Recipient, enqueue_document
        from keyworker.unit_profile import read_profile

        book = self._book
        c = Cleaner({"reason": reason})
        c.text("reason", "Why the placement is at risk", required=True, max_len=TEXT_MAX)
        if c.errors:
            raise ValidationError(c.errors)
        with book._write() as s:
            res, adm = self._open_stay(s, resident_id)
            if self._open_risk(s, adm.id) is not None:
                raise ValidationError({"reason": "This placement is flagged as at risk already."})
            now = book.clock.now()
            flag = PlacementRisk(admission_id=adm.id, resident_id=res.id, raised_at=now, reason=c.values["reason"])
            s.add(flag)
            s.flush([flag])
            referral = s.get(Referral, adm.referral_id) if adm.referral_id else None
            signer = s.get(Account, book.actor.id)
            parties: list[tuple[Recipient, list[str], str]] = []
            warnings: list[str] = []
            if referral is not None:
                parties.append((Recipient(referral.referrer_name, referral.referrer_email, "referrer"),
                                [referral.referrer_name, referral.referrer_organisation or ""], referral.referrer_name))
                if referral.community_treatment_provider:
                    ctp = referral.community_treatment_provider
                    parties.append((Recipient(ctp, None, "ctp"), [ctp], ctp))
                else:
                    warnings.append("No Community Treatment Provider is named on the referral: tell them yourself.")
            else:
                warnings.append("There is no referral on record: tell the referrer and the CTP yourself.")
            for recipient, lines, dear in parties:
                pdf = placement_risk_letter.build(
                    to_lines=lines, dear=dear, resident_name=_name(res), reference=res.reference,
                    date_of_birth=res.date_of_birth, admitted_on=adm.admitted_on, reason=flag.reason,
                    profile=read_profile(s), raised_at=now, signed_by=book.actor.full_name,
                    job_title=signer.job_title if signer else None)
                doc = book.documents._store(s, kind="placement_at_risk", title=f"Placement at risk: letter to {dear}",
                                            content=pdf, resident_id=res.id, subject_id=flag.id)
                flag.letter_document_id = flag.letter_document_id or doc.id
                enqueue_document(book, s, doc, recipient=recipient)
            book._record(s, "placement_risk.flag", "admission", adm.id, resident_id=res.id,
                         detail={"letters": len(parties)})
            return self._risk_view(s, flag, len(parties), tuple(warnings))

    @typed_inputs(requires=Permission.RECORD_RISK)
    def clear_placement_risk(self, resident_id: str, note: str) -> PlacementRiskView:
        """The placement is no longer at risk: the flag is cleared with a note (it stays as history)."""
        book = self._book
        c = Cleaner({"note": note})
        c.text("note", "Why it is no longer at risk", required=True, max_len=TEXT_MAX)
        if c.errors:
            raise ValidationError(c.errors)
        with book._write() as s:
            _res, adm = self._open_stay(s, resident_id)
            flag = self._open_risk(s, adm.id)
            if flag is None:
                raise ValidationError({"note": "This placement is not flagged as at risk."})
            flag.cleared_at, flag.cleared_by, flag.cleared_note = book.clock.now(), book.actor.id, c.values["note"]
            book._record(s, "placement_risk.clear", "admission", adm.id, resident_id=flag.resident_id)
            return self._risk_view(s, flag, 0)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def placement_risk(self, resident_id: str) -> PlacementRiskView | None:
        """The current stay's placement-at-risk flag, or None (not audited: a flag, as the header shows)."""
        with self._book._read() as s:
            adm = s.scalars(select(Admission).where(Admission.resident_id == resident_id,
                                                    Admission.discharged_on.is_(None),
                                                    Admission.archived.is_(False))).first()
            flag = self._open_risk(s, adm.id) if adm is not None else None
            if flag is None or adm is None:
                return None
            from keyworker.db.documents import Document

            # What the Discharge tab shows: the letters filed (one per party queued) and, again,
            # who could not be written to.
            letters = s.scalar(select(func.count()).select_from(Document).where(
                Document.subject_id == flag.id, Document.kind == "placement_at_risk")) or 0
            return self._risk_view(s, flag, int(letters), self._risk_warnings(s, adm))

    def _risk_warnings(self, s: Session, adm: Admission) -> tuple[str, ...]:
        referral = s.get(Referral, adm.referral_id) if adm.referral_id else None
        if referral is None:
            return ("There is no referral on record: tell the referrer and the CTP yourself.",)
        if not referral.community_treatment_provider:
            return ("No Community Treatment Provider is named on the referral: tell them yourself.",)
        return ()

    def _open_risk(self, s: Session, admission_id: str) -> PlacementRisk | None:
        return s.scalars(select(PlacementRisk).where(PlacementRisk.admission_id == admission_id,
                                                     PlacementRisk.cleared_at.is_(None),
                                                     PlacementRisk.archived.is_(False))).first()

    def _risk_view(self, s: Session, flag: PlacementRisk, letters: int,
                   warnings: tuple[str, ...] = ()) -> PlacementRiskView:
        from keyworker.residents import account_names

        return PlacementRiskView(flag.id, flag.resident_id, flag.admission_id, flag.raised_at,
                                 account_names(s).get(flag.created_by or "", ""), flag.reason, letters,
                                 flag.cleared_at, flag.cleared_note, warnings)

    # the complete discharge summary (4.1.7.13) ----------------------------------------------------
    @typed_inputs(requires=Permission.RECORD_UNPLANNED_DISCHARGE)
    def complete_summary(self, discharge_id: str) -> DischargeView:
        """Make the complete discharge summary of an unplanned discharge (or a freeze), due within
        24 hours: built from the record as it stands (the checklist, medication and the latest risk
        assessment), signed by the signed-in person, filed as the discharge's printable summary and
        queued for the referrer and the Authority's representative. The countdown stops. One
        transaction: the document, the discharge, the outbox items and the audit entry.
        The same people who record the discharge write it (key workers, seniors, out of hours)."""
        book = self._book
        with book._write() as s:
            d = self._load(s, discharge_id)
            if d.path != "unplanned":
                raise ValidationError({"": "A planned discharge has its discharge letter: make it from the "
                                           "discharge plan."})
            if d.letter_document_id is not None:
                raise ValidationError({"": "The complete discharge summary has been made already."})
            warnings = self._make_summary(s, d, book.actor.id)
            return self._view(s, d, warnings)

    def _make_summary(self, s: Session, d: Discharge, signer_id: str) -> tuple[str, ...]:
        """Build, file and queue the complete summary in the caller's transaction (the demo uses
        it too, signed by its senior). Returns what could not be sent, in words."""
        from keyworker.documents import discharge_summary_pdf
        from keyworker.medication import summary_in
        from keyworker.outbox.queue import Recipient, enqueue_document
        from keyworker.residents import account_names
        from keyworker.unit_profile import read_profile

        book = self._book
        res = s.get(Resident, d.resident_id)
        adm = s.get(Admission, d.admission_id)
        assert res is not None and adm is not None
        now = book.clock.now()
        profile = read_profile(s)
        signer = s.get(Account, signer_id)
        sent_before = d.summary_sent_at is not None
        view = self._view(s, d)
        pdf = discharge_summary_pdf.build(
            view, res, adm, summary_in(s, res.id).current, book.risk._for_plan(s, adm.id),
            self._checklist(s, d), profile=profile, generated_at=now,
            signed_by=signer.full_name if signer else book.actor.full_name,
            job_title=signer.job_title if signer else None,
            recorded_by=account_names(s).get(d.created_by or "", ""))
        doc = book.documents._store(s, kind="discharge_summary",
                                    title=f"{discharge_summary_pdf.title_for(view)} ({res.reference})",
                                    content=pdf, resident_id=res.id, subject_id=d.id)
        d.letter_document_id = doc.id
        warnings: list[str] = []
        queued = 0
        if sent_before:
            warnings.append("The summary was recorded as sent already: it is filed for printing and not "
                            "sent again.")
        else:
            d.summary_sent_at = now
            referral = s.get(Referral, adm.referral_id) if adm.referral_id else None
            if referral is not None:
                enqueue_document(book, s, doc, recipient=Recipient(referral.referrer_name,
                                                                   referral.referrer_email, "referrer"))
                queued += 1
            else:
                warnings.append("There is no referrer on record: send the summary to the referrer yourself.")
            if profile.authority_name or profile.authority_email:
                enqueue_document(book, s, doc, recipient=Recipient(profile.authority_name or None,
                                                                   profile.authority_email or None, "authority"))
                queued += 1
            else:
                warnings.append("The Authority's nominated person is not set in the unit profile: send the "
                                "summary to the Authority yourself.")
        book._record(s, "discharge.complete_summary", "discharge", d.id, resident_id=d.resident_id,
                     detail={"late": now > d.summary_due_at, "recipients": queued})
        return tuple(warnings)

    # helpers --------------------------------------------------------------------------------------
    def _send_papers(self, s: Session, d: Discharge, res: Resident, adm: Admission) -> tuple[str, ...]:
        """File the out-of-hours summary and the risk analysis and queue them (caller's transaction)."""
        from keyworker.documents import risk_assessment_pdf, unplanned_discharge_pdf
        from keyworker.medication import summary_in
        from keyworker.outbox.queue import Recipient, enqueue_document
        from keyworker.residents import account_names
        from keyworker.unit_profile import read_profile

        book = self._book
        now = book.clock.now()
        profile = read_profile(s)
        risk = book.risk._for_plan(s, adm.id)
        referral = s.get(Referral, adm.referral_id) if adm.referral_id else None
        warnings: list[str] = []
        pdf = unplanned_discharge_pdf.build(
            self._view(s, d), res, adm, summary_in(s, res.id).current, risk, profile=profile, generated_at=now,
            recorded_by=account_names(s).get(book.actor.id, book.actor.full_name),
            out_of_hours_phone=setting(s, "out_of_hours_social_care_phone"))
        summary = book.documents._store(s, kind=SUMMARY_KIND, title=f"Out-of-hours discharge summary ({res.reference})",
                                        content=pdf, resident_id=res.id, subject_id=d.id)
        d.summary_document_id = summary.id
        referrer = Recipient(referral.referrer_name, referral.referrer_email, "referrer") if referral else None
        if referrer is not None:
            enqueue_document(book, s, summary, recipient=referrer)
        else:
            warnings.append("There is no referrer on record: send the summary to the referring social worker "
                            "yourself.")
        if res.gp_practice:
            enqueue_document(book, s, summary, recipient=Recipient(res.gp_practice, None, "gp"))
        else:
            warnings.append("There is no GP practice on the record: send the summary to the GP yourself.")
        if risk is None:
            warnings.append("There is no risk assessment for this stay: carry out the risk analysis and send it "
                            "to the referrer and the Community Treatment Provider.")
            return tuple(warnings)
        data = risk_assessment_pdf.build(risk, profile=profile, generated_at=now)
        analysis = book.documents._store(s, kind=RISK_KIND, title=f"Risk analysis on discharge ({res.reference})",
                                         content=data, resident_id=res.id, subject_id=d.id)
        d.risk_document_id = analysis.id
        if referrer is not None:
            enqueue_document(book, s, analysis, recipient=referrer)
        ctp = referral.community_treatment_provider if referral else None
        if ctp:
            enqueue_document(book, s, analysis, recipient=Recipient(ctp, None, "ctp"))
        else:
            warnings.append("No Community Treatment Provider is named on the referral: the risk analysis went to "
                            "the referrer only.")
        return tuple(warnings)

    def _second_person_problem(self, d: Discharge, acct: Account | None) -> str:
        if d.path == "planned":  # keyworker/discharge_plans.py: the senior signs the letter
            return ("A planned discharge is confirmed when a senior manager signs its discharge letter: open "
                    "Plan discharge and choose Sign and send.")
        if d.state != "awaiting_senior":
            return "This discharge is not awaiting senior confirmation."
        if acct is None or acct.archived:
            return "There is no account with that user name."
        if acct.id == d.created_by:
            return "The second person must be someone other than the person who recorded the discharge."
        if acct.role != Role.SENIOR.value:
            return (f"{acct.full_name} is not a senior manager. Two staff, including a senior manager, must agree "
                    "an unplanned or disciplinary discharge.")
        if acct.disabled:
            return f"{acct.full_name}'s account is disabled."
        return ""

    def _refuse(self, discharge_id: str, resident_id: str, problem: str, field: str) -> None:
        with self._book._write() as s:
            self._book._record(s, "discharge.confirm_refused", "discharge", discharge_id, resident_id=resident_id,
                               detail={"reason": problem})
        raise ValidationError({field: problem})

    def _audit_failed_sign_ins(self) -> None:
        book = self._book
        with book._write() as s:
            written = book._record_failed_sign_ins(s)
        book._vault.drop_pending_failures(*written)

    def _open_stay(self, s: Session, resident_id: str) -> tuple[Resident, Admission]:
        res = s.get(Resident, resident_id)
        if res is None or res.archived:
            raise NotFound("That resident does not exist.")
        adm = s.scalars(select(Admission).where(Admission.resident_id == res.id, Admission.discharged_on.is_(None),
                                                Admission.archived.is_(False))
                        .order_by(Admission.admitted_on.desc(), Admission.created_at.desc())).first()
        if adm is None:
            raise ValidationError({"resident_id": f"{_name(res)} is not in the unit: there is no stay to end."})
        return res, adm

    def _open_freeze(self, s: Session, admission_id: str) -> Discharge | None:
        return s.scalars(select(Discharge).where(Discharge.admission_id == admission_id, Discharge.state == "frozen",
                                                 Discharge.archived.is_(False))).first()

    def _load(self, s: Session, discharge_id: str) -> Discharge:
        d = s.get(Discharge, discharge_id) if len(discharge_id) <= 36 else None
        if d is None or d.archived:
            raise NotFound("That discharge does not exist.")
        return d

    def _rows(self, s: Session, where: Any) -> list[DischargeRow]:
        now = self._book.clock.now()
        q = (select(Discharge, Resident, Admission.discharged_on).join(Resident, Resident.id == Discharge.resident_id)
             .join(Admission, Admission.id == Discharge.admission_id)
             .where(where, Discharge.archived.is_(False)).order_by(Discharge.occurred_at))
        return [DischargeRow(d.id, r.id, _name(r), r.reference, d.type, d.occurred_at, d.state, d.summary_due_at,
                             d.summary_sent_at is None and d.summary_due_at < now,
                             d.state == "frozen" and ended is not None, d.letter_document_id,
                             d.summary_document_id, d.path)
                for d, r, ended in s.execute(q).tuples()]

    def _checklist(self, s: Session, d: Discharge) -> list[ChecklistItem]:
        from keyworker.residents import account_names

        names = account_names(s)
        latest: dict[str, DischargeNotification] = {}
        for row in s.scalars(select(DischargeNotification).where(DischargeNotification.discharge_id == d.id,
                                                               DischargeNotification.archived.is_(False))
                           .order_by(DischargeNotification.at, DischargeNotification.created_at)):
            latest[row.party] = row
        nok = bool(consent_given(s, d.resident_id, "contact_next_of_kin"))
        phone = setting(s, "out_of_hours_social_care_phone")
        out: list[ChecklistItem] = []
        for o in PARTIES:
            if o.code == "district_council" and not d.homelessness_risk:
                continue
            note = ""
            if o.code == "out_of_hours_social_care":
                note = f"Out-of-hours adult social care: {phone}"
            elif o.code == "district_council":
                note = f"Duty to refer: {d.council_name or 'the council of local connection'}"
            n = latest.get(o.code)
            if o.code == "next_of_kin" and not nok and n is None:
                out.append(ChecklistItem(o.code, o.label, "not_allowed", None, None, None, None, None,
                                         "No consent to contact next of kin: do not tell them."))
                continue
            if n is None:
                out.append(ChecklistItem(o.code, o.label, "outstanding", None, None, None, None, None, note))
            else:
                out.append(ChecklistItem(o.code, o.label, "not_needed" if n.method == "not_needed" else "done",
                                         n.method, n.at, names.get(n.by_id or "", ""), n.contact, n.outcome, note))
        return out

    def _view(self, s: Session, d: Discharge, warnings: tuple[str, ...] = ()) -> DischargeView:
        from keyworker.db.outbox import OutboxItem
        from keyworker.residents import account_names

        names = account_names(s)
        res = s.get(Resident, d.resident_id)
        assert res is not None
        docs = [x for x in (d.summary_document_id, d.risk_document_id, d.letter_document_id) if x]
        adm = s.get(Admission, d.admission_id)
        ended_later = d.state == "frozen" and adm is not None and adm.discharged_on is not None
        queued = s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.document_id.in_(docs))) \
            if docs else 0
        now = self._book.clock.now()
        return DischargeView(
            d.id, d.admission_id, d.resident_id, _name(res), res.reference, d.path, d.type, d.reason_code,
            d.occurred_at, d.circumstances, d.destination, d.night_reason, d.overdose_risk, d.naloxone_supplied,
            d.harm_reduction_advice, d.ctp_consent, d.ctp_referral_made, d.homelessness_risk, d.council_name,
            d.council_referral_made, d.state, d.created_by, names.get(d.created_by or "", ""), d.second_person_id,
            names.get(d.second_person_id) if d.second_person_id else None, d.second_how, d.phone_agreed_at,
            d.confirmed_at, d.summary_due_at, d.summary_sent_at,
            d.summary_sent_at is None and d.summary_due_at < now, d.resumed_at, d.reassessment_note,
            int(queued or 0), warnings, d.letter_document_id, d.summary_document_id, ended_later)


def _name(r: Resident) -> str:
    return f"{r.given_name} {r.family_name}"
