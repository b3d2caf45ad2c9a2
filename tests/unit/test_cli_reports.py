"""`main.py report declines ...` run as a user runs it (a subprocess, password in
KEYWORKER_PASSWORD, HOME in a temporary folder): the table, CSV and PDF files (owner-only), UK and
ISO dates, and one-line errors with exit status 2 for usage and 1 otherwise."""
from __future__ import annotations

import csv
import io
import stat
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from keyworker.clock import LONDON, FixedClock
from tests.conftest import STAFF_PW, open_as
from tests.fixtures.caseload import referral_input
from tests.unit.test_cli import assert_one_line_error, run

REASON_1 = "The risk assessment describes violence towards staff that the unit cannot manage safely."
REASON_2 = "There is no suitable place available within the time the referral needs."


@pytest.fixture
def unit(db_path: Path) -> Path:
    """The test unit with two declines in 2026 Q1 (one late) and one in Q2."""
    clock = FixedClock(datetime(2026, 1, 5, 9, 0))
    book = open_as(db_path, "manager", clock)
    try:
        for received, decided, given, category, reason in (
            (datetime(2026, 1, 5, 9), datetime(2026, 1, 7, 11), "Alice", "risk", REASON_1),
            (datetime(2026, 2, 2, 9), datetime(2026, 2, 16, 11), "Bryony", "no_vacancy", REASON_2),
            (datetime(2026, 4, 6, 9), datetime(2026, 4, 7, 11), "Cara", "risk", REASON_1),
        ):
            clock.set(decided.replace(tzinfo=LONDON))
            r = book.referrals.record(referral_input(received_at=received.replace(tzinfo=LONDON), given_name=given))
            book.referrals.decline(r.id, category, reason)
    finally:
        book.close()
    return db_path


def report(tmp_path: Path, db: Path, *args: str, user: str = "manager"):  # type: ignore[no-untyped-def]
    return run(tmp_path, "report", "declines", "--db", str(db), *args, password=STAFF_PW, user=user)


def test_help_says_saved_files_are_plaintext(tmp_path: Path) -> None:
    res = run(tmp_path, "report", "declines", "--help")
    assert res.returncode == 0, res.stderr
    text = " ".join(res.stdout.split())
    assert "--quarter" in text and "--csv" in text and "--pdf" in text and "--db" in text
    assert "NOT encrypted" in text and "0600" in text
    assert "report" in run(tmp_path, "--help").stdout


def test_table_for_a_quarter(tmp_path: Path, unit: Path) -> None:
    res = report(tmp_path, unit, "--quarter", "2026Q1")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "1 January 2026 to 31 March 2026 (2026 Q1)" in out
    assert "Declined: 2" in out and "In time (5 working days): 1" in out and "Late: 1" in out
    assert "Alice Doe" in out and "Bryony Doe" in out and "Cara" not in out
    assert "LATE" in out
    assert REASON_1.split()[0] in out and "unit cannot manage" in " ".join(out.split())


@pytest.mark.parametrize("dates", [("01/04/2026", "30/06/2026"), ("2026-04-01", "2026-06-30"), ("7/4/2026", "7/4/2026")])
def test_uk_and_iso_dates(tmp_path: Path, unit: Path, dates: tuple[str, str]) -> None:
    res = report(tmp_path, unit, "--from", dates[0], "--to", dates[1])
    assert res.returncode == 0, res.stderr
    assert "Declined: 1" in res.stdout and "Cara Doe" in res.stdout


def test_csv_file_is_owner_only_and_reads_back(tmp_path: Path, unit: Path) -> None:
    out = tmp_path / "declines.csv"
    res = report(tmp_path, unit, "--quarter", "2026q1", "--csv", str(out))
    assert res.returncode == 0, res.stderr
    assert "saved to" in res.stdout and "not encrypted" in res.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["Given name"] for r in rows] == ["Alice", "Bryony"]
    assert [r["Reasons in full"] for r in rows] == [REASON_1, REASON_2]
    assert [r["Decided in time"] for r in rows] == ["Yes", "No"]


def test_pdf_file_is_owner_only_and_holds_the_reasons(tmp_path: Path, unit: Path) -> None:
    out = tmp_path / "declines.pdf"
    out.write_bytes(b"old")
    out.chmod(0o644)  # replacing a readable file (with --overwrite) leaves it owner-only too
    res = report(tmp_path, unit, "--from", "01/01/2026", "--to", "31/03/2026", "--pdf", str(out), "--overwrite")
    assert res.returncode == 0, res.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(out).pages).split())
    assert REASON_1 in text and REASON_2 in text
    assert "1 January 2026 to 31 March 2026 (2026 Q1)" in text


@pytest.mark.parametrize("args, contains", [
    (("--quarter", "2026Q5"), "2026Q1"),
    (("--from", "31/02/2026", "--to", "31/03/2026"), "dd/mm/yyyy"),
    (("--from", "01/03/2026", "--to", "01/02/2026"), "before it starts"),
    (("--from", "01/03/2026"), "--to"),
    (("--quarter", "2026Q1", "--to", "01/02/2026"), "not both"),
    (("--quarter", "2026Q1", "--from", "01/01/2026"), "not allowed with"),
    ((), "--quarter"),
    (("--quarter", "2026Q1", "--csv", "a.csv", "--pdf", "a.pdf"), "not allowed with"),
], ids=lambda a: " ".join(a) if isinstance(a, tuple) else a)
def test_usage_errors_are_one_line_exit_2(tmp_path: Path, unit: Path, args: tuple[str, ...], contains: str) -> None:
    assert_one_line_error(report(tmp_path, unit, *args), 2, contains)


def test_a_key_worker_is_refused_in_one_line(tmp_path: Path, unit: Path) -> None:
    assert_one_line_error(report(tmp_path, unit, "--quarter", "2026Q1", user="worker"), 1, "not allowed")


def test_a_missing_folder_is_one_line_and_writes_nothing(tmp_path: Path, unit: Path) -> None:
    target = tmp_path / "nowhere" / "declines.pdf"
    assert_one_line_error(report(tmp_path, unit, "--quarter", "2026Q1", "--pdf", str(target)), 1, "does not exist")
    assert not target.parent.exists()
