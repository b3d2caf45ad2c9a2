"""The planned discharge (`book.discharge_plans`, issue 13's planned half; specification 4.1.7.1–
4.1.7.3, 4.1.8, Annex 3 steps 13–14).

- The discharge planning meeting (date, who came, whether the referrer was invited: warned when
  not, 4.1.7.1), the planned date, the route out, the discharge reason (the reference list's
  planned reasons), aftercare (mutual aid, the Community Treatment Provider, housing: the housing
  options referral and home visits made, 4.1.7.2.1; the GP; anything else), goals achieved,
  recommendations for the future and medication on discharge (pre-filled from the current list).
- `complete` is the key worker's: the stay ends (a planned Discharge row, awaiting senior
  confirmation, the summary due within 24 hours) and, when the reason is a completed programme,
  the 3- and 6-month follow-ups are scheduled, all in one transaction.
- `sign` is a senior's (not the person who completed it): the discharge is confirmed, the final
  discharge letter built, filed and queued for the resident, the referrer and the Authority's
  nominated person (one outbox item each), in one transaction.
No Qt."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker import discharge_reasons as dr
from keyworker import reference_data as ref
from keyworker.clock import LONDON, to_local
from keyworker.db.caseload import Admission, Referral, Resident
from keyworker.db.discharges import Discharge, DischargePlan, FollowUp
from keyworker.db.foundation import Account
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import typed_inputs
from keyworker.security.permissions import Permission, Role
from keyworker.validation import Cleaner

if TYPE_CHECKING:
    from keyworker.casebook import Casebook
    from keyworker.documents.discharge_letter import LetterData, SignOff

# The way out of the unit, in words (codes are stored; only labels are shown).
ROUTES: tuple[ref.Option, ...] = (
    ref.Option("community", "Completed programme, to community services"),
    ref.Option("further_residential", "Transfer to further residential treatment"),
    ref.Option("supported_housing", "Transfer to supported housing with community treatment"),
    ref.Option("other", "Other (described)"),
)
ROUTE_LABELS = {o.code: o.label for o in ROUTES}
TRANSFER_ROUTES = ("further_residential", "supported_housing")
# The Discharge row's type (keyworker/discharges.py TYPE_LABELS has their words).
COMPLETED_TYPE, TRANSFER_TYPE = "planned_completed", "planned_transfer"
LETTER_KIND = "discharge_letter"
TEXT_MAX = 4000
ATTENDEES_MAX = 30
MUTUAL_AID_MAX = 20
REFERRER_NOT_INVITED = "The referrer was not invited to the discharge planning meeting."

# What the letter needs before the stay can be completed: field -> what to say.
REQUIRED_FOR_LETTER: tuple[tuple[str, str], ...] = (
    ("meeting_on", "the date of the discharge planning meeting"),
    ("planned_date", "the planned discharge date"),
    ("route", "the route out of the unit"),
    ("reason_code", "the discharge reason"),
    ("goals_achieved", "the goals achieved"),
    ("recommendations", "recommendations for the future"),
    ("medication_on_discharge", "medication on discharge"),
    ("aftercare", "the aftercare arranged"),
)


# -- input and output ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Attendee:
    name: str
    role: str  # in words: "Key worker", "Resident", "Social worker (referrer)", ...


@dataclass(frozen=True)
class Aftercare:
    mutual_aid: Sequence[str] = ()  # groups: "AA, Tuesday, St Mary's Hall"
    ctp: str = ""  # the Community Treatment Provider and the appointment
    housing: str = ""  # where they will live
    housing_referral_made: bool = False  # referral to housing options made (4.1.7.2.1)
    home_visits_made: bool = False  # home visits made before discharge (4.1.7.2.1)
    gp: str = ""
    other: str = ""

    @property
    def empty(self) -> bool:
        return not (self.mutual_aid or self.ctp or self.housing or self.gp or self.other
                    or self.housing_referral_made or self.home_visits_made)

    def to_json(self) -> str:
        return json.dumps({"mutual_aid": list(self.mutual_aid), "ctp": self.ctp, "housing": self.housing,
                           "housing_referral_made": self.housing_referral_made,
                           "home_visits_made": self.home_visits_made, "gp": self.gp, "other": self.other})


@dataclass(frozen=True)
class DischargePlanInput:
    resident_id: str
    meeting_on: date | str | None = None
    attendees: Sequence[Attendee] = ()
    referrer_invited: bool = False
    planned_date: date | str | None = None
    route: str | None = None  # a code or label of ROUTES
    route_other: str = ""  # the route described, when "other"
    reason_code: str | None = None  # a planned reason of resources/reference/discharge_reasons.json
    aftercare: Aftercare = field(default_factory=Aftercare)
    goals_achieved: str = ""
    recommendations: str = ""
    medication_on_discharge: str = ""


@dataclass(frozen=True)
class DischargePlanView:
    id: str | None  # None: nothing saved yet (an empty draft)
    resident_id: str
    resident_name: str
    reference: str
    admission_id: str
    admitted_on: date
    state: str  # draft / completed
    meeting_on: date | None
    attendees: tuple[Attendee, ...]
    referrer_invited: bool
    referrer_name: str | None
    planned_date: date | None
    route: str | None
    route_other: str
    reason_code: str | None
    aftercare: Aftercare
    goals_achieved: str
    recommendations: str
    medication_on_discharge: str
    medication_prefilled: bool  # taken from the current medication list, not yet saved
    missing: tuple[str, ...]  # what the letter still needs, in words
    warnings: tuple[str, ...]  # the referrer not invited, and the like
    discharge_id: str | None
    discharge_state: str | None  # awaiting_senior / confirmed once completed
    discharged_on: date | None
    key_worker_signed_name: str | None
    senior_signed_name: str | None
    senior_signed_at: datetime | None
    letter_document_id: str | None
    follow_ups: tuple[date, ...]  # the 3- and 6-month dates when scheduled
    not_sent: tuple[str, ...] = ()  # who the letter could not be sent to yet, in words
    letters_queued: int = 0

    @property
    def route_label(self) -> str:
        return ROUTE_LABELS.get(self.route or "", "")

    @property
    def reason_label(self) -> str:
        r = dr.reason(self.reason_code) if self.reason_code else None
        return r.label if r else ""

    @property
    def completed(self) -> bool:
        return self.state == "completed"

    @property
    def signed(self) -> bool:
        return self.senior_signed_at is not None

    @property
    def awaiting_senior(self) -> bool:
        return self.completed and not self.signed

    @property
    def referrer_warning(self) -> str | None:
        return None if self.referrer_invited else REFERRER_NOT_INVITED


@dataclass(frozen=True)
class CompletedDischarge:
    discharge_id: str
    resident_id: str
    admission_id: str
    discharged_on: date
    type: str
    type_label: str
    state: str
    summary_due_at: datetime
    follow_ups: tuple[date, ...]
    plan: DischargePlanView


def route_options() -> tuple[ref.Option, ...]:
    return ROUTES


def reason_options() -> tuple[dr.DischargeReason, ...]:
    return dr.offered("planned")


def discharge_type(route: str, reason_code: str | None) -> str:
    """planned_transfer for a transfer route (or "other" with a transfer reason), else completed."""
    if route in TRANSFER_ROUTES:
        return TRANSFER_TYPE
    if route == "other" and (reason_code or "").startswith("transferred"):
        return TRANSFER_TYPE
    return COMPLETED_TYPE


# -- validation ----------------------------------------------------------------------------------
def _clean(data: DischargePlanInput, admitted_on: date) -> tuple[dict[str, Any], dict[str, str]]:
    raw: dict[str, Any] = {
        "meeting_on": data.meeting_on, "planned_date": data.planned_date, "route": data.route,
        "route_other": data.route_other, "reason_code": data.reason_code, "goals_achieved": data.goals_achieved,
        "recommendations": data.recommendations, "medication_on_discharge": data.medication_on_discharge,
        "referrer_invited": data.referrer_invited,
    }
    c = Cleaner(raw)
    c.date("meeting_on", "Meeting date")
    c.date("planned_date", "Planned discharge date")
    c.choice("route", "Route", ROUTES)
    c.text("route_other", "The route, described", max_len=TEXT_MAX)
    c.text("reason_code", "Discharge reason", max_len=200)
    c.text("goals_achieved", "Goals achieved", max_len=TEXT_MAX)
    c.text("recommendations", "Recommendations for the future", max_len=TEXT_MAX)
    c.text("medication_on_discharge", "Medication on discharge", max_len=TEXT_MAX)
    c.boolean("referrer_invited", "Referrer invited")
    v = c.values
    for key, label in (("meeting_on", "The discharge planning meeting"), ("planned_date", "The planned discharge date")):
        if v.get(key) and v[key] < admitted_on:
            c.error(key, f"{label} cannot be before the admission ({admitted_on:%d/%m/%Y}).")
            v.pop(key)
    if v.get("meeting_on") and v.get("planned_date") and v["meeting_on"] > v["planned_date"]:
        c.error("meeting_on", "The discharge planning meeting must be on or before the planned discharge date.")
    if v.get("route") == "other" and not v.get("route_other"):
        c.error("route_other", "Describe the route out of the unit.")
    code = v.get("reason_code")
    if code:
        reason = dr.reason(code) or next((r for r in dr.offered("planned") if r.label.lower() == code.lower()), None)
        if reason is None or not reason.offered_for("planned"):
            c.error("reason_code", "Choose a discharge reason for a planned discharge: "
                    + "; ".join(r.label for r in dr.offered("planned")) + ".")
        else:
            v["reason_code"] = reason.code
    attendees: list[dict[str, str]] = []
    if len(data.attendees) > ATTENDEES_MAX:
        c.error("attendees", f"List at most {ATTENDEES_MAX} people at the meeting.")
    for i, a in enumerate(data.attendees, 1):
        name, role = (a.name or "").strip(), (a.role or "").strip()
        if not name and not role:
            continue
        if not name or not role:
            c.error("attendees", f"Person {i} at the meeting needs both a name and a role.")
        elif len(name) > 200 or len(role) > 200:
            c.error("attendees", f"Person {i} at the meeting: a name or role must be 200 characters or fewer.")
        else:
            attendees.append({"name": name, "role": role})
    v["attendees"] = attendees
    ac = data.aftercare
    groups = [g.strip() for g in ac.mutual_aid if isinstance(g, str) and g.strip()]
    if len(groups) > MUTUAL_AID_MAX or any(len(g) > 200 for g in groups):
        c.error("aftercare", f"List at most {MUTUAL_AID_MAX} mutual aid groups, each 200 characters or fewer.")
    for key, label in (("ctp", "Community Treatment Provider"), ("housing", "Housing"), ("gp", "GP"),
                       ("other", "Other aftercare")):
        if len(getattr(ac, key) or "") > TEXT_MAX:
            c.error("aftercare", f"{label} must be {TEXT_MAX} characters or fewer.")
    v["aftercare"] = Aftercare(tuple(groups), (ac.ctp or "").strip(), (ac.housing or "").strip(),
                               bool(ac.housing_referral_made), bool(ac.home_visits_made), (ac.gp or "").strip(),
                               (ac.other or "").strip())
    return v, c.errors


def _aftercare(text: str | None) -> tuple[Aftercare, str]:
    """The stored aftercare JSON, and the route description kept beside it."""
    try:
        d = json.loads(text or "{}")
    except ValueError:
        d = {}
    if not isinstance(d, dict):
        d = {}
    return (Aftercare(tuple(str(g) for g in d.get("mutual_aid") or ()), str(d.get("ctp") or ""),
                      str(d.get("housing") or ""), bool(d.get("housing_referral_made")),
                      bool(d.get("home_visits_made")), str(d.get("gp") or ""), str(d.get("other") or "")),
            str(d.get("route_other") or ""))


def _attendees(text: str | None) -> tuple[Attendee, ...]:
    try:
        rows = json.loads(text or "[]")
    except ValueError:
        return ()
    return tuple(Attendee(str(r.get("name", "")), str(r.get("role", ""))) for r in rows if isinstance(r, dict))


def _name(r: Resident) -> str:
    return f"{r.given_name} {r.family_name}"


# -- the service -----------------------------------------------------------------------------------
class DischargePlanService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def _today(self) -> date:
        return to_local(self._book.clock.now()).date()

    # reading --------------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def plan(self, resident_id: str) -> DischargePlanView:
        """The current stay's discharge plan (an empty draft if none yet; once completed, the
        plan of the stay it ended), with what the letter still needs and the warnings. Audited."""
        with self._book._write() as s:
            res, adm, row = self._find(s, resident_id)
            self._book._record(s, "discharge_plan.view", "admission", adm.id, resident_id=res.id)
            return self._view(s, res, adm, row)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def preview_letter(self, resident_id: str) -> bytes:
        """The discharge letter as it stands: marked DRAFT until a senior has signed it (then the
        letter that was sent). Audited."""
        from keyworker.db.documents import Document

        with self._book._write() as s:
            res, adm, row = self._find(s, resident_id)
            self._book._record(s, "discharge_plan.preview", "admission", adm.id, resident_id=res.id)
            if row is not None and row.letter_document_id:
                doc = s.get(Document, row.letter_document_id)
                if doc is not None:
                    return bytes(doc.content)
            return self._letter(s, res, adm, row, draft=True)

    # writing --------------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.EDIT_CARE_PLANS)
    def save(self, data: DischargePlanInput) -> DischargePlanView:
        """Save the plan (a draft until the discharge is completed). Audited with which parts changed."""
        book = self._book
        with book._write() as s:
            res, adm, row = self._find(s, data.resident_id, open_only=True)
            values, errors = _clean(data, adm.admitted_on)
            if errors:
                raise ValidationError(errors)
            if row is None:
                row = DischargePlan(admission_id=adm.id, resident_id=res.id, attendees="[]", aftercare="{}",
                                    state="draft", referrer_invited=False)
                s.add(row)
                before: dict[str, Any] = {}
            else:
                before = self._stored(row)
            aftercare: Aftercare = values["aftercare"]
            stored_aftercare = json.loads(aftercare.to_json())
            if values.get("route") == "other" and values.get("route_other"):
                stored_aftercare["route_other"] = values["route_other"]
            row.meeting_on = values.get("meeting_on")
            row.attendees = json.dumps(values["attendees"])
            row.referrer_invited = bool(values.get("referrer_invited"))
            row.planned_date = values.get("planned_date")
            row.route = values.get("route")
            row.reason_code = values.get("reason_code")
            row.aftercare = json.dumps(stored_aftercare)
            row.goals_achieved = values.get("goals_achieved")
            row.recommendations = values.get("recommendations")
            row.medication_on_discharge = values.get("medication_on_discharge")
            s.flush([row])
            after = self._stored(row)
            changed = [k for k in after if before.get(k) != after[k]]
            book._record(s, "discharge_plan.save", "discharge_plan", row.id, resident_id=res.id,
                         detail={"fields": changed, "referrer_invited": row.referrer_invited})
            return self._view(s, res, adm, row)

    @typed_inputs(requires=Permission.EDIT_CARE_PLANS)
    def complete(self, resident_id: str, discharged_on: date | str | None) -> CompletedDischarge:
        """The key worker completes the planned discharge: in one transaction the discharge
        (awaiting a senior's signature, the summary due within 24 hours), the stay ended, and the
        3- and 6-month follow-ups when the programme was completed."""
        from keyworker import follow_ups_schedule
        from keyworker.discharges import TYPE_LABELS, summary_due

        book = self._book
        with book._write() as s:
            res, adm, row = self._find(s, resident_id, open_only=True)
            c = Cleaner({"discharged_on": discharged_on})
            c.date("discharged_on", "Discharge date", required=True)
            day_in = c.values.get("discharged_on")
            if day_in is not None and day_in < adm.admitted_on:
                c.error("discharged_on", f"The discharge date cannot be before the admission "
                                         f"({adm.admitted_on:%d/%m/%Y}).")
            elif day_in is not None and day_in > self._today():
                c.error("discharged_on", "The discharge date cannot be in the future: complete the discharge on "
                                         "the day the resident leaves.")
            if c.errors:
                raise ValidationError(c.errors)
            view = self._view(s, res, adm, row)
            if row is None or view.missing:
                raise ValidationError({"": "Before the discharge can be completed the letter needs "
                                           + ", ".join(view.missing or ("a saved plan",)) + "."})
            frozen = s.scalars(select(Discharge).where(Discharge.admission_id == adm.id, Discharge.state == "frozen",
                                                       Discharge.archived.is_(False))).first()
            if frozen is not None:
                raise ValidationError({"": "This stay is frozen. Resume it after reassessment before completing "
                                           "a planned discharge."})
            day: date = c.values["discharged_on"]
            now_local = to_local(book.clock.now())
            occurred = datetime.combine(day, now_local.time().replace(second=0, microsecond=0),
                                        LONDON).astimezone(UTC)
            occurred = min(occurred, book.clock.now())
            assert row.route is not None
            kind = discharge_type(row.route, row.reason_code)
            _ac, route_other = _aftercare(row.aftercare)
            d = Discharge(admission_id=adm.id, resident_id=res.id, path="planned", type=kind, ends_stay=True,
                          reason_code=row.reason_code, occurred_at=occurred, state="awaiting_senior",
                          destination=route_other or ROUTE_LABELS.get(row.route), summary_due_at=summary_due(occurred),
                          circumstances="Planned discharge agreed at the discharge planning meeting"
                                        + (f" on {row.meeting_on:%d/%m/%Y}" if row.meeting_on else "") + ".")
            s.add(d)
            s.flush([d])
            adm.discharged_on, adm.discharge_type = day, "planned"
            reason = dr.reason(row.reason_code or "")
            follow = follow_ups_schedule.schedule(s, d, day) if reason is not None and reason.completed else []
            row.state, row.discharge_id, row.key_worker_signed_by = "completed", d.id, book.actor.id
            book._record(s, "discharge_plan.complete", "discharge", d.id, resident_id=res.id,
                         detail={"type": kind, "discharged_on": day.isoformat(), "follow_ups": len(follow)})
            return CompletedDischarge(d.id, res.id, adm.id, day, kind, TYPE_LABELS.get(kind, "Planned discharge"),
                                      d.state, d.summary_due_at, tuple(f.due_on for f in follow),
                                      self._view(s, res, adm, row))

    @typed_inputs(requires=Permission.CONFIRM_DISCHARGES)
    def sign(self, resident_id: str) -> DischargePlanView:
        """A senior, not the person who completed it, signs: the discharge is confirmed and the final
        letter is filed and queued for the resident, the referrer and the Authority's nominated
        person (one outbox item each), in one transaction. Who has no email waits in the outbox
        and the view says so."""
        from keyworker.outbox.queue import Recipient, enqueue_document
        from keyworker.unit_profile import read_profile

        book = self._book
        with book._write() as s:
            res, adm, row = self._find(s, resident_id)
            waiting = self._awaiting_signature(s, res.id)
            if waiting is not None:  # even if the resident has come back for another stay since
                adm, row = waiting
            if row is None or row.state != "completed" or row.discharge_id is None:
                raise ValidationError({"": "The planned discharge has not been completed yet: the key worker "
                                           "completes it first."})
            if row.senior_signed_at is not None:
                raise ValidationError({"": "The discharge letter has been signed and sent already."})
            d = s.get(Discharge, row.discharge_id)
            assert d is not None
            me = s.get(Account, book.actor.id)
            if me is None or me.role != Role.SENIOR.value:
                raise ValidationError({"": "A senior manager signs the discharge letter."})
            if book.actor.id in (row.key_worker_signed_by, d.created_by):
                raise ValidationError({"": "The senior who signs must be someone other than the person who "
                                           "completed the discharge."})
            now = book.clock.now()
            row.senior_signed_by, row.senior_signed_at = book.actor.id, now
            if d.state == "awaiting_senior":
                d.second_person_id, d.second_how, d.confirmed_at, d.state = book.actor.id, "signed_in", now, "confirmed"
            pdf = self._letter(s, res, adm, row, draft=False)
            doc = book.documents._store(s, kind=LETTER_KIND, title=f"Discharge letter ({res.reference})",
                                        content=pdf, resident_id=res.id, subject_id=d.id)
            row.letter_document_id = d.letter_document_id = doc.id
            d.summary_sent_at = now
            referral = s.get(Referral, adm.referral_id) if adm.referral_id else None
            profile = read_profile(s)
            recipients = [Recipient(_name(res), None, "resident")]
            if referral is not None:
                recipients.append(Recipient(referral.referrer_name, referral.referrer_email, "referrer"))
                # The Community Treatment Provider is told of every discharge (4.1.7.13).
                if referral.community_treatment_provider:
                    recipients.append(Recipient(referral.community_treatment_provider, None, "ctp"))
            recipients.append(Recipient(profile.authority_name or "The Authority's nominated person",
                                        profile.authority_email or None, "authority"))
            for r in recipients:
                enqueue_document(book, s, doc, recipient=r, kind=LETTER_KIND)
            book._record(s, "discharge_plan.sign", "discharge", d.id, resident_id=res.id,
                         detail={"letters": len(recipients)})
            return self._view(s, res, adm, row)

    # helpers --------------------------------------------------------------------------------------
    def _find(self, s: Session, resident_id: str, *, open_only: bool = False
              ) -> tuple[Resident, Admission, DischargePlan | None]:
        res = s.get(Resident, resident_id) if len(resident_id) <= 36 else None
        if res is None or res.archived:
            raise NotFound("That resident does not exist.")
        stays = s.scalars(select(Admission).where(Admission.resident_id == res.id, Admission.archived.is_(False))
                          .order_by(Admission.admitted_on.desc(), Admission.created_at.desc())).all()
        current = next((a for a in stays if a.discharged_on is None), None)
        if current is not None:
            return res, current, self._plan_of(s, current.id)
        if not open_only:
            for a in stays:
                row = self._plan_of(s, a.id)
                if row is not None and row.state == "completed":
                    return res, a, row
        raise ValidationError({"resident_id": f"{_name(res)} is not in the unit: there is no stay to plan a "
                                              "discharge for."})

    def _awaiting_signature(self, s: Session, resident_id: str) -> tuple[Admission, DischargePlan] | None:
        q = (select(Admission, DischargePlan).join(DischargePlan, DischargePlan.admission_id == Admission.id)
             .where(DischargePlan.resident_id == resident_id, DischargePlan.state == "completed",
                    DischargePlan.senior_signed_at.is_(None), DischargePlan.archived.is_(False))
             .order_by(Admission.admitted_on.desc()))
        found = s.execute(q).first()
        return (found[0], found[1]) if found is not None else None

    def _plan_of(self, s: Session, admission_id: str) -> DischargePlan | None:
        return s.scalars(select(DischargePlan).where(DischargePlan.admission_id == admission_id,
                                                     DischargePlan.archived.is_(False))).first()

    @staticmethod
    def _stored(row: DischargePlan) -> dict[str, Any]:
        return {"meeting_on": row.meeting_on, "attendees": row.attendees, "referrer_invited": row.referrer_invited,
                "planned_date": row.planned_date, "route": row.route, "reason_code": row.reason_code,
                "aftercare": row.aftercare, "goals_achieved": row.goals_achieved,
                "recommendations": row.recommendations, "medication_on_discharge": row.medication_on_discharge}

    def _current_medication(self, s: Session, resident_id: str) -> str:
        from keyworker.medication import summary_in

        lines = []
        for m in summary_in(s, resident_id).current:
            lines.append(f"{m.name}: {m.how_taken}" + (f" (prescribed by {m.prescriber})" if m.prescriber else ""))
        return "\n".join(lines)

    def _view(self, s: Session, res: Resident, adm: Admission, row: DischargePlan | None) -> DischargePlanView:
        from keyworker.db.outbox import OutboxItem
        from keyworker.residents import account_names

        referral = s.get(Referral, adm.referral_id) if adm.referral_id else None
        names = account_names(s)
        if row is None:
            med = self._current_medication(s, res.id)
            missing = tuple(words for _k, words in REQUIRED_FOR_LETTER if not (_k == "medication_on_discharge" and med))
            return DischargePlanView(None, res.id, _name(res), res.reference, adm.id, adm.admitted_on, "draft", None,
                                     (), False, referral.referrer_name if referral else None, None, None, "", None,
                                     Aftercare(), "", "", med, bool(med), missing, (REFERRER_NOT_INVITED,), None, None,
                                     None, None, None, None, None, ())
        aftercare, route_other = _aftercare(row.aftercare)
        med, prefilled = row.medication_on_discharge or "", False
        if row.medication_on_discharge is None and row.state == "draft":
            med = self._current_medication(s, res.id)
            prefilled = bool(med)
        present = {"meeting_on": row.meeting_on, "planned_date": row.planned_date, "route": row.route,
                   "reason_code": row.reason_code, "goals_achieved": row.goals_achieved,
                   "recommendations": row.recommendations, "medication_on_discharge": med,
                   "aftercare": not aftercare.empty}
        missing = tuple(words for key, words in REQUIRED_FOR_LETTER if not present[key])
        warnings = () if row.referrer_invited else (REFERRER_NOT_INVITED,)
        d = s.get(Discharge, row.discharge_id) if row.discharge_id else None
        follow = tuple(f.due_on for f in s.scalars(select(FollowUp).where(FollowUp.discharge_id == d.id,
                                                                          FollowUp.archived.is_(False))
                                                   .order_by(FollowUp.months))) if d is not None else ()
        not_sent: list[str] = []
        queued = 0
        if row.letter_document_id:
            items = s.execute(select(OutboxItem.recipient_name, OutboxItem.recipient_email, OutboxItem.recipient_role)
                              .where(OutboxItem.document_id == row.letter_document_id)).all()
            queued = len(items)
            for name, email, role in items:
                if not email:
                    who = {"resident": "the resident", "referrer": "the referrer",
                           "authority": "the Authority's nominated person"}.get(role or "", "")
                    label = f"{name} ({who})" if who and who.lower() != (name or "").lower() else (name or who)
                    not_sent.append(f"{label}: no email address, so the letter waits in the outbox")
        return DischargePlanView(
            row.id, res.id, _name(res), res.reference, adm.id, adm.admitted_on, row.state, row.meeting_on,
            _attendees(row.attendees), row.referrer_invited, referral.referrer_name if referral else None,
            row.planned_date, row.route, route_other, row.reason_code, aftercare, row.goals_achieved or "",
            row.recommendations or "", med, prefilled, missing, warnings, row.discharge_id,
            d.state if d is not None else None, adm.discharged_on,
            names.get(row.key_worker_signed_by) if row.key_worker_signed_by else None,
            names.get(row.senior_signed_by) if row.senior_signed_by else None, row.senior_signed_at,
            row.letter_document_id, follow, tuple(not_sent), queued)

    def _letter(self, s: Session, res: Resident, adm: Admission, row: DischargePlan | None, *, draft: bool) -> bytes:
        from keyworker.documents import discharge_letter
        from keyworker.unit_profile import read_profile

        data = self._letter_data(s, res, adm, row)
        return discharge_letter.build(data, profile=read_profile(s), generated_at=self._book.clock.now(),
                                      draft=draft, outcomes=discharge_letter.outcomes_section(s, adm.id))

    def _letter_data(self, s: Session, res: Resident, adm: Admission, row: DischargePlan | None) -> LetterData:
        from keyworker.care_plans import PlanContent
        from keyworker.db.care_plans import CarePlan, CarePlanVersion, Review
        from keyworker.documents.discharge_letter import GoalLine, LetterData, RiskLine
        from keyworker.key_work import summarise
        from keyworker.plan_sections import GOAL_DOMAINS, GOAL_STATUSES
        from keyworker.review_schedule import KIND_LABELS
        from keyworker.risk_domains import CONTINGENCY_FIELDS

        view = self._view(s, res, adm, row)
        referral = s.get(Referral, adm.referral_id) if adm.referral_id else None
        worker = s.get(Account, adm.key_worker_id) if adm.key_worker_id else None
        plan = s.scalars(select(CarePlan).where(CarePlan.admission_id == adm.id)).first()
        goals: list[GoalLine] = []
        plan_text = "No care plan is recorded for this stay."
        if plan is not None and plan.current_version_id:
            version = s.get(CarePlanVersion, plan.current_version_id)
            if version is not None:
                content = PlanContent.from_json(version.content)
                goals = [GoalLine(GOAL_DOMAINS.get(g.domain, "Other"), g.goal, GOAL_STATUSES.get(g.status, ""))
                         for g in content.goals if g.goal.strip()]
                plan_text = (f"Care plan version {version.number}"
                             + (", agreed with the resident" if plan.agreed_on and plan.agreement_method != "declined"
                                else "") + ".")
        reviews = tuple((r.held_on, KIND_LABELS.get(r.kind, "Review")) for r in s.scalars(
            select(Review).where(Review.admission_id == adm.id, Review.superseded_by_id.is_(None),
                                 Review.archived.is_(False)).order_by(Review.held_on)))
        risk_view = self._book.risk._for_plan(s, adm.id)
        risk = None
        if risk_view is not None:
            risk = RiskLine(risk_view.overall_label, risk_view.saved_at,
                            tuple((label, getattr(risk_view.contingency, key) or "")
                                  for key, label in CONTINGENCY_FIELDS.items()))
        names = self._signers(s, row)
        return LetterData(
            resident_name=view.resident_name, reference=res.reference, date_of_birth=res.date_of_birth,
            nhs_number=res.nhs_number, gp_practice=res.gp_practice, admitted_on=adm.admitted_on,
            discharged_on=adm.discharged_on, planned_date=view.planned_date,
            setting=ref.label(ref.settings(), adm.setting), strand=ref.label(ref.strands(), adm.strand),
            key_worker=worker.full_name if worker else "",
            referrer=referral.referrer_name if referral else None,
            referrer_reference=referral.referrer_reference if referral else None,
            meeting_on=view.meeting_on, attendees=view.attendees, referrer_invited=view.referrer_invited,
            route=(view.route_other if view.route == "other" and view.route_other else view.route_label),
            reason=view.reason_label, interventions=summarise(s, adm), care_plan=plan_text, goals=tuple(goals),
            reviews=reviews, goals_achieved=view.goals_achieved, risk=risk,
            medication=view.medication_on_discharge, recommendations=view.recommendations,
            aftercare=view.aftercare, follow_ups=view.follow_ups, key_worker_sign=names[0], senior_sign=names[1])

    def _signers(self, s: Session, row: DischargePlan | None) -> tuple[SignOff | None, SignOff | None]:
        from keyworker.documents.discharge_letter import SignOff

        if row is None:
            return None, None
        kw = s.get(Account, row.key_worker_signed_by) if row.key_worker_signed_by else None
        d = s.get(Discharge, row.discharge_id) if row.discharge_id else None
        sr = s.get(Account, row.senior_signed_by) if row.senior_signed_by else None
        kw_sign = SignOff(kw.full_name, kw.job_title, to_local(d.created_at).date()
                          if d is not None and d.created_at else self._today()) if kw else None
        sr_sign = SignOff(sr.full_name, sr.job_title, to_local(row.senior_signed_at).date()
                          if row.senior_signed_at else self._today()) if sr else None
        return kw_sign, sr_sign


__all__ = ["Aftercare", "Attendee", "CompletedDischarge", "DischargePlanInput", "DischargePlanService",
           "DischargePlanView", "ROUTES", "discharge_type", "reason_options", "route_options"]
