"""CSV export never hands a spreadsheet a formula (issue 7.16): a cell is neutralised when its first
*visible* character starts one: a full-width '＝', or '=' behind zero-width or other invisible characters."""

from __future__ import annotations

import csv
import io

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.reports import declines_report_csv
from keyworker.text import starts_like_formula
from keyworker.reports.periods import quarter
from tests.fixtures.reports import at, decline_at


@pytest.mark.parametrize("text", ["=1+1", "＝HYPERLINK(\"x\")", "\u200b=1+1", "\ufeff+1", " \u2060@SUM(A1)",
                                  "\u3000-2", "＋1", "＠x", "\tx", "\rx", "\u200d\u200b ＝1"])
def test_cells_that_would_run(text: str) -> None:
    assert starts_like_formula(text)


@pytest.mark.parametrize("text", ["", "Smith", "O'Neil", "a=b", "Jean-Luc", "\u200bAnne", "1 + 1"])
def test_cells_that_are_text(text: str) -> None:
    assert not starts_like_formula(text)


def test_the_declines_csv_neutralises_hidden_formulas(manager_book: Casebook, clock: FixedClock) -> None:
    decline_at(manager_book, clock, at(2026, 1, 5, 9), at(2026, 1, 6, 9), "no_vacancy",
               "＝HYPERLINK(\"http://example.invalid\",\"see notes\")", family_name="\u200b=cmd|' /C calc'!A0")
    rows = list(csv.DictReader(io.StringIO(declines_report_csv(
        manager_book.reports.declines(quarter("2026Q1"))).decode("utf-8-sig"))))
    assert rows[0]["Reasons in full"].startswith("'＝HYPERLINK")
    assert rows[0]["Family name"] == "'\u200b=cmd|' /C calc'!A0"
