"""Sharing the care plan once the resident has agreed it (spec 4.1.5.2), `book.sharing`: the
recipients (the referrer, the Community Treatment Provider, the GP, other services) are chosen,
each checked against the resident's consents like a contact, and recorded with the version and
the day. The agreed version is filed as a PDF in the resident's documents and each recipient gets
an outbox item ("care_plan_share") in the same transaction: `queue_for_outbox`."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker.clock import format_date, local_today
from keyworker.contact_consent import PARTY_KINDS, PARTY_LABELS, refusal
from keyworker.db.care_plans import CarePlan, CarePlanVersion
from keyworker.db.caseload import Admission, Referral
from keyworker.db.documents import Document
from keyworker.db.notes import CarePlanShare
from keyworker.db.outbox import OutboxItem
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import typed_inputs
from keyworker.notes import resident_in
from keyworker.security.permissions import Permission
from keyworker.validation import Cleaner

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

# Who a care plan goes to: services, not family (the resident gives family their own copy).
RECIPIENT_KINDS = tuple(o for o in PARTY_KINDS if o.code in ("referrer", "ctp", "gp", "agency"))
MAX_RECIPIENTS = 12
SHARE_KIND = "care_plan_share"  # the outbox item's kind


@dataclass(frozen=True)
class ShareRecipient:
    party_kind: str  # referrer / ctp / gp / agency (code or label)
    name: str  # "Inspire Preston", "Dr Shah, Fishergate Surgery"


@dataclass(frozen=True)
class ShareView:
    id: str
    plan_id: str
    version_id: str
    version_number: int
    party_kind: str
    name: str
    shared_on: date
    shared_by_name: str
    queued: bool  # an outbox item sends it (every share since the outbox landed)

    @property
    def party_label(self) -> str:
        return PARTY_LABELS.get(self.party_kind, "Other agency")

    @property
    def text(self) -> str:
        return f"Shared with {self.name} ({self.party_label}) on {format_date(self.shared_on)}"


def queue_for_outbox(book: Casebook, session: Session, share: CarePlanShare, doc: Document,
                     email: str | None = None) -> OutboxItem:
    """The item that sends the shared plan (`doc`) to this recipient, in the sharing transaction;
    sets `share.outbox_item_id`. The same version shared again with the same service reuses the
    item already queued (one copy at the receiver)."""
    from keyworker.outbox.queue import Recipient, document_fields, enqueue_once

    item, _created = enqueue_once(book, session, kind=SHARE_KIND, subject=f"{SHARE_KIND}|{share.version_id}",
                                  recipient=Recipient(share.name, email, share.party_kind), **document_fields(doc))
    share.outbox_item_id = item.id
    return item


def _referrer_email(s: Session, plan: CarePlan, kind: str, name: str) -> str | None:
    """The referrer's email from the referral, when the recipient is that referrer (by name or
    organisation); other services have no email on record."""
    if kind != "referrer":
        return None
    adm = s.get(Admission, plan.admission_id)
    ref = s.get(Referral, adm.referral_id) if adm is not None and adm.referral_id else None
    if ref is None or not ref.referrer_email:
        return None
    known = {(x or "").strip().casefold() for x in (ref.referrer_name, ref.referrer_organisation)} - {""}
    return ref.referrer_email if name.strip().casefold() in known else None


def _clean(recipients: Sequence[ShareRecipient]) -> list[tuple[str, str]]:
    if not recipients:
        raise ValidationError({"recipients": "Choose at least one service to share the plan with."})
    if len(recipients) > MAX_RECIPIENTS:
        raise ValidationError({"recipients": f"Share with at most {MAX_RECIPIENTS} services at a time."})
    out: list[tuple[str, str]] = []
    for n, r in enumerate(recipients, 1):
        c = Cleaner({"party_kind": r.party_kind, "name": r.name})
        c.choice("party_kind", "Service", RECIPIENT_KINDS, required=True)
        c.text("name", "Name of the service", required=True, max_len=200)
        if c.errors:
            raise ValidationError({f"recipients.{n}.{k}": v for k, v in c.errors.items()})
        key = (c.values["party_kind"], c.values["name"])
        if key not in out:
            out.append(key)
    return out


class SharingService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    @typed_inputs(requires=Permission.SHARE_CARE_PLAN)
    def record(self, version_id: str, recipients: list[ShareRecipient]) -> list[ShareView]:
        """Share the agreed version with each recipient the resident consented to (audited
        `care_plan.share`); one refused recipient refuses the whole share, naming why."""
        book = self._book
        chosen = _clean(recipients)
        today = local_today(book.clock)
        with book._write() as s:
            version = s.get(CarePlanVersion, version_id)
            if version is None:
                raise NotFound("That care plan version does not exist.")
            plan = s.get(CarePlan, version.plan_id)
            if plan is None:
                raise NotFound("That care plan does not exist.")
            if plan.status != "complete" or plan.agreement_version_id != version.id \
                    or plan.agreement_method in (None, "declined"):
                raise ValidationError({"": "Share the plan once the resident has agreed this version: "
                                           "record their agreement first."})
            r = resident_in(s, plan.resident_id)
            for n, (kind, name) in enumerate(chosen, 1):
                message = refusal(s, r, kind, name)
                if message:
                    raise ValidationError({f"recipients.{n}.party_kind": message})
            doc = self._shared_copy(s, plan, version)
            rows = []
            for kind, name in chosen:
                x = CarePlanShare(resident_id=r.id, care_plan_id=plan.id, version_id=version.id, party_kind=kind,
                                  name=name, shared_on=today)
                s.add(x)
                s.flush([x])
                queue_for_outbox(book, s, x, doc, _referrer_email(s, plan, kind, name))
                rows.append(x)
            book._record(s, "care_plan.share", "care_plan", plan.id, resident_id=r.id,
                         detail={"version": version.number, "recipients": [PARTY_LABELS[k] for k, _ in chosen]})
            return [self._view(x, version.number, book.actor.full_name) for x in rows]

    def _shared_copy(self, s: Session, plan: CarePlan, version: CarePlanVersion) -> Document:
        """The agreed version as a PDF, filed once per version shared (a second share of the same
        version sends the copy already filed)."""
        from keyworker.documents import care_plan_pdf
        from keyworker.unit_profile import read_profile

        title_start = f"Care plan v{version.number} shared"
        doc = s.scalars(select(Document).where(Document.kind == "care_plan", Document.subject_id == version.id,
                                               Document.title.startswith(title_start),
                                               Document.archived.is_(False))
                        .order_by(Document.created_at)).first()
        if doc is not None:
            return doc
        adm = s.get(Admission, plan.admission_id)
        if adm is None:  # pragma: no cover - a plan always has its admission
            raise NotFound("That admission does not exist.")
        view = self._book.care_plans._view(s, adm, version_id=version.id)
        pdf = care_plan_pdf.build(view, profile=read_profile(s), generated_at=self._book.clock.now())
        return self._book.documents._store(s, kind="care_plan", title=f"{title_start} ({view.reference})",
                                           content=pdf, resident_id=plan.resident_id, subject_id=version.id)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def for_plan(self, plan_id: str) -> list[ShareView]:
        """Who the plan has been shared with, newest first (shown on the care plan tab; the plan's
        own read is audited there)."""
        from keyworker.residents import account_names

        with self._book._read() as s:
            plan = s.get(CarePlan, plan_id)
            if plan is None:
                raise NotFound("That care plan does not exist.")
            numbers = dict(s.execute(select(CarePlanVersion.id, CarePlanVersion.number)
                                     .where(CarePlanVersion.plan_id == plan_id)).tuples().all())
            names = account_names(s)
            rows = s.scalars(select(CarePlanShare).where(CarePlanShare.care_plan_id == plan_id,
                                                         CarePlanShare.archived.is_(False))
                             .order_by(CarePlanShare.shared_on.desc(), CarePlanShare.created_at.desc(),
                                       CarePlanShare.id)).all()
            return [self._view(x, numbers.get(x.version_id, 0), names.get(x.created_by or "", "")) for x in rows]

    @staticmethod
    def _view(x: CarePlanShare, number: int, by: str) -> ShareView:
        return ShareView(x.id, x.care_plan_id, x.version_id, number, x.party_kind, x.name, x.shared_on, by,
                         x.outbox_item_id is not None)
