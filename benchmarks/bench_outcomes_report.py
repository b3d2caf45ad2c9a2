"""The quarterly outcomes report on a large unit (issue 14: < 3 s on the 20,000-resident demo):
`book.reports.outcomes(quarter)` (the Star's first and latest readings per stay, TOP compliance,
start-to-latest TOP change, the surveys), then its PDF and CSV.

The unit is built here with bulk inserts (keyworker/imports/bulk.py `insert_rows` / `stamp`, as
keyworker/demo does), shaped like the demo's history: N residents, each with one stay admitted on a
day spread over 2021-07-01..2026-06-30, 12 to 26 weeks long (the latest still open); an Outcome
Star reading at admission and every 4 weeks (10 scores each); start, mid-way review and exit TOPs
with two substances each (some missing, so compliance is below 100%); a resident survey per stay
and a carer's for one stay in three. Run at two sizes to see how it grows:

    .venv/bin/python benchmarks/bench_outcomes_report.py --residents 5000 20000 [--quarter 2026Q2]"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.common import timed  # noqa: E402
from keyworker import outcome_star_definitions as defs  # noqa: E402
from keyworker.casebook import Casebook  # noqa: E402
from keyworker.clock import FixedClock  # noqa: E402
from keyworker.db.caseload import Admission, Resident  # noqa: E402
from keyworker.db.outcomes import StarReading, StarScore  # noqa: E402
from keyworker.db.surveys import Survey  # noqa: E402
from keyworker.db.top import Top, TopSubstance  # noqa: E402
from keyworker.ids import new_id  # noqa: E402
from keyworker.imports.bulk import insert_rows, stamp  # noqa: E402
from keyworker.security.vault import FAST_KDF  # noqa: E402

PASSWORD = "Bench-Lantern-Orchard-93"
TODAY = date(2026, 7, 6)
FIRST_DAY, LAST_DAY = date(2021, 7, 1), date(2026, 6, 30)


def build(path: Path, residents: int) -> tuple[Casebook, dict[str, int]]:
    rng = random.Random(14)
    clock = FixedClock(datetime(2026, 7, 6, 9, 0))
    book, _ = Casebook.create(path, admin_username="admin", admin_full_name="Ada Admin", password=PASSWORD,
                              kdf=FAST_KDF, clock=clock, unit_name="Bench Unit")
    book.accounts.create("manager", "Morgan Manager", "senior", PASSWORD)
    book.close()
    book = Casebook.open(path, "manager", PASSWORD, clock=clock, kdf=FAST_KDF)
    d = defs.current()
    me = book.actor.id
    span = (LAST_DAY - FIRST_DAY).days
    rows: dict[type, list[dict]] = {m: [] for m in (Resident, Admission, StarReading, StarScore, Top, TopSubstance,
                                                     Survey)}
    for n in range(residents):
        rid, aid = new_id(), new_id()
        admitted = FIRST_DAY + timedelta(days=span * n // residents)
        weeks = rng.choice((12, 16, 20, 26))
        end = admitted + timedelta(weeks=weeks)
        left = end if end < TODAY else None
        rows[Resident].append(stamp(book, {"id": rid, "reference": f"R-{n + 1:05d}", "reference_no": n + 1,
                                           "given_name": "Dana", "family_name": f"Bench{n}",
                                           "search_text": f"dana bench{n}", "date_of_birth": date(1988, 3, 14),
                                           "postcode": "PR1 2HE", "district": "Preston", "key_worker_id": me}))
        rows[Admission].append(stamp(book, {"id": aid, "resident_id": rid, "admitted_on": admitted,
                                            "setting": "24h_residential", "strand": "level_1",
                                            "planned_weeks": weeks, "key_worker_id": me, "part_time": False,
                                            "discharged_on": left, "discharge_type": "planned" if left else None}))
        last = min(left or TODAY, TODAY)
        k, on = 0, admitted + timedelta(days=1)
        while on <= last:
            x = new_id()
            rows[StarReading].append(stamp(book, {
                "id": x, "resident_id": rid, "admission_id": aid, "taken_on": on,
                "stage": "admission" if k == 0 else "review", "definition_id": d.id,
                "definition_version": d.version, "completed_by": "Morgan Manager", "note": None,
                "supersedes_id": None, "superseded_by_id": None, "correction_reason": None}))
            for i, area in enumerate(d.areas):
                rows[StarScore].append({"reading_id": x, "area_key": area.key, "note": None,
                                        "score": max(1, min(10, 2 + (i + n) % 4 + k + rng.randint(-1, 1)))})
            k += 1
            on += timedelta(days=28)
        stages = [("start", admitted + timedelta(days=rng.randint(1, 16)))]
        stages.append(("review", admitted + timedelta(weeks=weeks // 2)))
        if left:
            stages.append(("exit", left))
        for j, (stage, when) in enumerate(stages):
            if when > TODAY or rng.random() < 0.08:  # some not done
                continue
            t = new_id()
            rows[Top].append(stamp(book, {
                "id": t, "resident_id": rid, "admission_id": aid, "stage": stage, "interview_on": when,
                "completed_by": me, "tobacco_days": 20, "injecting_days": 0, "shared_needles": False,
                "shared_other_equipment": False, "shoplifting_days": 0, "drug_selling_days": 0,
                "vehicle_theft": False, "property_theft": False, "fraud": False, "assault": False,
                "psychological_health": min(20, 6 + 4 * j + rng.randint(0, 3)),
                "physical_health": min(20, 8 + 3 * j + rng.randint(0, 3)),
                "quality_of_life": min(20, 5 + 4 * j + rng.randint(0, 3)),
                "paid_work_days": 0, "education_days": 0, "acute_housing_problem": False, "eviction_risk": False}))
            for sub, days in (("alcohol", max(0, 24 - 10 * j)), ("opiates", max(0, 12 - 6 * j))):
                rows[TopSubstance].append(stamp(book, {
                    "top_id": t, "substance": sub, "other_name": None, "week1": None, "week2": None, "week3": None,
                    "week4": None, "total_days": days, "average_amount": None, "amount_unit": None}))
        when = min(last, admitted + timedelta(weeks=weeks - 1))
        if when >= admitted:
            for who in ("resident", "carer") if n % 3 == 0 else ("resident",):
                rows[Survey].append(stamp(book, {
                    "resident_id": rid, "admission_id": aid, "taken_on": when, "respondent": who,
                    "respondent_name": "Mary Bench" if who == "carer" else None,
                    "relationship": "Mother" if who == "carer" else None,
                    "listened": rng.randint(3, 5), "respected": rng.randint(3, 5),
                    "goals": rng.randint(2, 5) if who == "resident" else None, "recommend": rng.randint(2, 5),
                    "overall": rng.randint(3, 5), "comments": None, "completed_by": "Morgan Manager"}))
    with book._write() as s:
        for model, batch in rows.items():
            insert_rows(s, model, batch)
    return book, {m.__name__: len(v) for m, v in rows.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, nargs="+", default=[5000, 20000])
    ap.add_argument("--quarter", default="2026Q2")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from keyworker.documents.outcomes_report import outcomes_report_pdf
    from keyworker.reports import outcomes_report_csv, quarter

    period = quarter(args.quarter)
    worst = 0.0
    for n in args.residents:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            book, sizes = build(Path(tmp) / "unit.kwdb", n)
            built = time.perf_counter() - t0
            try:
                book.reports.outcomes(period)  # warm up
                comp, _ = timed(lambda: book.top.compliance(period.start, period.end), args.repeat)
                made, report = timed(lambda: book.reports.outcomes(period), args.repeat)
                pdf_t, pdf = timed(lambda: outcomes_report_pdf(report, "Bench Unit", datetime(2026, 7, 6, 9, 0)),
                                   args.repeat)
                csv_t, _ = timed(lambda: outcomes_report_csv(report), args.repeat)
            finally:
                book.close()
        med = statistics.median(made)
        worst = max(worst, med + statistics.median(pdf_t))
        print(f"\n{n} residents (built in {built:.1f} s): " + ", ".join(f"{v} {k}" for k, v in sizes.items()))
        print(f"  {args.quarter}: {report.stays} stays open, {report.star.residents_with_readings} with star "
              f"readings, {report.top.compliance.due} TOPs due, "
              f"{report.surveys.resident_surveys + report.surveys.carer_surveys} surveys")
        print(f"  report (queries + audit):     median {med:8.1f} ms  max {max(made):8.1f} ms")
        print(f"    of which TOP compliance:    median {statistics.median(comp):8.1f} ms")
        print(f"  PDF ({len(pdf) // 1024} KB):                median {statistics.median(pdf_t):8.1f} ms")
        print(f"  CSV:                          median {statistics.median(csv_t):8.1f} ms")
    print(f"\nreport + PDF, largest: {worst:.0f} ms (target < 3000 ms)")
    return 0 if worst < 3000 else 1


if __name__ == "__main__":
    sys.exit(main())
