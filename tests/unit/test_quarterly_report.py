"""The quarterly contract report on a small hand-built unit where every figure is known in advance:
2026 Q3 (1 July to 30 September 2026); the clock stands on 5 October 2026. Rows are written
directly (like tests/unit/test_ndtms_return.py) so each date is exactly what the test says. The PDF
and the CSV are parsed back and every figure is checked; boundary cases sit on the quarter's first
and last day and just outside."""
from __future__ import annotations

import csv
import io
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from keyworker import working_days as wd
from keyworker.casebook import Casebook
from keyworker.clock import LONDON, FixedClock
from keyworker.db.care_plans import Review
from keyworker.db.caseload import Admission, Referral, Resident
from keyworker.db.discharges import Discharge, FollowUp
from keyworker.db.incidents import Incident, SafeguardingReferral
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.reports import quarter
from keyworker.reports import quarterly as q
from tests.fixtures.caseload import last_audit
from tests.unit.care_helpers import account_id

Q3 = quarter("2026Q3")
BAD = "=cmd|' /C calc'!A0"


def _at(y: int, m: int, d: int, h: int = 12, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=LONDON)


def resident(book: Casebook, n: int, *, admitted: date, discharged: date | None = None,
             setting: str = "24h_residential", strand: str = "level_1", **res: Any) -> tuple[str, str]:
    worker = account_id(book, "worker")
    values: dict[str, Any] = dict(date_of_birth=date(1985, 1, 1), sex="Female",
                                  sexual_orientation="Heterosexual or straight")
    values.update(res)
    with book._write() as s:
        r = Resident(reference=f"R-{n:05d}", reference_no=n, given_name=f"Given{n}", family_name=f"Family{n}",
                     search_text=f"given{n}", key_worker_id=worker, **values)
        s.add(r)
        s.flush()
        a = Admission(resident_id=r.id, admitted_on=admitted, setting=setting, strand=strand, planned_weeks=12,
                      key_worker_id=worker, part_time=False, discharged_on=discharged)
        s.add(a)
        s.flush()
        return r.id, a.id


def referral(book: Casebook, received: datetime, *, status: str, decided_working_day: int,
             category: str | None = None) -> None:
    """Decided on the given working day after the day it counts as received (5 is the deadline)."""
    on = wd.add_working_days(wd.counts_as_received_on(received), decided_working_day)
    with book._write() as s:
        s.add(Referral(received_at=received, given_name="Ref", family_name="Erred", referrer_name="Priya Shah",
                       category="routine", status=status, decision_due_on=wd.decision_due(received),
                       decided_at=_at(on.year, on.month, on.day, 15), decline_category=category,
                       decline_reason="Reasons in full" if category else None))


def review(book: Casebook, ids: tuple[str, str], on: date, kind: str = "regular", *, referrer_missing: bool = False,
           superseded: bool = False) -> None:
    with book._write() as s:
        s.add(Review(resident_id=ids[0], admission_id=ids[1], held_on=on, next_review_on=on, kind=kind,
                     referrer_missing=referrer_missing, superseded_by_id="x" if superseded else None))


def discharge(book: Casebook, ids: tuple[str, str], path: str, type_: str, reason: str, at: datetime,
              sent: datetime | None) -> str:
    with book._write() as s:
        d = Discharge(admission_id=ids[1], resident_id=ids[0], path=path, type=type_, ends_stay=True,
                      reason_code=reason, occurred_at=at, state="confirmed", summary_due_at=at,
                      summary_sent_at=sent)
        s.add(d)
        s.flush()
        return d.id


