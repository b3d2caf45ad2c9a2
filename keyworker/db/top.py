"""The Treatment Outcomes Profile (issue 14, part O2; migration 0018_top): one row per TOP
interview of a stay (`tops`), with the substance use of the past 28 days one row per substance
(`top_substances`), so the quarterly report asks for "mean change in days of use of opiates
between start and exit" with a join, not by unpacking JSON. Our own column names and short
labels only: the official form's wording is licensed material (README, "Licensed material")."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.db.base import Base, Tracked

# start (within 14 days of admission) / review (mid-way and at least 6-monthly) / exit (at
# discharge) / post_treatment_exit (at the 6-month follow-up). keyworker/top.py STAGES.
STAGES = ("start", "review", "exit", "post_treatment_exit")


class Top(Tracked, Base):
    __tablename__ = "tops"
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    admission_id: Mapped[str] = mapped_column(ForeignKey("admissions.id"))
    stage: Mapped[str] = mapped_column(String(24))
    interview_on: Mapped[date] = mapped_column(Date, index=True)
    completed_by: Mapped[str] = mapped_column(ForeignKey("accounts.id"))  # who held the interview
    # Days in the past 28 (0-28) and yes/no answers.
    tobacco_days: Mapped[int] = mapped_column(Integer)
    injecting_days: Mapped[int] = mapped_column(Integer)
    shared_needles: Mapped[bool] = mapped_column(Boolean)  # needles or syringes
    shared_other_equipment: Mapped[bool] = mapped_column(Boolean)
    shoplifting_days: Mapped[int] = mapped_column(Integer)
    drug_selling_days: Mapped[int] = mapped_column(Integer)
    vehicle_theft: Mapped[bool] = mapped_column(Boolean)  # theft from or of a vehicle
    property_theft: Mapped[bool] = mapped_column(Boolean)  # other property theft or burglary
    fraud: Mapped[bool] = mapped_column(Boolean)  # fraud, forgery, handling stolen goods
    assault: Mapped[bool] = mapped_column(Boolean)  # assault or violence
    # Health and social functioning: 0 (poor) to 20 (good).
    psychological_health: Mapped[int] = mapped_column(Integer)
    physical_health: Mapped[int] = mapped_column(Integer)
    quality_of_life: Mapped[int] = mapped_column(Integer)
    paid_work_days: Mapped[int] = mapped_column(Integer)
    education_days: Mapped[int] = mapped_column(Integer)  # college or school
    acute_housing_problem: Mapped[bool] = mapped_column(Boolean)
    eviction_risk: Mapped[bool] = mapped_column(Boolean)

    # A stay's TOPs by stage (due dates and compliance read them per admission).
    __table_args__ = (Index("ix_tops_admission_stage", "admission_id", "stage"),)


class TopSubstance(Tracked, Base):
    """One substance of one TOP: days used in each of the four weeks (None when only the 28-day
    total was given), the total (0-28), the average amount on a using day and its unit."""

    __tablename__ = "top_substances"
    top_id: Mapped[str] = mapped_column(ForeignKey("tops.id"), index=True)
    substance: Mapped[str] = mapped_column(String(16))  # keyworker/top.py SUBSTANCES
    other_name: Mapped[str | None] = mapped_column(String(60))  # the named "other" substance
    week1: Mapped[int | None] = mapped_column(Integer)
    week2: Mapped[int | None] = mapped_column(Integer)
    week3: Mapped[int | None] = mapped_column(Integer)
    week4: Mapped[int | None] = mapped_column(Integer)
    total_days: Mapped[int] = mapped_column(Integer)
    average_amount: Mapped[float | None] = mapped_column(Float)
    amount_unit: Mapped[str | None] = mapped_column(String(8))  # units / grams / pounds
