"""Putting an item in the outbox, inside the caller's transaction.

Services call `enqueue(...)` with the session of their own `_write()` block, so the letter, the
decision it belongs to, its audit entry and its outbox item commit together or not at all. The
item takes the default destination for its kind (Administration → Destinations); with none set
it waits visibly as "no destination set" and is picked up when one is."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from keyworker.clock import format_datetime
from keyworker.db.documents import Document
from keyworker.db.outbox import OutboxDestination, OutboxItem, OutboxRoute

if TYPE_CHECKING:
    from keyworker.casebook import Casebook


@dataclass(frozen=True)
class Recipient:
    """Who the item is for, as the letter names them. `email` is used by email destinations
    (the referrer's address from the referral, for instance); `role` says which party."""

    name: str | None = None
    email: str | None = None
    role: str | None = None  # referrer / authority / resident / gp / ctp ...


def default_destination(session: Session, kind: str) -> str | None:
    return session.scalar(select(OutboxRoute.destination_id).where(OutboxRoute.kind == kind,
                                                                  OutboxRoute.archived.is_(False)))


def idempotency_key(unit_id: str, kind: str, subject: str, recipient: Recipient | None) -> str:
    """Stable for one item: the same letter to the same person gets the same key on every replay."""
    who = "" if recipient is None else f"{recipient.role or ''}|{(recipient.email or '').lower()}|{recipient.name or ''}"
    digest = hashlib.sha256(f"{unit_id}|{kind}|{subject}|{who}".encode()).hexdigest()[:40]
    return f"kw-{digest}"


def _key_for(session: Session, kind: str, subject: str, recipient: Recipient | None) -> str:
    from keyworker.db.foundation import Setting  # local: foundation imports are heavy at module load

    unit_id = session.get(Setting, "unit_id")
    return idempotency_key(unit_id.value if unit_id is not None else "", kind, subject, recipient)


def enqueue(book: Casebook, session: Session, *, kind: str, title: str, payload: bytes, filename: str,
            mime_type: str = "application/pdf", resident_id: str | None = None, referral_id: str | None = None,
            document_id: str | None = None, recipient: Recipient | None = None,
            subject: str | None = None) -> OutboxItem:
    """Add one item to the outbox in `session`'s transaction and audit it. `subject` (default: the
    document id) makes the idempotency key; give it when one record sends several items."""
    digest = hashlib.sha256(payload).hexdigest()
    key = _key_for(session, kind, subject or document_id or digest, recipient)
    item = OutboxItem(kind=kind, title=title, payload=payload, sha256=digest,
                      filename=filename, mime_type=mime_type, resident_id=resident_id, referral_id=referral_id,
                      document_id=document_id, recipient_name=recipient.name if recipient else None,
                      recipient_email=recipient.email if recipient else None,
                      recipient_role=recipient.role if recipient else None,
                      destination_id=default_destination(session, kind), idempotency_key=key, status="pending",
                      attempts=0, next_attempt_at=book.clock.now(),
                      # set only by OutboxService.protect_with_password, which encrypts the PDF and
                      # shows the password once: a flag without encryption would be a false promise
                      password_protect=False)
    session.add(item)
    session.flush([item])
    book._record(session, "outbox.enqueue", "outbox_item", item.id, resident_id=resident_id,
                 detail={"kind": kind, "title": title, "destination": item.destination_id is not None})
    return item


def enqueue_document(book: Casebook, session: Session, doc: Document, *, recipient: Recipient | None = None,
                     kind: str | None = None) -> OutboxItem:
    """The usual case: a document just stored with `DocumentService._store` goes to `recipient`."""
    return enqueue(book, session, kind=kind or doc.kind, recipient=recipient,
                   **document_fields(doc))


class DocumentFields(TypedDict):
    title: str
    payload: bytes
    filename: str
    mime_type: str
    resident_id: str | None
    referral_id: str | None
    document_id: str


def document_fields(doc: Document) -> DocumentFields:
    """What an item takes from the stored document it sends (title, payload, file name ...)."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in doc.title)[:80].strip("-") or doc.kind
    return {"title": doc.title, "payload": doc.content, "filename": f"{safe}.pdf", "mime_type": doc.mime_type,
            "resident_id": doc.resident_id, "referral_id": doc.referral_id, "document_id": doc.id}


def existing_item(session: Session, *, kind: str, subject: str, recipient: Recipient | None) -> OutboxItem | None:
    """The item already queued for this letter (kind, `subject`) to this person, if any."""
    key = _key_for(session, kind, subject, recipient)
    return session.scalars(select(OutboxItem).where(OutboxItem.idempotency_key == key)).first()


def enqueue_once(book: Casebook, session: Session, *, kind: str, subject: str, recipient: Recipient | None,
                 **fields: Any) -> tuple[OutboxItem, bool]:
    """`enqueue` for a letter that may be issued again (a review invitation re-made, a care plan
    version shared twice with the same service): when an item with the same idempotency key
    (kind, `subject`, recipient) already exists it is returned as it is and nothing is added, so
    the receiver never gets a second copy and the unique constraint is never hit. Returns
    (item, created)."""
    existing = existing_item(session, kind=kind, subject=subject, recipient=recipient)
    if existing is not None:
        return existing, False
    return enqueue(book, session, kind=kind, subject=subject, recipient=recipient, **fields), True


# -- delivery state of documents (the resident's Documents tab) --------------------------------
NOT_SENT, NO_DESTINATION, DESTINATION_OFF, WAITING_STATE, SENT, ATTENTION, CANCELLED = (
    "not_sent", "no_destination", "destination_off", "waiting", "sent", "attention", "cancelled")


@dataclass(frozen=True)
class DeliveryState:
    """What became of one document's outbox items, in words a key worker reads: `label` for the
    table, `detail` for a tooltip (the server's words when it needs attention, who it went to)."""

    document_id: str
    state: str  # one of the constants above
    label: str
    detail: str = ""
    items: int = 0
    delivered_at: datetime | None = None


_NOT_SENT_LABEL = "Not sent"


def not_sent(document_id: str) -> DeliveryState:
    return DeliveryState(document_id, NOT_SENT, _NOT_SENT_LABEL)


def delivery_states(session: Session, document_ids: Iterable[str]) -> dict[str, DeliveryState]:
    """Each document's delivery state from its outbox items, in one query (no payloads read).
    A document with several items (one per recipient) shows the one that needs a person most:
    needs attention, then waiting (no destination set / destination turned off / waiting), then
    sent (the latest delivery), then cancelled. A document with no item is "Not sent"."""
    ids = list(dict.fromkeys(document_ids))
    if not ids:
        return {}
    return _states(session, Document.id.in_(ids))


def delivery_states_of_resident(session: Session, resident_id: str) -> dict[str, DeliveryState]:
    """`delivery_states` for every document of one resident, documents and items in one query."""
    return _states(session, Document.resident_id == resident_id)


ELSEWHERE = "Sent through another laptop's outbox."


def _states(session: Session, which: ColumnElement[bool], *, shared: bool = True) -> dict[str, DeliveryState]:
    """Each document's state from this laptop's outbox items; for one with none here, what the
    laptop that sends it shared on the document's row (`shared`), else "Not sent"."""
    rows = session.execute(
        select(Document.id, OutboxItem.status, OutboxItem.destination_id, OutboxDestination.enabled,
               OutboxItem.last_error, OutboxItem.delivered_at, OutboxItem.recipient_name,
               OutboxItem.cancelled_reason, Document.delivery_state, Document.delivery_label,
               Document.delivery_detail, Document.delivery_at)
        .outerjoin(OutboxItem, (OutboxItem.document_id == Document.id) & OutboxItem.archived.is_(False))
        .outerjoin(OutboxDestination, OutboxDestination.id == OutboxItem.destination_id)
        .where(which, Document.archived.is_(False))
        .order_by(Document.id, OutboxItem.created_at)).all()
    by_doc: dict[str, list[tuple[object, ...]]] = {}
    elsewhere: dict[str, DeliveryState] = {}
    for row in rows:
        items = by_doc.setdefault(row[0], [])
        if row[1] is not None:  # the outer join's empty row: a document with no item
            items.append(tuple(row))
        elif shared and row[8]:
            detail = " ".join(x for x in (str(row[10] or ""), ELSEWHERE) if x)
            elsewhere[row[0]] = DeliveryState(row[0], str(row[8]), str(row[9] or ""), detail, 0,
                                              row[11] if isinstance(row[11], datetime) else None)
    return {doc_id: _summarise(doc_id, items) if items else elsewhere.get(doc_id) or not_sent(doc_id)
            for doc_id, items in by_doc.items()}


SHARED_AT = "delivery_shared_at"  # sync_state: when this laptop last shared its documents' delivery


def share_delivery(session: Session, now: datetime) -> int:
    """Put on each document made on this laptop what this laptop's outbox says of it, where that
    changed since the last time (the sync round calls this before it pushes:
    keyworker/sync/run.py). A change to the row is an op, so every laptop's Documents tab shows
    "Sent ..." for a letter only this laptop could send. Returns how many rows changed."""
    from datetime import timedelta

    from keyworker.sync.apply import get_state, set_state

    since = get_state(session, SHARED_AT)
    # Only documents made on this laptop: were two laptops each to queue one letter, each would
    # otherwise write its own outbox's summary over the other's at every round, for ever.
    me = session.info["ctx"].device_id
    q = (select(OutboxItem.document_id).join(Document, Document.id == OutboxItem.document_id)
         .where(Document.device_id == me).distinct())
    last = datetime.fromisoformat(since) if since else None
    if last is not None and last <= now:  # a clock put back since (or another's clock): look at all
        # A margin for stamps taken in the same moment as the last look, and for a clock that drifts.
        q = q.where(OutboxItem.updated_at >= last - timedelta(minutes=10))
    ids = [i for i in session.scalars(q) if i]
    changed = 0
    for i in range(0, len(ids), 500):
        for doc_id, st in _states(session, Document.id.in_(ids[i:i + 500]), shared=False).items():
            if st.state == NOT_SENT:
                continue
            doc = session.get(Document, doc_id)
            if doc is None:
                continue
            want = (st.state, st.label[:120], st.detail or None, st.delivered_at)
            if (doc.delivery_state, doc.delivery_label, doc.delivery_detail, doc.delivery_at) != want:
                doc.delivery_state, doc.delivery_label, doc.delivery_detail, doc.delivery_at = want
                changed += 1
    session.flush()
    set_state(session, SHARED_AT, now.isoformat())
    return changed


def _to(names: list[str]) -> str:
    names = [n for n in dict.fromkeys(names) if n]
    return f"To {', '.join(names)}." if names else ""


def _summarise(doc_id: str, items: list[tuple[object, ...]]) -> DeliveryState:
    n = len(items)
    names = [str(r[6] or "") for r in items]
    quarantined = [r for r in items if r[1] == "quarantined"]
    if quarantined:
        errors = [str(r[4]) for r in quarantined if r[4]]
        detail = " ".join(x for x in (_to([str(r[6] or "") for r in quarantined]),
                                      errors[-1] if errors else "The receiver refused it.") if x)
        return DeliveryState(doc_id, ATTENTION, "Needs attention", detail, n)
    waiting = [r for r in items if r[1] in ("pending", "in_flight")]
    if waiting:
        if any(r[2] is None for r in waiting):
            return DeliveryState(doc_id, NO_DESTINATION, "Waiting to send (no destination set)",
                                 " ".join(x for x in (_to(names), "It goes once Administration → Destinations "
                                                                  "has a destination for it.") if x), n)
        if any(r[3] is False for r in waiting):
            return DeliveryState(doc_id, DESTINATION_OFF, "Waiting to send (destination turned off)",
                                 _to(names), n)
        last_error = next((str(r[4]) for r in reversed(waiting) if r[4]), "")
        detail = " ".join(x for x in (_to(names), f"Last try: {last_error}" if last_error else "") if x)
        return DeliveryState(doc_id, WAITING_STATE, "Waiting to send", detail, n)
    delivered = [r for r in items if r[1] == "delivered"]
    if delivered:
        at = max((r[5] for r in delivered if isinstance(r[5], datetime)), default=None)
        label = f"Sent {format_datetime(at)}" if at is not None else "Sent"
        return DeliveryState(doc_id, SENT, label, _to([str(r[6] or "") for r in delivered]), n, at)
    reasons = [str(r[7]) for r in items if r[7]]
    return DeliveryState(doc_id, CANCELLED, "Cancelled",
                         " ".join(x for x in (_to(names), f"Reason: {reasons[-1]}" if reasons else "") if x), n)
