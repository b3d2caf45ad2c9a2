"""The resident record: identity, minimum data set, contacts, substances, the current admission.
`book.residents`. Medication and consents live in keyworker/medication.py and are reached here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyworker import date_ranges
from keyworker import medication as med
from keyworker import reference_data as ref
from keyworker.clock import local_today
from keyworker.db.caseload import PREFER_NOT_TO_SAY, Admission, Resident
from keyworker.db.foundation import Account
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import form_fields, typed_inputs
from keyworker.security.permissions import Permission
from keyworker.validation import Cleaner, years_between

if TYPE_CHECKING:
    from keyworker.casebook import Casebook
    from keyworker.documents.store import Preview

MINIMUM_AGE = 18
DEMOGRAPHIC_LABELS = {
    "sex": "Sex",
    "gender_identity": "Gender identity",
    "ethnicity": "Ethnicity",
    "religion": "Religion or belief",
    "sexual_orientation": "Sexual orientation",
    "disability": "Disability",
    "pregnancy": "Pregnancy or maternity",
    "marital_status": "Marital or civil partnership status",
    "nationality": "Nationality",
}
# Fields a person may change with update(); the reference, key worker and admissions change elsewhere.
EDITABLE_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "nhs_number",
    *DEMOGRAPHIC_LABELS,
    "postcode",
    "district",
    "gp_practice",
    "next_of_kin_name",
    "next_of_kin_relationship",
    "next_of_kin_phone",
    "next_of_kin_address",
    "primary_substance",
    "primary_route",
    "other_substances",
    "external_id",
)
NOT_RECORDED = "Not recorded"


@dataclass(frozen=True)
class ResidentInput:
    """The resident form (at admission, import, or edit). Dates may be date objects or text."""

    given_name: str
    family_name: str
    date_of_birth: date | str | None
    preferred_name: str | None = None
    nhs_number: str | None = None
    sex: str | None = None
    gender_identity: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    sexual_orientation: str | None = None
    disability: str | None = None
    pregnancy: str | None = None
    marital_status: str | None = None
    nationality: str | None = None
    postcode: str | None = None
    district: str | None = None
    gp_practice: str | None = None
    next_of_kin_name: str | None = None
    next_of_kin_relationship: str | None = None
    next_of_kin_phone: str | None = None
    next_of_kin_address: str | None = None
    primary_substance: str | None = None
    primary_route: str | None = None
    other_substances: Any = None  # [{"substance": .., "route": ..}] or [(substance, route)]
    external_id: str | None = None


@dataclass(frozen=True)
class AdmissionView:
    id: str
    referral_id: str | None
    admitted_on: date
    setting: str
    setting_label: str
    strand: str
    strand_label: str
    planned_weeks: int
    planned_end_on: date
    key_worker_id: str
    key_worker_name: str
    part_time: bool
    part_time_notes: str | None
    discharged_on: date | None
    discharge_type: str | None
    week_number: (
        int | None
    )  # week N (1-based) of planned_weeks today; None once discharged or not yet started

    @property
    def is_current(self) -> bool:
        return self.discharged_on is None

    @property
    def week_label(self) -> str:
        return f"Week {self.week_number} of {self.planned_weeks}" if self.week_number else ""


@dataclass(frozen=True)
class ResidentRecord:
    id: str
    reference: str
    given_name: str
    family_name: str
    preferred_name: str | None
    date_of_birth: date
    age: int
    # Read only: a reason once recorded for admitting someone under 18. The contract allows no
    # exception (5.1.1.1), so nothing writes it any more; old records keep what they had.
    age_override_reason: str | None
    nhs_number: str | None
    sex: str | None
    gender_identity: str | None
    ethnicity: str | None
    religion: str | None
    sexual_orientation: str | None
    disability: str | None
    pregnancy: str | None
    marital_status: str | None
    nationality: str | None
    postcode: str | None
    district: str | None
    district_in_lancashire: bool | None
    gp_practice: str | None
    next_of_kin_name: str | None
    next_of_kin_relationship: str | None
    next_of_kin_phone: str | None
    next_of_kin_address: str | None
    primary_substance: str | None
    primary_route: str | None
    other_substances: tuple[tuple[str, str | None], ...]
    external_id: str | None
    key_worker_id: str | None
    key_worker_name: str | None
    current_admission: AdmissionView | None
    admissions: tuple[AdmissionView, ...]
    created_at: datetime
    updated_at: datetime

    @property
    def display_name(self) -> str:
        given = self.preferred_name or self.given_name
        return f"{given} {self.family_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def as_mapping(data: Any) -> Mapping[str, Any]:
    return form_fields(data)


def turns_adult_on(born: date) -> date:
    """The day someone born on `born` turns 18 (born on 29 February: 1 March in a common year)."""
    try:
        return born.replace(year=born.year + MINIMUM_AGE)
    except ValueError:
        return date(born.year + MINIMUM_AGE, 3, 1)


def under_age_message(born: date, admitted_on: date) -> str | None:
    """The refusal for someone under 18 on the admission date (contract 5.1.1.1: no exception),
    naming the day they turn 18; None when they are old enough. The importer says the same."""
    if years_between(born, admitted_on) >= MINIMUM_AGE:
        return None
    return (
        f"Under {MINIMUM_AGE} on the admission date ({admitted_on:%d/%m/%Y}): they turn {MINIMUM_AGE} "
        f"on {turns_adult_on(born):%d/%m/%Y}. Only people aged {MINIMUM_AGE} or over on the date of "
        "admission can be admitted."
    )


def validate_resident(
    data: Mapping[str, Any] | ResidentInput,
    *,
    admitted_on: date | None = None,
    today: date | None = None,
    partial: bool = False,
    current_dob: date | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean the resident form: (values, errors). `admitted_on` is the date the 18-or-over rule is
    checked against (the admission date; on edit, the current admission's). On edit
    (`current_dob`), the rule is checked only when the date of birth changes: the admission
    already happened on the one recorded."""
    c = Cleaner(as_mapping(data), partial=partial)
    today = today or date.today()
    c.text("given_name", "Given name", required=True, max_len=100)
    c.text("family_name", "Family name", required=True, max_len=100)
    c.text("preferred_name", "Preferred name", max_len=100)
    c.date("date_of_birth", "Date of birth", required=True, not_after=today, not_before=date_ranges.EARLIEST_BIRTH)
    c.nhs_number()
    for f, label in DEMOGRAPHIC_LABELS.items():
        c.demographic(f, label)
    c.postcode("postcode", "Residential postcode")
    c.district()
    c.text("gp_practice", "GP practice", max_len=200)
    c.text("next_of_kin_name", "Next of kin", max_len=200)
    c.text("next_of_kin_relationship", "Relationship", max_len=80)
    c.phone("next_of_kin_phone", "Next of kin's phone")
    c.text("next_of_kin_address", "Next of kin's address", max_len=500)
    c.listed("primary_substance", "Primary substance", ref.substances())
    c.listed("primary_route", "Route", ref.routes())
    c.substances()
    c.text("external_id", "External id", max_len=64)
    if not partial and c.values.get("primary_route") and not c.values.get("primary_substance"):
        c.error("primary_substance", "Choose the primary substance the route is for.")
    # 5.1.1.1: 18 or over on the date of admission, with no exception.
    dob = c.values.get("date_of_birth")
    if dob is not None and admitted_on is not None and dob != current_dob and "date_of_birth" not in c.errors:
        message = under_age_message(dob, admitted_on)
        if message:
            c.error("date_of_birth", message)
    return c.values, c.errors


