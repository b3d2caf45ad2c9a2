"""Incidents and safeguarding benchmark on a demo unit (20,000 residents by default):

- opening the Incidents tab: `book.incidents.for_resident(rid)` (< 100 ms)
- opening the Safeguarding tab: incidents, checklists, status, referrals, current risk (< 100 ms)
- logging an incident (`book.incidents.record`, with its risk prompt)
- Today: `book.safeguarding.marac_due("unit")`, `book.incidents.recent(24)`; the unit page's last 30 days

    .venv/bin/python benchmarks/bench_incidents.py [--db /tmp/kw-bench/demo20k.kwdb] [--residents 20000]

The database is built once with `python main.py demo --residents N --db PATH` and reused."""
from __future__ import annotations

import argparse
import random
import sys
from datetime import timedelta
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
    ap.add_argument("--user", default="manager")
    args = ap.parse_args()
    if not args.db.exists():
        build(args.db, args.residents)
    book = Casebook.open(args.db, args.user, PASSWORD)
    try:
        from sqlalchemy import func, select

        from keyworker.clock import local_today
        from keyworker.db.caseload import Admission
        from keyworker.db.incidents import Incident
        from keyworker.incidents import IncidentFilter, IncidentInput
        from ui.incidents.safeguarding_tab import load_state

        with book._read() as s:
            with_incidents = list(s.scalars(select(Incident.resident_id).distinct()))
            current = list(s.scalars(select(Admission.resident_id).where(Admission.discharged_on.is_(None))))
            n_incidents = s.scalar(select(func.count()).select_from(Incident))
        picks = random.Random(1).sample(with_incidents, min(50, len(with_incidents)))
        tab: list[float] = []
        safe: list[float] = []
        for rid in picks:
            tab += timed(lambda: book.incidents.for_resident(rid))[0]
            safe += timed(lambda: load_state(book, rid))[0]
        print(f"\n{args.db}: {n_incidents} incidents, {len(with_incidents)} residents with one\n")
        print(f"{'measure (ms)':<46} {'n':>5} {'p50':>9} {'p95':>9} {'max':>9}  {'budget':>6}")
        print(line("Incidents tab: the resident's incidents", tab, 100))
        print(line("Safeguarding tab: all it loads", safe, 100))
        rid = random.Random(2).choice(current)
        t, _ = timed(lambda: book.incidents.record(IncidentInput(
            rid, book.clock.now(), "other", "Benchmark: fire alarm test")), repeat=5)
        print(line("Log an incident (with its risk prompt)", t))
        t, due = timed(lambda: book.safeguarding.marac_due("unit"), repeat=5)
        print(line(f"Today: MARAC referrals due, unit ({len(due)})", t))
        t, recent = timed(lambda: book.incidents.recent(24), repeat=5)
        print(line(f"Today: incidents in the last 24 hours ({len(recent)})", t))
        today = local_today(book.clock)
        t, rows = timed(lambda: book.incidents.unit(IncidentFilter(today - timedelta(days=30), today)), repeat=5)
        print(line(f"Unit page: last 30 days ({len(rows)})", t))
    finally:
        book.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
