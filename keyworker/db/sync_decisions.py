"""Choices about a sync conflict that no change to a record shows (issue 17, docs/SYNC.md "The
screens"). Unlike the bookkeeping in keyworker/db/sync.py this table is `Tracked`, so a decision
made on one laptop moves as an op and settles the same conflict on every other.

- `not_same`: two residents another laptop flagged as a probable duplicate (same name and date of
  birth) are two different people; the pair stays apart and the conflict is closed everywhere.
  (Merging them needs no row here: the archived record says it.)
- `kept`: of two discharges (or discharge plans) recorded for one stay on two laptops, a senior
  kept one (`twice` conflicts); resident_a and resident_b are both the stay's resident."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.db.base import Base, Tracked

NOT_SAME = "not_same"
KEPT = "kept"


class SyncDecision(Tracked, Base):
    __tablename__ = "sync_decisions"
    __table_args__ = (Index("ix_sync_decisions_pair", "resident_a", "resident_b"),)
    kind: Mapped[str] = mapped_column(String(16))
    conflict_id: Mapped[str] = mapped_column(String(36))
    resident_a: Mapped[str] = mapped_column(ForeignKey("residents.id"))
    resident_b: Mapped[str] = mapped_column(ForeignKey("residents.id"))