@pytest.fixture
def unit(book_factory, clock: FixedClock) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 10, 5, 9, 0))
    book = book_factory("manager")
    u: dict[str, Any] = {
        # admitted on the quarter's first day; "Prefer not to say" for sexual orientation; 36 on 30/09
        "ann": resident(book, 1, admitted=date(2026, 7, 1), discharged=date(2026, 8, 28),
                        sexual_orientation="Prefer not to say", date_of_birth=date(1990, 9, 30), religion=BAD),
        # a second setting and strand; sexual orientation not recorded; 23 on 30/09 (birthday 01/10)
        "ben": resident(book, 2, admitted=date(2026, 7, 15), discharged=date(2026, 9, 10),
                        setting="non_24h_residential", strand="level_2", sex="Male", sexual_orientation=None,
                        date_of_birth=date(2002, 10, 1)),
        # admitted on the quarter's last day
        "cat": resident(book, 3, admitted=date(2026, 9, 30), strand="level_2", date_of_birth=date(1980, 1, 1)),
        # in treatment from before the quarter, discharged in it; 65 on 30/09
        "dan": resident(book, 4, admitted=date(2026, 5, 1), discharged=date(2026, 8, 3), sex="Male",
                        date_of_birth=date(1961, 9, 30)),
        # outside: discharged the day before the quarter, admitted the day after it
        "eve": resident(book, 5, admitted=date(2026, 1, 5), discharged=date(2026, 6, 30), sex="Intersex"),
        "fay": resident(book, 6, admitted=date(2026, 10, 1), sex="Intersex"),
    }
    # 6 referrals received in the quarter: 4 accepted (one on working day 6), 2 declined with two reasons
    for day, status, wday, cat in ((6, "admitted", 3, None), (7, "admitted", 5, None), (8, "accepted", 1, None),
                                   (9, "accepted", 6, None), (13, "declined", 2, "no_vacancy"),
                                   (14, "declined", 4, "mental_health")):
        referral(book, _at(2026, 7, day, 10), status=status, decided_working_day=wday, category=cat)
    # outside: received and decided before the quarter began (23:30 on 30 June, London)
    with book._write() as s:
        s.add(Referral(received_at=_at(2026, 6, 30, 9), given_name="Old", family_name="One", referrer_name="X",
                       category="routine", status="declined", decision_due_on=date(2026, 7, 7),
                       decided_at=_at(2026, 6, 30, 23, 30), decline_category="risk"))
    # reviews: Ann 10/07 (9 days from admission), 30/07 (20 days: late), mid-way 12/08 with the referrer
    # invited, pre-discharge 20/08 without; Dan 25/06 (before the quarter), 05/07 (10 days from it)
    review(book, u["ann"], date(2026, 7, 10))
    review(book, u["ann"], date(2026, 7, 30))
    review(book, u["ann"], date(2026, 7, 29), superseded=True)  # replaced by a correction: not counted
    review(book, u["ann"], date(2026, 8, 12), "midway")
    review(book, u["ann"], date(2026, 8, 20), "pre_discharge", referrer_missing=True)
    review(book, u["dan"], date(2026, 6, 25))
    review(book, u["dan"], date(2026, 7, 5))
    # discharges: Ann planned; Dan unplanned, summary after 10 hours; Ben unplanned, after 26 hours
    discharge(book, u["ann"], "planned", "planned_completed", "completed_alcohol_free", _at(2026, 8, 28, 11), None)
    discharge(book, u["dan"], "unplanned", "self_discharge", "incomplete_dropped_out", _at(2026, 8, 3, 10),
              _at(2026, 8, 3, 20))
    discharge(book, u["ben"], "unplanned", "absconded", "incomplete_dropped_out", _at(2026, 9, 10, 10),
              _at(2026, 9, 11, 12))
    eve_out = discharge(book, u["eve"], "planned", "planned_completed", "completed_alcohol_free",
                        _at(2026, 6, 30, 15), None)  # the day before the quarter
    with book._write() as s:
        s.add(FollowUp(discharge_id=eve_out, admission_id=u["eve"][1], resident_id=u["eve"][0], months=3,
                       due_on=date(2026, 9, 30), status="done", completed_on=date(2026, 9, 30)))
        s.add(FollowUp(discharge_id=eve_out, admission_id=u["eve"][1], resident_id=u["eve"][0], months=6,
                       due_on=date(2026, 7, 1), status="not_contactable"))
        s.add(FollowUp(discharge_id=eve_out, admission_id=u["eve"][1], resident_id=u["eve"][0], months=6,
                       due_on=date(2026, 10, 1), status="due"))  # after the quarter
        s.add(Incident(resident_id=u["ann"][0], occurred_at=_at(2026, 8, 1), kind="violence", description="x"))
        s.add(Incident(resident_id=u["eve"][0], occurred_at=_at(2026, 6, 30, 23, 30), kind="relapse",
                       description="x"))
        s.add(SafeguardingReferral(resident_id=u["ben"][0], kind="adults", referred_on=date(2026, 9, 30),
                                   agency="Adult social care", made_by="Sam"))
        s.add(SafeguardingReferral(resident_id=u["cat"][0], kind="children", referred_on=date(2026, 10, 1),
                                   agency="Children's services", made_by="Sam"))
    return u


