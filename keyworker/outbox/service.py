"""`book.outbox`: what the outbox holds and what a person may do about it.

- `counts(session)`: numbers for `check --json`.
- `status()`: the status bar's line (any signed-in user): how many wait, the oldest's age, how many
  need attention, and whether this laptop reaches its destinations, measured by the worker's last
  attempts (never guessed). Numbers and destination names only: no resident data.
- `items(...)`, `attempts(id)` (key workers and seniors): the Outbox page's list and an item's
  history. No payload is ever loaded for a list; reads of resident-linked items are audited.
- `retry_now`, `release`, `cancel`, `protect_with_password` (seniors): each audited, each refusing
  an item in the wrong state in words. Nothing is ever deleted.

Counting reads no payloads: the due index `(status, next_attempt_at)` covers it."""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from keyworker.clock import format_date, format_datetime
from keyworker.db.caseload import Referral, Resident
from keyworker.db.outbox import STATUSES, WAITING, OutboxAttempt, OutboxDestination, OutboxItem
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import typed_inputs
from keyworker.outbox.kinds import KINDS, item_words
from keyworker.security.permissions import Permission

if TYPE_CHECKING:
    from keyworker.casebook import Casebook
    from keyworker.outbox.worker import RunReport

# The filters the Outbox page and `outbox list --status` offer, in words and as the statuses they cover.
STATUS_FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "waiting": ("All waiting", WAITING),
    "quarantined": ("Needs attention", ("quarantined",)),
    "delivered": ("Delivered", ("delivered",)),
    "cancelled": ("Cancelled", ("cancelled",)),
}
STATUS_WORDS = {"pending": "Waiting", "in_flight": "Sending", "delivered": "Delivered",
                "quarantined": "Needs attention", "cancelled": "Cancelled"}
NO_DESTINATION = "No destination set"
DESTINATION_OFF = "Destination turned off"
OUTCOME_WORDS = {"delivered": "Delivered", "transient": "Not sent, will try again",
                 "permanent": "Refused by the receiver", "lease_expired": "Interrupted (sent again later)"}
ROLE_WORDS = {"referrer": "referrer", "authority": "the Authority", "resident": "resident", "gp": "GP",
              "ctp": "community treatment provider", "agency": "agency"}
MAX_LIMIT = 5000
MIN_REASON_CHARS = 10
MAX_REASON_CHARS = 1000
WHERE_TO_SET = ("Ask a senior or the administrator to set a destination in Administration → Destinations.")


def age_words(minutes: int) -> str:
    """A short age for the status bar: "under 1 min", "5 min", "2 h", "3 days"."""
    if minutes < 1:
        return "under 1 min"
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


@dataclass(frozen=True)
class OutboxStatus:
    waiting: int  # pending + being sent
    oldest_minutes: int  # age of the oldest waiting item (0 with none)
    quarantined: int  # refused by a receiver, waiting for a person
    no_destination: int  # waiting with no destination set (or with their destination turned off)
    destinations: int  # enabled destinations
    # True: the latest word from a destination was an answer; False: every destination tried was
    # unreachable; None: no enabled destination, or none tried yet (see `destinations`).
    online: bool | None
    error: str | None  # the newest "could not reach" reason, in words, with the destination's name

    @property
    def oldest(self) -> str:
        return age_words(self.oldest_minutes)

    @property
    def text(self) -> str:
        """ "Outbox: 3 waiting (oldest 2 h) · 1 needs attention" """
        line = f"Outbox: {self.waiting} waiting"
        if self.waiting:
            line += f" (oldest {self.oldest})"
        if self.quarantined:
            line += f" · {self.quarantined} need{'s' if self.quarantined == 1 else ''} attention"
        return line


