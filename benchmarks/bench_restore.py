"""Peak memory of backup and restore on a large unit (not part of the test run).

    .venv/bin/python benchmarks/bench_restore.py [--mb 300] [--dir DIR]

Builds a unit padded to about --mb megabytes (random, incompressible rows in a scratch table),
then writes its backup and restores it, each in a fresh process, and prints each process's peak
resident set size (VmHWM) next to the file sizes. Restore streams the backup in 1 MiB chunks, so
its peak should stay near the interpreter's own footprint whatever the backup's size.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bench-Lantern-Orchard-93"

BUILD = r"""
import os, sys
from pathlib import Path
from sqlalchemy import text
from keyworker.casebook import Casebook
from keyworker.security.vault import FAST_KDF
db, mb, pw = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
book, _ = Casebook.create(db, admin_username="admin", admin_full_name="Alex Admin", password=pw, kdf=FAST_KDF)
with book._engine.begin() as c:
    c.execute(text("CREATE TABLE bench_ballast (b BLOB)"))
    for _ in range(mb):
        c.execute(text("INSERT INTO bench_ballast VALUES (:b)"), [{"b": os.urandom(64 * 1024)} for _ in range(16)])
book.close()
print(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
"""

BACKUP = r"""
import sys
from keyworker.casebook import Casebook
from keyworker.security.vault import FAST_KDF
book = Casebook.open(sys.argv[1], "admin", sys.argv[3], kdf=FAST_KDF)
book.backup(sys.argv[2])
book.close()
print(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
"""

RESTORE = r"""
import sys
from pathlib import Path
from keyworker.backup import restore_backup
from keyworker.clock import SystemClock
restore_backup(Path(sys.argv[2]), Path(sys.argv[1]), "admin", sys.argv[3], SystemClock())
print(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
"""

BASELINE = "import keyworker.backup, keyworker.casebook\nprint(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"


def _child(code: str, *args: str) -> tuple[float, int]:
    """Seconds taken and the child's peak RSS in KiB."""
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - t, int(out.stdout.split()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=300, help="approximate size of the unit (default 300)")
    ap.add_argument("--dir", type=Path, default=None, help="working folder (default: a temporary one)")
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="kw-bench-restore-"))
    work.mkdir(parents=True, exist_ok=True)
    db, out = work / "unit.kwdb", work / "unit.kwbackup"
    if not db.exists():
        print(f"building a ~{args.mb} MB unit in {work} ...", flush=True)
        _child(BUILD, str(db), str(args.mb), PASSWORD)
    out.unlink(missing_ok=True)
    _, base = _child(BASELINE)
    secs, backup_peak = _child(BACKUP, str(db), str(out), PASSWORD)
    print(f"unit {db.stat().st_size / 1e6:.0f} MB; interpreter + keyworker alone: peak RSS {base / 1024:.0f} MiB")
    print(f"backup  ({out.stat().st_size / 1e6:.0f} MB file): {secs:.1f} s, peak RSS {backup_peak / 1024:.0f} MiB")
    secs, restore_peak = _child(RESTORE, str(db), str(out), PASSWORD)
    print(f"restore: {secs:.1f} s, peak RSS {restore_peak / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
