"""Risk assessment benchmark on a 20,000-resident demo unit:

- opening the Risk tab: `book.risk.current(admission_id)` + `book.risk.history(admission_id)` (< 100 ms)
- Today's "risk reviews overdue": `book.risk.overdue("unit")` and `("mine")`
- `check`'s `risk_reviews_overdue` count
- UI, offscreen: the Risk tab widget opened with data (read, laid out and painted; < 100 ms), and a
  caseload search keystroke through the page's model with the Risk column, every visible cell
  formatted as the view paints it (< 30 ms)

    .venv/bin/python benchmarks/bench_risk.py [--db /tmp/kw-bench/demo20k.kwdb] [--residents 20000]

The database is built once with `python main.py demo --residents N --db PATH` and reused (build it
again after the risk demo exists: an older unit has no assessments)."""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_caseload import TYPED, line  # noqa: E402
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
        print(line("UI: Risk tab opened and painted", ui_risk_tab(book, picks), 100))
        print(line("UI: caseload keystroke with the Risk column", ui_keystrokes(book), 30))
    finally:
        book.close()
    return 0


def _app() -> object:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


def ui_risk_tab(book: Casebook, admission_ids: list[str]) -> list[float]:
    """The Risk tab as a record window makes it: one audited read, the assessment laid out, painted."""
    _app()
    from sqlalchemy import select

    from keyworker.db.caseload import Admission
    from ui.context import AppContext
    from ui.risk.tab import RiskTab
    from ui.tasks import SyncTaskRunner

    with book._read() as s:
        residents = [s.scalar(select(Admission.resident_id).where(Admission.id == a)) for a in admission_ids]
    ctx = AppContext(book, SyncTaskRunner())
    out: list[float] = []
    for rid in residents:
        t = time.perf_counter()
        tab = RiskTab(ctx, str(rid))
        tab.resize(1000, 560)
        tab.show()
        tab.repaint()
        out.append((time.perf_counter() - t) * 1000)
        assert tab.state is not None and tab.state.view is not None
        tab.close()
        tab.deleteLater()
    return out


def ui_keystrokes(book: Casebook) -> list[float]:
    """Each prefix of each typed text through the caseload model (ids, first batch of rows), then
    every cell of the rows a 1024×768 window shows formatted, Risk column included."""
    _app()
    from PySide6.QtCore import Qt

    from ui.caseload.model import COLUMNS, CaseloadModel
    from ui.context import AppContext
    from ui.tasks import SyncTaskRunner

    model = CaseloadModel(AppContext(book, SyncTaskRunner()))
    out: list[float] = []
    for word in TYPED:
        for i in range(1, len(word) + 1):
            flt = model.filter.with_(text=word[:i])

            def one() -> None:
                model.set_filter(flt)
                for r in range(min(20, model.rowCount())):
                    for c in range(len(COLUMNS)):
                        model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole)

            t, _ = timed(one, repeat=3)  # the median of three, as bench_caseload's keystrokes
            out.append(statistics.median(t))
    return out


if __name__ == "__main__":
    raise SystemExit(main())
