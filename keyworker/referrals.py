"""Referrals from the Authority's social workers: record, decide within 5 working days (accept,
or decline with reasons in writing and a letter), and admit. `book.referrals`.
Specification 4.1.2.3 and Annex 3; the deadline rule is in keyworker/working_days.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyworker import date_ranges
from keyworker import reference_data as ref
from keyworker import working_days as wd
from keyworker.clock import local_today
from keyworker.db.caseload import Admission, Referral, Resident
from keyworker.db.documents import Document
from keyworker.db.foundation import Account
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import typed_inputs
from keyworker.residents import (
    ResidentInput,
    ResidentRecord,
    as_mapping,
    build_record,
    check_key_worker,
    new_resident,
    next_reference_no,
    validate_resident,
)
from keyworker.security.permissions import Permission
from keyworker.validation import Cleaner

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

MIN_WEEKS, MAX_WEEKS = 12, 26
MAX_ADDRESS, MAX_ADDRESS_LINES = 600, 8  # a postal address block as printed on an envelope window
MIN_DECLINE_REASON = 20  # "a full explanation of the reasons why" (4.1.2.3): more than a word or two
OPEN, ACCEPTED, DECLINED, ADMITTED = "open", "accepted", "declined", "admitted"
# What the referrals list can show (`ReferralService.list`): "current", still to act on (waiting
# for a decision or for admission), by default; or one status; or everything.
LIST_FILTERS: dict[str, tuple[str, ...]] = {
    "current": (OPEN, ACCEPTED),
    OPEN: (OPEN,),
    ACCEPTED: (ACCEPTED,),
    DECLINED: (DECLINED,),
    ADMITTED: (ADMITTED,),
    "all": (OPEN, ACCEPTED, DECLINED, ADMITTED),
}
MAX_SEARCH = 100
REFERRAL_FIELDS = (
    "received_at",
    "given_name",
    "family_name",
    "date_of_birth",
    "referrer_name",
    "referrer_organisation",
    "referrer_email",
    "referrer_phone",
    "referrer_address",
    "referrer_reference",
    "community_treatment_provider",
    "category",
    "assessment_summary",
    "external_id",
)


@dataclass(frozen=True)
class ReferralInput:
    received_at: datetime | str | None
    given_name: str
    family_name: str
    referrer_name: str
    community_treatment_provider: str
    category: str  # emergency / priority / routine
    assessment_summary: str
    date_of_birth: date | str | None = None
    referrer_organisation: str | None = "Lancashire County Council"
    referrer_email: str | None = None
    referrer_phone: str | None = None
    external_id: str | None = None
    referrer_address: str | None = None  # postal address block, one line per line
    referrer_reference: str | None = None  # the referrer's own reference, quoted on our letters


@dataclass(frozen=True)
class AdmissionInput:
    admitted_on: date | str | None
    setting: str  # 24h_residential / non_24h_residential / day_programme (code or label)
    strand: str  # level_1 / level_2
    planned_weeks: int | str | None
    key_worker_id: str | None
    part_time: bool = False
    part_time_notes: str | None = None


@dataclass(frozen=True)
class ReferralView:
    id: str
    received_at: datetime
    counts_as_received_on: date
    given_name: str
    family_name: str
    date_of_birth: date | None
    referrer_name: str
    referrer_organisation: str | None
    referrer_email: str | None
    referrer_phone: str | None
    referrer_address: str | None
    referrer_reference: str | None
    community_treatment_provider: str | None
    category: str
    category_label: str
    assessment_summary: str | None
    status: str
    decision_due_on: date
    working_days_left: int | None  # open referrals only: 0 = due today, negative = overdue
    near_deadline: bool
    overdue: bool
    decided_at: datetime | None
    decided_by: str | None
    decided_within_deadline: bool | None
    decline_category: str | None
    decline_category_label: str | None
    decline_reason: str | None
    decline_letter_id: str | None
    resident_id: str | None
    external_id: str | None
    # What the unit profile lacked when the decline letter was made (name, address, ...).
    letter_missing: tuple[str, ...] = ()
    # The acceptance confirmation made by `accept` (set on the view `accept` returns).
    acceptance_letter_id: str | None = None

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True)
class ReferralRow:
    """One line of the referrals inbox: only what the list shows. The assessment, date of birth and
    the referrer's contact details are read by opening the referral (`get`, audited)."""

    id: str
    received_at: datetime
    counts_as_received_on: date
    given_name: str
    family_name: str
    referrer_name: str
    referrer_organisation: str | None
    category: str
    category_label: str
    status: str
    decision_due_on: date
    working_days_left: int | None
    near_deadline: bool
    overdue: bool
    decided_within_deadline: bool | None
    decided_at: datetime | None = None
    pre_admission_done: bool = False  # a pre-admission assessment is recorded (keyworker.pre_admission)

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def validate_referral(
    data: Mapping[str, Any] | ReferralInput, *, now: datetime, partial: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    c = Cleaner(as_mapping(data), partial=partial)
    c.datetime("received_at", "Date and time received", required=True, not_after=now)
    c.text("given_name", "Given name", required=True, max_len=100)
    c.text("family_name", "Family name", required=True, max_len=100)
    c.date("date_of_birth", "Date of birth", not_after=now.date(), not_before=date_ranges.EARLIEST_BIRTH)
    c.text("referrer_name", "Referrer", required=True, max_len=200)
    c.text("referrer_organisation", "Referrer's organisation", max_len=200)
    c.email("referrer_email", "Referrer's email")
    c.phone("referrer_phone", "Referrer's phone")
    c.text("referrer_address", "Referrer's postal address", max_len=MAX_ADDRESS)
    address = c.values.get("referrer_address")
    if address:
        lines = [ln.strip() for ln in address.splitlines() if ln.strip()]
        if len(lines) > MAX_ADDRESS_LINES:
            c.error("referrer_address", f"Referrer's postal address fits {MAX_ADDRESS_LINES} lines at most.")
        else:
            c.values["referrer_address"] = "\n".join(lines)
    c.text("referrer_reference", "Referrer's reference", max_len=64)
    c.text("community_treatment_provider", "Community Treatment Provider", required=True, max_len=200)
    c.choice("category", "Admission category", ref.admission_categories(), required=True)
    c.text("assessment_summary", "Summary of the assessment", required=True, max_len=20000)
    c.text("external_id", "External id", max_len=64)
    if (
        not partial
        and not c.values.get("referrer_email")
        and not c.values.get("referrer_phone")
        and "referrer_email" not in c.errors
        and "referrer_phone" not in c.errors
    ):
        c.error(
            "referrer_email", "Give the referrer's email or phone number, so the decision can reach them."
        )
    return c.values, c.errors


def validate_admission(
    data: Mapping[str, Any] | AdmissionInput, *, today: date, received_on: date | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    c = Cleaner(as_mapping(data))
    c.date("admitted_on", "Admission date", required=True, not_after=today, not_before=received_on)
    c.choice("setting", "Setting", ref.settings(), required=True)
    c.choice("strand", "Strand", ref.strands(), required=True)
    c.integer("planned_weeks", "Planned length in weeks", required=True, low=MIN_WEEKS, high=MAX_WEEKS)
    c.text("key_worker_id", "Key worker", required=True, max_len=36)
    c.boolean("part_time", "Part-time attendance")
    c.text("part_time_notes", "Part-time arrangements", max_len=2000)
    if c.values.get("part_time") and not c.values.get("part_time_notes"):
        c.error("part_time_notes", "Say which days or hours the resident attends.")
    return c.values, c.errors


def view(r: Referral, today: date, letter_id: str | None = None) -> ReferralView:
    is_open = r.status == OPEN
    left = wd.working_days_left(r.decision_due_on, today) if is_open else None
    decided_local = r.decided_at and local_today_of(r.decided_at)
    return ReferralView(
        id=r.id,
        received_at=r.received_at.astimezone(UTC),  # as read back from the database
        counts_as_received_on=wd.counts_as_received_on(r.received_at),
        given_name=r.given_name,
        family_name=r.family_name,
        date_of_birth=r.date_of_birth,
        referrer_name=r.referrer_name,
        referrer_organisation=r.referrer_organisation,
        referrer_email=r.referrer_email,
        referrer_phone=r.referrer_phone,
        referrer_address=r.referrer_address,
        referrer_reference=r.referrer_reference,
        community_treatment_provider=r.community_treatment_provider,
        category=r.category,
        category_label=ref.label(ref.admission_categories(), r.category),
        assessment_summary=r.assessment_summary,
        status=r.status,
        decision_due_on=r.decision_due_on,
        working_days_left=left,
        near_deadline=left is not None and 0 <= left <= wd.NEAR_DEADLINE_DAYS,
        overdue=left is not None and left < 0,
        decided_at=r.decided_at,
        decided_by=r.decided_by,
        decided_within_deadline=None if decided_local is None else decided_local <= r.decision_due_on,
        decline_category=r.decline_category,
        decline_category_label=ref.label(ref.decline_categories(), r.decline_category)
        if r.decline_category
        else None,
        decline_reason=r.decline_reason,
        decline_letter_id=letter_id,
        resident_id=r.resident_id,
        external_id=r.external_id,
    )


def row(r: Referral, today: date, pre_admission_done: bool = False) -> ReferralRow:
    v = view(r, today)
    return ReferralRow(**{f: getattr(v, f) for f in ReferralRow.__dataclass_fields__ if f != "pre_admission_done"},
                       pre_admission_done=pre_admission_done)


def local_today_of(at: datetime) -> date:
    from keyworker.clock import to_local

    return to_local(at).date()


def new_referral(session: Session, values: Mapping[str, Any]) -> Referral:
    r = Referral(
        status=OPEN,
        decision_due_on=wd.decision_due(values["received_at"]),
        **{k: v for k, v in values.items() if k in REFERRAL_FIELDS},
    )
    session.add(r)
    return r


class ReferralService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def _today(self) -> date:
        return local_today(self._book.clock)

    def _load(self, s: Session, referral_id: str) -> Referral:
        r = s.get(Referral, referral_id)
        if r is None or r.archived:
            raise NotFound("That referral does not exist.")
        return r

    # -- validation on the spot --------------------------------------------------------------
    @typed_inputs
    def validate(self, data: Mapping[str, Any] | ReferralInput) -> dict[str, str]:
        # Open: checks the form's own values and reads nothing.
        return validate_referral(data, now=self._book.clock.now())[1]

    @typed_inputs(requires=Permission.ADMIT)  # it reads the referral
    def validate_admission(
        self,
        referral_id: str,
        admission: Mapping[str, Any] | AdmissionInput,
        resident: Mapping[str, Any] | ResidentInput | None = None,
    ) -> dict[str, str]:
        """Messages for the admission form and (optionally) the resident form, without saving."""
        with self._book._read() as s:
            ref_row = self._load(s, referral_id)
            return self._check_admission(s, ref_row, admission, resident)[2]

    def _check_admission(
        self,
        s: Session,
        referral: Referral,
        admission: Any,
        resident: Any,
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
        values, errors = validate_admission(
            admission, today=self._today(), received_on=local_today_of(referral.received_at)
        )
        if "key_worker_id" in values and "key_worker_id" not in errors:
            try:
                check_key_worker(s, values["key_worker_id"])
            except ValidationError as e:
                errors.update(e.fields)
        rvalues: dict[str, Any] = {}
        if resident is not None:
            rvalues, rerrors = validate_resident(
                resident, admitted_on=values.get("admitted_on"), today=self._today()
            )
            errors.update({k: v for k, v in rerrors.items() if k not in errors})
        return values, rvalues, errors

    # -- recording ---------------------------------------------------------------------------
    @typed_inputs(requires=Permission.RECORD_REFERRALS)
    def record(self, data: ReferralInput | Mapping[str, Any]) -> ReferralView:
        """A referral as it arrives. Its decision is due 5 working days after receipt."""
        values, errors = validate_referral(data, now=self._book.clock.now())
        if errors:
            raise ValidationError(errors)
        with self._book._write() as s:
            r = new_referral(s, values)
            s.flush([r])
            self._book._record(s, "referral.create", "referral", r.id, detail={"category": r.category})
            return view(r, self._today())

    @typed_inputs(requires=Permission.RECORD_REFERRALS)
    def update(self, referral_id: str, changes: Mapping[str, Any]) -> ReferralView:
        """Correct a referral waiting for a decision or for admission. The audit entry names the
        changed fields only. Once decided, the time received stays (the decision was timed from
        it); a declined or admitted referral is no longer changed here."""
        with self._book._write() as s:
            r = self._load(s, referral_id)
            if r.status == DECLINED:
                raise ValidationError({"": "This referral has been declined: the decline letter gave these "
                                           "details, so they can no longer be changed."})
            if r.status == ADMITTED:
                raise ValidationError({"": "This referral has been admitted: correct the details in the "
                                           "resident's record."})
            unknown = [k for k in changes if k not in REFERRAL_FIELDS]
            current = {k: getattr(r, k) for k in REFERRAL_FIELDS}
            values, errors = validate_referral({**current, **changes}, now=self._book.clock.now())
            errors.update({k: "This field cannot be changed here." for k in unknown})
            if r.status != OPEN and "received_at" in changes and values.get("received_at") != current["received_at"]:
                errors["received_at"] = ("The time received cannot be changed once the referral is decided: "
                                         "the decision was timed from it.")
            if errors:
                raise ValidationError(errors)
            changed = sorted(k for k in changes if values.get(k) != current[k])
            for k in changed:
                setattr(r, k, values.get(k))
            if "received_at" in changed:
                r.decision_due_on = wd.decision_due(values["received_at"])
            if changed:
                self._book._record(s, "referral.update", "referral", r.id, detail={"fields": changed})
            return view(r, self._today())

    # -- deciding ----------------------------------------------------------------------------
    @typed_inputs(requires=Permission.DECIDE_REFERRALS)
    def accept(self, referral_id: str) -> ReferralView:
        """Accept. The confirmation letter for the referrer is made, kept and put in the outbox
        for them in the same transaction (the specification asks for both outcomes in writing)."""
        from keyworker.documents.acceptance_letter import acceptance_letter_pdf
        from keyworker.documents.decline_letter import Signatory
        from keyworker.outbox.queue import Recipient, enqueue_document
        from keyworker.unit_profile import read_profile

        with self._book._write() as s:
            r = self._load(s, referral_id)
            self._must_be_open(r)
            r.status, r.decided_at, r.decided_by = ACCEPTED, self._book.clock.now(), self._book.actor.id
            senior = s.get(Account, self._book.actor.id)
            signed = Signatory(self._book.actor.full_name, (senior.job_title or "") if senior else "")
            profile = read_profile(s)
            pdf = acceptance_letter_pdf(r, profile=profile, signed_by=signed, decided_at=r.decided_at)
            doc = self._book.documents._store(s, kind="acceptance_confirmation",
                                              title=f"Acceptance confirmation to {r.referrer_name}", content=pdf,
                                              referral_id=r.id, subject_id=r.id)
            enqueue_document(self._book, s, doc, recipient=Recipient(r.referrer_name, r.referrer_email, "referrer"))
            self._book._record(
                s,
                "referral.accept",
                "referral",
                r.id,
                detail={"within_deadline": self._today() <= r.decision_due_on},
            )
            return replace(view(r, self._today()), acceptance_letter_id=doc.id,
                           letter_missing=tuple(profile.missing()))

    @typed_inputs
    def validate_decline(self, category: str | None, reason: str | None) -> dict[str, str]:
        # Open: checks the form's own values and reads nothing.
        return self._decline_values(category, reason)[1]

    def _decline_values(
        self, category: str | None, reason: str | None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        c = Cleaner({"category": category, "reason": reason})
        c.choice("category", "Reason category", ref.decline_categories(), required=True)
        c.text("reason", "Reasons", required=True, max_len=10000)
        if "reason" in c.values and len(c.values["reason"]) < MIN_DECLINE_REASON:
            c.error("reason", "Explain the reasons in full: the referrer receives them in writing.")
        return c.values, c.errors

    @typed_inputs(requires=Permission.DECIDE_REFERRALS)
    def decline(self, referral_id: str, category: str | None, reason: str | None) -> ReferralView:
        """Decline with written reasons. The decline letter for the referrer is made, kept in the
        database and put in the outbox for the referrer, all in the same transaction. The letter is
        made even when the unit profile is incomplete; the view's `letter_missing` says what
        it lacks."""
        from keyworker.documents.decline_letter import Signatory, decline_letter_pdf
        from keyworker.unit_profile import read_profile

        values, errors = self._decline_values(category, reason)
        if errors:
            raise ValidationError(errors)
        with self._book._write() as s:
            r = self._load(s, referral_id)
            self._must_be_open(r)
            profile = read_profile(s)
            r.status, r.decided_at, r.decided_by = DECLINED, self._book.clock.now(), self._book.actor.id
            r.decline_category, r.decline_reason = values["category"], values["reason"]
            senior = s.get(Account, self._book.actor.id)
            signed = Signatory(self._book.actor.full_name, (senior.job_title or "") if senior else "")
            pdf = decline_letter_pdf(r, profile=profile, signed_by=signed, decided_at=r.decided_at)
            doc = self._book.documents._store(
                s,
                kind="decline_letter",
                title=f"Decline letter to {r.referrer_name}",
                content=pdf,
                referral_id=r.id,
                subject_id=r.id,
            )
            from keyworker.outbox.queue import Recipient, enqueue_document

            enqueue_document(self._book, s, doc, recipient=Recipient(r.referrer_name, r.referrer_email, "referrer"))
            self._book._record(
                s,
                "referral.decline",
                "referral",
                r.id,
                detail={
                    "category": r.decline_category,
                    "within_deadline": self._today() <= r.decision_due_on,
                },
            )
            return replace(view(r, self._today(), doc.id), letter_missing=tuple(profile.missing()))

    def _must_be_open(self, r: Referral) -> None:
        if r.status != OPEN:
            raise ValidationError({"": f"This referral has already been {r.status}."})

    # -- admitting ---------------------------------------------------------------------------
    @typed_inputs(requires=Permission.ADMIT)
    def admit(
        self,
        referral_id: str,
        admission: AdmissionInput | Mapping[str, Any],
        resident: ResidentInput | Mapping[str, Any] | None = None,
        *,
        resident_id: str | None = None,
    ) -> ResidentRecord:
        """Admit an accepted referral: a new resident from `resident`, or a returning one by
        `resident_id`. Resident, admission and referral change together or not at all."""
        if (resident is None) == (resident_id is None):
            raise ValidationError({"": "Give either the new resident's details or the returning resident."})
        with self._book._write() as s:
            r = self._load(s, referral_id)
            if r.status != ACCEPTED:
                raise ValidationError(
                    {
                        "": "Only an accepted referral can be admitted."
                        if r.status == OPEN
                        else f"This referral has been {r.status}."
                    }
                )
            avalues, rvalues, errors = self._check_admission(s, r, admission, resident)
            res: Resident | None = None
            if resident_id is not None:
                res = s.get(Resident, resident_id)
                if res is None:
                    raise NotFound("That resident does not exist.")
                if s.scalar(
                    select(Admission.id).where(
                        Admission.resident_id == res.id, Admission.discharged_on.is_(None)
                    )
                ):
                    errors.setdefault("", f"{res.reference} is already admitted.")
            if errors:
                raise ValidationError(errors)
            if res is None:
                res = new_resident(s, rvalues, next_reference_no(s))
                s.flush([res])
                self._book._record(
                    s,
                    "resident.create",
                    "resident",
                    res.id,
                    resident_id=res.id,
                    detail={"reference": res.reference},
                )
            adm = Admission(resident_id=res.id, referral_id=r.id, **avalues)
            s.add(adm)
            res.key_worker_id = adm.key_worker_id
            r.status, r.resident_id = ADMITTED, res.id
            s.flush()
            self._book._record(
                s, "admission.create", "admission", adm.id, resident_id=res.id, detail={"referral_id": r.id}
            )
            return build_record(s, res, self._today())

    # -- reading -----------------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def get(self, referral_id: str) -> ReferralView:
        with self._book._write() as s:
            r = self._load(s, referral_id)
            letter = s.scalar(
                select(Document.id).where(Document.referral_id == r.id, Document.kind == "decline_letter")
            )
            self._book._record(s, "referral.view", "referral", r.id, resident_id=r.resident_id)
            return view(r, self._today(), letter)

    def list_open(self, *, include_accepted: bool = False) -> list[ReferralRow]:
        """Referrals waiting for a decision (and, if asked, accepted ones waiting for admission),
        soonest deadline first. List rows only, so not audited; opening one is (`get`)."""
        return self.list("current" if include_accepted else OPEN)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def list(self, status: str = "current", search: str | None = None) -> list[ReferralRow]:
        """The referrals list: `status` is a key of LIST_FILTERS ("current": waiting for a decision
        or for admission). `search` matches the start of any word of the person's or the referrer's
        name or organisation. Still to act on first, soonest deadline first; decided ones newest
        decision first. List rows only, so not audited; opening one is (`get`)."""
        if status not in LIST_FILTERS:
            raise ValidationError({"status": "Choose which referrals to show."})
        if search is not None and len(search) > MAX_SEARCH:
            raise ValidationError({"search": f"Search for at most {MAX_SEARCH} characters."})
        words = (search or "").lower().split()
        q = select(Referral).where(Referral.status.in_(LIST_FILTERS[status]), Referral.archived.is_(False))
        for word in words:
            # Starts of words, as the caseload search does; LIKE wildcards typed are taken literally.
            pattern = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            haystack = func.lower(
                " " + func.coalesce(Referral.given_name, "") + " " + func.coalesce(Referral.family_name, "")
                + " " + func.coalesce(Referral.referrer_name, "") + " "
                + func.coalesce(Referral.referrer_organisation, "")
            )
            q = q.where(haystack.like(f"% {pattern}%", escape="\\"))
        with self._book._read() as s:
            referrals = s.scalars(q).all()
            today = self._today()
            from keyworker.pre_admission import assessed_referrals

            assessed = assessed_referrals(s, [r.id for r in referrals])
            rows = [row(r, today, r.id in assessed) for r in referrals]
        waiting = {OPEN: 0, ACCEPTED: 1}
        far = datetime.max.replace(tzinfo=UTC)
        rows.sort(key=lambda r: (waiting.get(r.status, 2), r.decision_due_on if r.status in waiting else date.max,
                                 -(r.decided_at or far).timestamp() if r.status not in waiting else 0,
                                 r.received_at))
        return rows

    def counts(self, session: Session) -> dict[str, int]:
        today = self._today()
        open_q = (
            select(func.count())
            .select_from(Referral)
            .where(Referral.status == OPEN, Referral.archived.is_(False))
        )
        return {
            "referrals_open": int(session.scalar(open_q) or 0),
            "referrals_decision_overdue": int(
                session.scalar(open_q.where(Referral.decision_due_on < today)) or 0
            ),
        }


__all__ = [
    "ReferralService",
    "ReferralInput",
    "AdmissionInput",
    "ReferralView",
    "validate_referral",
    "validate_admission",
]
