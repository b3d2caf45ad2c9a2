"""Fortnightly reviews of the Treatment and Recovery Care Plan (contract 4.1.5.4–4.1.5.8).

`book.reviews` is a `ReviewService`: what is due (one SQL query over the whole unit), recording a
review (goal progress, invitations, the resident's view, the next date, plan changes as a new
plan version in the same transaction), corrections that supersede, invitation letters for the
referrer, and the key worker's own list for the Today page. The scheduling rules themselves are
pure functions in `keyworker.review_schedule`."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, exists, func, select
from sqlalchemy.orm import Session

from keyworker import date_ranges, letters
from keyworker import review_schedule as rs
from keyworker.care_plans import IncompletePlan, PlanContent
from keyworker.clock import format_date, local_today
from keyworker.db.care_plans import CarePlan, CarePlanVersion, Review
from keyworker.db.caseload import Admission, Referral, Resident
from keyworker.db.documents import Document
from keyworker.db.foundation import Account
from keyworker.documents.store import Preview
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import typed_inputs
from keyworker.plan_sections import GOAL_STATUSES
from keyworker.security.permissions import Permission

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

INVITEE_ROLES = {"family": "Family member", "carer": "Carer", "referrer": "Referrer",
                 "ctp": "Community Treatment Provider", "other": "Other"}
ATTENDEE_ROLES = {"resident": "Resident", "key_worker": "Key worker", "staff": "Staff", **INVITEE_ROLES}
INVITATION_METHODS = ("letter", "email", "phone", "in person", "video call", "text message")
# Family and carers need time to decide whether to come (4.1.5.5).
REASONABLE_NOTICE_DAYS = 7
INVITATION_LOOKBACK_DAYS = 42
# How the warning about a mid-way or pre-discharge meeting without the referrer invited starts.
REFERRER_WARNING = "The referrer was not invited to this"
# How a missed referrer invitation is put right (contract 4.1.5.7), as a key worker would say it.
FOLLOWUP_ACTIONS = {
    "invited": "The referrer had been invited (it was not recorded at the time)",
    "informed": "The referrer has been told the outcome since",
}


# -- input -------------------------------------------------------------------------------------
@dataclass
class Attendee:
    name: str
    role: str = "other"  # a key of ATTENDEE_ROLES
    remote: bool = False  # joined by video or phone (4.1.5.8)


@dataclass
class Invitation:
    name: str
    role: str  # family / carer / referrer / ctp / other
    invited_on: date
    method: str = "letter"


@dataclass
class GoalProgress:
    goal_id: str
    status: str  # a key of GOAL_STATUSES
    note: str = ""


@dataclass
class ReviewInput:
    admission_id: str
    held_on: date
    next_review_on: date
    resident_view: str
    attendees: list[Attendee] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)
    goal_progress: list[GoalProgress] = field(default_factory=list)
    summary: str = ""
    next_review_reason: str = ""  # required when the next review is more than 14 days later
    kind: str | None = None  # regular / midway / pre_discharge; None: the schedule decides
    # The revised plan if the review changes it (a new plan version). Goal statuses from
    # `goal_progress` are applied to the plan as well unless `apply_goal_status` is False.
    plan_changes: PlanContent | None = None
    change_reason: str = ""
    apply_goal_status: bool = True
    # A correction of an earlier review: that review is superseded by this one.
    supersedes_id: str | None = None
    correction_reason: str = ""


@dataclass
class ReferrerFollowUp:
    """Putting right a mid-way or pre-discharge meeting recorded without the referrer invited."""

    review_id: str
    action: str  # a key of FOLLOWUP_ACTIONS
    date_done: date  # when they were invited (on or before the meeting) or told (on or after it)
    method: str = "email"  # one of INVITATION_METHODS
    note: str = ""


# -- values returned ---------------------------------------------------------------------------
@dataclass(frozen=True)
class InvitationView:
    name: str
    role: str
    invited_on: date
    method: str
    notice_days: int


@dataclass(frozen=True)
class InvitationLetter:
    """A produced invitation: the letter as a preview (kept in the resident's documents when it is
    printed, saved or sent: `documents.keep`), the `Invitation` to record on the review, and what
    the key worker should know (short notice, what the unit profile lacks)."""

    document: Preview
    invitation: Invitation
    warnings: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvitationSent:
    """An invitation kept and waiting in the outbox for the person invited. `created` is False
    when the same invitation (same meeting, same person) was already queued: nothing was added."""

    document_id: str | None
    item_id: str
    recipient_name: str
    recipient_email: str | None
    no_destination: bool  # waits until Administration → Destinations has one for invitations
    created: bool = True


@dataclass(frozen=True)
class FollowUpView:
    action: str
    action_label: str
    on: date
    method: str
    note: str
    recorded_by_name: str
    recorded_at: datetime

    @property
    def summary(self) -> str:
        verb = "invited" if self.action == "invited" else "told the outcome"
        return f"The referrer was {verb} on {format_date(self.on)} by {self.method}"


@dataclass(frozen=True)
class ReferrerFlag:
    """A current mid-way or pre-discharge meeting recorded without the referrer invited, not yet put
    right (the Today page and the review itself show it)."""

    review_id: str
    admission_id: str
    resident_id: str
    resident_name: str
    reference: str
    key_worker_id: str
    kind: str
    held_on: date
    key_worker_name: str = ""

    @property
    def kind_label(self) -> str:
        return rs.KIND_LABELS[self.kind]


@dataclass(frozen=True)
class ReviewView:
    id: str
    resident_id: str
    admission_id: str
    held_on: date
    next_review_on: date
    next_review_reason: str | None
    kind: str
    kind_label: str
    attendees: tuple[Attendee, ...]
    invitations: tuple[InvitationView, ...]
    goal_progress: tuple[GoalProgress, ...]
    resident_view: str
    summary: str
    plan_version_id: str | None
    plan_version_number: int | None
    recorded_by_name: str
    recorded_at: datetime
    supersedes_id: str | None
    superseded_by_id: str | None
    referrer_invited: bool  # recorded as invited, or an invitation letter made for the meeting
    warnings: tuple[str, ...] = ()
    # A mid-way or pre-discharge meeting without the referrer invited: open until put right.
    referrer_flag: bool = False
    referrer_followup: FollowUpView | None = None


@dataclass(frozen=True)
class ReviewDue:
    admission_id: str
    resident_id: str
    resident_name: str
    reference: str
    key_worker_id: str
    key_worker_name: str
    admitted_on: date
    planned_weeks: int
    last_review_on: date | None
    due_on: date
    status: str  # overdue / due_today / due_this_week / later
    kind: str  # regular / midway / pre_discharge: which meeting the next review should be
    days_overdue: int

    @property
    def referrer_must_be_invited(self) -> bool:
        return self.kind in rs.REFERRER_KINDS

    @property
    def status_label(self) -> str:
        return rs.STATUS_LABELS[self.status]

    @property
    def kind_label(self) -> str:
        return rs.KIND_LABELS[self.kind]

    @property
    def planned_end_on(self) -> date:
        return rs.planned_end(self.admitted_on, self.planned_weeks)

    @property
    def after_planned_end(self) -> bool:
        """Due after the placement's planned end: the discharge meeting comes instead."""
        return rs.after_planned_end(self.due_on, self.admitted_on, self.planned_weeks)


