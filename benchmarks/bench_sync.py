"""Sync through a real hub (docs/SYNC.md): a PostgreSQL cluster (tests/pg.py), `main.py hub serve`
with a trustme certificate (tests/hub/servers.py), real SQLCipher laptops.

  python benchmarks/bench_sync.py [--residents 2000,20000] [--ops 1000000] [--rss-seconds 20] [--soak]

1. **First sync of a new laptop** onto a unit of N demo residents (`main.py demo --residents N`,
   built once and kept in --cache; or `--unit PATH`): the unit's first laptop bootstraps (uploads
   the unit as a snapshot), an administrator makes a code (a fresh snapshot), and a new laptop
   joins (writes its unit, loads the snapshot, pulls what came after). Target: under 60 s at
   20,000 residents.
2. **Steady state**: 100 changes on one laptop, its sync (push), and another's (pull). Target < 1 s.
3. **Hub pull latency as `ops` grows**: ops generated straight into PostgreSQL for several units,
   then pages of 500 pulled at random places, and an up-to-date pull, at each size.
4. **Hub RSS** while three laptops edit and sync continuously.
5. `--soak`: 3 laptops x 500 random edits with offline periods and the hub down once
   (tests/e2e_sync/soak.py)."""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT  # noqa: E402

DEMO_PW = "Bench-Lantern-Orchard-93"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Env:
    def __init__(self, work: Path) -> None:
        from keyworker.hub.schema import init
        from tests.hub.servers import HubDb, HubProcess, make_certs
        from tests.pg import PostgresCluster, find_bindir

        bindir = find_bindir()
        if bindir is None:
            raise SystemExit("PostgreSQL's initdb was not found (bash .ci/setup --test installs it)")
        self.work = work
        self.pg = PostgresCluster(bindir)
        self.pg.start()
        owner, service = self.pg.create_hub_database("bench")
        init(owner)
        self.certs = make_certs(work)
        self.hub = HubProcess(HubDb(owner, service), self.certs, work / "hub.log", "--device-rate", "1000",
                              "--address-rate", "5000").start()
        from tests.e2e_sync.helpers import pin_of

        self.pin = pin_of(self.certs)

    def close(self) -> None:
        self.hub.stop()
        self.pg.stop()


def demo_unit(cache: Path, n: int) -> Path:
    import os
    import subprocess

    path = cache / f"demo-{n}.kwdb"
    if not path.exists():
        print(f"building the demo unit of {n} residents (once, into {cache}) ...", flush=True)
        t = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", "--residents", str(n), "--db", str(path)],
                       check=True, env={**os.environ, "KEYWORKER_PASSWORD": DEMO_PW}, cwd=ROOT)
        print(f"  built in {time.perf_counter() - t:.1f} s", flush=True)
    return path


def _copy(src: Path, dest: Path) -> Path:
    from keyworker.security.vault import vault_path_for

    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dest)
    shutil.copy(vault_path_for(src), vault_path_for(dest))
    return dest


