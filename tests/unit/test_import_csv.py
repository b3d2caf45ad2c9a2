"""How the importer reads a file (issue 7.12, 7.13, 7.16): RFC 4180 quoting whatever the separator,
one encoding for the whole file (never a silent re-decode), a column named twice is an error, and
names that only look different (case, spaces, zero-width or full-width characters) are duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from keyworker.casebook import Casebook
from keyworker.db.caseload import Resident
from keyworker.errors import ImportFileError
from keyworker.text import name_key


def residents(book: Casebook) -> list[tuple[str, str, str | None]]:
    with book._read() as s:
        return [tuple(r) for r in s.execute(
            select(Resident.given_name, Resident.family_name, Resident.preferred_name).order_by(Resident.reference_no))]


def test_doubled_quotes_and_quoted_separators_are_read_as_rfc_4180(manager_book: Casebook, tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"
    path.write_bytes(
        b"given_name,family_name,preferred_name,date_of_birth\r\n"
        b'Anne,"Smith, Jr","Anne ""Annie""",01/02/1980\r\n'
        b'"Bo","O\'Neil","Line one\nline two",1981-03-04\r\n'
    )
    report = manager_book.imports.residents(path)
    assert (report.invalid, report.residents_imported) == (0, 2)
    assert residents(manager_book) == [("Anne", "Smith, Jr", 'Anne "Annie"'), ("Bo", "O'Neil", "Line one\nline two")]


def test_semicolon_file_keeps_rfc_4180_quoting(manager_book: Casebook) -> None:
    data = 'given_name;family_name;preferred_name;date_of_birth\n"Cy";"Lee; Jr";"The ""Boss""";1970-01-01\n'
    report = manager_book.imports.residents(data.encode())
    assert report.delimiter == ";" and report.residents_imported == 1
    assert residents(manager_book) == [("Cy", "Lee; Jr", 'The "Boss"')]


def test_a_one_row_semicolon_file_imports(manager_book: Casebook) -> None:
    report = manager_book.imports.residents(b"given_name;family_name;date_of_birth\nDee;Ray;02/02/1990\n")
    assert report.delimiter == ";" and report.residents_imported == 1
    # and a file with a single column and no separator at all is a comma file with one column
    single = manager_book.imports.residents(b"given_name\nEd\n", dry_run=True)
    assert single.delimiter == "," and single.invalid == 1


def test_one_bad_byte_is_reported_never_re_decoded(manager_book: Casebook, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    rows = [b"given_name,family_name,date_of_birth", "José,García,01/01/1980".encode()]
    rows += [f"P{i},Family,01/01/1980".encode() for i in range(3, 10)]
    rows.append(b"Ren\xe9e,Dupr\xe9,03/03/1983")  # one Windows-1252 row, at row 10
    rows.append(b"Zo\xeb,Ok,03/03/1983")
    path.write_bytes(b"\n".join(rows) + b"\n")
    with pytest.raises(ImportFileError) as e:
        manager_book.imports.residents(path)
    message = str(e.value)
    assert "mixed.csv is not valid utf-8" in message
    assert "row 10 (given_name, family_name); row 11 (given_name)" in message
    assert "Windows-1252" in message and "Traceback" not in message
    assert residents(manager_book) == []
    # The UTF-8 rows alone import as UTF-8: "José", not "JosÃ©".
    utf8 = tmp_path / "utf8.csv"
    utf8.write_bytes(b"\n".join(rows[:2]) + b"\n")
    manager_book.imports.residents(utf8)
    assert residents(manager_book) == [("José", "García", None)]


def test_windows_1252_bytes_it_does_not_define_are_reported(manager_book: Casebook) -> None:
    with pytest.raises(ImportFileError, match=r"not valid windows-1252.*row 2 \(family_name\)"):
        manager_book.imports.residents(b"given_name,family_name,date_of_birth\nAl,B\x81,01/01/1980\n",
                                       encoding="windows-1252")


def test_a_column_named_twice_is_an_error(manager_book: Casebook) -> None:
    data = b"given_name,Surname,date_of_birth,family_name\nAnn,First,01/01/1980,Second\n"
    with pytest.raises(ImportFileError, match=r"'family_name' appears twice \(columns 2 and 4"):
        manager_book.imports.residents(data)
    assert residents(manager_book) == []


def test_broken_quoting_is_a_typed_error_naming_the_row(manager_book: Casebook) -> None:
    with pytest.raises(ImportFileError, match="row 3"):
        manager_book.imports.residents(b'given_name,family_name\nA,B\n"C"x,D\n')
    with pytest.raises(ImportFileError, match="not a readable CSV"):
        manager_book.imports.residents(b'given_name,family_name\nA,"never closed\n')


def test_name_key() -> None:
    assert name_key("Anne\u200b  SMITH ") == name_key("anne smith") == "anne smith"
    assert name_key("Ｊｏｓé") == name_key("JOSE\u0301")  # full-width letters, combining accent
    assert name_key("\ufeffStraße") == name_key("STRASSE")
    assert name_key(None) == ""


def test_invisible_and_full_width_differences_are_still_duplicates(manager_book: Casebook) -> None:
    header = "given_name,family_name,date_of_birth\n"
    manager_book.imports.residents((header + "Anne,Smith,01/01/1980\n").encode())
    again = (header + "Anne\u200b,SMITH ,01/01/1980\nＡｎｎｅ,Smith,01/01/1980\nAnne,Smith\u2060,1980-01-01\n")
    report = manager_book.imports.residents(again.encode())
    assert (report.duplicates, report.imported) == (3, 0)
    assert len(residents(manager_book)) == 1
