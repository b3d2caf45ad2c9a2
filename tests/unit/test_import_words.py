"""What the import says, in a spreadsheet's words: problems name the person and the column as the
file heads it, a value not in a list names the allowed values, an impossible date says so, an
admission that ended long ago is flagged (and may come in as discharged), and the sample file
offered to a unit imports as current residents on the day it is made."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock, SystemClock, local_today
from keyworker.db.caseload import Admission, Referral, Resident
from keyworker.imports.columns import HEADINGS, heading
from keyworker.imports.csv_file import normalise_header
from keyworker.imports.residents import ALIASES, KNOWN_COLUMNS
from keyworker.imports.sample import sample_csv
from keyworker.validation import parse_date

ADMISSION = "Given name,Surname,DOB,Admission date,Setting,Strand,Planned weeks,Key worker\n"


def test_problems_name_the_person_and_the_column_as_the_file_heads_it(manager_book: Casebook) -> None:
    data = ("First name,Surname,DOB,NHS no,Sex\n"
            "Anna,Smith,31/02/1990,,Female\n"
            ",,01/01/1980,943 476 5919,Robot\n").encode()
    report = manager_book.imports.residents(data, dry_run=True)
    by_row = {(p.row, p.column): p for p in report.problems}
    dob = by_row[(2, "date_of_birth")]
    assert (dob.heading, dob.person) == ("DOB", "Anna Smith")
    assert dob.message == "Date of birth: there is no 31 February 1990."
    # No name: the NHS number says who it is (as 3-3-4); a missing column is named as a sheet writes it
    sex = by_row[(3, "sex")]
    assert (sex.heading, sex.person) == ("Sex", "NHS number 943 476 5919")
    assert by_row[(3, "given_name")].heading == "First name"
    assert "  row 2 (Anna Smith), DOB: Date of birth: there is no 31 February 1990." in report.lines()
    missing = manager_book.imports.residents(b"Given name,Family name\nAnna,Smith\n", dry_run=True)
    assert [(p.heading, p.message) for p in missing.problems] == [("Date of birth", "Date of birth is required.")]


def test_a_value_not_in_a_list_names_the_allowed_values(manager_book: Casebook) -> None:
    data = b"Given name,Family name,DOB,Sex,Substance\nAnna,Smith,01/01/1980,Robot,Glue\n"
    report = manager_book.imports.residents(data, dry_run=True)
    msgs = {p.column: p.message for p in report.problems}
    assert msgs["sex"].startswith("Robot is not in the list for sex. Write one of: ")
    for option in ("Female", "Male", "Prefer not to say"):
        assert option in msgs["sex"]
    assert "Alcohol" in msgs["primary_substance"] and "Solvents" in msgs["primary_substance"]


@pytest.mark.parametrize(("text", "reason"), [
    ("31/02/1990", "there is no 31 February 1990"),
    ("29/02/2023", "there is no 29 February 2023"),
    ("1990-04-31", "there is no 31 April 1990"),
    ("12/13/1990", "there is no month 13 (write the day first: 31/12/1990)"),
    ("31/4/90", "there is no 31 April 1990"),
    ("soon", ""),
])
def test_an_impossible_date_says_which_day_does_not_exist(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_date(text)
    assert getattr(e.value, "reason", None) == reason
    assert parse_date("29/02/2024") == date(2024, 2, 29)


def test_every_heading_reads_back_as_its_column() -> None:
    # The docs and the sample write these headings: each must be understood as its column.
    for column in KNOWN_COLUMNS:
        assert normalise_header(heading(column), ALIASES) == column, column
    assert heading("nhs_number") == "NHS number" and HEADINGS["date_of_birth"] == "Date of birth"
    for spelling in ("DOB", "D.O.B.", "NHS no.", "NHS Number", "Surname", "Forename", "Post code"):
        assert normalise_header(spelling, ALIASES) in KNOWN_COLUMNS, spelling


def test_an_admission_that_ended_long_ago_is_flagged_and_may_come_in_discharged(
    book_factory, clock: FixedClock,  # type: ignore[no-untyped-def]
) -> None:
    # Today is 05/01/2026. Anna's 12 weeks from 01/09/2025 ended on 24/11/2025, 42 days ago;
    # Bob's ended on 22/12/2025, 14 days ago: not long enough to ask.
    book = book_factory("manager")
    data = (ADMISSION + "Anna,Smith,01/01/1980,01/09/2025,24h_residential,level_1,12,worker\n"
            "Bob,Jones,02/02/1982,29/09/2025,24h_residential,level_1,12,worker\n").encode()
    dry = book.imports.residents(data, dry_run=True)
    assert dry.invalid == 0 and dry.ok == 2 and dry.ended_long_ago_count == 1
    (flag,) = dry.ended_long_ago
    assert (flag.row, flag.person, flag.heading) == (2, "Anna Smith", "Admission date")
    assert "24/11/2025" in flag.message and "42 days ago" in flag.message and "discharged" in flag.message
    assert "would be imported as current residents" in dry.ended_summary()

    report = book.imports.residents(data, as_discharged=True)
    assert report.residents_imported == 2 and report.ended_long_ago_count == 1
    with book._read() as s:
        adm = {r.given_name: (a.discharged_on, a.discharge_type, r.key_worker_id)
               for r, a in s.execute(select(Resident, Admission).join(Admission, Admission.resident_id == Resident.id))}
    assert adm["Anna"][:2] == (date(2025, 11, 24), None) and adm["Anna"][2] is None  # discharged, not on a caseload
    assert adm["Bob"][0] is None and adm["Bob"][2] is not None
    again = book.imports.residents(data, dry_run=True)  # already here: skipped, so not flagged again
    assert again.duplicates == 2 and again.ended_long_ago_count == 0
    # The caseload (current residents) shows Bob, not Anna
    rows = book.caseload.rows(book.caseload.ids(book.caseload.filter()))
    assert [(r.name, r.current) for r in rows] == [("Jones, Bob", True)]


def test_the_sample_file_imports_as_current_residents_today(book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(SystemClock().now())  # the real today: the sample must hold whenever it is made
    book = book_factory("manager")
    text = book.imports.sample()
    assert text.splitlines()[0].startswith("Record type,External ID,Given name,Family name,Date of birth,NHS number")
    report = book.imports.residents(text.encode())
    assert (report.rows, report.invalid, report.duplicates, report.ended_long_ago_count) == (4, 0, 0, 0)
    assert report.problems == () and report.ignored_columns == ()
    assert (report.residents_imported, report.referrals_imported) == (3, 1)
    today = local_today(clock)
    with book._read() as s:
        for adm in s.scalars(select(Admission)):
            assert adm.discharged_on is None and adm.admitted_on <= today
        assert all(r.key_worker_id for r in s.scalars(select(Resident)))
        assert s.scalars(select(Referral.status)).all() == ["open"]
    # The same holds for the text made without a unit (the docs' example), on any day
    assert sample_csv(today).count("\n") == 5


def test_cli_sample_and_as_discharged(db_path, capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from keyworker import cli
    from tests.conftest import STAFF_PW

    monkeypatch.setenv("KEYWORKER_PASSWORD", STAFF_PW)
    sample = tmp_path / "sample.csv"
    common = ["--db", str(db_path), "--user", "manager"]
    assert cli.run(["import", "sample", str(sample), *common]) == 0
    assert "Sample written to" in capsys.readouterr().out and sample.stat().st_mode & 0o777 == 0o600
    assert cli.run(["import", "sample", str(sample), *common]) == 1  # the same overwrite rule as elsewhere
    assert "--overwrite" in capsys.readouterr().err
    assert cli.run(["import", "sample", str(sample), "--overwrite", *common]) == 0
    capsys.readouterr()
    # The CLI runs on the real today: the sample imports as it is, nothing flagged
    assert cli.run(["import", "residents", str(sample), "--dry-run", *common]) == 0
    out = capsys.readouterr().out
    assert "invalid: 0" in out and "ended long ago" not in out
    # An admission that ended long before today: flagged, and with --as-discharged imported so
    ended = tmp_path / "ended.csv"
    ended.write_text(ADMISSION + "Anna,Smith,01/01/1980,05/01/2026,24h_residential,level_1,12,worker\n", encoding="utf-8")
    assert cli.run(["import", "residents", str(ended), "--dry-run", *common]) == 0
    out = capsys.readouterr().out
    assert "1 admission ended long ago" in out and "row 2 (Anna Smith), Admission date: Still here?" in out
    assert "add --as-discharged" in out
    assert cli.run(["import", "residents", str(ended), "--as-discharged", *common]) == 0
    out = capsys.readouterr().out
    assert "imported as discharged" in out and "Imported as discharged on 30/03/2026" in out