# (section, group, figure) -> (count, denominator)
EXPECTED: dict[tuple[str, str, str], tuple[int, int | None]] = {
    (q.REFERRALS, "", "Referrals received"): (6, None),
    (q.REFERRALS, "", "Referrals decided"): (6, None),
    (q.REFERRALS, "", "Accepted"): (4, 6),
    (q.REFERRALS, "", "Declined"): (2, 6),
    (q.REFERRALS, "", "Decided within 5 working days"): (5, 6),
    (q.REFERRALS, "Decline reasons", "Mental health needs the unit cannot meet safely (4.1.2.2)"): (1, 2),
    (q.ADMISSIONS, "", "Admissions"): (3, None),
    (q.ADMISSIONS, "By setting", "24-hour staffed residential"): (2, 3),
    (q.ADMISSIONS, "By setting", "Non-24-hour staffed residential"): (1, 3),
    (q.ADMISSIONS, "By strand", "Level 1 (core)"): (1, 3),
    (q.ADMISSIONS, "By strand", "Level 2 (enhanced)"): (2, 3),
    (q.REVIEWS, "", "Reviews held"): (5, None),
    (q.REVIEWS, "", "Reviews held within 14 days"): (4, 5),
    (q.REVIEWS, "", "Mid-way meetings held"): (1, None),
    (q.REVIEWS, "", "Mid-way meetings with the referrer invited"): (1, 1),
    (q.REVIEWS, "", "Pre-discharge meetings held"): (1, None),
    (q.REVIEWS, "", "Pre-discharge meetings with the referrer invited"): (0, 1),
    (q.DISCHARGES, "", "Discharges"): (3, None),
    (q.DISCHARGES, "", "Planned"): (1, 3),
    (q.DISCHARGES, "", "Unplanned"): (2, 3),
    (q.DISCHARGES, "", "Unplanned: summary sent within 24 hours"): (1, 2),
    (q.DISCHARGES, "By type", "Planned discharge: programme completed"): (1, 3),
    (q.DISCHARGES, "By type", "Unplanned self-discharge"): (1, 3),
    (q.DISCHARGES, "By type", "Absconded"): (1, 3),
    (q.DISCHARGES, "By reason", "Treatment completed: alcohol-free"): (1, 3),
    (q.DISCHARGES, "By reason", "Incomplete: dropped out"): (2, 3),
    (q.FOLLOW_UPS, "", "3-month follow-ups due"): (1, None),
    (q.FOLLOW_UPS, "", "3-month follow-ups done"): (1, 1),
    (q.FOLLOW_UPS, "", "6-month follow-ups due"): (1, None),
    (q.FOLLOW_UPS, "", "6-month follow-ups done"): (0, 1),
    (q.FOLLOW_UPS, "", "6-month follow-ups not contactable"): (1, 1),
    (q.SAFETY, "", "Incidents"): (1, None),
    (q.SAFETY, "Incidents by type", "Violence or threat"): (1, 1),
    (q.SAFETY, "", "Safeguarding referrals"): (1, None),
    (q.SAFETY, "Safeguarding referrals by kind", "Adult safeguarding"): (1, 1),
    (q.PEOPLE, "", "Residents in treatment in the period"): (4, None),
    (q.PEOPLE, "Sex", "Female"): (2, 4),
    (q.PEOPLE, "Sex", "Male"): (2, 4),
    (q.PEOPLE, "Sexual orientation", "Heterosexual or straight"): (2, 4),
    (q.PEOPLE, "Sexual orientation", "Prefer not to say"): (1, 4),
    (q.PEOPLE, "Sexual orientation", "Not recorded"): (1, 4),
    (q.PEOPLE, "Ethnicity", "Not recorded"): (4, 4),
    (q.PEOPLE, "Religion or belief", BAD): (1, 4),
    (q.PEOPLE, "Religion or belief", "Not recorded"): (3, 4),
    (q.PEOPLE, "Age band", "18 to 24"): (1, 4),
    (q.PEOPLE, "Age band", "35 to 44"): (1, 4),
    (q.PEOPLE, "Age band", "45 to 54"): (1, 4),
    (q.PEOPLE, "Age band", "65 and over"): (1, 4),
}


