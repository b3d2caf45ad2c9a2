"""Pseudonymised extract benchmark (issue 15): the extract of a year (`book.extracts.pseudonymised`
plus both CSVs) on a large unit, target < 5 s at 20,000 residents, measured at each size on the
way up to show the growth.

    .venv/bin/python benchmarks/bench_pseudonymised.py [--sizes 2000,5000,20000] [--repeat 3]

The unit is made in a temporary folder (a real SQLCipher file) and filled directly by executemany
inserts, not by `main.py demo` (whose residents have no Outcome Star or TOP readings on this branch):
per resident one stay admitted between June 2024 and December 2025 (six in ten discharged with a
discharge row and reason), substances, two Outcome Star readings of ten areas, a start TOP and,
when discharged, an exit TOP. The extract is of the calendar year 2025."""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_caseload import line  # noqa: E402
from benchmarks.common import timed  # noqa: E402
from keyworker.casebook import Casebook  # noqa: E402

PASSWORD = "Bench-Lantern-Orchard-93"
DISTRICTS = ["Burnley", "Chorley", "Fylde", "Hyndburn", "Lancaster", "Pendle", "Preston", "Ribble Valley",
             "Rossendale", "South Ribble", "West Lancashire", "Wyre", "Blackpool", "Blackburn with Darwen"]
ETHNIC = ["White: English, Welsh, Scottish, Northern Irish or British", "White: Irish", "Asian or Asian British: Indian",
          "Black or Black British: African", "Mixed: White and Asian", "Prefer not to say"]
REASONS = ["completed_drug_free", "completed_alcohol_free", "transferred_not_in_custody"]


def fill(book: Casebook, start_no: int, n: int, rng: random.Random) -> None:
    """`n` more residents with their stay, discharge, Star readings and TOPs, by executemany
    inserts (the ORM's unit of work is far too slow for 20,000 residents at once)."""
    from sqlalchemy import insert, select

    from keyworker import outcome_star_definitions as defs
    from keyworker.db.caseload import Admission, Resident
    from keyworker.db.discharges import Discharge
    from keyworker.db.foundation import Account
    from keyworker.db.outcomes import StarReading, StarScore
    from keyworker.db.top import Top
    from keyworker.ids import new_id

    areas = [a.key for a in defs.current().areas]
    now = datetime.now().astimezone()
    rows: dict[type, list[dict[str, object]]] = {m: [] for m in (Resident, Admission, Discharge, StarReading, Top)}
    scores: list[dict[str, object]] = []
    with book._write() as s:
        worker = s.scalar(select(Account.id).limit(1))

        def tracked(model: type, **values: object) -> str:
            values.update(id=new_id(), created_at=now, updated_at=now, created_by=worker, device_id=book.device_id,
                          archived=False)
            rows[model].append(values)
            return str(values["id"])

        top_zeroes = dict(tobacco_days=0, injecting_days=0, shared_needles=False, shared_other_equipment=False,
                          shoplifting_days=0, drug_selling_days=0, vehicle_theft=False, property_theft=False,
                          fraud=False, assault=False, paid_work_days=0, education_days=0,
                          acute_housing_problem=False, eviction_risk=False)
        for i in range(start_no, start_no + n):
            dob = date(1950 + rng.randrange(55), 1 + rng.randrange(12), 1 + rng.randrange(28))
            rid = tracked(Resident, reference=f"R-{i:05d}", reference_no=i, given_name=f"Given{i}",
                          family_name=f"Family{i}", search_text=f"given{i} family{i}", date_of_birth=dob,
                          sex=rng.choice(["Male", "Female"]), ethnicity=rng.choice(ETHNIC),
                          postcode=f"PR{rng.randrange(10)} {rng.randrange(10)}AB", district=rng.choice(DISTRICTS),
                          primary_substance=rng.choice(["Alcohol", "Heroin", "Crack cocaine"]),
                          primary_route=rng.choice(["Oral", "Smoked", "Injected"]),
                          other_substances=json.dumps([{"substance": "Cannabis", "route": "Smoked"}]),
                          key_worker_id=worker)
            admitted = date(2024, 6, 1) + timedelta(days=rng.randrange(580))
            discharged = admitted + timedelta(weeks=rng.randrange(4, 20)) if rng.random() < 0.6 else None
            aid = tracked(Admission, resident_id=rid, admitted_on=admitted, setting="24h_residential",
                          strand="level_1", planned_weeks=12, key_worker_id=worker, part_time=False,
                          discharged_on=discharged, discharge_type="planned" if discharged else None)
            if discharged:
                at = datetime(discharged.year, discharged.month, discharged.day, 12).astimezone()
                tracked(Discharge, admission_id=aid, resident_id=rid, path="planned", type="planned_completed",
                        ends_stay=True, reason_code=rng.choice(REASONS), occurred_at=at, state="confirmed",
                        summary_due_at=at)
            for k, on in enumerate((admitted, admitted + timedelta(weeks=4))):
                reading = tracked(StarReading, resident_id=rid, admission_id=aid, taken_on=on,
                                  stage="admission" if k == 0 else "review", definition_id="drug_alcohol",
                                  definition_version="1", completed_by="Bench")
                scores.extend({"reading_id": reading, "area_key": a, "score": rng.randrange(1, 11)} for a in areas)
            for stage, when in (("start", admitted), ("exit", discharged)):
                if when is not None:
                    tracked(Top, resident_id=rid, admission_id=aid, stage=stage, interview_on=when,
                            completed_by=worker, psychological_health=rng.randrange(21),
                            physical_health=rng.randrange(21), quality_of_life=rng.randrange(21), **top_zeroes)
        for model in (Resident, Admission, Discharge, StarReading, Top):
            s.execute(insert(model), rows[model])
        s.execute(insert(StarScore), scores)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="2000,5000,20000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    rng = random.Random(15)
    from keyworker.returns.pseudonymised import extract_csv, summary_csv

    with tempfile.TemporaryDirectory() as tmp:
        book, _ = Casebook.create(Path(tmp) / "bench.kwdb", admin_username="admin", admin_full_name="Ada Admin",
                                  password=PASSWORD, unit_name="Bench Unit")
        try:
            print(f"{'measure (ms)':<46} {'n':>5} {'p50':>9} {'p95':>9} {'max':>9}  {'budget':>6}")
            have = 0
            for size in sizes:
                t = time.perf_counter()
                fill(book, have + 1, size - have, rng)
                have = size
                print(f"  (filled to {size} residents in {time.perf_counter() - t:.1f} s)", flush=True)

                def run() -> int:
                    ex = book.extracts.pseudonymised(date(2025, 1, 1), date(2025, 12, 31))
                    extract_csv(ex)
                    summary_csv(ex)
                    return len(ex.rows)

                times, rows = timed(run, args.repeat)
                print(line(f"extract of 2025 + CSVs at {size} ({rows} rows)", times,
                           5000 if size >= 20000 else None), flush=True)
        finally:
            book.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
