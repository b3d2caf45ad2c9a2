"""Foundation benchmarks (not part of the test run: pytest collects only tests/).

    .venv/bin/python benchmarks/bench_foundation.py [--quick] [--json]

1. cold start of `python main.py --help` (a fresh interpreter each time);
2. cold start to the login window shown (QT_QPA_PLATFORM=offscreen), if ui/login.py exists;
3. unlock with vault.DEFAULT_KDF: Argon2id alone, and Casebook.open as a whole (Argon2id, engine,
   schema check, the audited sign-in);
4. SQLCipher against plain SQLite on the same insert/select micro-suite, as a ratio. "Plain" is the
   same sqlcipher3 library without a key (so only the encryption differs); the stdlib sqlite3
   column is for reference. Both use the app's pragmas (WAL, synchronous=FULL, temp_store=MEMORY).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "Quiet-Harbour-Lamp-42"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWORKER_")}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "d"), XDG_CONFIG_HOME=str(home / "c"),
               KEYWORKER_DEVICE_ID="0196a000-0000-7000-8000-0000000000b1", QT_QPA_PLATFORM="offscreen",
               KEYWORKER_PASSWORD=PASSWORD)
    return env


def _stats(samples: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(samples), 4), "min_s": round(min(samples), 4),
            "max_s": round(max(samples), 4), "runs": len(samples)}


# -- 1. cold start -------------------------------------------------------------------------------
def bench_help(runs: int, home: Path) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--help"], env=_env(home), cwd=ROOT,
                             capture_output=True, timeout=60)
        samples.append(time.perf_counter() - t)
        assert res.returncode == 0, res.stderr
    return _stats(samples)


LOGIN_CHILD = r"""
import sys, time
from pathlib import Path
from ui.app import AppController, make_application
from ui.tasks import TaskRunner
app = make_application()
ctl = AppController(Path(sys.argv[1]), TaskRunner())
ctl.start()
app.processEvents()
w = ctl.window
assert w is not None and w.isVisible() and type(w).__name__ == "LoginWindow", type(w).__name__
print("SHOWN", flush=True)
ctl.tasks.shutdown(wait=True)
"""


def login_window_samples(runs: int, home: Path, db: Path) -> list[float]:
    """Seconds from a fresh interpreter starting to the login window shown, `runs` times (also
    used by `python -m keyworker.bench`). RuntimeError with the child's output if it fails."""
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", LOGIN_CHILD, str(db)], env=_env(home), cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        samples.append(time.perf_counter() - t)
        _, err = proc.communicate(timeout=60)
        if line.strip() != "SHOWN":
            raise RuntimeError((line + err)[-500:])
    return samples


def bench_login_window(runs: int, home: Path, db: Path) -> dict[str, Any]:
    if not (ROOT / "ui" / "login.py").exists():
        return {"missing": "ui/login.py does not exist yet"}
    try:
        return _stats(login_window_samples(runs, home, db))
    except RuntimeError as e:
        return {"error": str(e)}


# -- 3. unlock -----------------------------------------------------------------------------------
def bench_unlock(runs: int, folder: Path) -> dict[str, Any]:
    from keyworker.casebook import Casebook
    from keyworker.security.vault import DEFAULT_KDF, Vault, vault_path_for

    db = folder / "unlock.kwdb"
    book, _ = Casebook.create(db, admin_username="admin", admin_full_name="Ada Admin", password=PASSWORD)
    book.close()
    kdf_only, whole = [], []
    for _ in range(runs):
        vault = Vault.load(vault_path_for(db))
        from keyworker.clock import SystemClock

        t = time.perf_counter()
        vault.unlock("admin", PASSWORD, SystemClock())
        kdf_only.append(time.perf_counter() - t)
        t = time.perf_counter()
        Casebook.open(db, "admin", PASSWORD).close()
        whole.append(time.perf_counter() - t)
    return {"kdf": {"alg": "argon2id", "time_cost": DEFAULT_KDF.time_cost, "memory_kib": DEFAULT_KDF.memory_kib,
                    "parallelism": DEFAULT_KDF.parallelism},
            "vault_unlock": _stats(kdf_only), "casebook_open": _stats(whole), "db": str(db)}


# -- 4. SQLCipher vs SQLite ----------------------------------------------------------------------
SCHEMA = """
CREATE TABLE residents (id TEXT PRIMARY KEY, reference TEXT, given_name TEXT, family_name TEXT,
  search_text TEXT, postcode TEXT, date_of_birth TEXT, notes TEXT, created_at TEXT, archived INTEGER);
CREATE INDEX ix_residents_search ON residents (search_text);
CREATE INDEX ix_residents_reference ON residents (reference);
"""
WORDS = ["amber", "birch", "cedar", "delta", "ember", "fern", "grove", "heath", "iris", "juniper", "kestrel",
         "linden", "maple", "nettle", "oak", "poppy", "quill", "rowan", "sorrel", "thyme", "umber", "violet"]


