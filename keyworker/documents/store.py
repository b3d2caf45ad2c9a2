"""Keeping and fetching generated documents. Every fetch of a resident's document is audited.

Preview is not storage: a service that makes a document for someone to look at returns a
`Preview` (audited as `document.preview`) and files nothing. The document is kept, once, when it
leaves the app: `keep(preview, "print" | "save" | "send")`. A letter that is part of a decision
(the decline letter) is still kept by its service with the decision, in one transaction."""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker.db.documents import Document
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import typed_inputs
from keyworker.security.permissions import Permission

if TYPE_CHECKING:
    from keyworker.casebook import Casebook
    from keyworker.outbox.queue import DeliveryState


# Why a stored document is fetched; each is its own audit action (document.view, ...).
PURPOSES = ("view", "print", "save")
# Why a previewed document is kept: it leaves the app (document.print, .save, .send).
KEEP_PURPOSES = ("print", "save", "send")


@dataclass(frozen=True)
class Preview:
    """A document made for looking at and not filed. `seal` (an HMAC under the unit's key) lets
    `keep()` refuse a preview changed or made up outside the service that made it."""

    kind: str
    title: str
    content: bytes
    resident_id: str | None = None
    referral_id: str | None = None
    subject_id: str | None = None
    seal: str = ""


@dataclass(frozen=True)
class DocumentInfo:
    id: str
    kind: str
    title: str
    created_at: datetime
    resident_id: str | None
    referral_id: str | None
    subject_id: str | None
    size: int


def _info(d: Document) -> DocumentInfo:
    return DocumentInfo(d.id, d.kind, d.title, d.created_at, d.resident_id, d.referral_id, d.subject_id,
                        len(d.content))


class DocumentService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def _store(self, session: Session, *, kind: str, title: str, content: bytes, resident_id: str | None = None,
              referral_id: str | None = None, subject_id: str | None = None,
              mime_type: str = "application/pdf") -> Document:
        """Called by other services inside their own transaction (so the letter commits with the decision)."""
        doc = Document(kind=kind, title=title, content=content, sha256=hashlib.sha256(content).hexdigest(),
                       resident_id=resident_id, referral_id=referral_id, subject_id=subject_id, mime_type=mime_type)
        session.add(doc)
        session.flush([doc])
        self._book._record(session, "document.create", "document", doc.id, resident_id=resident_id,
                          detail={"kind": kind, "title": title})
        return doc

    def _seal(self, kind: str, title: str, content: bytes, resident_id: str | None, referral_id: str | None,
              subject_id: str | None) -> str:
        key = hmac.new(self._book._key, b"keyworker document preview", hashlib.sha256).digest()
        parts = [kind, title, resident_id or "", referral_id or "", subject_id or "", hashlib.sha256(content).hexdigest()]
        # JSON, so no field's text can pass for a boundary between two fields.
        return hmac.new(key, json.dumps(parts).encode(), hashlib.sha256).hexdigest()

    def _preview(self, session: Session, *, kind: str, title: str, content: bytes, resident_id: str | None = None,
                 referral_id: str | None = None, subject_id: str | None = None,
                 detail: dict[str, object] | None = None) -> Preview:
        """Called by other services inside their transaction: audits the preview, files nothing."""
        self._book._record(session, "document.preview", "document", subject_id, resident_id=resident_id,
                           detail={"kind": kind, "title": title, **(detail or {})})
        return Preview(kind, title, content, resident_id, referral_id, subject_id,
                       self._seal(kind, title, content, resident_id, referral_id, subject_id))

    def _check_seal(self, p: Preview) -> None:
        """Refuse a preview changed or made up outside the service that made it."""
        expected = self._seal(p.kind, p.title, p.content, p.resident_id, p.referral_id, p.subject_id)
        if not hmac.compare_digest(p.seal.encode("utf-8", "surrogatepass"), expected.encode()):
            raise ValidationError({"preview": "This document was changed after it was made. Make it again."})

    def _keep_in(self, s: Session, p: Preview) -> Document:
        """The stored document for a checked preview, filed now unless the same one already is."""
        digest = hashlib.sha256(p.content).hexdigest()
        doc = s.scalars(select(Document).where(Document.sha256 == digest, Document.kind == p.kind,
                                               Document.archived.is_(False))).first()
        if doc is None:
            doc = self._store(s, kind=p.kind, title=p.title, content=p.content, resident_id=p.resident_id,
                              referral_id=p.referral_id, subject_id=p.subject_id)
        return doc

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def keep(self, preview: Preview, purpose: str = "print") -> DocumentInfo:
        """File a previewed document as it is printed, saved or queued to be sent, with its audit
        entries. Keeping the same document again (a second print) files no copy: it is audited."""
        if purpose not in KEEP_PURPOSES:
            raise ValidationError({"purpose": "Say whether the document is to be printed, saved or sent."})
        p = preview
        self._check_seal(p)
        with self._book._write() as s:
            doc = self._keep_in(s, p)
            self._book._record(s, f"document.{purpose}", "document", doc.id, resident_id=doc.resident_id,
                               detail={"kind": doc.kind})
            return _info(doc)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def list(self, *, resident_id: str | None = None, referral_id: str | None = None,
             kind: str | None = None) -> list[DocumentInfo]:
        with self._book._read() as s:
            q = select(Document).where(Document.archived.is_(False)).order_by(Document.created_at.desc())
            if resident_id:
                q = q.where(Document.resident_id == resident_id)
            if referral_id:
                q = q.where(Document.referral_id == referral_id)
            if kind:
                q = q.where(Document.kind == kind)
            return [_info(d) for d in s.scalars(q)]

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def delivery(self, resident_id: str) -> dict[str, DeliveryState]:
        """Each of the resident's documents (by id) with its delivery state from the outbox: not
        sent, waiting to send (no destination set / destination turned off), sent (when), needs
        attention (the server's words in `detail`), cancelled. One query; audited as a list view."""
        from keyworker.outbox.queue import delivery_states_of_resident

        from keyworker.db.caseload import Resident

        with self._book._write() as s:
            if s.get(Resident, resident_id) is None:
                raise NotFound("That resident does not exist.")
            states = delivery_states_of_resident(s, resident_id)
            self._book._record(s, "document.list", "resident", resident_id, resident_id=resident_id,
                               detail={"documents": len(states)})
            return states

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def content(self, document_id: str, purpose: str = "view") -> bytes:
        """The PDF bytes. `purpose` (view / print / save) goes into the audit entry."""
        if purpose not in PURPOSES:
            raise ValidationError({"purpose": f"Say whether the document is to {', '.join(PURPOSES[:-1])} "
                                              f"or {PURPOSES[-1]}."})
        with self._book._write() as s:
            doc = s.get(Document, document_id)
            if doc is None:
                raise NotFound("That document does not exist.")
            self._book._record(s, f"document.{purpose}", "document", doc.id, resident_id=doc.resident_id,
                              detail={"kind": doc.kind})
            return doc.content
