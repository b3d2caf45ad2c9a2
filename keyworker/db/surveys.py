"""Satisfaction surveys (contract 11.1.12; issue 14 part Q1; migration 0019_surveys): one row per
survey, from the resident or from a named carer or family member, with a few 1–5 ratings in our
own short words (keyworker/surveys.py RATINGS) and free comments. A rating left unanswered is
NULL, so a mean over a column counts only the people who answered it."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.db.base import Base, Tracked

RESPONDENTS = ("resident", "carer")  # the resident, or a carer / family member


class Survey(Tracked, Base):
    __tablename__ = "surveys"
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    admission_id: Mapped[str] = mapped_column(ForeignKey("admissions.id"))  # the stay it is about
    taken_on: Mapped[date] = mapped_column(Date, index=True)
    respondent: Mapped[str] = mapped_column(String(12))  # resident / carer
    respondent_name: Mapped[str | None] = mapped_column(String(200))  # a carer's or family member's name
    relationship: Mapped[str | None] = mapped_column(String(60))  # "Mother", "Partner"
    # 1 (not at all) .. 5 (very much); NULL: not answered.
    listened: Mapped[int | None] = mapped_column(Integer)
    respected: Mapped[int | None] = mapped_column(Integer)
    goals: Mapped[int | None] = mapped_column(Integer)
    recommend: Mapped[int | None] = mapped_column(Integer)
    overall: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[str | None] = mapped_column(Text)
    completed_by: Mapped[str] = mapped_column(String(200))  # who took the survey (or "the resident, on paper")

    __table_args__ = (Index("ix_surveys_resident_respondent", "resident_id", "respondent", "taken_on"),)
