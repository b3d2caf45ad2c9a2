"""Discharges benchmark (issue 13) on a demo unit (2,000 residents by default):

- the complete discharge summary PDF build (`discharge_summary_pdf.build`, < 250 ms)
- printing 100 discharge summaries to PDFs through the command's path
  (`discharge_summaries.printed_between` + `save_each`, < 20 s), and the command itself
  (`main.py print discharge-summaries`, a new process: sign-in included)
- the unplanned-discharge screen opening (`open_unplanned_discharge`, offscreen, < 300 ms):
  its reads (`start()` and the seniors) and the dialog shown

    .venv/bin/python benchmarks/bench_discharges.py [--db /tmp/kw-bench/demo2k.kwdb] [--residents 2000]

The database is built once with `python main.py demo --residents N --db PATH` and reused. Before
timing the printing, the unplanned discharges in the 100 chosen get their complete summary made
(once), so most entries are real stored summaries read back (audited), the rest a note page."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.bench_caseload import line  # noqa: E402
from benchmarks.common import PASSWORD, build, timed  # noqa: E402
from keyworker.casebook import Casebook  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=Path("/tmp/kw-bench/demo2k.kwdb"))
    ap.add_argument("--residents", type=int, default=2000)
    ap.add_argument("--user", default="manager")
    args = ap.parse_args()
    if not args.db.exists():
        build(args.db, args.residents)
    book = Casebook.open(args.db, args.user, PASSWORD)
    try:
        from sqlalchemy import select

        from keyworker import discharge_summaries as ds
        from keyworker.clock import to_local
        from keyworker.db.caseload import Admission, Resident
        from keyworker.db.discharges import Discharge
        from keyworker.documents import discharge_summary_pdf
        from keyworker.medication import summary_in
        from keyworker.unit_profile import read_profile

        with book._read() as s:
            ending = s.execute(select(Discharge.id, Discharge.occurred_at, Discharge.path,
                                      Discharge.letter_document_id)
                               .where(Discharge.ends_stay.is_(True)).order_by(Discharge.occurred_at)).all()
            current = list(s.scalars(select(Admission.resident_id).where(Admission.discharged_on.is_(None))))
        print(f"\n{args.db}: {len(ending)} discharges, {len(current)} current residents\n")
        print(f"{'measure (ms)':<46} {'n':>5} {'p50':>9} {'p95':>9} {'max':>9}  {'budget':>6}")

        # 1. The complete summary PDF build, from a real unplanned discharge.
        unplanned = [d for d in ending if d.path == "unplanned"]
        svc = book.discharges
        with book._read() as s:
            d = s.get(Discharge, unplanned[-1].id)
            assert d is not None
            res, adm = s.get(Resident, d.resident_id), s.get(Admission, d.admission_id)
            view, meds = svc._view(s, d), summary_in(s, d.resident_id).current
            risk, items, profile = book.risk._for_plan(s, d.admission_id), svc._checklist(s, d), read_profile(s)
        t, pdf = timed(lambda: discharge_summary_pdf.build(
            view, res, adm, meds, risk, items, profile=profile, generated_at=book.clock.now(),
            signed_by="Bench Manager", job_title="Registered Manager", recorded_by="Bench Worker"), repeat=20)
        print(line(f"Complete summary PDF build ({len(pdf) // 1024} KB)", t, 250))

        # 2. Printing 100 discharge summaries through the command's path.
        window = ending[-100:] if len(ending) >= 100 else ending
        lo, hi = to_local(window[0].occurred_at).date(), to_local(window[-1].occurred_at).date()
        rows = ds.rows_between(book, lo, hi)
        todo = [r.id for r in rows if r.path == "unplanned" and not r.letter_document_id]
        for rid in todo:  # once: make the complete summaries (not timed)
            with book._write() as s:
                row = s.get(Discharge, rid)
                if row is not None and row.letter_document_id is None:
                    svc._make_summary(s, row, book.actor.id)
        with tempfile.TemporaryDirectory() as tmp:
            def print_all() -> int:
                items = ds.printed_between(book, lo, hi, purpose="save")
                return len(ds.save_each(items, Path(tmp) / "out", overwrite=True))

            t, n = timed(print_all, repeat=3)
            made = sum(1 for r in ds.rows_between(book, lo, hi) if r.letter_document_id)
            print(line(f"Print {n} summaries to PDFs ({made} stored), in-process", t, 20000))
            book.close()
            env = {**os.environ, "KEYWORKER_PASSWORD": PASSWORD, "KEYWORKER_USER": args.user}
            times = []
            for _ in range(2):
                start = time.perf_counter()
                subprocess.run([sys.executable, str(ROOT / "main.py"), "print", "discharge-summaries", "--db",
                                str(args.db), "--from", f"{lo:%d/%m/%Y}", "--to", f"{hi:%d/%m/%Y}", "--out",
                                str(Path(tmp) / "cli"), "--overwrite"], check=True, env=env, cwd=ROOT,
                               capture_output=True)
                times.append((time.perf_counter() - start) * 1000)
            print(line(f"main.py print discharge-summaries ({n}), new process", times, 20000))
        book = Casebook.open(args.db, args.user, PASSWORD)

        # 3. The unplanned-discharge screen opening, offscreen.
        from PySide6.QtWidgets import QApplication, QWidget

        from ui.context import AppContext
        from ui.discharges.unplanned import open_unplanned_discharge
        from ui.tasks import SyncTaskRunner

        app = QApplication.instance() or QApplication([])
        ctx = AppContext(book, SyncTaskRunner())
        holder = QWidget()
        holder.show()
        with book._read() as s:
            frozen = set(s.scalars(select(Discharge.resident_id).where(Discharge.state == "frozen")))
        opening: list[float] = []
        for rid in [r for r in current if r not in frozen][:20]:
            def open_it() -> None:
                open_unplanned_discharge(holder, ctx, rid)
                dlg = holder.unplanned_dialog  # type: ignore[attr-defined]
                app.processEvents()
                dlg.confirm_unsaved = lambda _w: None
                dlg.hide()
                dlg.deleteLater()

            opening += timed(open_it)[0]
        print(line("Unplanned-discharge screen opens (reads + shown)", opening, 300))
    finally:
        book.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
