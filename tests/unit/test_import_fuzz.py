"""Fuzzing the CSV importer (issue 7.12, 7.13): whatever the bytes, cells, quotes, byte-order marks,
encodings and separators, an import either reports rows or refuses the file with ImportFileError,
a message for a person. Never another exception ("unexpected internal error"). Bounded budget:
this file runs in well under a minute."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyworker.casebook import Casebook
from keyworker.errors import ImportFileError

FUZZ = settings(max_examples=250, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

COLUMNS = ["record_type", "external_id", "given_name", "First name", "family_name", "Surname", "date_of_birth",
           "DOB", "postcode", "district", "nhs_number", "sex", "admitted_on", "setting", "strand",
           "planned_weeks", "key_worker", "part_time", "received_at", "referrer_name", "referrer_email",
           "community_treatment_provider", "category", "assessment_summary", "other_substances", "notes", ""]
# Characters that trouble a CSV reader or a name matcher.
NASTY = st.sampled_from(['"', '""', ",", ";", "\t", "|", "\n", "\r", "\r\n", "\x00", "\u200b", "\ufeff", "\u202e",
                         "＝", "=", "é", "ß", "\U0001f600", "\udc80"[:0], " ", "'", "\\", "31/02/1980",
                         "1990-01-01", "02/01/2026 10:00", "resident", "referral", "PR1 2AB", "9434765919"])
CELL = st.one_of(st.text(max_size=12), NASTY, st.lists(NASTY, max_size=4).map("".join))
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"]


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=8))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 2), max_size=8))
    out = io.StringIO()
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    w = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    w.writerow(header)
    w.writerows(rows)
    text = out.getvalue()
    if draw(st.booleans()):  # hand-edited: a raw fragment pasted anywhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(NASTY) + text[at:]
    data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    if draw(st.booleans()):
        data = draw(st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b""])) + data
    if draw(st.booleans()):  # a stray byte: truncated UTF-8, a 1252 byte, an undefined 1252 byte
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xc3", b"\xe9", b"\x81", b"\xff\xfe", b"\x00"])) + data[at:]
    return data


def import_or_refuse(book: Casebook, data: bytes, **kw: object) -> None:
    try:
        report = book.imports.residents(data, **kw)  # type: ignore[arg-type]
    except ImportFileError as e:
        message = str(e)
        assert message and "Traceback" not in message and "\n" not in message
        return
    assert report.rows >= report.invalid + report.duplicates
    assert "\n".join(report.lines())


@FUZZ
@given(data=st.binary(max_size=600), encoding=st.sampled_from([None, "windows-1252"]))
def test_random_bytes(manager_book: Casebook, data: bytes, encoding: str | None) -> None:
    import_or_refuse(manager_book, data, dry_run=True, encoding=encoding)


@FUZZ
@given(data=csv_files(), encoding=st.sampled_from([None, "windows-1252"]))
def test_random_spreadsheets(manager_book: Casebook, data: bytes, encoding: str | None) -> None:
    import_or_refuse(manager_book, data, dry_run=True, encoding=encoding)


@settings(FUZZ, max_examples=40)
@given(data=csv_files())
def test_random_spreadsheets_written(manager_book: Casebook, data: bytes) -> None:
    import_or_refuse(manager_book, data, valid_only=True)


@pytest.mark.parametrize("data", [
    b"given_name;family_name;date_of_birth\nDee;Ray;02/02/1990",  # one row, semicolons (issue 7.13)
    b'given_name;family_name;date_of_birth\n"Dee;Ray;02/02/1990',
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xff\xfeg\x00",
])
def test_known_awkward_files(manager_book: Casebook, data: bytes) -> None:
    import_or_refuse(manager_book, data)
