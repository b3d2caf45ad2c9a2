"""Risk assessment benchmark on a 20,000-resident demo unit:

- opening the Risk tab: `book.risk.current(admission_id)` + `book.risk.history(admission_id)` (< 100 ms)
- Today's "risk reviews overdue": `book.risk.overdue("unit")` and `("mine")`
- `check`'s `risk_reviews_overdue` count

    .venv/bin/python benchmarks/bench_risk.py [--db /tmp/kw-bench/demo20k.kwdb] [--residents 20000]

The database is built once with `python main.py demo --residents N --db PATH` and reused (build it
again after the risk demo exists: an older unit has no assessments)."""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_caseload import line  # noqa: E402
from benchmarks.common import PASSWORD, build, timed  # noqa: E402
from keyworker.casebook import Casebook  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=Path("/tmp/kw-bench/demo20k.kwdb"))
    ap.add_argument("--residents", type=int, default=20000)
    ap.add_argument("--user", default="worker")
    args = ap.parse_args()
    if not args.db.exists():
        build(args.db, args.residents)
    book = Casebook.open(args.db, args.user, PASSWORD)
    try:
        from sqlalchemy import select

        from keyworker.db.risk import RiskAssessment

        with book._read() as s:
            admissions = list(s.scalars(select(RiskAssessment.admission_id)))
        picks = random.Random(1).sample(admissions, min(50, len(admissions)))
        tab: list[float] = []
        for aid in picks:
            t, _ = timed(lambda: (book.risk.current(aid), book.risk.history(aid)))
            tab += t
        print(f"\n{args.db}: {len(admissions)} risk assessments\n")
        print(f"{'measure (ms)':<46} {'n':>5} {'p50':>9} {'p95':>9} {'max':>9}  {'budget':>6}")
        print(line("Risk tab: current + history", tab, 100))
        t, unit = timed(lambda: book.risk.overdue("unit"), repeat=5)
        print(line(f"Today: risk reviews overdue, unit ({len(unit)})", t))
        t, mine = timed(lambda: book.risk.overdue("mine"), repeat=5)
        print(line(f"Today: risk reviews overdue, mine ({len(mine)})", t))
        with book._read() as s:
            t, counts = timed(lambda: book.risk.counts(s), repeat=5)
        print(line(f"check: {counts}", t))
    finally:
        book.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
