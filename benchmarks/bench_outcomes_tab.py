"""Opening the resident record's Outcomes tab with its Outcome Star chart (target < 150 ms):
building the tab, reading the resident's readings and what is due (two audited reads on the
database), drawing the radar chart, filling the distance and history tables and painting it once.

The unit is built here: 2,000 residents, each with an admission reading and a reading every 4 weeks
over a 6-month stay (14,000 readings, 140,000 scores), so the queries run against full tables.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_outcomes_tab.py [--residents 2000]"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
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
from keyworker.security.vault import FAST_KDF  # noqa: E402

PASSWORD = "Bench-Lantern-Orchard-93"


def build(path: Path, residents: int) -> tuple[Casebook, str]:
    clock = FixedClock(datetime(2026, 7, 6, 9, 0))
    book, _ = Casebook.create(path, admin_username="admin", admin_full_name="Ada Admin", password=PASSWORD,
                              kdf=FAST_KDF, clock=clock, unit_name="Bench Unit")
    book.accounts.create("worker", "Sam Worker", "key_worker", PASSWORD)
    book.close()
    book = Casebook.open(path, "worker", PASSWORD, clock=clock, kdf=FAST_KDF)
    d = defs.current()
    start = date(2026, 1, 5)
    first = ""
    with book._write() as s:
        for n in range(residents):
            r = Resident(reference=f"R-{n:05d}", given_name="Dana", family_name=f"Bench{n}",
                         search_text=f"dana bench{n}", date_of_birth=date(1988, 3, 14), postcode="PR1 2HE",
                         district="Preston", key_worker_id=book.actor.id, reference_no=n + 1)
            s.add(r)
            s.flush()
            a = Admission(resident_id=r.id, admitted_on=start, setting="24h_residential", strand="level_1",
                          planned_weeks=26, key_worker_id=book.actor.id, part_time=False)
            s.add(a)
            s.flush()
            for k in range(7):
                x = StarReading(resident_id=r.id, admission_id=a.id, taken_on=start + timedelta(days=28 * k),
                                stage="admission" if k == 0 else "review", definition_id=d.id,
                                definition_version=d.version, completed_by="Sam Worker")
                s.add(x)
                s.flush()
                for i, area in enumerate(d.areas):
                    s.add(StarScore(reading_id=x.id, area_key=area.key, score=min(10, 1 + (i + k + n) % 5 + k)))
            first = first or r.id
    return book, first


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from ui.context import AppContext
    from ui.outcomes.tab import OutcomesTab, load_state
    from ui.tasks import SyncTaskRunner

    with tempfile.TemporaryDirectory() as tmp:
        book, rid = build(Path(tmp) / "unit.kwdb", args.residents)
        ctx = AppContext(book, SyncTaskRunner())

        def open_tab() -> None:
            tab = OutcomesTab(ctx, rid)  # reads (synchronously here) and draws
            tab.resize(1280, 700)
            tab.star.chart.grab()  # one paint of the chart
            tab.deleteLater()
            app.processEvents()

        open_tab()  # warm up: imports, fonts
        reads, _ = timed(lambda: load_state(book, rid), args.repeat)
        opens, _ = timed(open_tab, args.repeat)
        book.close()
    p95 = sorted(opens)[int(len(opens) * 0.95) - 1]
    print(f"{args.residents} residents, {args.residents * 7} readings")
    print(f"reads (readings + due, audited): median {statistics.median(reads):.1f} ms")
    print(f"Outcomes tab opened with chart painted: median {statistics.median(opens):.1f} ms, p95 {p95:.1f} ms "
          f"(target < 150 ms)")
    return 0 if statistics.median(opens) < 150 else 1


if __name__ == "__main__":
    sys.exit(main())
