"""Key-work benchmark on a 20,000-resident demo unit:

- saving a session: `book.key_work.record(...)` (< 20 ms), and with progress on a care plan goal
  (a new plan version in the same transaction)
- opening the Key work tab: sessions + groups + the stay's summary + the pre-admission assessment
- recording a group of 12, Today's follow-ups (unit) and `check`'s key-work counts

    .venv/bin/python benchmarks/bench_key_work.py [--db /tmp/kw-bench-key-work/demo20k.kwdb] [--residents 20000]

The database is built once with `python main.py demo --residents N --db PATH` and reused. It gets
sessions written into it by each run (they are real saves)."""
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
from keyworker.clock import local_today  # noqa: E402
from keyworker.key_work_input import Attendance, FollowUp, GoalWork, GroupInput, SessionInput  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=Path("/tmp/kw-bench-key-work/demo20k.kwdb"))
    ap.add_argument("--residents", type=int, default=20000)
    ap.add_argument("--user", default="manager")
    args = ap.parse_args()
    if not args.db.exists():
        build(args.db, args.residents)
    book = Casebook.open(args.db, args.user, PASSWORD)
    try:
        today = local_today(book.clock)
        current = book.key_work.register_candidates()
        picks = random.Random(1).sample(current, min(50, len(current)))

        def session(rid: str, goals: list[GoalWork] | None = None) -> SessionInput:
            return SessionInput(rid, today, "10:30", 50, "psychosocial", "attended", intervention="Relapse prevention",
                                notes="Mapped high-risk times: payday, Friday nights. " * 3, goals=goals or [],
                                follow_ups=[FollowUp("Ring the housing officer", "Key worker", today + timedelta(days=3))])

        save: list[float] = []
        for r in picks:
            t, _ = timed(lambda: book.key_work.record(session(r.resident_id)))
            save += t
        progress: list[float] = []
        for r in picks[:20]:
            plan = book.care_plans.get(r.resident_id)
            if plan.status != "complete" or not plan.content.goals:
                continue
            g = plan.content.goals[0].id
            t, _ = timed(lambda: book.key_work.record(session(r.resident_id, [GoalWork(g, "Better week")])))
            progress += t
        tab: list[float] = []
        for r in picks:
            t, _ = timed(lambda: (book.key_work.for_resident(r.resident_id, include_superseded=True),
                                  book.key_work.groups_for_resident(r.resident_id, include_superseded=True),
                                  book.key_work.summary(r.admission_id), book.pre_admission.for_resident(r.resident_id)))
            tab += t
        register = [Attendance(r.resident_id, "attended") for r in picks[:12]]
        t_group, _ = timed(lambda: book.key_work.record_group(
            GroupInput("Relapse prevention", today, "14:00", 90, "Morgan Manager", register)), repeat=5)
        print(f"\n{args.db}: {len(current)} current residents\n")
        print(f"{'measure (ms)':<46} {'n':>5} {'p50':>9} {'p95':>9} {'max':>9}  {'budget':>6}")
        print(line("Save a session", save, 20))
        if progress:
            print(line("Save a session with goal progress (plan version)", progress))
        print(line("Key work tab: sessions, groups, summary", tab, 100))
        print(line("Save a group of 12", t_group))
        t, due = timed(lambda: book.key_work.follow_ups_due("unit"), repeat=5)
        print(line(f"Today: follow-ups due, unit ({len(due)})", t))
        t, _ = timed(lambda: book.key_work.register_candidates(), repeat=5)
        print(line(f"Register: residents staying today ({len(current)})", t))
        with book._read() as s:
            t, counts = timed(lambda: book.key_work.counts(s), repeat=5)
        print(line(f"check: {counts}", t))
        t, rows = timed(lambda: book.referrals.list("all"), repeat=3)
        print(line(f"Referrals list, all ({len(rows)}), with 'assessed'", t))
    finally:
        book.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
