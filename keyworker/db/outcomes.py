"""Outcome Star readings (issue 14): one row per reading of a resident's stay, and one row per
area scored. The scores are a child table, not JSON, so the quarterly report's "mean change per
area between the first and the latest reading" is one grouped query over (reading, area_key).
TOP (part O2) keeps its own tables in keyworker/db/top.py."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.corrections import Correctable
from keyworker.db.base import Base, Tracked

STAGES = ("admission", "review", "discharge")  # when in the stay the reading was taken


class StarReading(Correctable, Tracked, Base):
    """Append-only: a correction is a new reading that supersedes this one, with a reason
    (keyworker/corrections.py); only readings not superseded count anywhere."""

    __tablename__ = "star_readings"
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    admission_id: Mapped[str] = mapped_column(ForeignKey("admissions.id"), index=True)
    taken_on: Mapped[date] = mapped_column(Date, index=True)
    stage: Mapped[str] = mapped_column(String(12))  # admission / review / discharge
    definition_id: Mapped[str] = mapped_column(String(60))
    definition_version: Mapped[str] = mapped_column(String(20))
    completed_by: Mapped[str] = mapped_column(String(200))  # who completed it with the resident
    note: Mapped[str | None] = mapped_column(Text)  # a note on the whole reading


class StarScore(Base):
    """One area of one reading: the score 1–10 and an optional note. Written with its reading
    and never changed on its own (the reading's row carries the tracking columns)."""

    __tablename__ = "star_scores"
    reading_id: Mapped[str] = mapped_column(ForeignKey("star_readings.id"), primary_key=True)
    area_key: Mapped[str] = mapped_column(String(60), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_star_scores_area_key", "area_key", "reading_id", "score"),)