def first_sync(env: Env, cache: Path, n: int, src: Path | None = None) -> dict[str, object]:
    """Bootstrap (the unit goes up as a snapshot), a code (a fresh snapshot), a new laptop's join
    (loads the snapshot, pulls what came after), each timed; `src` instead of a demo unit."""
    import uuid

    from keyworker.casebook import Casebook
    from keyworker.sync import enrol
    from tests.hub.servers import bootstrap_code, scalar

    src = src or demo_unit(cache, n)
    folder = env.work / f"unit-{n}"
    t = time.perf_counter()
    a_path = _copy(src, folder / "a" / "unit.kwdb")
    print(f"[{n} residents] copied the unit ({a_path.stat().st_size / 2**20:.0f} MB) in "
          f"{time.perf_counter() - t:.1f} s", flush=True)
    devices = {k: str(uuid.uuid4()) for k in "ABC"}
    unit_id = f"demo-{n}"
    a = Casebook.open(a_path, "admin", DEMO_PW, device_id=devices["A"])
    t = time.perf_counter()
    report = enrol.bootstrap(a, env.hub.base_url, bootstrap_code(env.hub.db, unit_id), env.pin, device_name="A")
    boot = time.perf_counter() - t
    snap_mb = scalar(env.hub.db.owner_url, "SELECT bytes FROM snapshots WHERE unit_id = %s", unit_id) / 2**20
    print(f"[{n} residents] bootstrap (snapshot upload, {snap_mb:.0f} MB sealed; {report.pushed} ops): {boot:.1f} s",
          flush=True)
    t = time.perf_counter()
    code = enrol.make_code(a)
    code_s = time.perf_counter() - t
    print(f"[{n} residents] enrolment code (a fresh snapshot first): {code_s:.1f} s", flush=True)
    a.close()
    b_path = folder / "b" / "unit.kwdb"
    marks: list[tuple[float, int, int]] = []
    t = time.perf_counter()
    enrol.join(env.hub.base_url, code.text, b_path, env.pin, device_name="B", device_id=devices["B"],
               progress=lambda d, tot: marks.append((time.perf_counter(), d, tot)))
    join_s = time.perf_counter() - t
    rows = max((tot for _, _, tot in marks), default=0)
    size_mb = b_path.stat().st_size / 2**20
    print(f"[{n} residents] first sync of a new laptop (join: {rows:,} rows from the snapshot): {join_s:.1f} s, "
          f"{rows / max(join_s, 1e-9):,.0f} rows/s; {len(marks)} progress updates; database {size_mb:.0f} MB",
          flush=True)
    return {"n": n, "rows": rows, "bootstrap_s": boot, "code_s": code_s, "join_s": join_s, "snapshot_mb": snap_mb,
            "paths": (a_path, b_path), "devices": devices, "unit_id": unit_id}


def steady(env: Env, unit: dict[str, object], rounds: int = 3) -> None:
    from sqlalchemy import select

    from keyworker.casebook import Casebook
    from keyworker.db.caseload import Resident
    from keyworker.sync.run import sync_once

    a_path, b_path = unit["paths"]  # type: ignore[misc]
    devices: dict[str, str] = unit["devices"]  # type: ignore[assignment]
    a = Casebook.open(a_path, "manager", DEMO_PW, device_id=devices["A"])
    b = Casebook.open(b_path, "manager", DEMO_PW, device_id=devices["B"])
    sync_once(b)
    with a._read() as s:
        ids = list(s.scalars(select(Resident.id).where(Resident.archived.is_(False)).limit(100)))
    push_ms, pull_ms = [], []
    codes = ["PR1 2AB", "PR2 9ZZ", "BB1 1AA", "LA1 1AA"]
    for r in range(rounds):
        for rid in ids:
            a.residents.update(rid, {"postcode": codes[(r + hash(rid)) % 4]})
        t = time.perf_counter()
        rep = sync_once(a)
        push_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        got = sync_once(b)
        pull_ms.append((time.perf_counter() - t) * 1000)
    a.close()
    b.close()
    print(f"steady state, {len(ids)} changes: the editing laptop's sync (push {rep.pushed}) median "
          f"{statistics.median(push_ms):.0f} ms, another laptop's sync (pull {got.pulled}) median "
          f"{statistics.median(pull_ms):.0f} ms (of {rounds})", flush=True)


