"""`main.py report outcomes --quarter YYYYQn [--pdf FILE] [--csv FILE]` as a user runs it: the
table, both files at once (owner-only), a bad quarter and a key worker refused in one line."""
from __future__ import annotations

import csv
import io
import stat
from datetime import date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from keyworker.clock import FixedClock
from keyworker.outcome_star import StarReadingInput
from keyworker.surveys import SurveyInput
from tests.conftest import STAFF_PW, open_as
from tests.fixtures.caseload import admit
from tests.unit.test_cli import assert_one_line_error, run

AREAS = ['drug_use', 'alcohol_use', 'physical_health', 'meaningful_time', 'community', 'emotional_health',
         'accommodation', 'money', 'offending', 'family_relationships']


@pytest.fixture
def unit(db_path: Path) -> Path:
    """One resident admitted 05/01/2026: Star all 3 on 06/01, all 6 on 02/03; a survey 20/03."""
    clock = FixedClock(datetime(2026, 1, 5, 9, 0))
    book = open_as(db_path, "manager", clock)
    try:
        rec = admit(book)
        clock.set(datetime(2026, 4, 2, 9, 0))
        book.outcome_star.record(StarReadingInput(rec.id, dict.fromkeys(AREAS, 3), date(2026, 1, 6), "admission"))
        book.outcome_star.record(StarReadingInput(rec.id, dict.fromkeys(AREAS, 6), date(2026, 3, 2)))
        book.surveys.record(SurveyInput(rec.id, taken_on=date(2026, 3, 20), overall=5, listened=4))
    finally:
        book.close()
    return db_path


def report(tmp_path: Path, db: Path, *args: str, user: str = "manager"):  # type: ignore[no-untyped-def]
    return run(tmp_path, "report", "outcomes", "--db", str(db), *args, password=STAFF_PW, user=user)


def test_table(tmp_path: Path, unit: Path) -> None:
    res = report(tmp_path, unit, "--quarter", "2026Q1")
    assert res.returncode == 0, res.stderr
    out = " ".join(res.stdout.split())
    assert "Quarterly outcomes report: 1 January 2026 to 31 March 2026 (2026 Q1)" in out
    assert "Residents with star readings 1" in out and "Money: mean change +3.00" in out
    assert "Overall: mean rating, residents (1-5) 5.00" in out


def test_pdf_and_csv_together_owner_only(tmp_path: Path, unit: Path) -> None:
    pdf, sheet = tmp_path / "q.pdf", tmp_path / "q.csv"
    res = report(tmp_path, unit, "--quarter", "2026q1", "--pdf", str(pdf), "--csv", str(sheet))
    assert res.returncode == 0, res.stderr
    for f in (pdf, sheet):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert "Quarterly outcomes report" in PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text()
    rows = {(s, m): v for s, m, v in csv.reader(io.StringIO(sheet.read_text(encoding="utf-8-sig")))}
    assert rows[("Outcome Star", "Drug use: share improved (%)")] == "100.0"
    assert "not encrypted" in res.stdout
    again = report(tmp_path, unit, "--quarter", "2026Q1", "--csv", str(sheet))
    assert_one_line_error(again, 1, "exists")


def test_errors_in_one_line(tmp_path: Path, unit: Path) -> None:
    assert_one_line_error(report(tmp_path, unit, "--quarter", "2026Q5"), 2, "not a quarter")
    assert_one_line_error(report(tmp_path, unit, "--quarter", "2026Q1", user="worker"), 1)
