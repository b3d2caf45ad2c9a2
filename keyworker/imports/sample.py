"""The sample caseload file offered to a unit about to import (File → Import, "Save a sample
file…"): the headings as docs/import-csv.md writes them, made-up people, and dates counted back
from today, so that every row imports as a current resident (or an open referral) on the day it
is saved. A file with fixed dates would be an admission that ended long ago within months."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

from keyworker.imports.columns import heading

COLUMNS = (
    "record_type", "external_id", "given_name", "family_name", "date_of_birth", "nhs_number", "sex",
    "ethnicity", "postcode", "district", "primary_substance", "primary_route", "other_substances",
    "admitted_on", "setting", "strand", "planned_weeks", "key_worker",
    "received_at", "referrer_name", "referrer_email", "community_treatment_provider", "category",
    "assessment_summary",
)


def sample_csv(today: date, key_workers: tuple[str, ...] = ("worker",)) -> str:
    """The sample file's text. `key_workers`: names of the unit's key workers (user or full names),
    used in turn; the rows need at least one that exists in the unit to import."""
    kw = key_workers or ("",)
    received = datetime.combine(today - timedelta(days=1), time(10, 0))
    rows = [
        ("resident", "OLD-1", "Anna", "Smith", "12/03/1985", "943 476 5919", "Female",
         "White: English, Welsh, Scottish, Northern Irish or British", "PR1 2AB", "Preston", "Alcohol", "Oral",
         "Cannabis:Smoked", _uk(today - timedelta(weeks=3)), "24h_residential", "level_1", "12", kw[0]),
        ("resident", "OLD-2", "Bob", "Jones", "01/01/1990", "", "Prefer not to say", "Prefer not to say",
         "BB11 1AA", "Burnley", "Heroin", "Injected", "", _uk(today - timedelta(weeks=8)),
         "24-hour staffed residential", "Level 2 (enhanced)", "26", kw[1 % len(kw)]),
        ("resident", "OLD-3", "Siân", "O'Connor", "02/02/1970", "", "", "", "FY1 1AA", "Blackpool", "", "", "",
         _uk(today - timedelta(days=10)), "24h_residential", "level_1", "16", kw[0]),
        ("referral", "OLD-4", "Cara", "Lee", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
         f"{_uk(received.date())} 10:00", "Pat Fielding", "pat.fielding@lancashire.gov.uk", "Inspire Lancashire",
         "routine", "Care Act assessment attached, motivated"),
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # as a spreadsheet saves CSV
    writer.writerow([heading(c) for c in COLUMNS])
    for row in rows:
        writer.writerow([*row, *[""] * (len(COLUMNS) - len(row))])
    return out.getvalue()


def _uk(day: date) -> str:
    return f"{day:%d/%m/%Y}"
