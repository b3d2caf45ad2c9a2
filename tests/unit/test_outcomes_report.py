"""The quarterly outcomes report (issue 14, part Q1): every figure checked against a small
hand-built unit whose answers are worked out here, the quarter boundaries, the PDF read back with
pypdf (and its radar rendered, not blank), the CSV read back (formula-safe), permissions, audit."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.caseload import Admission
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.outcome_star import StarReadingInput
from keyworker.reports import outcomes_report_csv, quarter
from keyworker.reports.outcomes import OutcomesReport, unit_star_chart
from keyworker.surveys import SurveyInput
from keyworker.top import SubstanceUse, TopInput
from tests.fixtures.caseload import accepted_referral, admission_input, admit, last_audit, resident_input, worker_id

AREAS = ['drug_use', 'alcohol_use', 'physical_health', 'meaningful_time', 'community', 'emotional_health',
         'accommodation', 'money', 'offending', 'family_relationships']


def scores(all_: int, **over: int) -> dict[str, int]:
    return {k: over.get(k, all_) for k in AREAS}


def star(book: Casebook, rid: str, on: date, stage: str, s: dict[str, int]) -> None:
    book.outcome_star.record(StarReadingInput(rid, s, taken_on=on, stage=stage))


def top(book: Casebook, rid: str, stage: str, on: date, psych: int, phys: int, qol: int,
        subs: list[SubstanceUse]) -> None:
    book.top.record(TopInput(rid, stage, on, psych, phys, qol, substances=subs))


def survey(book: Casebook, rid: str, on: date, ratings: tuple[Any, ...], **over: Any) -> None:
    keys = ("listened", "respected", "goals", "recommend", "overall")
    book.surveys.record(SurveyInput(rid, taken_on=on, **dict(zip(keys, ratings, strict=True)), **over))


@pytest.fixture
def unit(book_factory, clock: FixedClock) -> dict[str, Any]:
    """Five residents. A, B, C, D admitted 05/01/2026 (12 weeks, worker), still in; E admitted
    06/10/2025, discharged 15/12/2025. Recorded as of 15/04/2026.

    Star: A 06/01 all 3; 03/03 all 5 but drug use 8; 10/04 all 10 (after 2026Q1).
          B 07/01 all 6; 10/02 all 4 but drug use 6.   C 08/01 all 2 (one reading).   D none.
          E 07/10/2025 all 4; 01/12/2025 all 7 (2025Q4 only).
    TOP:  A start 08/01 (psych 8, phys 10, QoL 6; alcohol 25 days, opiates 6), review 16/02
          (12, 14, 10; alcohol 0, opiates 2). B start 10/01 (4, 6, 4; alcohol 20), review 20/02
          (6, 6, 9; alcohol 4). C start 12/01 only. D none.
    Surveys: A 20/03 (5, 4, 3, 5, 4); A's mother 21/03 (4, 5, -, 4, 5); B 31/03 (3, 4, -, 2, 3);
          C 01/04 (2025Q2: left out of Q1); E 31/12/2025 (5, 5, 5, 5, 5)."""
    m = book_factory("manager")
    a = admit(m, given_name="Ann")
    b = admit(m, given_name="Bea")
    c = admit(m, given_name="Cy")
    d = admit(m, given_name="Dee")
    e = m.referrals.admit(
        accepted_referral(m, given_name="Eve", received_at=datetime(2025, 9, 1, 10, 0).astimezone()).id,
        admission_input(worker_id(m), admitted_on=date(2025, 10, 6)), resident_input(given_name="Eve"))
    star(m, e.id, date(2025, 10, 7), "admission", scores(4))
    star(m, e.id, date(2025, 12, 1), "review", scores(7))
    with m._write() as s:
        adm = s.get(Admission, e.admissions[0].id)
        adm.discharged_on, adm.discharge_type = date(2025, 12, 15), "planned"
    clock.set(datetime(2026, 4, 15, 9, 0))
    star(m, a.id, date(2026, 1, 6), "admission", scores(3))
    star(m, a.id, date(2026, 3, 3), "review", scores(5, drug_use=8))
    star(m, a.id, date(2026, 4, 10), "review", scores(10))
    star(m, b.id, date(2026, 1, 7), "admission", scores(6))
    star(m, b.id, date(2026, 2, 10), "review", scores(4, drug_use=6))
    star(m, c.id, date(2026, 1, 8), "admission", scores(2))
    top(m, a.id, "start", date(2026, 1, 8), 8, 10, 6,
        [SubstanceUse("alcohol", [7, 6, 7, 5]), SubstanceUse("opiates", total_days=6)])
    top(m, a.id, "review", date(2026, 2, 16), 12, 14, 10, [SubstanceUse("opiates", total_days=2)])
    top(m, b.id, "start", date(2026, 1, 10), 4, 6, 4, [SubstanceUse("alcohol", total_days=20)])
    top(m, b.id, "review", date(2026, 2, 20), 6, 6, 9, [SubstanceUse("alcohol", total_days=4)])
    top(m, c.id, "start", date(2026, 1, 12), 10, 10, 10, [])
    survey(m, a.id, date(2026, 3, 20), (5, 4, 3, 5, 4))
    survey(m, a.id, date(2026, 3, 21), (4, 5, None, 4, 5), respondent="carer", respondent_name="Mary Doe",
           relationship="Mother")
    survey(m, b.id, date(2026, 3, 31), (3, 4, None, 2, 3))
    survey(m, c.id, date(2026, 4, 1), (1, 1, 1, 1, 1))
    survey(m, e.id, date(2025, 12, 31), (5, 5, 5, 5, 5))
    return {"manager": m, "a": a, "b": b, "c": c, "d": d, "e": e}


def area(report: OutcomesReport, key: str) -> tuple[Any, ...]:
    x = next(a for a in report.star.areas if a.key == key)
    return (x.residents, x.mean_first, x.mean_latest, x.mean_change, x.improved, x.improved_pct)


def test_the_figures_of_2026q1_worked_out_by_hand(unit: dict[str, Any]) -> None:
    r = unit["manager"].reports.outcomes(quarter("2026Q1"))
    assert r.stays == 4  # A, B, C, D (E left on 15/12/2025)
    # Star: A, B and C have readings by 31/03; A and B two or more. A's 10/04 reading is after.
    assert (r.star.residents_with_readings, r.star.residents_compared) == (3, 2)
    # Drug use: A 3 -> 8 (+5), B 6 -> 6 (0): first 4.5, latest 7, change +2.5, 1 of 2 improved.
    assert area(r, "drug_use") == (2, 4.5, 7.0, 2.5, 1, 50.0)
    # Every other area: A 3 -> 5 (+2), B 6 -> 4 (-2): 4.5 -> 4.5, change 0, 1 of 2 improved.
    for key in AREAS[1:]:
        assert area(r, key) == (2, 4.5, 4.5, 0.0, 1, 50.0)
    # TOP compliance: start TOPs of A, B, C, D due 19/01 (3 done), mid-way reviews due 16/02
    # (A and B done): 5 of 8 = 62.5%.
    c = r.top.compliance
    assert (c.due, c.completed, c.pct, c.meets_target) == (8, 5, 62.5, False)
    # Change, start -> latest: A and B (C has only a start TOP).
    assert r.top.pairs == 2
    scales = {m.measure: (m.people, m.mean_start, m.mean_latest, m.mean_change) for m in r.top.scales}
    assert scales == {"Psychological health": (2, 6.0, 9.0, 3.0),  # (8+4)/2 -> (12+6)/2
                      "Physical health": (2, 8.0, 10.0, 2.0),  # (10+6)/2 -> (14+6)/2
                      "Quality of life": (2, 5.0, 9.5, 4.5)}  # (6+4)/2 -> (10+9)/2
    use = {m.measure.split(" (")[0]: (m.people, m.mean_start, m.mean_latest, m.mean_change)
           for m in r.top.days_of_use}
    assert use["Alcohol"] == (2, 22.5, 2.0, -20.5)  # A 25 -> 0, B 20 -> 4
    assert use["Opiates"] == (1, 6.0, 2.0, -4.0)  # only A used opiates at the start
    assert use["Cannabis"] == (0, None, None, None)
    # Surveys dated 01/01-31/03: A, B (residents), A's mother (carer); C's 01/04 is after.
    sv = r.surveys
    assert (sv.resident_surveys, sv.carer_surveys, sv.residents_surveyed) == (2, 1, 2)
    means = {x.key: (x.residents, x.carers, x.everyone, x.answered) for x in sv.ratings}
    assert means == {"listened": (4.0, 4.0, 4.0, 3), "respected": (4.0, 5.0, 4.33, 3),
                     "goals": (3.0, None, 3.0, 1), "recommend": (3.5, 4.0, 3.67, 3),
                     "overall": (3.5, 5.0, 4.0, 3)}


def test_quarter_boundaries(unit: dict[str, Any]) -> None:
    m = unit["manager"]
    q4 = m.reports.outcomes(quarter("2025Q4"))  # only E was staying
    assert q4.stays == 1
    assert (q4.star.residents_with_readings, q4.star.residents_compared) == (1, 1)
    assert area(q4, "money") == (1, 4.0, 7.0, 3.0, 1, 100.0)
    assert (q4.surveys.resident_surveys, q4.surveys.carer_surveys) == (1, 0)  # 31/12/2025 is in Q4
    q2 = m.reports.outcomes(quarter("2026Q2"))  # to 15/04 so far: A's 10/04 reading now counts
    assert area(q2, "drug_use") == (2, 4.5, 8.0, 3.5, 1, 50.0)  # A 3 -> 10, B 6 -> 6
    assert (q2.surveys.resident_surveys, q2.surveys.residents_surveyed) == (1, 1)  # C on 01/04
    with pytest.raises(ValidationError):
        m.reports.outcomes(quarter("2026Q3"))  # not started on 15/04/2026


def test_csv_is_one_row_per_figure_and_formula_safe(unit: dict[str, Any]) -> None:
    r = unit["manager"].reports.outcomes(quarter("2026Q1"), output="csv")
    rows = list(csv.reader(io.StringIO(outcomes_report_csv(r).decode("utf-8-sig"))))
    assert rows[0] == ["Section", "Measure", "Value"]
    by = {(s, m): v for s, m, v in rows[1:]}
    assert by[("Outcome Star", "Residents with star readings")] == "3"
    assert by[("Outcome Star", "Drug use: mean change")] == "2.50"  # a number, no "+" to run
    assert by[("Outcome Star", "Drug use: share improved (%)")] == "50.0"
    assert by[("TOP", "Compliance (%)")] == "62.5"
    assert by[("TOP", "Alcohol (days used of 28): mean change")] == "-20.50"
    assert by[("Satisfaction surveys", "Surveys from carers or family members")] == "1"
    assert by[("Satisfaction surveys", "Helped towards my goals: mean rating, carers or family (1-5)")] == ""
    assert all(len(row) == 3 for row in rows)
    assert last_audit(unit["manager"])[0] == ("report.outcomes", {"from": "2026-01-01", "to": "2026-03-31",
                                                                   "residents": 3, "output": "csv"})


def test_csv_guards_words_that_would_run() -> None:
    from keyworker.reports.outcomes import (AreaChange, StarSection, SurveySection, TopSection)
    from keyworker.top import TopCompliance

    p = quarter("2026Q1")
    r = OutcomesReport(p, 1, StarSection("x", 1, 1, (AreaChange("k", "=HYPERLINK(\"x\")", 1, 1.0, 2.0, 1.0, 1),)),
                       TopSection(TopCompliance(p.start, p.end, 0, 0, ()), 0, (), ()), SurveySection(0, 0, 0, ()))
    rows = list(csv.reader(io.StringIO(outcomes_report_csv(r).decode("utf-8-sig"))))
    assert rows[6][1].startswith("'=HYPERLINK")  # the area's first figure, its name guarded
    assert rows[8][2] == "1.00"  # its mean change +1.00 written as a number


def test_pdf_reads_back_with_its_tables_and_radar(unit: dict[str, Any], tmp_path: Path) -> None:
    from pypdf import PdfReader

    from keyworker.documents.outcomes_report import outcomes_report_pdf

    m = unit["manager"]
    r = m.reports.outcomes(quarter("2026Q1"), output="pdf")
    pdf = outcomes_report_pdf(r, m.reports.unit_name(), datetime(2026, 4, 15, 9, 0).astimezone())
    (tmp_path / "q.pdf").write_bytes(pdf)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    for words in ("Quarterly outcomes report", "Test Unit", "01/01/2026", "31/03/2026",
                  "Residents with star readings 3", "Drug use 2 4.50 7.00 +2.50 50.0%",
                  "5 of 8 due TOPs completed (62.5%)", "Quality of life (0–20) 2 5.00 9.50 +4.50",
                  "Alcohol (days used of 28) 2 22.50 2.00 -20.50", "Surveys from carers or family members 1",
                  "Treated with respect 4.00 5.00 4.33 3", "Mean latest reading (2 residents)", "Mean first reading"):
        assert words in text, words
    for name in ("Ann", "Bea", "Mary Doe"):
        assert name not in text  # unit figures only
    if shutil.which("pdftoppm"):  # the radar is painted: its blue fill on page 1, not a blank box
        from PySide6.QtGui import QImage

        subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(tmp_path / "q.pdf"),
                        str(tmp_path / "p1")], check=True)
        img = QImage(str(tmp_path / "p1.png"))
        fill = sum(1 for y in range(0, img.height(), 2) for x in range(0, img.width(), 2)
                   if (lambda c: c.blue() > c.red() + 30 and c.blue() > 170 and c.red() > 120)(img.pixelColor(x, y)))
        assert fill > 300, fill  # the light-blue filled star (about 700 sampled pixels at 50 dpi)


def test_the_unit_radar_is_drawn_on_screen_and_in_the_pdf(unit: dict[str, Any]) -> None:
    r = unit["manager"].reports.outcomes(quarter("2026Q1"))
    chart = unit_star_chart(r)
    assert chart is not None and "mean latest" in chart.title
    texts = [s.text for s in chart.shapes if hasattr(s, "text")]
    assert "Mean first reading" in texts and not any(t.startswith("Latest:") for t in texts)
    empty = unit["manager"].reports.outcomes(quarter("2025Q3"))
    assert unit_star_chart(empty) is None


def test_permissions_and_audit(book_factory, unit: dict[str, Any]) -> None:
    for user in ("worker", "nights"):
        with pytest.raises(PermissionDenied):
            book_factory(user).reports.outcomes(quarter("2026Q1"))
    admin = book_factory("admin")
    assert admin.reports.outcomes(quarter("2026Q1")).star.residents_with_readings == 3
    with pytest.raises(ValidationError):
        admin.reports.outcomes(quarter("2026Q1"), output="fax")


def test_an_empty_quarter_says_so_in_the_pdf(manager_book: Casebook, clock: FixedClock) -> None:
    from pypdf import PdfReader

    from keyworker.documents.outcomes_report import outcomes_report_pdf

    r = manager_book.reports.outcomes(quarter("2025Q4"))
    assert (r.stays, r.star.residents_with_readings, r.top.compliance.due, r.surveys.resident_surveys) == (0, 0, 0, 0)
    assert all(a.mean_change is None and a.improved_pct is None for a in r.star.areas)
    pdf = outcomes_report_pdf(r, "Test Unit", datetime(2026, 1, 5, 9, 0).astimezone())
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    for words in ("No resident had two readings by the end of the period", "No TOPs were due",
                  "No stay had a start TOP and a later TOP", "No satisfaction surveys were recorded in this period"):
        assert words in text, words
    rows = list(csv.reader(io.StringIO(outcomes_report_csv(r).decode("utf-8-sig"))))
    assert ["Outcome Star", "Drug use: mean change", ""] in rows  # nobody to average: empty, not 0
