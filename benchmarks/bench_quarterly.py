"""Quarterly contract report benchmark (issue 15): `book.reports.quarterly` for the last whole
quarter, then its PDF and its CSV, target < 3 s on the 20,000-resident unit.

    .venv/bin/python benchmarks/bench_quarterly.py [--residents 20000] [--years 5] [--repeat 5] [--profile]

Measured on the benchmark unit (keyworker/bench/unit.py: a demo unit with years of history, built
once and cached; the first build of the 20,000-resident, five-year unit takes about six minutes),
opened from a working copy as its senior. The first call of a fresh process is reported apart:
it reads the quarter's pages from disk through SQLCipher, which the later calls find in the cache."""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_caseload import line  # noqa: E402
from benchmarks.common import print_profile, timed  # noqa: E402
from keyworker.bench.measures import working_copy  # noqa: E402
from keyworker.bench.unit import ensure_unit  # noqa: E402
from keyworker.casebook import Casebook  # noqa: E402
from keyworker.clock import local_today  # noqa: E402
from keyworker.reports.periods import previous_quarter, quarter_of  # noqa: E402
from keyworker.reports.quarterly import quarterly_report_csv  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, default=20000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one warm report")
    args = ap.parse_args()
    unit = ensure_unit(args.residents, args.years,
                       progress=lambda d, t: print(f"\rbuilding the unit {100 * d // t}%", end="", flush=True))
    with tempfile.TemporaryDirectory(prefix="kw-bench-quarterly-") as tmp:
        copy = working_copy(unit, Path(tmp))
        book = Casebook.open(copy.path, unit.senior, unit.password)
        try:
            period = previous_quarter(quarter_of(local_today(book.clock)))
            t0 = time.perf_counter()
            report = book.reports.quarterly(period)
            first = (time.perf_counter() - t0) * 1000
            print(f"\n{'measure (ms)':<46} {'n':>5} {'p50':>9} {'p95':>9} {'max':>9}  {'budget':>6}")
            print(line(f"{period.quarter}: first call of the process", [first], 3000))
            t, report = timed(lambda: book.reports.quarterly(period), args.repeat)
            print(line(f"{period.quarter}: report ({len(report.figures)} figures)", t, 3000), flush=True)
            t, _ = timed(lambda: book.reports.quarterly_pdf(period), args.repeat)
            print(line(f"{period.quarter}: report + PDF", t, 3000), flush=True)
            t, _ = timed(lambda: quarterly_report_csv(book.reports.quarterly(period)), args.repeat)
            print(line(f"{period.quarter}: report + CSV", t, 3000), flush=True)
            if args.profile:
                print_profile(lambda: book.reports.quarterly(period))
        finally:
            book.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
