"""Scheduling the 3- and 6-month follow-ups when a programme is completed (4.1.8), inside the
discharge's own transaction. Whether a discharge reason counts as completed is the reference
list's `completed` flag (resources/reference/discharge_reasons.json)."""
from __future__ import annotations

import calendar
from datetime import date

from sqlalchemy.orm import Session

from keyworker.db.discharges import Discharge, FollowUp

FOLLOW_UP_MONTHS = (3, 6)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day (31/08 + 6 months is 28/02 or 29/02)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule(session: Session, discharge: Discharge, discharged_on: date) -> list[FollowUp]:
    """Add the 3- and 6-month follow-ups of a completed programme (due the same day of the month,
    or the month's last day). The caller decides that the programme was completed."""
    rows = [FollowUp(discharge_id=discharge.id, admission_id=discharge.admission_id,
                     resident_id=discharge.resident_id, months=m, due_on=add_months(discharged_on, m),
                     status="due") for m in FOLLOW_UP_MONTHS]
    session.add_all(rows)
    session.flush(rows)
    return rows
