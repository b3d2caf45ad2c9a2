"""Generated documents (letters, plans, summaries). Kept as BLOBs inside the encrypted database
until a user saves or prints them, so no plaintext PDF rests on disk."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.db.base import Base, Tracked, UTCDateTime


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
    # What became of it in the outbox of the laptop that sends it, as that laptop says it, so that
    # every laptop's Documents tab shows it (keyworker/outbox/queue.py `share_delivery`; the outbox
    # itself stays on its laptop). Null until that laptop has queued it.
    delivery_state: Mapped[str | None] = mapped_column(String(16))
    delivery_label: Mapped[str | None] = mapped_column(String(120))
    delivery_detail: Mapped[str | None] = mapped_column(Text)
    delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
