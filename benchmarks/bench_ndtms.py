"""NDTMS monthly return benchmark (issue 15): `book.returns.ndtms(month)` + the CSV, target < 2 s
on a 20,000-resident unit.

    .venv/bin/python benchmarks/bench_ndtms.py [--residents 20000] [--db PATH] [--keep]

Without --db a synthetic unit is built in a temporary folder (rows inserted directly, quickly):
N residents, each with a referral, one 12-week stay spread over ten years (so about one month in
forty of them is active in any month, as in a unit with a steady turnover), a completed care plan,
an NDTMS consent (one in ten declined), a discharge for every stay that has ended and a start TOP
and an exit TOP. Two months are timed: a usual month, and the worst case where every stay is made
active in one month (all N episodes in the return), to show the growth. With --db an existing unit
(e.g. a `main.py demo` database) is opened as its senior instead."""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_caseload import line  # noqa: E402
from benchmarks.common import PASSWORD, print_profile, timed  # noqa: E402
from keyworker.casebook import Casebook  # noqa: E402
from keyworker.clock import FixedClock  # noqa: E402
from keyworker.security.permissions import Role  # noqa: E402
from keyworker.security.vault import FAST_KDF  # noqa: E402

SENIOR_PW = "Bench-Senior-Harbour-61"


