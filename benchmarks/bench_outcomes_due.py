"""Outcomes due on a demo unit, at two sizes, to see how they grow (issue 14, part Q2):
- `book.outcome_star.unit_due("unit")`: Today's "Outcome Star due" for a senior's whole unit (one
  statement: the current stays joined to their readings' figures and their discharge plans);
- `book.outcome_star.unit_due("mine")`: a key worker's own;
- `book.top.compliance()`: the unit's TOP compliance over every stay ever (the due points of every
  stay are worked out in Python from three queries);
- `book.top.unit_due("unit")`: Today's "TOPs due" for the unit;
- `check --json`'s outcome counts (`star_readings`, `tops_due`, `top_compliance_pct`: the two
  services' `counts(session)`).

    .venv/bin/python benchmarks/bench_outcomes_due.py [--sizes 2000 8000] [--dir /tmp/kw-bench]

Each size's unit is built once with `python main.py demo --residents N --db PATH` (Star readings
and TOPs included) and reused. No budget of its own in the issue; Today's sections share the page's
load, so each is flagged here if its median passes 500 ms."""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_caseload import line  # noqa: E402
from benchmarks.common import PASSWORD, build, timed  # noqa: E402
from keyworker.casebook import Casebook  # noqa: E402

BUDGET = 500.0


def counts(book: Casebook) -> dict[str, object]:
    """What `check --json` adds for outcomes: the two services' `counts(session)`."""
    with book._read() as s:
        return {**book.outcome_star.counts(s), **book.top.counts(s)}


def measure(db: Path, residents: int, repeat: int) -> dict[str, float]:
    if not db.exists():
        build(db, residents)
    from sqlalchemy import func, select

    from keyworker.db.caseload import Admission
    from keyworker.db.outcomes import StarReading
    from keyworker.db.top import Top

    out: dict[str, float] = {}
    manager = Casebook.open(db, "manager", PASSWORD)
    worker = Casebook.open(db, "worker", PASSWORD)
    try:
        with manager._read() as s:
            stays = s.scalar(select(func.count()).select_from(Admission))
            current = s.scalar(select(func.count()).select_from(Admission)
                               .where(Admission.discharged_on.is_(None)))
            readings = s.scalar(select(func.count()).select_from(StarReading))
            tops = s.scalar(select(func.count()).select_from(Top))
        print(f"\n{db.name}: {residents} residents, {stays} stays ({current} current), "
              f"{readings} Star readings, {tops} TOPs")
        print(f"{'measure (ms)':<46} {'n':>5} {'p50':>9} {'p95':>9} {'max':>9}  {'budget':>6}")
        cases = (("outcome_star.unit_due('unit') (senior)", lambda: manager.outcome_star.unit_due("unit")),
                 ("outcome_star.unit_due('mine') (key worker)", lambda: worker.outcome_star.unit_due("mine")),
                 ("top.compliance() (unit, every stay)", lambda: manager.top.compliance()),
                 ("top.unit_due('unit') (senior)", lambda: manager.top.unit_due("unit")),
                 ("check --json's outcome counts (both services)", lambda: counts(manager)))
        for name, fn in cases:
            fn()  # warm
            t, result = timed(fn, repeat)
            out[name] = statistics.median(t)
            size = f"{len(result)} rows" if isinstance(result, list) else (
                f"{result.pct}% of {result.due}" if hasattr(result, "pct") else str(result))
            print(line(name, t, BUDGET) + f"  ({size})")
    finally:
        worker.close()
        manager.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs=2, default=[2000, 8000])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/kw-bench"))
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    small, large = args.sizes
    a = measure(args.dir / f"outcomes-{small}.kwdb", small, args.repeat)
    b = measure(args.dir / f"outcomes-{large}.kwdb", large, args.repeat)
    print(f"\ngrowth from {small} to {large} residents (x{large / small:g}):")
    for name in a:
        print(f"  {name:<46} {a[name]:8.1f} -> {b[name]:8.1f} ms  (x{b[name] / a[name]:.2f})")
    return 1 if any(v > BUDGET for v in b.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