@dataclass(frozen=True)
class OutboxItemView:
    id: str
    kind: str
    kind_label: str
    title: str
    status: str  # pending / in_flight / delivered / quarantined / cancelled
    status_label: str  # in words: "Waiting", "No destination set", "Needs attention" ...
    resident_id: str | None
    referral_id: str | None
    reference: str  # the resident's reference (never the name), or the referral's date
    recipient: str  # "Pat Fielding (referrer) <pat@council.example>"
    recipient_email: str | None
    destination_id: str | None
    destination_name: str  # "" with no destination
    destination_transport: str | None
    attempts: int
    next_attempt_at: datetime | None  # None once nothing more will be tried
    last_attempt_at: datetime | None
    last_error: str | None
    receipt: str | None
    delivered_at: datetime | None
    created_at: datetime
    mime_type: str
    password_protect: bool
    cancelled_reason: str | None

    @property
    def can_retry(self) -> bool:
        return self.status == "pending" and self.status_label == STATUS_WORDS["pending"]

    @property
    def can_release(self) -> bool:
        return self.status == "quarantined"

    @property
    def can_cancel(self) -> bool:
        return self.status in ("pending", "quarantined")

    @property
    def can_protect(self) -> bool:
        return (self.status in ("pending", "quarantined") and self.mime_type == "application/pdf"
                and self.destination_transport in (None, "smtp") and not self.password_protect)


@dataclass(frozen=True)
class AttemptView:
    id: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str  # delivered / transient / permanent / lease_expired
    outcome_label: str
    message: str | None
    receipt: str | None

    @property
    def text(self) -> str:
        line = f"{format_datetime(self.started_at)} — {self.outcome_label}"
        if self.message:
            line += f": {self.message}"
        if self.receipt:
            line += f" (receipt {self.receipt})"
        return line