@dataclass(frozen=True)
class MyWork:
    """What the signed-in key worker must do now (the Today page)."""

    reviews_overdue: tuple[ReviewDue, ...]
    reviews_due_this_week: tuple[ReviewDue, ...]  # due today or within 7 days
    plans_incomplete: tuple[IncompletePlan, ...]


# -- the service -------------------------------------------------------------------------------
class ReviewService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    # what is due -----------------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def due(self, scope: str = "unit", today: date | None = None, *, include_later: bool = False,
            key_worker_id: str | None = None) -> list[ReviewDue]:
        """Reviews overdue, due today and due within 7 days (and later ones if asked), most
        overdue first. `scope` 'mine' limits to the signed-in user's residents."""
        today = today or local_today(self._book.clock)
        if scope == "mine":
            key_worker_id = self._book.actor.id
        with self._book._read() as s:
            return self._due(s, today, None if include_later else today + timedelta(days=rs.DUE_SOON_DAYS),
                             key_worker_id)

    def _due(self, s: Session, today: date, horizon: date | None, key_worker_id: str | None) -> list[ReviewDue]:
        inner = _due_query(key_worker_id).subquery()
        q = select(inner.c.admission_id, inner.c.resident_id, Resident.given_name, Resident.family_name,
                   Resident.reference, inner.c.key_worker_id, inner.c.admitted_on, inner.c.planned_weeks,
                   inner.c.last_review_on, inner.c.due_on) \
            .join(Resident, Resident.id == inner.c.resident_id) \
            .order_by(inner.c.due_on, Resident.family_name)
        if horizon is not None:
            q = q.where(inner.c.due_on <= horizon)
        rows = s.execute(q).tuples().all()
        workers = dict(s.execute(select(Account.id, Account.full_name)).tuples().all())
        # Which admissions already had their mid-way / pre-discharge meeting: one query, and only
        # for reviews due on or after the mid-way date (no earlier one can be either meeting).
        held: dict[str, set[str]] = {}
        ids = [r[0] for r in rows if r[9] >= rs.midway_window_start(r[6], r[7])]
        for i in range(0, len(ids), 900):
            for adm_id, kind in s.execute(
                    select(Review.admission_id, Review.kind).distinct()
                    .where(Review.admission_id.in_(ids[i:i + 900]), Review.superseded_by_id.is_(None),
                           Review.kind != rs.REGULAR)).tuples():
                held.setdefault(adm_id, set()).add(kind)
        none: set[str] = set()
        status, kind_of = rs.review_status, rs.suggested_kind
        out = []
        for adm_id, res_id, given, family, ref, worker, admitted, weeks, last, due_on in rows:
            kinds = held.get(adm_id, none)
            out.append(ReviewDue(
                adm_id, res_id, f"{given} {family}", ref, worker, workers.get(worker, ""), admitted, weeks, last,
                due_on, status(today, due_on),
                kind_of(due_on, admitted, weeks, midway_held=rs.MIDWAY in kinds,
                        pre_discharge_held=rs.PRE_DISCHARGE in kinds),
                max(0, (today - due_on).days)))
        return out

    @typed_inputs
    def my_work(self, today: date | None = None) -> MyWork:
        """The signed-in key worker's overdue and due-this-week reviews and incomplete plans."""
        due = self.due("mine", today)
        plans = self._book.care_plans.incomplete("mine")
        return MyWork(tuple(d for d in due if d.status == rs.OVERDUE),
                      tuple(d for d in due if d.status in (rs.DUE_TODAY, rs.DUE_THIS_WEEK)), tuple(plans))

    def counts(self, session: Session) -> dict[str, Any]:
        today = local_today(self._book.clock)
        inner = _due_query(None).subquery()
        overdue = session.scalar(select(func.count()).select_from(inner).where(inner.c.due_on < today))
        soon = session.scalar(select(func.count()).select_from(inner).where(
            inner.c.due_on >= today, inner.c.due_on <= today + timedelta(days=rs.DUE_SOON_DAYS)))
        return {"reviews_due_7d": int(soon or 0), "reviews_overdue": int(overdue or 0)}

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def next_for(self, admission_id: str, today: date | None = None) -> ReviewDue:
        """The next review of one admission: due date, status and which meeting it should be."""
        today = today or local_today(self._book.clock)
        with self._book._read() as s:
            rows = [d for d in self._due_one(s, today, admission_id)]
        if not rows:
            raise NotFound("That admission is not current.")
        return rows[0]

    def _due_one(self, s: Session, today: date, admission_id: str) -> list[ReviewDue]:
        inner = _due_query(None, admission_id=admission_id).subquery()
        r = s.execute(select(inner, Resident.given_name, Resident.family_name, Resident.reference,
                             Account.full_name.label("worker_name"))
                      .join(Resident, Resident.id == inner.c.resident_id)
                      .join(Account, Account.id == inner.c.key_worker_id, isouter=True)).first()
        if r is None:
            return []
        kinds = set(s.scalars(select(Review.kind).where(Review.admission_id == admission_id,
                                                        Review.superseded_by_id.is_(None))))
        return [ReviewDue(r.admission_id, r.resident_id, f"{r.given_name} {r.family_name}", r.reference,
                          r.key_worker_id, r.worker_name or "", r.admitted_on, r.planned_weeks, r.last_review_on,
                          r.due_on, rs.review_status(today, r.due_on),
                          rs.suggested_kind(r.due_on, r.admitted_on, r.planned_weeks,
                                            midway_held=rs.MIDWAY in kinds,
                                            pre_discharge_held=rs.PRE_DISCHARGE in kinds),
                          max(0, (today - r.due_on).days))]

    def _kind_for(self, s: Session, adm: Admission, on: date) -> str:
        """Which meeting a review on `on` is, given the meetings already held."""
        kinds = set(s.scalars(select(Review.kind).where(Review.admission_id == adm.id,
                                                        Review.superseded_by_id.is_(None))))
        return rs.suggested_kind(on, adm.admitted_on, adm.planned_weeks, midway_held=rs.MIDWAY in kinds,
                                 pre_discharge_held=rs.PRE_DISCHARGE in kinds)

    # recording -------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.RECORD_REVIEWS)
    def record(self, data: ReviewInput) -> ReviewView:
        """Record a review. Plan changes (and goal status changes) become a new plan version in the
        same transaction. Refused: a date in the future or before admission, no resident's view,
        a next review more than 14 days later without a reason. Warned: referrer not invited to
        a mid-way or pre-discharge meeting, short notice to family or carers, a late review."""
        today = local_today(self._book.clock)
        errors = _validate_input(data, today)
        if errors:
            raise ValidationError(errors)
        with self._book._write() as s:
            adm = s.get(Admission, data.admission_id)
            if adm is None:
                raise NotFound("That admission does not exist.")
            if data.held_on < adm.admitted_on:
                raise ValidationError({"held_on": "The review date is before the admission."})
            if adm.discharged_on is not None and data.held_on > adm.discharged_on:
                raise ValidationError({"held_on": "The resident had been discharged by that date."})
            old: Review | None = None
            if data.supersedes_id:
                old = s.get(Review, data.supersedes_id)
                if old is None or old.admission_id != adm.id:
                    raise ValidationError({"supersedes_id": "The review being corrected is not this admission's."})
                if old.superseded_by_id:
                    raise ValidationError({"supersedes_id": "That review has already been corrected."})
            due_before = self._due_one(s, data.held_on, adm.id) if old is None and adm.discharged_on is None else []
            kind = data.kind or self._kind_for(s, adm, max([data.held_on] + [d.due_on for d in due_before]))
            if kind not in rs.KIND_LABELS:
                raise ValidationError({"kind": "Choose regular, mid-way or pre-discharge."})

            plan = s.scalars(select(CarePlan).where(CarePlan.admission_id == adm.id)).first()
            new_content = self._plan_changes(s, plan, data)
            review = Review(
                resident_id=adm.resident_id, admission_id=adm.id, held_on=data.held_on,
                next_review_on=data.next_review_on, next_review_reason=data.next_review_reason.strip() or None,
                kind=kind, attendees=json.dumps([asdict(a) for a in data.attendees], ensure_ascii=False),
                invitations=json.dumps([_invitation_json(i, data.held_on) for i in data.invitations],
                                       ensure_ascii=False),
                goal_progress=json.dumps([asdict(g) for g in data.goal_progress], ensure_ascii=False),
                resident_view=data.resident_view.strip(), summary=data.summary.strip() or None,
                supersedes_id=old.id if old else None,
                correction_reason=data.correction_reason.strip() or None,
                referrer_missing=kind in rs.REFERRER_KINDS and not self._referrer_invited(s, adm.id, data),
            )
            if review.referrer_missing and old is not None and old.referrer_followup:
                review.referrer_followup = old.referrer_followup  # put right already: the correction keeps it
            s.add(review)
            s.flush([review])
            version = None
            if new_content is not None and plan is not None:
                self._book.require(Permission.EDIT_CARE_PLANS)
                reason = data.change_reason.strip() or f"Changed at the review of {format_date(data.held_on)}"
                version = self._book.care_plans._revise_in(s, plan.id, new_content, reason, review_id=review.id)
                review.plan_version_id = version.id
            if old is not None:
                old.superseded_by_id = review.id
            warnings = self._warnings(s, adm, data, kind, due_before)
            self._book._record(s, "review.correct" if old else "review.record", "review", review.id,
                              resident_id=adm.resident_id,
                              detail={"kind": kind, "held_on": data.held_on.isoformat(),
                                      "goals_updated": len(data.goal_progress),
                                      "plan_version": version.number if version else None,
                                      **({"supersedes": old.id} if old else {}),
                                      **({"warnings": len(warnings)} if warnings else {})})
            names = {self._book.actor.id: self._book.actor.full_name}
            if review.referrer_followup:
                names.update(_followup_names(s, [review]))
            return _review_view(review, version.number if version else None, names, tuple(warnings))

    @typed_inputs(requires=Permission.RECORD_REVIEWS)
    def preview(self, data: ReviewInput) -> tuple[str, list[str]]:
        """Before saving: the meeting kind the review will be recorded as and the warnings that
        saving would give (referrer not invited, short notice, late), so the UI can ask first.
        Raises ValidationError as `record` would for bad input. Writes nothing."""
        errors = _validate_input(data, local_today(self._book.clock))
        if errors:
            raise ValidationError(errors)
        with self._book._read() as s:
            adm = s.get(Admission, data.admission_id)
            if adm is None:
                raise NotFound("That admission does not exist.")
            due_before = self._due_one(s, data.held_on, adm.id) \
                if not data.supersedes_id and adm.discharged_on is None else []
            kind = data.kind or self._kind_for(s, adm, max([data.held_on] + [d.due_on for d in due_before]))
            return kind, self._warnings(s, adm, data, kind, due_before)

    def _plan_changes(self, s: Session, plan: CarePlan | None, data: ReviewInput) -> PlanContent | None:
        """The plan content after this review, or None if the plan does not change."""
        if plan is None:
            if data.plan_changes is not None:
                raise ValidationError({"plan_changes": "This resident has no care plan to change yet."})
            if data.goal_progress:
                raise ValidationError({"goal_progress": "This resident has no care plan goals yet."})
            return None
        current = s.get(CarePlanVersion, plan.current_version_id)
        assert current is not None
        base = PlanContent.from_json(current.content)
        content = (data.plan_changes or base).copy()
        known = {g.id for g in base.goals} | {g.id for g in content.goals}
        unknown = [g.goal_id for g in data.goal_progress if g.goal_id not in known]
        if unknown:
            raise ValidationError({"goal_progress": "Progress was recorded against a goal that is not in the plan."})
        if data.apply_goal_status:
            for gp in data.goal_progress:
                goal = content.goal(gp.goal_id)
                if goal is not None:
                    goal.status = gp.status
        if plan.status != "complete":
            if data.plan_changes is not None:
                raise ValidationError({"plan_changes": "The plan is still a draft: finish and complete it first."})
            return None
        if not _differs(base, content):
            return None
        return content

    def _warnings(self, s: Session, adm: Admission, data: ReviewInput, kind: str,
                  due_before: list[ReviewDue]) -> list[str]:
        warnings = []
        if kind in rs.REFERRER_KINDS and not self._referrer_invited(s, adm.id, data):
            warnings.append(f"{REFERRER_WARNING} {rs.KIND_LABELS[kind].lower()} "
                            "(contract 4.1.5.7). Record their invitation, or the review stays flagged until you record "
                            "that they were invited or have been told the outcome.")
        for inv in data.invitations:
            notice = (data.held_on - inv.invited_on).days
            if inv.role in ("family", "carer") and notice < REASONABLE_NOTICE_DAYS:
                warnings.append(f"{inv.name} ({INVITEE_ROLES[inv.role].lower()}) had only {notice} day"
                                f"{'s' if notice != 1 else ''} notice.")
        if due_before and data.held_on > due_before[0].due_on:
            late = (data.held_on - due_before[0].due_on).days
            warnings.append(f"This review was {late} day{'s' if late != 1 else ''} late "
                            f"(due {format_date(due_before[0].due_on)}).")
        if adm.discharged_on is None and (advice := after_end_advice(data.next_review_on, adm.admitted_on,
                                                                     adm.planned_weeks)):
            warnings.append(advice)
        return warnings

    def _referrer_invited(self, s: Session, admission_id: str, data: ReviewInput) -> bool:
        if any(i.role == "referrer" for i in data.invitations):
            return True
        since = datetime.combine(data.held_on - timedelta(days=INVITATION_LOOKBACK_DAYS), datetime.min.time(),
                                 tzinfo=UTC)
        return bool(s.scalar(select(exists().where(
            Document.kind == "review_invitation", Document.subject_id == admission_id,
            Document.title.like("Invitation to the referrer%"), Document.created_at >= since))))

    # history ---------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def history(self, admission_id: str, *, include_superseded: bool = False) -> list[ReviewView]:
        """The admission's reviews, newest first. Audited."""
        with self._book._write() as s:
            adm = s.get(Admission, admission_id)
            if adm is None:
                raise NotFound("That admission does not exist.")
            q = select(Review, CarePlanVersion.number).outerjoin(
                CarePlanVersion, CarePlanVersion.id == Review.plan_version_id).where(Review.admission_id == admission_id)
            if not include_superseded:
                q = q.where(Review.superseded_by_id.is_(None))
            rows = s.execute(q.order_by(Review.held_on.desc(), Review.created_at.desc())).all()
            ids = {r.created_by for r, _ in rows if r.created_by}
            names = dict(s.execute(select(Account.id, Account.full_name).where(Account.id.in_(ids))).tuples().all()) \
                if ids else {}
            names.update(_followup_names(s, [r for r, _ in rows]))
            self._book._record(s, "review.history", "admission", admission_id, resident_id=adm.resident_id)
            return [_review_view(r, n, names) for r, n in rows]

    # the referrer flag -------------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def referrer_flags(self, scope: str = "unit") -> list[ReferrerFlag]:
        """Mid-way and pre-discharge meetings recorded without the referrer invited and not yet put
        right, oldest first; `scope` 'mine' limits them to the signed-in user's residents. A list:
        it carries only what it shows and is not audited."""
        q = (select(Review.id, Review.admission_id, Review.resident_id, Resident.given_name, Resident.family_name,
                    Resident.reference, Admission.key_worker_id, Review.kind, Review.held_on)
             .join(Admission, Admission.id == Review.admission_id)
             .join(Resident, Resident.id == Review.resident_id)
             .where(Review.referrer_missing == 1, Review.referrer_followup.is_(None),  # "= 1": the partial index
                    Review.superseded_by_id.is_(None), Admission.archived.is_(False))
             .order_by(Review.held_on, Resident.family_name))
        if scope == "mine":
            q = q.where(Admission.key_worker_id == self._book.actor.id)
        with self._book._read() as s:
            rows = s.execute(q).tuples().all()
            workers = dict(s.execute(select(Account.id, Account.full_name)).tuples().all()) if rows else {}
            return [ReferrerFlag(rid, aid, res, f"{given} {family}", ref, worker, kind, held, workers.get(worker, ""))
                    for rid, aid, res, given, family, ref, worker, kind, held in rows]

    @typed_inputs(requires=Permission.RECORD_REVIEWS)
    def put_right_referrer(self, data: ReferrerFollowUp) -> ReviewView:
        """Record how a meeting held without the referrer invited was put right: they had in fact
        been invited (not recorded at the time), or they have been told the outcome since. Once per
        review; it clears the flag. Audited, without the note."""
        today = local_today(self._book.clock)
        errors: dict[str, str] = {}
        if data.action not in FOLLOWUP_ACTIONS:
            errors["action"] = "Choose what was done: the referrer had been invited, or has been told since."
        if data.method not in INVITATION_METHODS:
            errors["method"] = "Choose how: " + ", ".join(INVITATION_METHODS) + "."
        if len(data.note) > 2000:
            errors["note"] = "The note is too long (at most 2,000 characters)."
        if data.date_done > today:
            errors["date_done"] = "The date is in the future."
        elif message := date_ranges.out_of_range("Date", data.date_done, *date_ranges.recorded(today)):
            errors["date_done"] = message
        if errors:
            raise ValidationError(errors)
        with self._book._write() as s:
            review = s.get(Review, data.review_id)
            if review is None:
                raise NotFound("That review does not exist.")
            if review.superseded_by_id:
                raise ValidationError({"review_id": "That review has been corrected: put the correction right."})
            if not review.referrer_missing or review.kind not in rs.REFERRER_KINDS:
                raise ValidationError({"review_id": "The referrer was invited to that review: nothing to put right."})
            if review.referrer_followup:
                raise ValidationError({"review_id": "That review has already been put right."})
            if data.action == "invited" and data.date_done > review.held_on:
                raise ValidationError({"date_done": f"An invitation is sent before the meeting (held "
                                             f"{format_date(review.held_on)}); after it, choose “told since”."})
            if data.action == "informed" and data.date_done < review.held_on:
                raise ValidationError({"date_done": f"The referrer is told the outcome after the meeting (held "
                                             f"{format_date(review.held_on)})."})
            review.referrer_followup = json.dumps({
                "action": data.action, "on": data.date_done.isoformat(), "method": data.method,
                "note": data.note.strip(), "by": self._book.actor.id,
                "at": self._book.clock.now().isoformat()}, ensure_ascii=False)
            self._book._record(s, "review.referrer_followup", "review", review.id, resident_id=review.resident_id,
                              detail={"action": data.action, "on": data.date_done.isoformat()})
            number = s.scalar(select(CarePlanVersion.number).where(CarePlanVersion.id == review.plan_version_id)) \
                if review.plan_version_id else None
            names = dict(s.execute(select(Account.id, Account.full_name).where(
                Account.id.in_({review.created_by or "", self._book.actor.id}))).tuples().all())
            return _review_view(review, number, names)

    # invitations -----------------------------------------------------------------------------
    @typed_inputs(requires=Permission.RECORD_REVIEWS)
    def invitation_letter(self, admission_id: str, meeting_on: date, *, kind: str | None = None,
                          meeting_time: str = "", venue: str = "", invitee_name: str | None = None,
                          invitee_role: str = "referrer", invitee_address: str = "") -> InvitationLetter:
        """An invitation letter PDF for a planned review meeting (to the referrer by default), dated
        today, for the meeting date, time and place given (`venue` empty: the unit's address), to
        preview. Returns it, the `Invitation` to add to the review when held, and
        warnings: too little notice, an incomplete unit profile. Previewing files nothing."""
        from keyworker.documents import review_invitation
        from keyworker.unit_profile import read_profile

        if invitee_role not in INVITEE_ROLES:
            raise ValidationError({"invitee_role": "Choose who is invited: family, carer, referrer, CTP or other."})
        today = local_today(self._book.clock)
        if meeting_on < today:
            raise ValidationError({"meeting_on": "The meeting date has passed."})
        if message := date_ranges.out_of_range("Meeting date", meeting_on, *date_ranges.planned(today)):
            raise ValidationError({"meeting_on": message})
        if len(meeting_time) > 40 or len(venue) > 1000 or len(invitee_address) > 1000:
            raise ValidationError({"venue": "The meeting time, place or address is too long for a letter."})
        with self._book._write() as s:
            adm = s.get(Admission, admission_id)
            if adm is None:
                raise NotFound("That admission does not exist.")
            res = s.get(Resident, adm.resident_id)
            assert res is not None
            profile = read_profile(s)
            kind = kind or self._kind_for(s, adm, meeting_on)
            if kind not in rs.KIND_LABELS:
                raise ValidationError({"kind": "Choose regular, mid-way or pre-discharge."})
            ref = s.get(Referral, adm.referral_id) if adm.referral_id else None
            their_reference = ""
            if invitee_role == "referrer" and ref is not None:
                their_reference = ref.referrer_reference or ""
            if invitee_role == "referrer" and not invitee_name:
                if ref is None:
                    raise ValidationError({"invitee_name": "There is no referral on record: give the referrer's name."})
                invitee_name = ref.referrer_name
                invitee_address = invitee_address or "\n".join(
                    x for x in (ref.referrer_organisation, ref.referrer_address or ref.referrer_email) if x)
            if not (invitee_name or "").strip():
                raise ValidationError({"invitee_name": "Give the name of the person invited."})
            worker = s.get(Account, adm.key_worker_id)
            pdf = review_invitation.build(review_invitation.Letter(
                profile=profile, invitee_name=invitee_name or "", invitee_role=invitee_role,
                invitee_address=invitee_address, their_reference=their_reference,
                resident_name=f"{res.given_name} {res.family_name}", reference=res.reference,
                date_of_birth=res.date_of_birth, admitted_on=adm.admitted_on, planned_weeks=adm.planned_weeks,
                kind=kind, meeting_on=meeting_on, meeting_time=meeting_time.strip(),
                venue=venue.strip() or letters.unit_address(profile) or "At the unit",
                key_worker_name=worker.full_name if worker else "",
                key_worker_title=(worker.job_title or "") if worker else "", written_on=today,
            ), generated_at=self._book.clock.now())
            role_text = _role_text(invitee_role)
            doc = self._book.documents._preview(
                s, kind="review_invitation", content=pdf, resident_id=res.id, subject_id=adm.id,
                title=f"Invitation to {role_text}: {rs.KIND_LABELS[kind].lower()} on {format_date(meeting_on)} "
                      f"({res.reference})")
            self._book._record(s, "review.invite", "admission", adm.id, resident_id=res.id,
                              detail={"kind": kind, "role": invitee_role, "meeting_on": meeting_on.isoformat()})
            missing = tuple(profile.missing())
            warnings = tuple(w for w in (letters.notice_warning(meeting_on, today),
                                         letters.incomplete_profile_warning(missing)) if w)
            return InvitationLetter(doc, Invitation(invitee_name or "", invitee_role, today, "letter"),
                                    warnings, missing)


    @typed_inputs(requires=Permission.RECORD_REVIEWS)
    def send_invitation(self, letter: InvitationLetter) -> InvitationSent:
        """Keep an invitation made by `invitation_letter` in the resident's documents and put it in
        the outbox for the person invited, in one transaction (audited `document.send` and
        `outbox.enqueue`). The referrer's email is taken from the referral; other invitees have
        no email on record, so an email destination uses its own recipients for invitations.
        Sending the same invitation again (same meeting, same person) adds nothing: the item
        already queued is returned with `created` False."""
        from keyworker.outbox.queue import Recipient, document_fields, enqueue_once, existing_item

        p, inv = letter.document, letter.invitation
        if p.kind != "review_invitation" or not p.subject_id:
            raise ValidationError({"letter": "This is not a review invitation letter. Make the invitation again."})
        self._book.documents._check_seal(p)
        # The person must be the one the sealed letter is addressed to (its title names the role).
        if inv.role not in INVITEE_ROLES or not inv.name.strip() \
                or not p.title.startswith(f"Invitation to {_role_text(inv.role)}:"):
            raise ValidationError({"invitation": "Say who is invited, as the letter names them. Make the "
                                                 "invitation again."})
        with self._book._write() as s:
            adm = s.get(Admission, p.subject_id)
            if adm is None or adm.resident_id != p.resident_id:
                raise NotFound("That admission does not exist.")
            ref = s.get(Referral, adm.referral_id) if adm.referral_id else None
            email = None
            if inv.role == "referrer" and ref is not None \
                    and inv.name.strip().casefold() == (ref.referrer_name or "").strip().casefold():
                email = ref.referrer_email or None
            recipient = Recipient(inv.name.strip(), email, inv.role)
            subject = f"review_invitation|{adm.id}|{p.title}"  # the meeting (kind, date) and who is invited
            existing = existing_item(s, kind="review_invitation", subject=subject, recipient=recipient)
            if existing is not None:
                return InvitationSent(existing.document_id, existing.id, recipient.name or "", email,
                                      existing.destination_id is None, created=False)
            doc = self._book.documents._keep_in(s, p)
            self._book._record(s, "document.send", "document", doc.id, resident_id=doc.resident_id,
                               detail={"kind": doc.kind})
            item, created = enqueue_once(self._book, s, kind="review_invitation", subject=subject,
                                         recipient=recipient, **document_fields(doc))
            return InvitationSent(doc.id, item.id, recipient.name or "", email, item.destination_id is None,
                                  created)


