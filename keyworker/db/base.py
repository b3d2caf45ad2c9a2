"""Declarative base and the columns every synchronisable row carries."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, MetaData, String, TypeDecorator, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from keyworker.ids import new_id

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC; returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, date: Date}


class Tracked:
    """Sync-ready columns: client UUIDv7 key, UTC times, who and which device, archive not delete.
    Filled in by the unit of work (see `stamp_rows`), never by hand."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(36))
    device_id: Mapped[str] = mapped_column(String(36))
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


@event.listens_for(Session, "before_flush")
def stamp_rows(session: Session, flush_context: Any, instances: Any) -> None:
    """Every new or changed Tracked row gets its times, author and device from the unit of work."""
    ctx = session.info.get("ctx")
    if ctx is None:
        return
    now = ctx.clock.now()
    for obj in session.new:
        if isinstance(obj, Tracked):
            if obj.id is None:
                obj.id = new_id()
            obj.created_at = obj.created_at or now
            obj.updated_at = now
            obj.created_by = obj.created_by or ctx.actor_id
            obj.device_id = obj.device_id or ctx.device_id
            if obj.archived is None:
                obj.archived = False
    for obj in session.dirty:
        if isinstance(obj, Tracked) and session.is_modified(obj, include_collections=False):
            obj.updated_at = now


@event.listens_for(Session, "after_flush")
def record_ops(session: Session, flush_context: Any) -> None:
    """One op per inserted or changed synchronised row, in the same transaction (docs/SYNC.md,
    "The op-log"; keyworker/sync/oplog.py). Nothing for a session without a unit of work."""
    if session.info.get("ctx") is None:
        return
    from keyworker.sync.oplog import write_ops

    write_ops(session, flush_context)
