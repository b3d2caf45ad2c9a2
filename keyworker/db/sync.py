"""The laptop's sync bookkeeping (issue 17, docs/SYNC.md). None of these tables is `Tracked`:
they never move as ops themselves.

- `sync_ops`: the op-log. Every op this laptop wrote (from the session listener in
  keyworker/sync/oplog.py) and every op it applied from the hub. `unit_seq` is null until the
  hub's answer naming it is stored (pushed); `acknowledged` is set once the op has been met in
  hub order on this laptop (an own op pulled back, or a pulled op applied). An op id already
  acknowledged is never applied again: this table is also the "already applied" set.
- `sync_state`: key/value (`last_seen` ...).
- `sync_heads`: per entity and field, the last op in hub order that wrote it (the base of the
  field-conflict rule), with its value, who and when.
- `sync_conflicts`: field conflicts, forks and probable duplicates; the same ids on every laptop.
- `sync_quarantine`: pulled ops that were not applied (payload does not open, or the row cannot
  be written), kept with the reason, never dropped.
- `sync_aliases`: a care plan or risk assessment started on two laptops for one stay: the later
  row's id (in hub order) is an alias of the earlier one, and every op naming it is applied to
  the earlier one (keyworker/sync/apply.py, `_clash`).
"""
from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Boolean, Index, Integer, LargeBinary, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.db.base import Base, UTCDateTime


class SyncOp(Base):
    __tablename__ = "sync_ops"
    __table_args__ = (
        UniqueConstraint("device_id", "device_seq"),
        Index("ix_sync_ops_entity", "entity_type", "entity_id"),
        # The laptop's own ops not yet met in hub order: few, found without a scan.
        Index("ix_sync_ops_open", "device_id", "device_seq", sqlite_where=text("acknowledged = 0")),
    )
    op_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36))
    device_seq: Mapped[int] = mapped_column(Integer)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(8))  # insert / update
    # Null for an insert; for an own update, null until resolved (keyworker/sync/oplog.py).
    base_seq: Mapped[int | None] = mapped_column(Integer)
    key_epoch: Mapped[int] = mapped_column(Integer)  # 0: not sealed yet (sealed before it is pushed)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unit_seq: Mapped[int | None] = mapped_column(Integer)  # no index: every index is paid on the write path
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class SyncState(Base):
    __tablename__ = "sync_state"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SyncHead(Base):
    __tablename__ = "sync_heads"
    entity_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_seq: Mapped[int] = mapped_column(Integer)
    op_id: Mapped[str] = mapped_column(String(36))
    device_id: Mapped[str] = mapped_column(String(36))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[str] = mapped_column(Text)  # canonical JSON


class SyncConflict(Base):
    __tablename__ = "sync_conflicts"
    __table_args__ = (Index("ix_sync_conflicts_entity", "entity_type", "entity_id"),
                      Index("ix_sync_conflicts_open", "kind", sqlite_where=text("resolved_at IS NULL")))
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUIDv5 of the op ids
    kind: Mapped[str] = mapped_column(String(12))  # field / fork / duplicate
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str | None] = mapped_column(String(64))
    # "a" is the earlier in hub order, "b" the later, which stands.
    op_a: Mapped[str] = mapped_column(String(36))
    op_b: Mapped[str] = mapped_column(String(36))
    record_a: Mapped[str | None] = mapped_column(String(36))  # fork / duplicate: the two rows
    record_b: Mapped[str | None] = mapped_column(String(36))
    value_a: Mapped[str | None] = mapped_column(Text)  # canonical JSON
    value_b: Mapped[str | None] = mapped_column(Text)
    by_a: Mapped[str | None] = mapped_column(String(36))
    by_b: Mapped[str | None] = mapped_column(String(36))
    at_a: Mapped[datetime | None] = mapped_column(UTCDateTime)
    at_b: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(36))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncQuarantine(Base):
    __tablename__ = "sync_quarantine"
    op_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_seq: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str] = mapped_column(String(36))
    device_seq: Mapped[int] = mapped_column(Integer)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(8))
    base_seq: Mapped[int | None] = mapped_column(Integer)
    key_epoch: Mapped[int] = mapped_column(Integer)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SyncAlias(Base):
    __tablename__ = "sync_aliases"
    __table_args__ = (Index("ix_sync_aliases_target", "entity_type", "target_id"),)
    entity_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    alias_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the later row's id
    target_id: Mapped[str] = mapped_column(String(36))  # the earlier row's, which stands
    op_id: Mapped[str] = mapped_column(String(36))  # the later row's insert op


# The tables, typed for Core statements (keyworker/sync writes them without the ORM).
OPS_T = cast(Table, SyncOp.__table__)
STATE_T = cast(Table, SyncState.__table__)
HEADS_T = cast(Table, SyncHead.__table__)
CONFLICTS_T = cast(Table, SyncConflict.__table__)
QUARANTINE_T = cast(Table, SyncQuarantine.__table__)
ALIASES_T = cast(Table, SyncAlias.__table__)