def _decline_label(code: str) -> str:
    from keyworker import reference_data as ref

    return ref.label(ref.decline_categories(), code)


def expected() -> dict[tuple[str, str, str], tuple[int, int | None]]:
    out = dict(EXPECTED)
    del out[(q.REFERRALS, "Decline reasons", "Mental health needs the unit cannot meet safely (4.1.2.2)")]
    out[(q.REFERRALS, "Decline reasons", _decline_label("mental_health"))] = (1, 2)
    out[(q.REFERRALS, "Decline reasons", _decline_label("no_vacancy"))] = (1, 2)
    return out


def test_every_figure_of_the_hand_built_unit(book_factory, unit) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("manager")
    report = book.reports.quarterly(Q3)
    got = {(f.section, f.group, f.name): (f.count, f.denominator) for f in report.figures}
    for key, want in expected().items():
        assert got.get(key) == want, key
    # nothing outside the quarter: no Intersex resident, no relapse, no "Risk" decline, no children's referral
    names = {f.name for f in report.figures}
    assert "Intersex" not in names and "Relapse or use on site" not in names
    assert "Children's safeguarding" not in names and _decline_label("risk") not in names
    assert report.get(q.REFERRALS, "Decided within 5 working days").share == 83.3
    assert report.get(q.REVIEWS, "Reviews held within 14 days").share_text == "80.0%"
    # the outcomes figures are the outcomes report's own
    outcomes = book.reports.outcomes(Q3)
    c = outcomes.top.compliance
    assert (report.get(q.OUTCOMES, "TOP compliance").count, report.get(q.OUTCOMES, "TOP compliance").denominator) \
        == (c.completed, c.due)
    assert report.get(q.OUTCOMES, "Residents with Outcome Star readings").count == \
        outcomes.star.residents_with_readings
    action, detail = last_audit(book, 2)[1]
    assert action == "report.quarterly" and detail["residents"] == 4 and detail["output"] == "view"


def test_csv_every_figure_and_formulas_neutralised(book_factory, unit) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("manager")
    body = book.reports.quarterly_csv(Q3)
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0]) == list(q.CSV_COLUMNS)
    assert rows[0]["Value"] == "01/07/2026" and rows[1]["Value"] == "30/09/2026"
    by = {(r["Section"], r["Figure"]): r for r in rows}
    for (section, group, name), (count, denom) in expected().items():
        cell = "'" + name if name.startswith("=") else name
        r = by[(f"{section}: {group}" if group else section, cell)]
        assert r["Count"] == str(count) and r["Denominator"] == ("" if denom is None else str(denom)), name
        assert r["Share (%)"] == ("" if not denom else f"{100 * count / denom:.1f}")
    assert not [r for r in rows for v in r.values() if v and v[0] in "=+-@\t\r" and not v.lstrip("+-").replace(".", "")
                .isdigit()]
    assert last_audit(book)[0][1]["output"] == "csv"