def pull_latency(env: Env, total_ops: int, units: int = 8, payload_bytes: int = 256) -> None:
    """Ops generated straight into PostgreSQL, spread over `units` units, then timed pulls at each
    size. At --hub-units 50 --ops 52500000 that is 50 units of a 20,000-resident unit's ops."""
    import psycopg

    from tests.hub.servers import first_laptop

    laptops = [first_laptop(env.hub, f"grow-{i}") for i in range(units)]
    steps = sorted({s for s in (0, total_ops // 50, total_ops // 10, total_ops // 2, total_ops) if s >= 0})
    have = 0
    reps = max(1, payload_bytes // 16)
    print(f"hub pull latency as ops grows ({units} units sharing the table; pages of 500, payload "
          f"{reps * 16} B):", flush=True)
    for step in steps:
        add = step - have
        if add > 0:
            t = time.perf_counter()
            per = add // units
            with psycopg.connect(env.hub.db.owner_url, autocommit=True) as conn:
                for lp in laptops:
                    last = conn.execute("SELECT last_seq FROM unit_counters WHERE unit_id = %s",
                                        (lp.unit_id,)).fetchone()[0]  # type: ignore[index]
                    for lo in range(0, per, 1_000_000):  # a million rows per statement
                        n = min(1_000_000, per - lo)
                        conn.execute(
                            "INSERT INTO ops (unit_id, unit_seq, device_id, device_seq, op_id, entity_type, "
                            "entity_id, base_seq, created_at, received_at, payload) "
                            "SELECT %s, %s + g, %s, %s + g, gen_random_uuid(), 'residents', md5(g::text), NULL, "
                            "now(), now(), decode(repeat(md5(g::text), %s), 'hex') "
                            "FROM generate_series(1, %s) g", (lp.unit_id, last + lo, lp.device_id, last + lo, reps, n))
                    conn.execute("UPDATE unit_counters SET last_seq = last_seq + %s WHERE unit_id = %s",
                                 (per, lp.unit_id))
                conn.execute("ANALYZE ops")
                size = conn.execute("SELECT pg_total_relation_size('ops')").fetchone()[0]  # type: ignore[index]
            have = step
            print(f"  (+{add:,} ops generated in {time.perf_counter() - t:.1f} s; ops table and indexes "
                  f"{size / 2**30:.1f} GiB)", flush=True)
        rng = random.Random(step)
        lp = laptops[0]
        head = have // units
        samples, fresh = [], []
        with lp.client() as c:
            c.get("/v1/pull", params={"after": 0, "limit": 1})
            for _ in range(30):
                after = rng.randrange(0, max(1, head - 500))
                t = time.perf_counter()
                r = c.get("/v1/pull", params={"after": after, "limit": 500})
                samples.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200
            for _ in range(30):
                t = time.perf_counter()
                c.get("/v1/pull", params={"after": head, "limit": 500})
                fresh.append((time.perf_counter() - t) * 1000)
        q = sorted(samples)
        print(f"  ops table {have:>9,} rows: page of 500 median {statistics.median(q):.0f} ms, "
              f"p95 {q[int(len(q) * 0.95) - 1]:.0f} ms; up-to-date pull median {statistics.median(fresh):.1f} ms",
              flush=True)


def hub_rss(env: Env, unit: dict[str, object], seconds: float) -> None:
    from sqlalchemy import select

    from keyworker.casebook import Casebook
    from keyworker.db.caseload import Resident
    from keyworker.sync import enrol
    from keyworker.sync.run import sync_once

    a_path, b_path = unit["paths"]  # type: ignore[misc]
    devices: dict[str, str] = unit["devices"]  # type: ignore[assignment]
    admin = Casebook.open(a_path, "admin", DEMO_PW, device_id=devices["A"])
    code = enrol.make_code(admin)
    admin.close()
    c_path = a_path.parent.parent / "c" / "unit.kwdb"
    if not c_path.exists():
        enrol.join(env.hub.base_url, code.text, c_path, env.pin, device_name="C", device_id=devices["C"])
    books = [Casebook.open(p, "manager", DEMO_PW, device_id=devices[k])
             for k, p in (("A", a_path), ("B", b_path), ("C", c_path))]
    assert env.hub.proc is not None
    pid = env.hub.proc.pid
    base = rss_kib(pid)
    stop = threading.Event()
    peak = [base]
    rounds = [0]

    def laptop(book: Casebook, seed: int) -> None:
        rng = random.Random(seed)
        with book._read() as s:
            ids = list(s.scalars(select(Resident.id).limit(500)))
        while not stop.is_set():
            for _ in range(5):
                book.residents.update(rng.choice(ids), {"gp_practice": f"Practice {rng.randrange(50)}"})
            sync_once(book)
            rounds[0] += 1

    threads = [threading.Thread(target=laptop, args=(b, i)) for i, b in enumerate(books)]
    for t in threads:
        t.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        peak[0] = max(peak[0], rss_kib(pid))
        time.sleep(0.25)
    stop.set()
    for t in threads:
        t.join()
    for b in books:
        b.close()
    print(f"hub RSS: {base / 1024:.0f} MiB before, peak {peak[0] / 1024:.0f} MiB while 3 laptops synced "
          f"continuously for {seconds:.0f} s ({rounds[0]} rounds of 5 edits + sync), "
          f"{rss_kib(pid) / 1024:.0f} MiB after", flush=True)


def soak(env: Env, edits_each: int) -> None:
    from keyworker.casebook import Casebook
    from keyworker.clock import FixedClock
    from keyworker.security.vault import FAST_KDF
    from tests.conftest import ADMIN_PW, JOB_TITLES, STAFF, STAFF_PW
    from tests.e2e_sync.helpers import three_laptops
    from tests.e2e_sync.soak import soak as run_soak

    clock = FixedClock(datetime(2026, 1, 5, 9, 0))
    path = env.work / "soak" / "a" / "unit.kwdb"
    book, _ = Casebook.create(path, admin_username="admin", admin_full_name="Ada Admin", password=ADMIN_PW,
                              kdf=FAST_KDF, clock=clock, unit_name="Soak Unit")
    for username, name, role in STAFF:
        book.accounts.create(username, name, role, STAFF_PW, job_title=JOB_TITLES[username])
    book.close()
    unit, books, people = three_laptops(env.hub, env.certs, path, env.work / "soak", clock, people=4)
    try:
        r = run_soak(unit, books, people, clock, edits_each=edits_each)
    finally:
        for b in books.values():
            b.close()
    q = sorted(r.sync_seconds)
    print(f"soak: 3 laptops x {edits_each} edits in {r.seconds:.1f} s: {r.syncs} syncs (median "
          f"{statistics.median(q) * 1000:.0f} ms, p95 {q[int(len(q) * 0.95)] * 1000:.0f} ms, max {q[-1] * 1000:.0f} ms), "
          f"{r.offline_failures} refused while the hub was down, {r.hub_ops} ops on the hub, "
          f"{r.conflicts} open conflicts ({', '.join(sorted(r.kinds))}); all laptops agree, each op once", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--residents", default="2000", help="comma-separated unit sizes for the first sync")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "kw-bench-sync",
                    help="where the demo units are built once and kept")
    ap.add_argument("--ops", type=int, default=1_000_000, help="ops generated into the hub for the latency curve")
    ap.add_argument("--rss-seconds", type=float, default=20.0)
    ap.add_argument("--soak", action="store_true", help="also the bigger soak (3 x 500)")
    ap.add_argument("--soak-only", action="store_true")
    ap.add_argument("--unit", type=Path, help="the first sync from this unit file (password as the demo's), e.g. the "
                    "benchmark suite's cached 20,000-resident unit, instead of a demo of --residents")
    ap.add_argument("--first-sync-only", action="store_true")
    ap.add_argument("--latency-only", action="store_true", help="only the hub pull latency curve")
    ap.add_argument("--hub-units", type=int, default=8, help="units the generated ops are spread over")
    ap.add_argument("--payload-bytes", type=int, default=256, help="size of each generated op's payload")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kw-bench-sync-") as tmp:
        env = Env(Path(tmp))
        try:
            if args.latency_only:
                pull_latency(env, args.ops, args.hub_units, args.payload_bytes)
                return
            if not args.soak_only:
                units = [first_sync(env, args.cache, int(n), args.unit) for n in args.residents.split(",")]
                if args.first_sync_only:
                    return
                steady(env, units[0])
                hub_rss(env, units[0], args.rss_seconds)
                if args.ops:
                    pull_latency(env, args.ops, args.hub_units, args.payload_bytes)
            if args.soak or args.soak_only:
                soak(env, 500)
        finally:
            env.close()


if __name__ == "__main__":
    main()
