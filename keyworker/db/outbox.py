"""The outbox: everything that must leave the laptop waits here, inside the encrypted database,
until a destination takes it with a durable receipt. Rows are never deleted after an error."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.db.base import Base, Tracked, UTCDateTime

# pending: waiting for its next attempt (or for a destination); in_flight: leased by a worker;
# delivered: a durable receipt came back; quarantined: permanently refused, waits for a person;
# cancelled: a senior stopped it, with a reason.
STATUSES = ("pending", "in_flight", "delivered", "quarantined", "cancelled")
WAITING = ("pending", "in_flight")


class OutboxDestination(Tracked, Base):
    """Where items go: an HTTPS API, an SFTP drop or secure email. `settings` is JSON of the
    non-secret settings; `secret` the token / password / private key, encrypted under a key
    derived from the unit key (keyworker/outbox/secrets.py), never plaintext."""

    __tablename__ = "outbox_destinations"
    name: Mapped[str] = mapped_column(String(120))
    transport: Mapped[str] = mapped_column(String(8))  # https / sftp / smtp
    settings: Mapped[str] = mapped_column(Text, default="{}")
    secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Last time a worker reached it (or failed to): the status bar's online/offline is measured.
    last_reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_unreachable_error: Mapped[str | None] = mapped_column(Text)


class OutboxRoute(Tracked, Base):
    """The default destination for each kind of document (one row per kind)."""

    __tablename__ = "outbox_routes"
    kind: Mapped[str] = mapped_column(String(40), unique=True)
    destination_id: Mapped[str] = mapped_column(ForeignKey("outbox_destinations.id"))


class OutboxItem(Tracked, Base):
    __tablename__ = "outbox_items"
    # decline_letter / acceptance_confirmation / review_invitation / declines_report /
    # care_plan_share / discharge_letter / ... (keyworker/outbox/kinds.py names them in words)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(200))
    resident_id: Mapped[str | None] = mapped_column(ForeignKey("residents.id"), index=True)
    referral_id: Mapped[str | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"), index=True)
    # Who it is for, as the letter names them; the email address when the destination is email.
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    recipient_email: Mapped[str | None] = mapped_column(String(200))
    recipient_role: Mapped[str | None] = mapped_column(String(40))  # referrer / authority / resident / gp ...
    # NULL: no destination set yet; the item waits visibly until one is.
    destination_id: Mapped[str | None] = mapped_column(ForeignKey("outbox_destinations.id"), index=True)
    # Same key on every replay: HTTP Idempotency-Key, the SFTP file name, the SMTP Message-ID.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    mime_type: Mapped[str] = mapped_column(String(60), default="application/pdf")
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leased_by: Mapped[str | None] = mapped_column(String(64))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt: Mapped[str | None] = mapped_column(String(200))
    # A PDF sent by email may be password-protected; the password is shown once, never stored.
    password_protect: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_reason: Mapped[str | None] = mapped_column(Text)

    # The worker's query: what is waiting and due, oldest first, without reading payloads.
    __table_args__ = (Index("ix_outbox_items_due", "status", "next_attempt_at"),)


class OutboxAttempt(Tracked, Base):
    """One delivery attempt and its outcome, append-only (the Outbox page's history of an item)."""

    __tablename__ = "outbox_attempts"
    item_id: Mapped[str] = mapped_column(ForeignKey("outbox_items.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # delivered / transient / permanent / lease_expired
    outcome: Mapped[str] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text)
    receipt: Mapped[str | None] = mapped_column(String(200))