def _role_text(role: str) -> str:
    """How an invitation's title names who is invited ("the referrer", "family member" ...)."""
    return "the referrer" if role == "referrer" else INVITEE_ROLES[role].lower()


def _due_query(key_worker_id: str | None, admission_id: str | None = None):  # type: ignore[no-untyped-def]
    """Current admissions with the date their next review is due: the `next_review_on` of the
    latest current review, else admission + 14 days (docs/CONTRACTS.md)."""
    latest = (select(Review.next_review_on, Review.held_on)
              .where(Review.admission_id == Admission.id, Review.superseded_by_id.is_(None))
              .order_by(Review.held_on.desc(), Review.created_at.desc()).limit(1).correlate(Admission))
    next_on = latest.with_only_columns(Review.next_review_on).scalar_subquery()
    last_held = latest.with_only_columns(Review.held_on).scalar_subquery()
    due = func.coalesce(next_on, func.date(Admission.admitted_on, f"+{rs.REVIEW_INTERVAL_DAYS} days"), type_=Date)
    q = select(Admission.id.label("admission_id"), Admission.resident_id, Admission.key_worker_id,
               Admission.admitted_on, Admission.planned_weeks, last_held.label("last_review_on"),
               due.label("due_on")).where(Admission.discharged_on.is_(None), Admission.archived.is_(False))
    if key_worker_id:
        q = q.where(Admission.key_worker_id == key_worker_id)
    if admission_id:
        q = q.where(Admission.id == admission_id)
    return q


