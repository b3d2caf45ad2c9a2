"""Case notes, the contacts log and the care plan's sharing record (issue 11, "notes").
Append-only: a correction is a new row (keyworker.corrections); only a note's "for the next
shift" acknowledgement and a share's outbox link are written after the row is made."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.corrections import Correctable
from keyworker.db.base import Base, Tracked, UTCDateTime


class CaseNote(Correctable, Tracked, Base):
    __tablename__ = "case_notes"
    # The open handover flags (Today, check) without reading every note (keyworker.notes.OPEN_FLAG).
    __table_args__ = (Index("ix_case_notes_open_flags", "for_next_shift", "acknowledged_at",
                            sqlite_where=text("for_next_shift = 1 AND acknowledged_at IS NULL "
                                              "AND superseded_by_id IS NULL")),)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    about_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # the time the note is about
    category: Mapped[str] = mapped_column(String(24))  # keyworker.notes.CATEGORIES
    text: Mapped[str] = mapped_column(Text)
    for_next_shift: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(36))


class ContactLog(Correctable, Tracked, Base):
    __tablename__ = "contacts"
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    party_kind: Mapped[str] = mapped_column(String(24))  # keyworker.contact_consent.PARTY_KINDS
    with_name: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(12))  # phone / letter / email / visit / video
    direction: Mapped[str] = mapped_column(String(8))  # out / in
    summary: Mapped[str] = mapped_column(Text)
    # The recorded exception to consent (safeguarding), with its reason.
    safeguarding: Mapped[bool] = mapped_column(Boolean, default=False)
    safeguarding_reason: Mapped[str | None] = mapped_column(Text)


class CarePlanShare(Tracked, Base):
    """One recipient of an agreed care plan version (spec 4.1.5.2)."""

    __tablename__ = "care_plan_shares"
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    care_plan_id: Mapped[str] = mapped_column(String(36), index=True)
    version_id: Mapped[str] = mapped_column(String(36), index=True)
    party_kind: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(200))
    shared_on: Mapped[date] = mapped_column(Date)
    # Filled by keyworker.sharing.queue_for_outbox once the outbox exists; NULL until then.
    outbox_item_id: Mapped[str | None] = mapped_column(String(36))


# Which record each row of the FTS5 index `note_search` is (keyworker/note_search.py). The FTS5
# table itself is virtual: migration 0013 makes it, and metadata cannot describe it.
note_search_rows = Table(
    "note_search_rows", Base.metadata,
    Column("rowid", Integer, primary_key=True),
    Column("kind", String(12), nullable=False),
    Column("record_id", String(36), nullable=False),
    Column("resident_id", String(36), nullable=False),
    Index("ix_note_search_rows_record", "record_id", "kind", unique=True),
)