def test_pdf_shows_every_figure(book_factory, unit) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("manager")
    pdf = book.reports.quarterly_pdf(Q3)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    assert "Quarterly contract report" in flat and "QR-2026Q3" in flat
    assert "1 July 2026 to 30 September 2026" in flat
    assert "Prepared by" in flat
    for (_section, _group, name), (count, denom) in expected().items():
        share = "" if not denom else f" {100 * count / denom:.1f}%"
        row = f"{name} {count}" + (f" {denom}{share}" if denom is not None else "")
        assert row in flat, row
    assert "Given1" not in flat and "Family1" not in flat  # no names
    assert last_audit(book)[0][1]["output"] == "pdf"


def test_empty_quarter_and_refusals(book_factory, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 10, 5, 9, 0))
    book = book_factory("manager")
    report = book.reports.quarterly(quarter("2026Q2"))
    assert report.get(q.REFERRALS, "Decided within 5 working days").share is None
    assert "Nothing" not in q.quarterly_report_csv(report).decode("utf-8-sig")
    # A quiet quarter prints no column of zeros: each empty breakdown says so once (the CSV keeps
    # every line for whoever reads it by machine).
    empty_pdf = book.reports.quarterly_pdf(quarter("2026Q2"))
    flat = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(empty_pdf)).pages).split())
    assert "Outcome Star: improved per area: None this quarter" in flat
    areas = [f.name for f in report.section(q.OUTCOMES) if f.group == "Outcome Star: improved per area"]
    assert areas and not [a for a in areas if f" {a} 0" in flat]
    assert all(a in q.quarterly_report_csv(report).decode("utf-8-sig") for a in areas)
    with pytest.raises(ValidationError):
        book.reports.quarterly(quarter("2027Q1"))
    with pytest.raises(PermissionDenied):
        book_factory("worker").reports.quarterly(Q3)
    with pytest.raises(PermissionDenied):
        book_factory("admin").reports.send_quarterly(Q3)


def test_send_queues_aggregate_report_once(book_factory, unit) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from keyworker.db.outbox import OutboxItem
    book = book_factory("manager")
    with pytest.raises(ValidationError):
        book.reports.send_quarterly(Q3)
    book.unit_profile.update({"unit_name": "Lantern House", "authority_name": "Commissioner",
                              "authority_email": "commissioner@example.org"})
    sent = book.reports.send_quarterly(Q3)
    again = book.reports.send_quarterly(Q3)
    assert sent.created and not again.created and again.item_id == sent.item_id
    with book._read() as s:
        kinds = list(s.scalars(select(OutboxItem.kind)))
    assert kinds.count("quarterly_report") == 1


def test_cli_end_to_end(db_path: Path, unit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import STAFF_PW
    from tests.unit.test_cli import assert_one_line_error, run

    def cli(*args: str):  # type: ignore[no-untyped-def]
        return run(tmp_path, *args, "--db", str(db_path), password=STAFF_PW, user="manager")

    out_pdf, out_csv = tmp_path / "q.pdf", tmp_path / "q.csv"
    res = cli("export", "quarterly", "--quarter", "2026Q3")
    assert res.returncode == 0, res.stderr
    assert "Quarterly contract report: 1 July 2026 to 30 September 2026" in res.stdout
    assert "Reviews held within 14 days" in res.stdout and "80.0%" in res.stdout
    res = cli("export", "quarterly", "--quarter", "2026Q3", "--out", str(out_pdf), "--csv", str(out_csv))
    assert res.returncode == 0, res.stderr
    assert out_pdf.read_bytes()[:5] == b"%PDF-" and os.stat(out_pdf).st_mode & 0o777 == 0o600
    assert os.stat(out_csv).st_mode & 0o777 == 0o600
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text("utf-8-sig"))))
    assert {r["Figure"]: r["Count"] for r in rows}["Referrals received"] == "6"
    assert_one_line_error(cli("report", "quarterly", "--quarter", "2026Q3", "--csv", str(out_csv)), 1,
                          "already exists")
    assert_one_line_error(cli("report", "quarterly", "--quarter", "2026Q9"), 2, "not a quarter")
