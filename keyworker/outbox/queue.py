"""Putting an item in the outbox, inside the caller's transaction.

Services call `enqueue(...)` with the session of their own `_write()` block, so the letter, the
decision it belongs to, its audit entry and its outbox item commit together or not at all. The
item takes the default destination for its kind (Administration → Destinations); with none set
it waits visibly as "no destination set" and is picked up when one is."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker.db.documents import Document
from keyworker.db.outbox import OutboxItem, OutboxRoute

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


def enqueue(book: Casebook, session: Session, *, kind: str, title: str, payload: bytes, filename: str,
            mime_type: str = "application/pdf", resident_id: str | None = None, referral_id: str | None = None,
            document_id: str | None = None, recipient: Recipient | None = None, password_protect: bool = False,
            subject: str | None = None) -> OutboxItem:
    """Add one item to the outbox in `session`'s transaction and audit it. `subject` (default: the
    document id) makes the idempotency key; give it when one record sends several items."""
    from keyworker.db.foundation import Setting  # local: foundation imports are heavy at module load

    unit_id = session.get(Setting, "unit_id")
    key = idempotency_key(unit_id.value if unit_id is not None else "", kind,
                          subject or document_id or hashlib.sha256(payload).hexdigest(), recipient)
    item = OutboxItem(kind=kind, title=title, payload=payload, sha256=hashlib.sha256(payload).hexdigest(),
                      filename=filename, mime_type=mime_type, resident_id=resident_id, referral_id=referral_id,
                      document_id=document_id, recipient_name=recipient.name if recipient else None,
                      recipient_email=recipient.email if recipient else None,
                      recipient_role=recipient.role if recipient else None,
                      destination_id=default_destination(session, kind), idempotency_key=key, status="pending",
                      attempts=0, next_attempt_at=book.clock.now(), password_protect=password_protect)
    session.add(item)
    session.flush([item])
    book._record(session, "outbox.enqueue", "outbox_item", item.id, resident_id=resident_id,
                 detail={"kind": kind, "title": title, "destination": item.destination_id is not None})
    return item


def enqueue_document(book: Casebook, session: Session, doc: Document, *, recipient: Recipient | None = None,
                     kind: str | None = None, password_protect: bool = False) -> OutboxItem:
    """The usual case: a document just stored with `DocumentService._store` goes to `recipient`."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in doc.title)[:80].strip("-") or doc.kind
    return enqueue(book, session, kind=kind or doc.kind, title=doc.title, payload=doc.content,
                   filename=f"{safe}.pdf", mime_type=doc.mime_type, resident_id=doc.resident_id,
                   referral_id=doc.referral_id, document_id=doc.id, recipient=recipient,
                   password_protect=password_protect)
