"""Importing a caseload from CSV: good file, bad rows, duplicates, encodings, empty, 10,000 rows, CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from keyworker import cli
from keyworker.casebook import Casebook
from keyworker.db.caseload import PREFER_NOT_TO_SAY, Admission, Referral, Resident
from keyworker.db.foundation import AuditEntry
from keyworker.errors import ImportFileError, PermissionDenied
from tests.conftest import STAFF_PW

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
GOOD = FIXTURES / "caseload_good.csv"
HEADER = "external_id,given_name,family_name,date_of_birth,sex,postcode,district\n"


def count(book: Casebook, model: type) -> int:
    with book._read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_good_file(manager_book: Casebook) -> None:
    report = manager_book.imports.residents(GOOD)
    assert (report.rows, report.invalid, report.duplicates) == (4, 0, 0)
    assert (report.residents_imported, report.referrals_imported) == (3, 1)
    assert report.ignored_columns == ()
    with manager_book._read() as s:
        anna = s.scalars(select(Resident).where(Resident.external_id == "OLD-1")).one()
        assert (anna.reference, anna.postcode, anna.nhs_number) == ("R-00001", "PR1 2AB", "9434765919")
        assert anna.search_text == "anna smith annie r-00001 pr1 2ab"
        bob = s.scalars(select(Resident).where(Resident.external_id == "OLD-2")).one()
        assert bob.sex == PREFER_NOT_TO_SAY and bob.religion is None
        sian = s.scalars(select(Resident).where(Resident.external_id == "OLD-3")).one()
        assert (
            sian.given_name == "Siân" and sian.district_in_lancashire is False and sian.key_worker_id is None
        )
        adms = s.scalars(select(Admission)).all()
        assert {a.strand for a in adms} == {"level_1", "level_2"} and len(adms) == 2
        assert bob.key_worker_id is not None
        ref = s.scalars(select(Referral)).one()
        assert ref.status == "open" and str(ref.decision_due_on) == "2026-01-09"
        actions = s.scalars(select(AuditEntry.action)).all()
    assert actions.count("resident.create") == 3 and actions.count("referral.create") == 1
    assert "import.residents" in actions
    assert manager_book.audit.verify().ok


def test_importing_twice_creates_no_duplicates(manager_book: Casebook) -> None:
    manager_book.imports.residents(GOOD)
    again = manager_book.imports.residents(GOOD)
    assert again.duplicates == 4 and again.imported == 0 and again.invalid == 0
    assert count(manager_book, Resident) == 3 and count(manager_book, Referral) == 1
    # Without an external id, name + date of birth match (case and spacing ignored).
    data = (HEADER + ",ANNA,smith,1985-03-12,,,\n,New,Person,1980-01-01,,,\n").encode()
    report = manager_book.imports.residents(data)
    assert report.duplicates == 1 and report.residents_imported == 1


def test_bad_rows_import_nothing_unless_valid_only(manager_book: Casebook) -> None:
    data = (
        HEADER
        + "A1,Good,Row,01/01/1980,Male,PR1 2AB,Preston\n"
        + "A2,,Row,31/02/1980,Robot,NOT A POSTCODE,Preston\n"
        + "A3,Second,Good,1975-05-05,,,\n"
    ).encode()
    report = manager_book.imports.residents(data)
    assert report.invalid == 1 and report.imported == 0 and report.ok == 2
    problems = {(p.row, p.column) for p in report.problems}
    assert problems == {(3, "given_name"), (3, "date_of_birth"), (3, "sex"), (3, "postcode")}
    assert any("row 3 (Row), postcode" in line for line in report.lines())
    assert count(manager_book, Resident) == 0
    dry = manager_book.imports.residents(data, valid_only=True, dry_run=True)
    assert dry.imported == 0 and count(manager_book, Resident) == 0
    report = manager_book.imports.residents(data, valid_only=True)
    assert report.residents_imported == 2 and count(manager_book, Resident) == 2


def test_utf8_with_bom_and_semicolons(manager_book: Casebook) -> None:
    text = "External ID;First name;Surname;DOB\nB1;Zoë;Brontë;02/02/1972\n"
    report = manager_book.imports.residents(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert report.encoding == "utf-8-sig" and report.delimiter == ";" and report.residents_imported == 1
    with manager_book._read() as s:
        assert s.scalar(select(Resident.given_name)) == "Zoë"


def test_windows_1252(manager_book: Casebook, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes((HEADER + "W1,Renée,Dupré,03/03/1983,Female,BB11 1AA,Burnley\r\n").encode("cp1252"))
    # Not valid UTF-8: refused with the row and cells named, never silently read as 1252 ...
    with pytest.raises(ImportFileError, match=r"not valid utf-8.*row 2 \(given_name, family_name\)"):
        manager_book.imports.residents(path)
    assert count(manager_book, Resident) == 0
    # ... until the person says it is Windows-1252.
    report = manager_book.imports.residents(path, encoding="windows-1252")
    assert report.encoding == "windows-1252" and report.residents_imported == 1
    with manager_book._read() as s:
        assert s.scalar(select(Resident.family_name)) == "Dupré"


def test_empty_and_unreadable_files(manager_book: Casebook, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFileError, match="empty"):
        manager_book.imports.residents(empty)
    with pytest.raises(ImportFileError, match="no file"):
        manager_book.imports.residents(tmp_path / "missing.csv")
    header_only = manager_book.imports.residents(HEADER.encode())
    assert header_only.rows == 0 and header_only.imported == 0


def test_unknown_columns_and_record_type(manager_book: Casebook) -> None:
    data = b"record_type,given_name,family_name,date_of_birth,Favourite colour\npatient,A,B,01/01/1980,blue\n"
    report = manager_book.imports.residents(data)
    assert report.ignored_columns == ("Favourite colour",)
    assert [(p.row, p.column) for p in report.problems] == [(2, "record_type")]


def test_key_worker_cannot_import(worker_book: Casebook) -> None:
    with pytest.raises(PermissionDenied):
        worker_book.imports.residents(GOOD)


def test_ten_thousand_rows(manager_book: Casebook) -> None:
    lines = [HEADER.strip()]
    districts = ["Preston", "Burnley", "Chorley", "Wyre"]
    for i in range(10_000):
        lines.append(
            f"E{i},Given{i},Family{i % 97},{1 + i % 28:02d}/{1 + i % 12:02d}/{1950 + i % 50},"
            f"{'Prefer not to say' if i % 10 == 0 else 'Female'},PR{1 + i % 9} {i % 10}AB,"
            f"{districts[i % 4]}"
        )
    data = ("\n".join(lines) + "\n").encode()
    report = manager_book.imports.residents(data)
    assert report.invalid == 0 and report.residents_imported == 10_000
    assert count(manager_book, Resident) == 10_000
    with manager_book._read() as s:
        assert s.scalar(select(func.max(Resident.reference_no))) == 10_000
    assert manager_book.audit.verify().ok
    again = manager_book.imports.residents(data)
    assert again.duplicates == 10_000 and again.imported == 0


def test_cli_import(
    db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KEYWORKER_PASSWORD", STAFF_PW)
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "A1,Good,Row,01/01/1980,,,\nA2,Bad,Row,01/01/1980,,XX,\n", encoding="utf-8")
    rc = cli.run(["import", "residents", str(bad), "--db", str(db_path), "--user", "manager"])
    out = capsys.readouterr().out
    assert rc == 1 and "row 3 (Bad Row), postcode" in out and "Nothing was imported" in out
    rc = cli.run(["import", "residents", str(bad), "--valid-only", "--db", str(db_path), "--user", "manager"])
    assert rc == 0 and "Imported 1 residents" in capsys.readouterr().out
    rc = cli.run(
        ["import", "residents", str(tmp_path / "nope.csv"), "--db", str(db_path), "--user", "manager"]
    )
    assert rc == 1 and "no file" in capsys.readouterr().err


def _rows_csv(n: int, bad_every: int = 0) -> bytes:
    lines = [HEADER.strip()]
    for i in range(n):
        dob = "31/02/1980" if bad_every and i % bad_every == 0 else f"{1 + i % 28:02d}/03/1980"
        lines.append(f"P{i},Given{i},Family{i},{dob},Female,PR1 2AB,Preston")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("dry_run", [True, False])
def test_progress_is_reported_every_few_hundred_rows_and_ends_at_the_total(
    manager_book: Casebook, dry_run: bool
) -> None:
    from keyworker.imports import PROGRESS_EVERY

    seen: list[tuple[int, int]] = []
    report = manager_book.imports.residents(
        _rows_csv(1_050, bad_every=97), valid_only=True, dry_run=dry_run,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert report.rows == 1_050 and report.invalid > 0
    assert report.residents_imported == (0 if dry_run else report.ok)
    dones = [d for d, _t in seen]
    assert {t for _d, t in seen} == {1_050}
    assert dones == sorted(dones) and dones[0] == 0 and dones[-1] == 1_050  # monotonic, ends at the total
    assert len(seen) <= 1_050 // PROGRESS_EVERY + 2  # a modest rate, not once a row
    assert len(seen) >= 3


def test_progress_for_an_empty_file_and_without_a_callback(manager_book: Casebook) -> None:
    seen: list[tuple[int, int]] = []
    manager_book.imports.residents(HEADER.encode(), progress=lambda d, t: seen.append((d, t)))
    assert seen == [(0, 0)]
    assert manager_book.imports.residents(_rows_csv(3)).residents_imported == 3  # still optional


def test_an_under_18_is_refused_with_the_words_the_admission_form_uses(manager_book: Casebook) -> None:
    """The importer applies the contract's age rule (5.1.1.1, no exception) in the same words; a
    column once used to give a reason is not read."""
    from datetime import date

    from keyworker.residents import under_age_message

    data = (
        "given_name,family_name,date_of_birth,admitted_on,setting,strand,planned_weeks,key_worker,age_override_reason\n"
        "Young,Person,06/01/2008,05/01/2026,24h_residential,level_1,12,worker,Agreed with the Authority\n"
    ).encode()
    report = manager_book.imports.residents(data)
    assert report.invalid == 1 and report.imported == 0
    [problem] = report.problems
    assert (problem.row, problem.column) == (2, "date_of_birth")
    assert problem.message == under_age_message(date(2008, 1, 6), date(2026, 1, 5))
    assert "they turn 18 on 06/01/2026" in problem.message
    assert report.ignored_columns == ("age_override_reason",)
    assert count(manager_book, Resident) == 0
