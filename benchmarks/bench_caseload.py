"""Caseload benchmark on a 20,000-resident demo unit:

- search-as-you-type: `book.caseload.ids(filter)` + the first batch of rows, per keystroke (< 30 ms)
- unlock to caseload shown: Argon2id unlock + open + ids + first 100 rows (< 1 s)
- open a resident: `book.residents.get(id)` (< 100 ms)

    .venv/bin/python benchmarks/bench_caseload.py [--db /tmp/kw-bench/demo20k.kwdb] [--residents 20000]

The schema has the caseload indexes (migration 0004) and the engine a 64 MB page cache.
The database is built once with `python main.py demo --residents N --db PATH` and reused."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import PASSWORD, build, timed  # noqa: E402
from keyworker.casebook import Casebook  # noqa: E402
from keyworker.caseload_query import BATCH, CaseloadFilter  # noqa: E402


# What people type: surnames, given names, a reference and a postcode, one keystroke at a time.
TYPED = ["smith", "sarah", "o'brien", "r-0123", "00042", "pr1 2", "bb11", "khan m", "zz"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def line(name: str, values: list[float], budget: float | None = None) -> str:
    p50, p95, worst = statistics.median(values), pct(values, 95), max(values)
    verdict = "" if budget is None else ("ok" if p95 < budget else "OVER")
    return f"{name:<46} {len(values):>5} {p50:>9.1f} {p95:>9.1f} {worst:>9.1f}  {'' if budget is None else budget:>6} {verdict}"


def keystrokes(book: Casebook, base: CaseloadFilter) -> list[float]:
    """Each prefix of each typed text, as the page runs it: ids, then the first batch of rows."""
    times: list[float] = []
    for word in TYPED:
        for i in range(1, len(word) + 1):
            flt = base.with_(text=word[:i])

            def one() -> int:
                ids = book.caseload.ids(flt)
                book.caseload.rows(ids[:BATCH])
                return len(ids)

            t, _ = timed(one, repeat=3)
            times.append(statistics.median(t))
    return times


def ui_unlock_to_caseload(db: Path, user: str, pw: str, repeat: int = 3) -> list[float]:
    """The real page offscreen: unlock, build the Caseload page with the threaded task runner, and
    wait until its first rows are in the view and painted."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from ui.caseload.page import CaseloadPage
    from ui.context import AppContext
    from ui.tasks import TaskRunner

    out: list[float] = []
    for _ in range(repeat):
        t = time.perf_counter()
        book = Casebook.open(db, user, pw)
        ctx = AppContext(book, TaskRunner())
        page = CaseloadPage(ctx)
        page.resize(1300, 800)
        page.show()
        loop = QEventLoop()
        page.model.loaded.connect(loop.quit)
        loop.exec()
        page.table.viewport().repaint()
        out.append((time.perf_counter() - t) * 1000)
        assert page.model.rowCount() > 0
        ctx.tasks.shutdown()
        page.close()
        page.deleteLater()
        book.close()
    app.processEvents()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=Path("/tmp/kw-bench/demo20k.kwdb"))
    ap.add_argument("--residents", type=int, default=20000)
    ap.add_argument("--user", default="worker")
    args = ap.parse_args()
    if not args.db.exists():
        build(args.db, args.residents)
    pw = PASSWORD
    # Unlock to caseload shown: what happens between pressing Return and the first rows.
    unlock: list[float] = []
    for _ in range(5):
        t = time.perf_counter()
        book = Casebook.open(args.db, args.user, pw)
        ids = book.caseload.ids(book.caseload.filter())
        book.caseload.rows(ids[:BATCH])
        unlock.append((time.perf_counter() - t) * 1000)
        book.close()
    book = Casebook.open(args.db, args.user, pw)
    try:
        first, _ = timed(lambda: book.caseload.rows(book.caseload.ids(book.caseload.filter())[:BATCH]), repeat=10)
        with book._read() as s:
            from sqlalchemy import text

            total = s.execute(text("SELECT count(*) FROM residents")).scalar_one()
            cache_kib = -s.execute(text("PRAGMA cache_size")).scalar_one()
        current = len(book.caseload.ids(book.caseload.filter()))
        everyone = book.caseload.ids(book.caseload.filter(include_discharged=True))
        mine = len(book.caseload.ids(book.caseload.filter(mine_only=True)))
        print(f"\npage cache: {cache_kib // 1024} MB per connection (keyworker/db/engine.py)")
        print(f"{args.db}: {total} residents, {current} current, {mine} on {args.user}'s caseload\n")
        print(f"{'measure (ms)':<46} {'n':>5} {'p50':>9} {'p95':>9} {'max':>9}  {'budget':>6}")
        print(line("unlock (Argon2id) + caseload first 100 rows", unlock, 1000))
        print(line("UI: unlock + Caseload page painted", ui_unlock_to_caseload(args.db, args.user, pw), 1000))
        print(line("caseload ids + first 100 rows (unlocked)", first))
        print(line("keystroke: current residents", keystrokes(book, book.caseload.filter()), 30))
        print(line("keystroke: my caseload", keystrokes(book, book.caseload.filter(mine_only=True)), 30))
        print(line("keystroke: including discharged",
                   keystrokes(book, book.caseload.filter(include_discharged=True)), 30))
        for key in ("reference", "next_review", "flags", "risk"):
            t, _ = timed(lambda: book.caseload.ids(book.caseload.filter(sort_key=key)), repeat=5)
            print(line(f"sort {current} current by {key} (ids)", t))
        for key in ("reference", "next_review", "flags", "risk"):
            t, _ = timed(lambda: book.caseload.ids(book.caseload.filter(include_discharged=True, sort_key=key)),
                      repeat=5)
            print(line(f"sort all {len(everyone)} by {key} (ids)", t))
        step = max(BATCH, len(everyone) // 50)
        batches = [everyone[i:i + BATCH] for i in range(0, len(everyone), step)][:50]
        t = []
        for b in batches:
            t += timed(lambda b=b: book.caseload.rows(b))[0]
        print(line("fetchMore: one batch of 100 rows", t))
        residents = getattr(book, "residents", None)
        if residents is not None and hasattr(residents, "get"):
            sample = everyone[:: max(1, len(everyone) // 30)][:30]
            t = []
            for rid in sample:
                t += timed(lambda rid=rid: residents.get(rid))[0]
            print(line("open a resident: book.residents.get", t, 100))
        else:
            print("open a resident: book.residents.get does not exist yet")
    finally:
        book.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