def build(path: Path, n: int, clock: FixedClock, all_active: date | None = None) -> None:
    from keyworker import reference_data as ref
    from keyworker.db.care_plans import CarePlan
    from keyworker.db.caseload import Admission, Consent, Referral, Resident
    from keyworker.db.discharges import Discharge
    from keyworker.db.top import Top, TopSubstance
    from keyworker.ids import new_id

    book, _ = Casebook.create(path, admin_username="admin", admin_full_name="Ada Admin", password=PASSWORD,
                              kdf=FAST_KDF, clock=clock, unit_name="Bench Unit")
    book.accounts.create("manager", "Morgan Manager", Role.SENIOR, SENIOR_PW)
    book.close()
    book = Casebook.open(path, "manager", SENIOR_PW, clock=clock, kdf=FAST_KDF)
    rng = random.Random(15)
    worker = book.actor.id
    eth, subs = ref.demographic_options("ethnicity"), ref.substances()
    today = clock.now().date()
    top_zero = dict(tobacco_days=10, injecting_days=0, shared_needles=False, shared_other_equipment=False,
                    shoplifting_days=0, drug_selling_days=0, vehicle_theft=False, property_theft=False, fraud=False,
                    assault=False, psychological_health=10, physical_health=11, quality_of_life=12,
                    paid_work_days=0, education_days=0, acute_housing_problem=False, eviction_risk=False)
    for start in range(0, n, 2000):
        with book._write() as s:
            rows: list[object] = []
            for i in range(start, min(n, start + 2000)):
                admitted = all_active - timedelta(days=rng.randint(0, 60)) if all_active else \
                    today - timedelta(days=rng.randint(0, 3650))
                ended = admitted + timedelta(weeks=12)
                discharged = None if ended >= today else ended
                rid, aid, fid = new_id(), new_id(), new_id()
                rows.append(Resident(id=rid, reference=f"R-{i + 1:05d}", reference_no=i + 1, given_name=f"Given{i}",
                                     family_name=f"Family{i}", search_text="", date_of_birth=date(1980, 1, 1)
                                     + timedelta(days=i % 9000), sex=rng.choice(("Male", "Female")),
                                     ethnicity=rng.choice(eth) if i % 50 else None, nationality="British",
                                     sexual_orientation="Heterosexual or straight", pregnancy="Not applicable",
                                     postcode="PR1 2HE", district="Preston", primary_substance=rng.choice(subs),
                                     primary_route="Oral", key_worker_id=worker))
                at = datetime(admitted.year, admitted.month, admitted.day, 10, tzinfo=UTC)
                rows.append(Referral(id=fid, received_at=at - timedelta(days=14), given_name="G", family_name="F",
                                     referrer_name="R", category="routine", status="admitted",
                                     decision_due_on=admitted, decided_at=at - timedelta(days=10), resident_id=rid))
                rows.append(Admission(id=aid, resident_id=rid, referral_id=fid, admitted_on=admitted,
                                      setting="24h_residential", strand="level_1", planned_weeks=12,
                                      key_worker_id=worker, part_time=False, discharged_on=discharged,
                                      discharge_type="planned" if discharged else None))
                rows.append(CarePlan(resident_id=rid, admission_id=aid, status="complete",
                                     completed_at=at + timedelta(days=1)))
                rows.append(Consent(resident_id=rid, kind="ndtms", given=bool(i % 10), recorded_on=admitted))
                if discharged:
                    end_at = datetime(discharged.year, discharged.month, discharged.day, 11, tzinfo=UTC)
                    rows.append(Discharge(admission_id=aid, resident_id=rid, path="planned", type="planned_completed",
                                          ends_stay=True, reason_code="completed_alcohol_free", occurred_at=end_at,
                                          state="confirmed", summary_due_at=end_at))
                for stage, on in (("start", admitted + timedelta(days=7)), ("exit", discharged)):
                    if on is None:
                        continue
                    tid = new_id()
                    rows.append(Top(id=tid, resident_id=rid, admission_id=aid, stage=stage, interview_on=on,
                                    completed_by=worker, **top_zero))
                    rows.append(TopSubstance(top_id=tid, substance="alcohol", total_days=rng.randint(0, 28)))
            order = (Resident, Referral, Admission, CarePlan, Consent, Discharge, Top, TopSubstance)
            for kind in order:  # parents first: the models declare no relationships to order them
                s.add_all([r for r in rows if type(r) is kind])
                s.flush()
    book.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, default=20000)
    ap.add_argument("--db", type=Path, help="an existing unit (opened as --user with KEYWORKER_PASSWORD)")
    ap.add_argument("--user", default="manager")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dump", type=Path, help="also write each month's return and data-quality CSV to this "
                    "folder (to check that a change leaves the output byte-identical)")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one all-active return")
    args = ap.parse_args()
    print(f"{'measure (ms)':<46} {'n':>5} {'p50':>9} {'p95':>9} {'max':>9}  {'budget':>6}")
    if args.db is not None:
        book = Casebook.open(args.db, args.user, os.environ.get("KEYWORKER_PASSWORD") or PASSWORD)
        try:
            today = book.clock.now().date()
            month = f"{today.year:04d}-{today.month:02d}"
            t, ret = timed(lambda: book.returns.ndtms(month), args.repeat)
            print(line(f"ndtms({month}): {len(ret.rows)} episodes", t, 2000))
        finally:
            book.close()
        return 0
    from keyworker.returns.ndtms import quality_csv, return_csv

    with tempfile.TemporaryDirectory(prefix="kw-ndtms-") as tmp:
        clock = FixedClock(datetime(2026, 4, 2, 9, 0))
        for label, all_active in (("usual month", None), ("every stay active", date(2026, 3, 15))):
            path = Path(tmp) / f"{'all' if all_active else 'usual'}.kwdb"
            import time
            t0 = time.perf_counter()
            build(path, args.residents, clock, all_active)
            print(f"# built {args.residents} residents ({label}) in {time.perf_counter() - t0:.1f} s", flush=True)
            book = Casebook.open(path, "manager", SENIOR_PW, clock=clock, kdf=FAST_KDF)
            try:
                t, ret = timed(lambda b=book: return_csv(b.returns.ndtms("2026-03")), args.repeat)
                rows = book.returns.ndtms("2026-03")
                print(line(f"{label}: {len(rows.rows)} episodes, {len(rows.problems)} problems", t, 2000), flush=True)
                if args.dump is not None:
                    args.dump.mkdir(parents=True, exist_ok=True)
                    stem = args.dump / f"ndtms-{'all' if all_active else 'usual'}-{args.residents}"
                    stem.with_suffix(".csv").write_bytes(return_csv(rows))
                    stem.with_name(stem.name + "-quality.csv").write_bytes(quality_csv(rows))
                if args.profile and all_active:
                    print_profile(lambda b=book: return_csv(b.returns.ndtms("2026-03")))
            finally:
                book.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