def _aware(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _recipient_words(name: str | None, role: str | None, email: str | None) -> str:
    who = name or ""
    if role:
        who = f"{who} ({ROLE_WORDS.get(role, role.replace('_', ' '))})" if who else ROLE_WORDS.get(role, role)
    if email:
        who = f"{who} <{email}>" if who else email
    return who or "Not named"


def _status_label(status: str, destination_id: str | None, enabled: bool | None) -> str:
    if status == "pending" and destination_id is None:
        return NO_DESTINATION
    if status == "pending" and enabled is False:
        return DESTINATION_OFF
    return STATUS_WORDS.get(status, status.replace("_", " ").capitalize())


def _listing() -> Any:
    """The columns a list shows (never the payload), with the destination, resident and referral."""
    return (select(OutboxItem.id, OutboxItem.kind, OutboxItem.title, OutboxItem.status, OutboxItem.resident_id,
                   OutboxItem.referral_id, OutboxItem.recipient_name, OutboxItem.recipient_role,
                   OutboxItem.recipient_email, OutboxItem.destination_id, OutboxItem.attempts,
                   OutboxItem.next_attempt_at, OutboxItem.last_attempt_at, OutboxItem.last_error,
                   OutboxItem.receipt, OutboxItem.delivered_at, OutboxItem.created_at, OutboxItem.mime_type,
                   OutboxItem.password_protect, OutboxItem.cancelled_reason,
                   OutboxDestination.name.label("dest_name"), OutboxDestination.enabled.label("dest_enabled"),
                   OutboxDestination.transport.label("dest_transport"),
                   Resident.reference.label("resident_ref"), Referral.received_at.label("referral_received"))
            .outerjoin(OutboxDestination, OutboxDestination.id == OutboxItem.destination_id)
            .outerjoin(Referral, Referral.id == OutboxItem.referral_id)
            # a letter about a referral shows the resident's reference once the person is admitted
            .outerjoin(Resident, Resident.id == func.coalesce(OutboxItem.resident_id, Referral.resident_id)))


class OutboxService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def counts(self, session: Session) -> dict[str, Any]:
        """How many items wait, how old the oldest is in whole minutes (0 with none), how many
        are quarantined waiting for a person."""
        waiting, oldest = session.execute(
            select(func.count(), func.min(OutboxItem.created_at))
            .where(OutboxItem.status.in_(WAITING), OutboxItem.archived.is_(False))).one()
        quarantined = session.scalar(select(func.count()).select_from(OutboxItem)
                                     .where(OutboxItem.status == "quarantined", OutboxItem.archived.is_(False)))
        minutes = 0
        if oldest is not None:  # min() comes back naive UTC from SQLite, whatever the column type
            at: datetime = oldest if oldest.tzinfo is not None else oldest.replace(tzinfo=UTC)
            minutes = max(0, int((self._book.clock.now() - at).total_seconds() // 60))
        return {"outbox_waiting": int(waiting or 0), "outbox_oldest_minutes": minutes,
                "outbox_quarantined": int(quarantined or 0)}

    # -- the status bar ----------------------------------------------------------------------
    def status(self) -> OutboxStatus:
        """The status bar's line, for any signed-in user: numbers and destination names only."""
        with self._book._read() as s:
            c = self.counts(s)
            enabled = select(OutboxDestination.id).where(OutboxDestination.enabled.is_(True),
                                                         OutboxDestination.archived.is_(False))
            stuck = s.scalar(select(func.count()).select_from(OutboxItem).where(
                OutboxItem.status == "pending", OutboxItem.archived.is_(False),
                or_(OutboxItem.destination_id.is_(None), OutboxItem.destination_id.not_in(enabled))))
            dests = s.execute(select(OutboxDestination.name, OutboxDestination.last_reached_at,
                                     OutboxDestination.last_unreachable_at,
                                     OutboxDestination.last_unreachable_error)
                              .where(OutboxDestination.enabled.is_(True),
                                     OutboxDestination.archived.is_(False))).all()
        online: bool | None = None
        newest_error: tuple[datetime, str] | None = None
        for name, reached, unreachable, error in dests:
            reached, unreachable = _aware(reached), _aware(unreachable)
            if reached is not None and (unreachable is None or reached >= unreachable):
                online = True
            elif unreachable is not None:
                if online is None:
                    online = False
                words = f"{name}: {error or 'could not be reached'}"
                if newest_error is None or unreachable > newest_error[0]:
                    newest_error = (unreachable, words)
        return OutboxStatus(waiting=c["outbox_waiting"], oldest_minutes=c["outbox_oldest_minutes"],
                            quarantined=c["outbox_quarantined"], no_destination=int(stuck or 0),
                            destinations=len(dests), online=online,
                            error=newest_error[1] if newest_error else None)

    # -- the Outbox page ---------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_OUTBOX)
    def items(self, status: str | None = None, search: str | None = None, limit: int = 500) -> list[OutboxItemView]:
        """The items, newest first: `status` is one of STATUS_FILTERS ("waiting", "quarantined",
        "delivered", "cancelled") or a single status, None for all; `search` matches the title,
        the kind in words, the recipient, the destination and the resident's reference. No payload
        is loaded. Audited (`outbox.list`) when any item shown belongs to a resident or referral."""
        if status is not None and status not in STATUS_FILTERS and status not in STATUSES:
            raise ValidationError({"status": "Choose all waiting, needs attention, delivered or cancelled."})
        if isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
            raise ValidationError({"limit": f"Choose between 1 and {MAX_LIMIT} items."})
        wanted = STATUS_FILTERS[status][1] if status in STATUS_FILTERS else (status,) if status else STATUSES
        q = _listing().where(OutboxItem.archived.is_(False), OutboxItem.status.in_(wanted))
        text = (search or "").strip().lower()
        if text:
            like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            kinds = [k for k, words in KINDS.items() if text in words.lower() or text in item_words(k).lower()]
            q = q.where(or_(func.lower(OutboxItem.title).like(like, escape="\\"),
                            func.lower(OutboxItem.recipient_name).like(like, escape="\\"),
                            func.lower(OutboxItem.recipient_email).like(like, escape="\\"),
                            func.lower(OutboxDestination.name).like(like, escape="\\"),
                            func.lower(Resident.reference).like(like, escape="\\"),
                            OutboxItem.kind.in_(kinds)))
        q = q.order_by(OutboxItem.created_at.desc(), OutboxItem.id.desc()).limit(limit)
        with self._book._write() as s:
            rows = s.execute(q).all()
            if any(r.resident_id or r.referral_id for r in rows):
                self._book._record(s, "outbox.list", "unit", None, detail={
                    "status": status, "searched": bool(text), "rows": len(rows)})
        return [self._view(r) for r in rows]

    @staticmethod
    def _view(r: Any) -> OutboxItemView:
        if r.resident_ref:
            reference = r.resident_ref
        elif r.referral_id:
            reference = f"Referral of {format_date(_aware(r.referral_received))}" if r.referral_received \
                else "Referral"
        else:
            reference = ""
        done = r.status in ("delivered", "cancelled", "quarantined")
        return OutboxItemView(
            id=r.id, kind=r.kind, kind_label=item_words(r.kind), title=r.title, status=r.status,
            status_label=_status_label(r.status, r.destination_id, r.dest_enabled), resident_id=r.resident_id,
            referral_id=r.referral_id, reference=reference,
            recipient=_recipient_words(r.recipient_name, r.recipient_role, r.recipient_email),
            recipient_email=r.recipient_email, destination_id=r.destination_id, destination_name=r.dest_name or "",
            destination_transport=r.dest_transport, attempts=r.attempts or 0,
            next_attempt_at=None if done else _aware(r.next_attempt_at), last_attempt_at=_aware(r.last_attempt_at),
            last_error=r.last_error, receipt=r.receipt, delivered_at=_aware(r.delivered_at),
            created_at=_aware(r.created_at) or r.created_at, mime_type=r.mime_type,
            password_protect=bool(r.password_protect), cancelled_reason=r.cancelled_reason)

    @typed_inputs(requires=Permission.VIEW_OUTBOX)
    def attempts(self, item_id: str) -> list[AttemptView]:
        """Every delivery attempt of one item, oldest first (audited `outbox.history` when the item
        belongs to a resident or referral)."""
        with self._book._write() as s:
            row = s.execute(select(OutboxItem.id, OutboxItem.resident_id, OutboxItem.referral_id)
                            .where(OutboxItem.id == item_id, OutboxItem.archived.is_(False))).first()
            if row is None:
                raise NotFound("That outbox item does not exist.")
            found = s.scalars(select(OutboxAttempt).where(OutboxAttempt.item_id == item_id,
                                                          OutboxAttempt.archived.is_(False))
                              .order_by(OutboxAttempt.started_at, OutboxAttempt.id)).all()
            if row.resident_id or row.referral_id:
                self._book._record(s, "outbox.history", "outbox_item", item_id, resident_id=row.resident_id)
            return [AttemptView(a.id, _aware(a.started_at) or a.started_at, _aware(a.finished_at), a.outcome,
                                OUTCOME_WORDS.get(a.outcome, a.outcome.replace("_", " ").capitalize()),
                                a.message, a.receipt) for a in found]

    # -- a senior's actions ------------------------------------------------------------------
    def _item(self, s: Session, item_id: str) -> OutboxItem:
        """The item without its payload (it is loaded only when protecting it)."""
        from sqlalchemy.orm import defer

        x = s.scalars(select(OutboxItem).options(defer(OutboxItem.payload))
                      .where(OutboxItem.id == item_id, OutboxItem.archived.is_(False))).first()
        if x is None:
            raise NotFound("That outbox item does not exist.")
        return x

    def _refuse(self, x: OutboxItem, doing: str) -> None:
        """Words for an item that cannot be acted on in its state (`doing`: "sent again", ...)."""
        if x.status == "in_flight":
            raise ValidationError({"": f"This item is being sent right now, so it cannot be {doing} yet. "
                                       "Try again when this attempt ends (in a minute or two)."})
        if x.status == "delivered":
            raise ValidationError({"": f"This item was delivered on {format_datetime(_aware(x.delivered_at))}, "
                                       f"so it cannot be {doing}."})
        if x.status == "cancelled":
            raise ValidationError({"": f"This item was cancelled, so it cannot be {doing}."})

    @typed_inputs(requires=Permission.MANAGE_OUTBOX)
    def retry_now(self, item_id: str) -> OutboxItemView:
        """A waiting item is tried at the next delivery pass instead of waiting for its turn."""
        with self._book._write() as s:
            x = self._item(s, item_id)
            if x.status == "quarantined":
                raise ValidationError({"": "This item was refused by the receiver: release it from "
                                           "quarantine once the problem is put right."})
            self._refuse(x, "sent again")
            dest = s.get(OutboxDestination, x.destination_id) if x.destination_id else None
            if dest is None:
                raise ValidationError({"": "No destination is set for this kind of item yet, so there is "
                                           "nowhere to send it. " + WHERE_TO_SET})
            if not dest.enabled:
                raise ValidationError({"": f"The destination {dest.name} is turned off. Ask a senior or the "
                                           "administrator to turn it on in Administration → Destinations."})
            x.next_attempt_at = self._book.clock.now()
            self._book._record(s, "outbox.retry_now", "outbox_item", x.id, resident_id=x.resident_id,
                               detail={"title": x.title})
        return self._one(item_id)

    @typed_inputs(requires=Permission.MANAGE_OUTBOX)
    def release(self, item_id: str) -> OutboxItemView:
        """A quarantined item waits again and is tried at the next delivery pass (its last error
        and attempts are kept)."""
        with self._book._write() as s:
            x = self._item(s, item_id)
            if x.status == "pending":
                raise ValidationError({"": "This item is not in quarantine: it is already waiting to be sent."})
            self._refuse(x, "released")
            x.status, x.next_attempt_at = "pending", self._book.clock.now()
            x.lease_until = x.leased_by = None
            self._book._record(s, "outbox.release", "outbox_item", x.id, resident_id=x.resident_id,
                               detail={"title": x.title})
        return self._one(item_id)

    @typed_inputs(requires=Permission.MANAGE_OUTBOX)
    def cancel(self, item_id: str, reason: str) -> OutboxItemView:
        """Stop a waiting or quarantined item for good, with the reason in a few words (audited
        with it). The item stays in the list as "Cancelled"; nothing is deleted."""
        words = " ".join(reason.split())
        if len(words) < MIN_REASON_CHARS or len(words.split()) < 2:
            raise ValidationError({"reason": "Say in a few words why this item is cancelled."})
        if len(words) > MAX_REASON_CHARS:
            raise ValidationError({"reason": f"Keep the reason under {MAX_REASON_CHARS} characters."})
        with self._book._write() as s:
            x = self._item(s, item_id)
            self._refuse(x, "cancelled")
            x.status, x.cancelled_reason = "cancelled", words
            x.lease_until = x.leased_by = None
            self._book._record(s, "outbox.cancel", "outbox_item", x.id, resident_id=x.resident_id,
                               detail={"title": x.title, "reason": words})
        return self._one(item_id)

    @typed_inputs(requires=Permission.MANAGE_OUTBOX)
    def protect_with_password(self, item_id: str) -> str:
        """Encrypt a waiting PDF going by email (or with no destination yet) with a new password,
        now, and return the password: it is shown once, to be given by phone, and stored nowhere
        (not in the database, not in the audit). The idempotency key stays the same."""
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        from keyworker.outbox.smtp import new_pdf_password, protect_pdf

        with self._book._write() as s:
            x = self._item(s, item_id)
            self._refuse(x, "protected with a password")
            if x.mime_type != "application/pdf":
                raise ValidationError({"": "Only a PDF letter can be protected with a password."})
            dest = s.get(OutboxDestination, x.destination_id) if x.destination_id else None
            if dest is not None and dest.transport != "smtp":
                raise ValidationError({"": f"This item goes to {dest.name}, which is not secure email: a "
                                           "password is only for a PDF sent by email."})
            payload = x.payload  # deferred: loaded here only
            try:
                already = PdfReader(io.BytesIO(payload)).is_encrypted
            except (PdfReadError, ValueError, OSError) as e:
                raise ValidationError({"": "This item's PDF cannot be read, so it cannot be protected."}) from e
            if already:
                raise ValidationError({"": "This PDF is already protected with a password. The password was "
                                           "shown once when it was set; it cannot be shown again."})
            password = new_pdf_password()
            protected = protect_pdf(payload, password)
            x.payload, x.sha256, x.password_protect = protected, hashlib.sha256(protected).hexdigest(), True
            self._book._record(s, "outbox.password_protect", "outbox_item", x.id, resident_id=x.resident_id,
                               detail={"title": x.title})
        return password

    def _one(self, item_id: str) -> OutboxItemView:
        """The item as the list shows it, after an action (the action's own audit covers it)."""
        with self._book._read() as s:
            q = _listing().where(OutboxItem.id == item_id)
            return self._view(s.execute(q).one())

    # (part W1 adds `deliver_now` below)
    # -- delivery (part W1: keyworker/outbox/worker.py) --------------------------------------------
    # Kept in its own block at the end of the class so the Outbox page's methods merge beside it.
    @typed_inputs
    def deliver_now(self, limit: int | None = None) -> RunReport:
        """Send what is due now, as the signed-in user (the app's background worker, `outbox
        deliver`). Open to every signed-in user: it reads items, not records, shows no content,
        and every attempt is audited. Raises UnitLocked when the unit is locked."""
        from keyworker.outbox.worker import DeliveryWorker

        if limit is not None and limit < 1:
            raise ValidationError({"limit": "How many to send must be at least 1."})
        return DeliveryWorker(self._book).run_once(limit)