def _validate_input(data: ReviewInput, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.held_on > today:
        errors["held_on"] = "A review can only be recorded once it has been held (the date is in the future)."
    elif message := date_ranges.out_of_range("Review date", data.held_on, *date_ranges.recorded(today)):
        errors["held_on"] = message
    if data.next_review_on <= data.held_on:
        errors["next_review_on"] = "The next review must be after this one."
    elif message := date_ranges.out_of_range("Next review date", data.next_review_on, *date_ranges.planned(today)):
        errors["next_review_on"] = message
    elif data.next_review_on > rs.latest_next_review(data.held_on) and not data.next_review_reason.strip():
        errors["next_review_reason"] = (
            f"The next review is more than {rs.REVIEW_INTERVAL_DAYS} days away (latest "
            f"{format_date(rs.latest_next_review(data.held_on))}): record the reason.")
    if not data.resident_view.strip():
        errors["resident_view"] = "Record the resident's own view (or that they chose not to give one)."
    if not data.attendees:
        errors["attendees"] = "Record who attended."
    for a in data.attendees:
        if not a.name.strip() or a.role not in ATTENDEE_ROLES:
            errors["attendees"] = "Each attendee needs a name and a role."
    for i in data.invitations:
        if not i.name.strip() or i.role not in INVITEE_ROLES:
            errors["invitations"] = "Each invitation needs a name and who they are (family, carer, referrer ...)."
        elif i.invited_on > data.held_on:
            errors["invitations"] = f"{i.name} is recorded as invited after the review."
        elif message := date_ranges.out_of_range(f"The date {i.name} was invited", i.invited_on,
                                                 *date_ranges.recorded(today)):
            errors["invitations"] = message
    for g in data.goal_progress:
        if g.status not in GOAL_STATUSES:
            errors["goal_progress"] = "Choose a status for each goal: not started, in progress, achieved or changed."
    if data.supersedes_id and not data.correction_reason.strip():
        errors["correction_reason"] = "Say why the earlier review is being corrected."
    return errors


def _differs(a: PlanContent, b: PlanContent) -> bool:
    from keyworker.care_plans import diff_content

    return bool(diff_content(a, b))


def after_end_advice(next_on: date, admitted_on: date, planned_weeks: int) -> str | None:
    """What to say when the next review is set for after the placement's planned end."""
    if not rs.after_planned_end(next_on, admitted_on, planned_weeks):
        return None
    end = format_date(rs.planned_end(admitted_on, planned_weeks))
    return (f"The next review ({format_date(next_on)}) is after the planned end of the placement ({end}): "
            f"plan the discharge meeting for {end} instead, or record the longer stay first.")


def _followup_names(s: Session, reviews: list[Review]) -> dict[str, str]:
    ids = {json.loads(r.referrer_followup).get("by", "") for r in reviews if r.referrer_followup}
    if not ids:
        return {}
    return dict(s.execute(select(Account.id, Account.full_name).where(Account.id.in_(ids))).tuples().all())


def _followup_view(raw: str | None, names: dict[str, str]) -> FollowUpView | None:
    if not raw:
        return None
    f = json.loads(raw)
    return FollowUpView(f["action"], FOLLOWUP_ACTIONS.get(f["action"], f["action"]), date.fromisoformat(f["on"]),
                        f.get("method", ""), f.get("note", ""), names.get(f.get("by", ""), ""),
                        datetime.fromisoformat(f["at"]))


def _invitation_json(i: Invitation, held_on: date) -> dict[str, Any]:
    return {"name": i.name.strip(), "role": i.role, "invited_on": i.invited_on.isoformat(), "method": i.method,
            "notice_days": (held_on - i.invited_on).days}


def _review_view(r: Review, version_number: int | None, names: dict[str, str],
                 warnings: tuple[str, ...] = ()) -> ReviewView:
    invitations = tuple(InvitationView(i["name"], i["role"], date.fromisoformat(i["invited_on"]), i.get("method", ""),
                                       int(i.get("notice_days", 0))) for i in json.loads(r.invitations or "[]"))
    return ReviewView(
        id=r.id, resident_id=r.resident_id, admission_id=r.admission_id, held_on=r.held_on,
        next_review_on=r.next_review_on, next_review_reason=r.next_review_reason, kind=r.kind,
        kind_label=rs.KIND_LABELS.get(r.kind, r.kind),
        attendees=tuple(Attendee(**a) for a in json.loads(r.attendees or "[]")), invitations=invitations,
        goal_progress=tuple(GoalProgress(**g) for g in json.loads(r.goal_progress or "[]")),
        resident_view=r.resident_view or "", summary=r.summary or "", plan_version_id=r.plan_version_id,
        plan_version_number=version_number, recorded_by_name=names.get(r.created_by or "", ""),
        recorded_at=r.created_at, supersedes_id=r.supersedes_id, superseded_by_id=r.superseded_by_id,
        referrer_invited=any(i.role == "referrer" for i in invitations)
        or (r.kind in rs.REFERRER_KINDS and not r.referrer_missing), warnings=warnings,
        referrer_flag=bool(r.referrer_missing and r.kind in rs.REFERRER_KINDS and not r.referrer_followup
                           and not r.superseded_by_id),
        referrer_followup=_followup_view(r.referrer_followup, names),
    )


__all__ = ["Attendee", "Invitation", "InvitationLetter", "InvitationSent", "GoalProgress", "ReviewInput", "ReviewView", "InvitationView", "ReviewDue",
           "MyWork", "ReviewService", "REFERRER_WARNING", "ReferrerFollowUp", "ReferrerFlag", "FollowUpView", "FOLLOWUP_ACTIONS",
           "after_end_advice"]