def _connect(kind: str, path: Path) -> Any:
    if kind == "sqlcipher":
        from keyworker.db.engine import raw_connect

        return raw_connect(path, b"\x42" * 32)
    if kind == "sqlcipher3-unkeyed":
        import sqlcipher3

        conn = sqlcipher3.connect(str(path), isolation_level=None)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None)
    for pragma in ("foreign_keys = ON", "temp_store = MEMORY", "journal_mode = WAL", "synchronous = FULL",
                   "busy_timeout = 10000"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _rows(n: int, seed: int = 1) -> list[tuple]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        g, f = rnd.choice(WORDS).title(), rnd.choice(WORDS).title() + rnd.choice(WORDS)
        out.append((f"{i:08d}-0000-7000-8000-{rnd.getrandbits(48):012x}", f"R{i:06d}", g, f,
                    f"{g} {f} R{i:06d}".lower(), f"PR{rnd.randint(1, 9)} {rnd.randint(1, 9)}AB",
                    f"19{rnd.randint(50, 99)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}",
                    " ".join(rnd.choice(WORDS) for _ in range(30)), "2026-01-05 09:00:00", 0))
    return out


def micro_suite(kind: str, folder: Path, n: int) -> dict[str, float]:
    path = folder / f"{kind}.db"
    for p in folder.glob(f"{kind}.db*"):
        p.unlink()
    rows = _rows(n)
    ids = [r[0] for r in rows]
    rnd = random.Random(2)
    out: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> None:
        t = time.perf_counter()
        fn()
        out[name] = time.perf_counter() - t

    conn = _connect(kind, path)
    conn.executescript(SCHEMA)

    def bulk_insert() -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO residents VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        conn.execute("COMMIT")

    timed(f"insert {n} rows, one transaction", bulk_insert)

    def small_commits() -> None:
        for i in range(300):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE residents SET notes = ? WHERE id = ?", (f"note {i}", ids[i]))
            conn.execute("COMMIT")

    timed("300 single-row commits (fsync each)", small_commits)
    picks = [rnd.choice(ids) for _ in range(20000)]
    timed("20000 selects by primary key", lambda: [conn.execute(
        "SELECT * FROM residents WHERE id = ?", (i,)).fetchone() for i in picks])
    prefixes = [rnd.choice(WORDS)[:3] for _ in range(500)]
    timed("500 prefix searches (index, LIMIT 50)", lambda: [conn.execute(
        "SELECT id, given_name, family_name FROM residents WHERE search_text >= ? AND search_text < ? "
        "ORDER BY search_text LIMIT 50", (p, p + "\uffff")).fetchall() for p in prefixes])
    timed("20 full scans (LIKE %x%)", lambda: [conn.execute(
        "SELECT count(*) FROM residents WHERE search_text LIKE ?", (f"%{w}%",)).fetchone() for w in WORDS[:20]])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()

    def cold_read() -> None:
        c = _connect(kind, path)
        c.execute("SELECT * FROM residents").fetchall()
        c.close()

    timed("open + read every row (fresh connection)", cold_read)
    return out


def bench_cipher(folder: Path, n: int, repeats: int) -> dict[str, Any]:
    results: dict[str, dict[str, list[float]]] = {}
    kinds = ["sqlcipher", "sqlcipher3-unkeyed", "stdlib-sqlite3"]
    for rep in range(repeats):
        # rotate the order, so load from elsewhere on the machine does not always hit the same kind
        for kind in kinds[rep % 3:] + kinds[: rep % 3]:
            for op, secs in micro_suite(kind, folder, n).items():
                results.setdefault(op, {}).setdefault(kind, []).append(secs)
    table = {}
    for op, by_kind in results.items():
        med = {k: statistics.median(v) for k, v in by_kind.items()}
        table[op] = {
            "sqlcipher_s": round(med["sqlcipher"], 4),
            "plain_s": round(med["sqlcipher3-unkeyed"], 4),
            "stdlib_sqlite3_s": round(med["stdlib-sqlite3"], 4),
            "ratio_vs_plain": round(med["sqlcipher"] / med["sqlcipher3-unkeyed"], 2),
            "ratio_vs_stdlib": round(med["sqlcipher"] / med["stdlib-sqlite3"], 2),
        }
    total_c = sum(v["sqlcipher_s"] for v in table.values())
    total_p = sum(v["plain_s"] for v in table.values())
    return {"rows": n, "repeats": repeats, "operations": table, "total_ratio_vs_plain": round(total_c / total_p, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs and rows")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    runs = 3 if args.quick else 7
    n = 5000 if args.quick else 20000
    os.environ.setdefault("KEYWORKER_DEVICE_ID", "0196a000-0000-7000-8000-0000000000b1")
    with tempfile.TemporaryDirectory(prefix="kw-bench-") as d:
        folder = Path(d)
        home = folder / "home"
        home.mkdir()
        report: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
        report["cold_start_help"] = bench_help(runs, home)
        report["unlock"] = unlock = bench_unlock(max(3, runs // 2), folder)
        report["cold_start_login_window"] = bench_login_window(runs, home, Path(unlock.pop("db")))
        report["sqlcipher_vs_sqlite"] = bench_cipher(folder, n, 3 if args.quick else 5)
        shutil.rmtree(home, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"Python {report['python']}, {report['cpus']} CPUs")
    print(f"cold start `main.py --help`: median {report['cold_start_help']['median_s']:.3f} s")
    lw = report["cold_start_login_window"]
    print("cold start to login window: " + (f"median {lw['median_s']:.3f} s" if "median_s" in lw else str(lw)))
    u = report["unlock"]
    print(f"unlock, Argon2id t={u['kdf']['time_cost']} m={u['kdf']['memory_kib'] // 1024} MiB "
          f"p={u['kdf']['parallelism']}: vault {u['vault_unlock']['median_s']:.3f} s, "
          f"whole open + sign-in {u['casebook_open']['median_s']:.3f} s")
    c = report["sqlcipher_vs_sqlite"]
    print(f"SQLCipher vs plain SQLite ({c['rows']} rows, median of {c['repeats']}):")
    for op, r in c["operations"].items():
        print(f"  {op:45s} {r['sqlcipher_s']:8.4f} s vs {r['plain_s']:8.4f} s  = {r['ratio_vs_plain']:.2f}x"
              f"  (stdlib sqlite3 {r['stdlib_sqlite3_s']:.4f} s, {r['ratio_vs_stdlib']:.2f}x)")
    print(f"  total ratio: {c['total_ratio_vs_plain']:.2f}x")


if __name__ == "__main__":
    main()
