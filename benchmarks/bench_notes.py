"""Case notes benchmark on the 20,000-resident demo unit:

- saving a note: `book.notes.write` (< 20 ms)
- a resident's Notes tab with 2,000 entries: `book.notes.timeline(rid)`, the first page the tab shows
  (`book.notes.timeline_page(rid)`: the newest 200) and the tab built offscreen (< 100 ms)
- full-text search over 1,000,000 notes in the unit: `book.notes.timeline(rid, search=...)` and the
  unit-wide index query (< 100 ms)
- the Handover view over a unit of 40 current residents: `book.notes.handover()` (< 100 ms), on a
  400-resident demo unit (about 40 in the unit now, with the demo's notes across shifts), and for
  information on the 1,000,000-note unit (2,000 current residents)

    .venv/bin/python benchmarks/bench_notes.py [--db /tmp/kw-bench/notes1m.kwdb] [--residents 20000]

The unit is built once (`main.py demo`), then topped up with direct inserts to 2,000 entries for
one resident and 1,000,000 notes in the unit (cached: a second run reuses them).

Issue 11 (perf), measured on a 400-resident demo topped up to 2,472 entries for one resident and 200,000
notes (the 1,000,000-note unit was not cached), p50 / p95 ms, before -> after: Notes tab built and shown
288 / 392 -> 74 / 108 (the newest 200 first: `timeline_page` 22 / 29; the whole timeline 62 / 142 is no
longer read to open the tab); search one resident 'allotment' (976 hits) 101 / 170 -> 39 / 53,
'naloxone mindfulness' 90 / 104 -> 34 / 39, 'dent' 79 / 162 -> 48 / 130 (2 shared cores, noisy p95)."""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_caseload import line  # noqa: E402
from benchmarks.common import PASSWORD, build, timed  # noqa: E402
from keyworker.casebook import Casebook  # noqa: E402

WORDS = ("allotment group craving sister visit housing court bloods dentist gym walk cooking anxious settled "
         "slept phone letter benefits probation mindfulness relapse prevention naloxone garden").split()
TOTAL = 1_000_000
ONE_RESIDENT = 2_000


