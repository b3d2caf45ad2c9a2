"""Care-plan and review benchmark on a 20,000-resident demo unit:

- save a review with goal updates, audit entries included (< 20 ms), with and without the plan
  version the goal status changes create;
- the "Reviews due" query over the whole unit and for one key worker (< 100 ms);
- `check` counts (care_plans_incomplete, reviews_due_7d, reviews_overdue), the Today summary
  (`book.reviews.my_work()`), opening a plan and printing it.

    .venv/bin/python benchmarks/bench_reviews.py [--db /tmp/kw-bench/reviews20k.kwdb] [--residents 20000]

The database is built once with `python main.py demo` (which adds plans and reviews through
`keyworker.demo.care_plans`) and reused. Not collected by the test run (testpaths = tests)."""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select, text  # noqa: E402

from benchmarks.common import PASSWORD, build, timed  # noqa: E402
from keyworker.casebook import Casebook  # noqa: E402
from keyworker.clock import local_today  # noqa: E402
from keyworker.db.care_plans import CarePlan, Review  # noqa: E402
from keyworker.db.caseload import Admission, Resident  # noqa: E402
from keyworker.reviews import Attendee, GoalProgress, ReviewInput  # noqa: E402
from keyworker.security.vault import vault_path_for  # noqa: E402

BUDGET_SAVE_MS = 20
BUDGET_DUE_MS = 100


def report(label: str, values: list[float], budget: float | None = None) -> bool:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    med = statistics.median(values)
    ok = budget is None or p95 < budget
    limit = f"  budget < {budget:.0f} ms {'OK' if ok else 'OVER'}" if budget else ""
    print(f"{label:<58} median {med:7.2f} ms  p95 {p95:7.2f} ms  (n={len(values)}){limit}")
    return ok


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--db", type=Path, default=Path("/tmp/kw-bench/reviews20k.kwdb"))
    p.add_argument("--residents", type=int, default=20000)
    p.add_argument("--repeat", type=int, default=50)
    p.add_argument("--cache-mb", type=int, default=0,
                   help="set PRAGMA cache_size on each connection (default: the engine's setting)")
    args = p.parse_args()
    if not args.db.exists():
        build(args.db, args.residents)
    # Work on a copy so repeated runs start from the same data.
    work = args.db.with_name(args.db.stem + "-run.kwdb")
    shutil.copy(args.db, work)
    shutil.copy(vault_path_for(args.db), vault_path_for(work))
    book = Casebook.open(work, "worker", PASSWORD)
    if args.cache_mb:
        # What a larger page cache would give: the 20,000-resident unit is ~300 MB, and with the
        # default cache the Reviews-due query re-decrypts index and resident pages on every run.
        book._engine.dispose()
        event.listen(book._engine, "connect",
                     lambda conn, _rec: conn.execute(f"PRAGMA cache_size = -{args.cache_mb * 1024}"))
    with book._read() as s:
        print(f"page cache: {s.execute(text('PRAGMA cache_size')).scalar()} (negative: KiB)")
    ok = True
    try:
        with book._read() as s:
            n_res = s.scalar(select(func.count()).select_from(Resident))
            n_cur = s.scalar(select(func.count()).select_from(Admission).where(Admission.discharged_on.is_(None)))
            n_rev = s.scalar(select(func.count()).select_from(Review))
        print(f"unit: {n_res} residents, {n_cur} current admissions, {n_rev} reviews")

        times, due = timed(lambda: book.reviews.due("unit"), args.repeat)
        ok &= report(f"reviews due, whole unit ({len(due)} rows)", times, BUDGET_DUE_MS)
        times, mine = timed(lambda: book.reviews.due("mine"), args.repeat)
        ok &= report(f"reviews due, my residents ({len(mine)} rows)", times, BUDGET_DUE_MS)
        times, _ = timed(lambda: book.reviews.due("unit", include_later=True), 10)
        report("next review of every current admission", times)

        def counts() -> dict[str, Any]:
            with book._read() as s:
                return {**book.care_plans.counts(s), **book.reviews.counts(s)}
        times, c = timed(counts, 20)
        report(f"check counts {c}", times)
        times, work_ = timed(book.reviews.my_work, 20)
        report(f"my_work (Today): {len(work_.reviews_overdue)} overdue, {len(work_.reviews_due_this_week)} this "
               f"week, {len(work_.plans_incomplete)} plans", times)

        # A current admission of this worker with a complete plan.
        with book._read() as s:
            aid = s.scalars(select(Admission.id).join(CarePlan, CarePlan.admission_id == Admission.id)
                            .where(Admission.discharged_on.is_(None), Admission.key_worker_id == book.actor.id,
                                   CarePlan.status == "complete").limit(1)).first()
        assert aid, "no current admission with a complete plan for 'worker'"
        plan = book.care_plans.get(admission_id=aid)
        times, _ = timed(lambda: book.care_plans.get(admission_id=aid), 20)
        report("open a care plan (audited)", times)
        times, _ = timed(lambda: book.care_plans.pdf(plan.plan_id), 5)
        report("care plan PDF, stored as a document", times)

        today = local_today(book.clock)
        goals = plan.content.goals
        statuses = ["in_progress", "achieved"]

        def save(i: int, change: bool) -> Any:
            status = statuses[i % 2] if change else goals[0].status
            return book.reviews.record(ReviewInput(
                admission_id=aid, held_on=today, next_review_on=today + timedelta(days=14),
                resident_view="Feeling settled; wants more time on the allotment.",
                attendees=[Attendee("Resident", "resident"), Attendee("Key worker", "key_worker")],
                goal_progress=[GoalProgress(g.id, status if j == 0 else g.status, "Progress noted")
                               for j, g in enumerate(goals)]))

        counter = iter(range(10_000))
        times, r = timed(lambda: save(next(counter), False), args.repeat)
        ok &= report(f"save a review, {len(goals)} goal updates, no plan change", times, BUDGET_SAVE_MS)
        times, r = timed(lambda: save(next(counter), True), args.repeat)
        assert r.plan_version_id is not None
        ok &= report(f"save a review, {len(goals)} goal updates + new plan version", times, BUDGET_SAVE_MS)
        times, _ = timed(lambda: book.reviews.history(aid), 20)
        report(f"review history of one admission ({len(book.reviews.history(aid))} reviews)", times)
    finally:
        book.close()
        for path in (work, vault_path_for(work), Path(f"{work}-wal"), Path(f"{work}-shm")):
            if path.exists():
                path.unlink()
    print("all within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
