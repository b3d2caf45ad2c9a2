"""Generated documents (letters, plans, summaries). Kept as BLOBs inside the encrypted database
until a user saves or prints them, so no plaintext PDF rests on disk."""
from __future__ import annotations

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.db.base import Base, Tracked


class Document(Tracked, Base):
    __tablename__ = "documents"
    resident_id: Mapped[str | None] = mapped_column(ForeignKey("residents.id"), index=True)
    referral_id: Mapped[str | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    # decline_letter / care_plan / review_invitation / discharge_letter ...
    kind: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # What the document is about (e.g. the review id or plan version id), for finding it again.
    subject_id: Mapped[str | None] = mapped_column(String(36), index=True)
    mime_type: Mapped[str] = mapped_column(String(60), default="application/pdf")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