def _top_up(book: Casebook) -> tuple[str, int]:
    """2,000 entries for one current resident and 1,000,000 notes in the unit, by direct insert."""
    from sqlalchemy import func, select, text

    from keyworker.db.caseload import Admission
    from keyworker.db.notes import CaseNote
    from keyworker.imports.bulk import insert_rows, stamp
    from keyworker.note_search import resident_token

    rng = random.Random(7)
    with book._read() as s:
        current = list(s.scalars(select(Admission.resident_id).where(Admission.discharged_on.is_(None))
                                 .order_by(Admission.resident_id)))
        everyone = list(s.scalars(select(Admission.resident_id)))
        have = int(s.scalar(select(func.count()).select_from(CaseNote)) or 0)
        rid = current[0]
        mine = int(s.scalar(select(func.count()).select_from(CaseNote).where(CaseNote.resident_id == rid)) or 0)
    now = book.clock.now()

    def add(resident_ids: list[str], n: int) -> None:
        chunk = 50_000
        for start in range(0, n, chunk):
            rows, index = [], []
            with book._write() as s:
                first = int(s.execute(text("SELECT coalesce(max(rowid), 0) FROM note_search_rows")).scalar_one()) + 1
                for k in range(min(chunk, n - start)):
                    r = resident_ids[k % len(resident_ids)] if len(resident_ids) == 1 else rng.choice(resident_ids)
                    body = " ".join(rng.choices(WORDS, k=12)) + f" note{start + k}"
                    row = stamp(book, {"resident_id": r, "about_at": now - timedelta(minutes=rng.randint(60, 10**6)),
                                       "category": "general", "text": body, "for_next_shift": False,
                                       "acknowledged_at": None, "acknowledged_by": None, "supersedes_id": None,
                                       "superseded_by_id": None, "correction_reason": None})
                    rows.append(row)
                    index.append({"rowid": first + k, "kind": "note", "record_id": row["id"], "resident_id": r,
                                  "body": body, "rtoken": resident_token(r)})
                insert_rows(s, CaseNote, rows)
                conn = s.connection()
                conn.execute(text("INSERT INTO note_search_rows (rowid, kind, record_id, resident_id) "
                                  "VALUES (:rowid, :kind, :record_id, :resident_id)"), index)
                conn.execute(text("INSERT INTO note_search (rowid, body, rtoken) VALUES (:rowid, :body, :rtoken)"),
                             index)
            print(f"  {start + len(rows):,} / {n:,} added", flush=True)

    if mine < ONE_RESIDENT:
        add([rid], ONE_RESIDENT - mine)
        have += ONE_RESIDENT - mine
    if have < TOTAL:
        add(everyone, TOTAL - have)
    return rid, len(current)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=Path("/tmp/kw-bench/notes1m.kwdb"))
    ap.add_argument("--residents", type=int, default=20000)
    ap.add_argument("--user", default="manager")
    ap.add_argument("--small-db", type=Path, default=Path("/tmp/kw-bench/demo400.kwdb"))
    args = ap.parse_args()
    if not args.db.exists():
        build(args.db, args.residents)
    book = Casebook.open(args.db, args.user, PASSWORD)
    try:
        from sqlalchemy import func, select

        from keyworker import note_search
        from keyworker.db.notes import CaseNote
        from keyworker.notes import NoteInput

        t0 = time.perf_counter()
        rid, n_current = _top_up(book)
        print(f"data ready in {time.perf_counter() - t0:.1f} s")
        with book._read() as s:
            total = s.scalar(select(func.count()).select_from(CaseNote))
        print(f"\n{args.db}: {total:,} notes; {n_current} current residents\n")
        print(f"{'measure (ms)':<46} {'n':>5} {'p50':>9} {'p95':>9} {'max':>9}  {'budget':>6}")
        t, _ = timed(lambda: book.notes.write(NoteInput(rid, "Benchmark: settled evening, went to group.")), repeat=50)
        print(line("Save a note", t, 20))
        t, entries = timed(lambda: book.notes.timeline(rid), repeat=10)
        print(line(f"Notes tab: timeline ({len(entries):,} entries)", t, 100))
        t, page = timed(lambda: book.notes.timeline_page(rid), repeat=10)
        print(line(f"Notes tab: first page ({len(page.entries)} of {page.total:,})", t, 100))
        try:
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
            from PySide6.QtWidgets import QApplication

            from ui.context import AppContext
            from ui.notes.tab import NotesTab
            from ui.tasks import SyncTaskRunner

            app = QApplication.instance() or QApplication([])
            ctx = AppContext(book, SyncTaskRunner())

            def open_tab() -> None:
                tab = NotesTab(ctx, rid)
                tab.resize(1000, 600)
                tab.show()
                app.processEvents()
                tab.close()
                tab.deleteLater()

            t, _ = timed(open_tab, repeat=10)
            print(line("Notes tab: built and shown (offscreen)", t, 100))
        except ImportError:
            print("(PySide6 not installed: the tab itself is not measured)")
        for word in ("allotment", "naloxone mindfulness", "note12345", "dent"):
            t, hits = timed(lambda: book.notes.timeline(rid, search=word), repeat=10)
            print(line(f"Search one resident: {word!r} ({len(hits)})", t, 100))
        with book._read() as s:
            for word in ("allotment", "note987654", "sister court"):
                t, hits = timed(lambda: note_search.search(s, word, limit=200), repeat=10)
                print(line(f"Search the unit: {word!r} (first {len(hits)})", t, 100))
        t, h = timed(lambda: book.notes.handover(), repeat=10)
        print(line(f"Handover, 2,000 residents ({len(h.items)})", t))
        t, h = timed(lambda: book.notes.handover(book.clock.now() - timedelta(hours=24)), repeat=10)
        print(line(f"Handover, last 24 hours ({len(h.items)})", t))
    finally:
        book.close()
    if not args.small_db.exists():
        build(args.small_db, 400)
    small = Casebook.open(args.small_db, args.user, PASSWORD)
    try:
        from sqlalchemy import func, select

        from keyworker.db.caseload import Admission

        with small._read() as s:
            n = s.scalar(select(func.count()).select_from(Admission).where(Admission.discharged_on.is_(None)))
        t, h = timed(lambda: small.notes.handover(), repeat=20)
        print(line(f"Handover, {n} current residents ({len(h.items)})", t, 100))
        t, h = timed(lambda: small.notes.handover(small.clock.now() - timedelta(hours=24)), repeat=20)
        print(line(f"Handover, {n} residents, 24 hours ({len(h.items)})", t, 100))
    finally:
        small.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