def search_text(r: Resident) -> str:
    return search_text_of(r.given_name, r.family_name, r.preferred_name, r.reference, r.postcode)


def search_text_of(
    given: str, family: str, preferred: str | None, reference: str, postcode: str | None
) -> str:
    """Lower-cased "given family preferred reference postcode", what caseload search matches."""
    return " ".join(p for p in (given, family, preferred, reference, postcode) if p).lower()


def format_reference(n: int) -> str:
    return f"R-{n:05d}"


def next_reference_no(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(Resident.reference_no), 0))) or 0) + 1


def new_resident(session: Session, values: Mapping[str, Any], reference_no: int) -> Resident:
    r = Resident(
        reference=format_reference(reference_no),
        reference_no=reference_no,
        **{k: v for k, v in values.items() if k in _COLUMNS},
    )
    r.search_text = search_text(r)
    session.add(r)
    return r


_COLUMNS = set(EDITABLE_FIELDS) | {"district_in_lancashire"}


def week_number(admitted_on: date, today: date, planned_weeks: int) -> int | None:
    if today < admitted_on:
        return None
    return (today - admitted_on).days // 7 + 1


def admission_view(a: Admission, names: Mapping[str, str], today: date) -> AdmissionView:
    return AdmissionView(
        id=a.id,
        referral_id=a.referral_id,
        admitted_on=a.admitted_on,
        setting=a.setting,
        setting_label=ref.label(ref.settings(), a.setting),
        strand=a.strand,
        strand_label=ref.label(ref.strands(), a.strand),
        planned_weeks=a.planned_weeks,
        planned_end_on=a.admitted_on + timedelta(weeks=a.planned_weeks),
        key_worker_id=a.key_worker_id,
        key_worker_name=names.get(a.key_worker_id, ""),
        part_time=a.part_time,
        part_time_notes=a.part_time_notes,
        discharged_on=a.discharged_on,
        discharge_type=a.discharge_type,
        week_number=None if a.discharged_on else week_number(a.admitted_on, today, a.planned_weeks),
    )


