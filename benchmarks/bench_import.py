"""Import benchmark (issue 7.15): a large CSV caseload into a fresh unit, measuring

- the importer's peak memory (RSS of its process: flat, because the file is streamed and only
  hashed keys of the residents seen are kept) and wall time;
- meanwhile, a key worker's short writes from another process: a save every 0.5 s, how long the
  slowest one waited and how many failed ("database is locked" before batching).

    .venv/bin/python benchmarks/bench_import.py [--rows 1000000] [--mode all-or-nothing|valid-only]
                                                [--code /path/to/an/older/checkout]

`--code` runs the importer and the probe from another checkout (e.g. the code before this change,
extracted with `git archive`) to compare; the unit is created by that code, at its own schema.

Measured 1 December 2026 (2 shared cores, load ~5; --mode valid-only, FAST_KDF):
  1,000,000 rows: peak RSS 293 MB (98 MB before the import), 1,108 s; 701 saves meanwhile, none failed,
                  median wait 0.64 s, slowest 8.2 s (the full test suite was running too).
  200,000 rows:   peak RSS 158 MB, 145 s; 103 saves, none failed, slowest 1.6 s.
  Before (one transaction, whole file in memory), 200,000 rows: peak RSS 994 MB, 108 s;
                  8 of 46 saves failed with "database is locked"."""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bench-Lantern-Orchard-93"
DISTRICTS = ["Preston", "Burnley", "Chorley", "Wyre", "Lancaster"]

IMPORTER = """
import json, resource, sys, time
from pathlib import Path
from keyworker.casebook import Casebook
from keyworker.security.vault import FAST_KDF
db, csv_path, mode, work = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
book, _ = Casebook.create(db, admin_username="admin", admin_full_name="Ada Admin", password=sys.argv[5], kdf=FAST_KDF)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
(work / "ready").touch()
t = time.perf_counter()
report = book.imports.residents(csv_path, valid_only=(mode == "valid-only"))
seconds = time.perf_counter() - t
(work / "done").touch()
print(json.dumps({"seconds": seconds, "rows": report.rows, "imported": report.imported, "invalid": report.invalid,
                  "rss_before_mb": before, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

PROBE = """
import json, sys, time
from pathlib import Path
from keyworker.casebook import Casebook
from keyworker.errors import KeyworkerError
from keyworker.security.vault import FAST_KDF
db, work = Path(sys.argv[1]), Path(sys.argv[2])
while not (work / "ready").exists():
    time.sleep(0.05)
book, waits, failures, message = None, [], 0, ""
while not (work / "done").exists():
    t = time.perf_counter()
    try:
        if book is None:
            book = Casebook.open(db, "admin", sys.argv[3], kdf=FAST_KDF)  # signing in is a write too
        book.settings.set("idle_lock_minutes", 15 + len(waits) % 2)
        waits.append(time.perf_counter() - t)
    except KeyworkerError as e:
        failures += 1
        message = str(e)
    time.sleep(0.5)
waits.sort()
print(json.dumps({"saves": len(waits), "failed": failures, "error": message,
                  "median_s": waits[len(waits) // 2] if waits else None, "slowest_s": waits[-1] if waits else None}))
"""


def write_csv(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("external_id,given_name,family_name,date_of_birth,sex,postcode,district\r\n")
        for i in range(rows):
            f.write(f"E{i},Given{i},Family{i % 997},{1 + i % 28:02d}/{1 + i % 12:02d}/{1950 + i % 50},"
                    f"{'Prefer not to say' if i % 10 == 0 else 'Female'},PR{1 + i % 9} {i % 10}AB,"
                    f"{DISTRICTS[i % 5]}\r\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--mode", choices=("all-or-nothing", "valid-only"), default="all-or-nothing")
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose keyworker/ to run")
    ap.add_argument("--dir", type=Path, default=None, help="working folder (default: a new temporary one)")
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="kw-bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    for name in ("ready", "done", "unit.kwdb", "unit.kwdb.vault"):
        (work / name).unlink(missing_ok=True)
    csv_path = work / f"caseload-{args.rows}.csv"
    if not csv_path.exists():
        write_csv(csv_path, args.rows)
    print(f"{args.rows:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB, mode {args.mode}, code {args.code}", flush=True)
    env = {**os.environ, "PYTHONPATH": str(args.code)}
    db = work / "unit.kwdb"
    importer = subprocess.Popen([sys.executable, "-c", IMPORTER, str(db), str(csv_path), args.mode, str(work), PASSWORD],
                                cwd=args.code, env=env, stdout=subprocess.PIPE, text=True)
    probe = subprocess.Popen([sys.executable, "-c", PROBE, str(db), str(work), PASSWORD], cwd=args.code, env=env,
                             stdout=subprocess.PIPE, text=True)
    out, _ = importer.communicate()
    if importer.returncode:
        (work / "done").touch()
    result = json.loads(out) if importer.returncode == 0 else {"failed": importer.returncode}
    result["peak_rss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    probe_out, _ = probe.communicate()
    result["short_writes"] = json.loads(probe_out) if probe.returncode == 0 else {"failed": probe.returncode}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