def account_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Account.id, Account.full_name)).tuples().all())


def build_record(session: Session, r: Resident, today: date) -> ResidentRecord:
    names = account_names(session)
    adms = session.scalars(
        select(Admission)
        .where(Admission.resident_id == r.id, Admission.archived.is_(False))
        .order_by(Admission.admitted_on.desc())
    ).all()
    views = tuple(admission_view(a, names, today) for a in adms)
    current = next((v for v in views if v.discharged_on is None), None)
    others = tuple((o["substance"], o.get("route")) for o in json.loads(r.other_substances or "[]"))
    values = {f.name: getattr(r, f.name) for f in fields(ResidentRecord) if hasattr(Resident, f.name)}
    values.update(
        other_substances=others,
        age=years_between(r.date_of_birth, today),
        key_worker_name=names.get(r.key_worker_id or "", None),
        current_admission=current,
        admissions=views,
    )
    return ResidentRecord(**values)


class ResidentService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def _today(self) -> date:
        return local_today(self._book.clock)

    # -- validation on the spot --------------------------------------------------------------
    @typed_inputs(requires=Permission.EDIT_RESIDENTS)  # the edit form's check; it reads the record
    def validate(
        self,
        data: Mapping[str, Any] | ResidentInput,
        *,
        admitted_on: date | None = None,
        resident_id: str | None = None,
    ) -> dict[str, str]:
        """Messages by field for the resident form, without saving. With `resident_id` the data is
        a partial edit of that resident (the age rule uses their current admission)."""
        if resident_id is None:
            return validate_resident(data, admitted_on=admitted_on, today=self._today())[1]
        with self._book._read() as s:
            r = self._load(s, resident_id)
            return self._validate_edit(s, r, as_mapping(data))[1]

    def _validate_edit(
        self, s: Session, r: Resident, changes: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        unknown = [k for k in changes if k not in EDITABLE_FIELDS]
        if unknown:
            return {}, {k: "This field cannot be changed here." for k in unknown}
        adm = s.scalars(
            select(Admission.admitted_on)
            .where(Admission.resident_id == r.id)
            .order_by(Admission.admitted_on.desc())
            .limit(1)
        ).first()
        return validate_resident(
            changes,
            admitted_on=adm,
            today=self._today(),
            partial=True,
            current_dob=r.date_of_birth,
        )

    # -- reading -----------------------------------------------------------------------------
    def _load(self, s: Session, resident_id: str) -> Resident:
        r = s.get(Resident, resident_id)
        if r is None or r.archived:
            raise NotFound("That resident does not exist.")
        return r

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def get(self, resident_id: str) -> ResidentRecord:
        """The resident's record; every read is audited (resident.view)."""
        with self._book._write() as s:
            r = self._load(s, resident_id)
            self._book._record(s, "resident.view", "resident", r.id, resident_id=r.id)
            return build_record(s, r, self._today())

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def find_by_reference(self, reference: str) -> str | None:
        """The id of the resident with this reference (R-00042 or 42), or None."""
        text = reference.strip().upper()
        try:
            n = int(text.removeprefix("R-").removeprefix("R"))
        except ValueError:
            return None
        with self._book._read() as s:
            return s.scalar(select(Resident.id).where(Resident.reference_no == n))

    # -- writing -----------------------------------------------------------------------------
    @typed_inputs(requires=Permission.EDIT_RESIDENTS)
    def update(self, resident_id: str, changes: Mapping[str, Any]) -> ResidentRecord:
        """Change some fields. The audit entry names the changed fields, never their values."""
        with self._book._write() as s:
            r = self._load(s, resident_id)
            values, errors = self._validate_edit(s, r, changes)
            if errors:
                raise ValidationError(errors)
            changed = sorted(k for k, v in values.items() if getattr(r, k) != v)
            for k in changed:
                setattr(r, k, values[k])
            if changed:
                r.search_text = search_text(r)
                self._book._record(
                    s,
                    "resident.update",
                    "resident",
                    r.id,
                    resident_id=r.id,
                    detail={"fields": [k for k in changed if k != "district_in_lancashire"]},
                )
            return build_record(s, r, self._today())

    @typed_inputs(requires=Permission.ASSIGN_KEY_WORKERS)
    def assign_key_worker(self, resident_id: str, account_id: str) -> ResidentRecord:
        """Name another key worker for the current admission: a senior's allocation decision (a
        key worker edits the record, not who holds it). The first one is named at admission."""
        with self._book._write() as s:
            r = self._load(s, resident_id)
            adm = s.scalars(
                select(Admission).where(Admission.resident_id == r.id, Admission.discharged_on.is_(None))
            ).first()
            if adm is None:
                raise ValidationError({"key_worker_id": "The resident has no current admission."})
            check_key_worker(s, account_id)
            adm.key_worker_id = account_id
            r.key_worker_id = account_id
            self._book._record(
                s,
                "admission.update",
                "admission",
                adm.id,
                resident_id=r.id,
                detail={"fields": ["key_worker_id"]},
            )
            return build_record(s, r, self._today())

    # -- medication and consents (keyworker/medication.py) ------------------------------------
    @typed_inputs
    def validate_medication(self, data: Mapping[str, Any]) -> dict[str, str]:
        # Open: checks the form's own values and reads nothing.
        return med.validate_medication(data, today=self._today())[1]

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def medication(self, resident_id: str) -> med.MedicationSummary:
        return med.medication(self._book, resident_id)

    @typed_inputs(requires=Permission.EDIT_RESIDENTS)
    def start_medication(
        self, resident_id: str, data: Mapping[str, Any] | med.MedicationInput
    ) -> med.MedicationCourse:
        return med.start(self._book, resident_id, data)

    @typed_inputs(requires=Permission.EDIT_RESIDENTS)
    def change_medication(
        self, course_id: str, data: Mapping[str, Any] | med.MedicationInput
    ) -> med.MedicationCourse:
        return med.change(self._book, course_id, data)

    @typed_inputs(requires=Permission.EDIT_RESIDENTS)
    def stop_medication(
        self, course_id: str, stopped_on: date | str | None = None, notes: str | None = None
    ) -> med.MedicationCourse:
        return med.stop(self._book, course_id, stopped_on, notes)

    @typed_inputs
    def validate_consent(
        self,
        kind: str,
        given: bool,
        *,
        parties: list[str] | tuple[str, ...] = (),
        recorded_on: date | str | None = None,
        notes: str | None = None,
    ) -> dict[str, str]:
        """Messages by field for the consent form, without saving. Open: reads nothing."""
        return med.validate_consent(kind, given, parties, recorded_on, notes, today=self._today())[1]

    @typed_inputs(requires=Permission.EDIT_RESIDENTS)
    def record_consent(
        self,
        resident_id: str,
        kind: str,
        given: bool,
        *,
        parties: list[str] | tuple[str, ...] = (),
        recorded_on: date | str | None = None,
        notes: str | None = None,
    ) -> med.ConsentView:
        return med.record_consent(
            self._book, resident_id, kind, given, parties=parties, recorded_on=recorded_on, notes=notes
        )

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def consents(self, resident_id: str, *, history: bool = False) -> list[med.ConsentView]:
        return med.consents(self._book, resident_id, history=history)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def summary_pdf(self, resident_id: str) -> Preview:
        """One page for handover and night staff (who they are, contacts, current medication with
        dose, frequency and route), to preview; filed in Documents when printed or saved."""
        from keyworker.resident_summary import summary_preview

        return summary_preview(self, self._book, resident_id)

    # -- reporting ---------------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_REPORTS)
    def demographics(self, field: str, *, current_only: bool = False) -> dict[str, int]:
        """Counts by value of one minimum-data-set field. 'Prefer not to say' and 'Not recorded'
        (blank) are reported apart, as the specification requires (11.2.3.3)."""
        if field not in DEMOGRAPHIC_LABELS and field not in ("district", "postcode"):
            raise ValidationError({"field": f"{field} is not a minimum-data-set field."})
        col = getattr(Resident, field)
        with self._book._read() as s:
            q = select(col, func.count()).where(Resident.archived.is_(False)).group_by(col)
            if current_only:
                q = q.where(
                    Resident.id.in_(select(Admission.resident_id).where(Admission.discharged_on.is_(None)))
                )
            out: dict[str, int] = {}
            for value, n in s.execute(q):
                key = NOT_RECORDED if value is None else value
                out[key] = out.get(key, 0) + n
            return out

    def counts(self, session: Session) -> dict[str, int]:
        today = self._today()
        residents = session.scalar(
            select(func.count()).select_from(Resident).where(Resident.archived.is_(False))
        )
        current = session.scalar(
            select(func.count(func.distinct(Admission.resident_id))).where(
                Admission.archived.is_(False),
                Admission.discharged_on.is_(None),
                Admission.admitted_on <= today,
            )
        )
        return {"residents": int(residents or 0), "current_residents": int(current or 0)}


def check_key_worker(session: Session, account_id: str | None, field: str = "key_worker_id") -> Account:
    """The named key worker must be an enabled key worker or senior account."""
    acct = session.get(Account, account_id) if account_id else None
    if acct is None or acct.archived:
        raise ValidationError({field: "Choose the resident's key worker."})
    if acct.disabled or acct.role not in ("key_worker", "senior"):
        raise ValidationError(
            {
                field: f"{acct.full_name} cannot be a key worker (the account is "
                f"{'disabled' if acct.disabled else 'not a clinical one'})."
            }
        )
    return acct


__all__ = [
    "ResidentService",
    "ResidentInput",
    "ResidentRecord",
    "AdmissionView",
    "validate_resident",
    "PREFER_NOT_TO_SAY",
    "NOT_RECORDED",
    "MINIMUM_AGE",
]
