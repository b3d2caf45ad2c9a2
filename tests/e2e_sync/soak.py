"""The soak, shared by tests/e2e_sync/test_soak.py (small, for CI) and benchmarks/bench_sync.py
--soak (bigger): three laptops making random edits through the real services, each syncing at
random and sometimes offline for a while, the hub restarted once in the middle; at the end every
laptop syncs until quiet and all must agree, table by table, with nothing lost or stored twice."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from unittest import mock

import psycopg
from sqlalchemy import func, select, text

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.sync import SyncOp
from keyworker.errors import ValidationError
from keyworker.sync.apply import conflicts, quarantined
from keyworker.sync.client import HubUnreachable
from keyworker.sync.run import sync_once
from tests.e2e_sync.helpers import Unit
from tests.hub.servers import HubProcess
from tests.sync.helpers import digest
from tests.sync.test_apply import _random_edit


@dataclass
class SoakResult:
    edits: int
    syncs: int
    offline_failures: int
    hub_ops: int
    conflicts: int
    kinds: set[str]
    seconds: float
    sync_seconds: list[float] = field(repr=False)


def restart(hub: HubProcess) -> None:
    """Start the hub again on its port (the laptops keep its address)."""
    port = hub.port
    hub.stop()
    with mock.patch("tests.hub.servers.free_port", return_value=port):
        hub.start()


def soak(unit: Unit, books: dict[str, Casebook], people: list[tuple[str, str, str]], clock: FixedClock, *,
         edits_each: int, seed: int = 17) -> SoakResult:
    rng = random.Random(seed)
    names = list(books)
    offline = {n: 0 for n in names}  # rounds left offline
    started = time.monotonic()
    total = edits_each * len(names)
    down_at, up_at = total // 2, total // 2 + max(10, total // 15)  # the hub is down between the two
    syncs = failures = edits = 0
    timings: list[float] = []
    done = {n: 0 for n in names}
    while edits < total:
        name = rng.choice([n for n in names if done[n] < edits_each])
        clock.advance(minutes=3)
        try:
            _random_edit(rng, books[name], people, clock)
        except ValidationError:
            pass  # e.g. a risk assessment "revised" to what it already says
        done[name] += 1
        edits += 1
        if edits == down_at:
            unit.hub.kill()
        elif edits == up_at:
            restart(unit.hub)
        for n in names:
            if offline[n]:
                offline[n] -= 1
                continue
            if rng.random() < 0.05:
                offline[n] = rng.randint(5, 30)  # a laptop out of the building for a while
                continue
            if rng.random() < 0.3:
                t = time.monotonic()
                try:
                    sync_once(books[n])
                except HubUnreachable:
                    failures += 1
                syncs += 1
                timings.append(time.monotonic() - t)
    for _ in range(2):
        for n in names:
            sync_once(books[n])
    digests = {n: digest(b) for n, b in books.items()}
    for table in digests[names[0]]:
        assert len({d[table] for d in digests.values()}) == 1, table
    with psycopg.connect(unit.hub.db.owner_url) as conn:
        n_ops, distinct, last = conn.execute(
            "SELECT count(*), count(DISTINCT op_id), max(unit_seq) FROM ops WHERE unit_id = %s",
            (unit.unit_id,)).fetchone()  # type: ignore[misc]
    assert n_ops == distinct == last
    for b in books.values():
        with b._read() as s:
            # every op after the laptop's snapshot once in its log (the snapshot's ops are rows)
            covered = int(s.scalar(text("SELECT coalesce(max(value), '0') FROM sync_state WHERE key = 'snapshot_seq'")))
            assert s.scalar(select(func.count()).select_from(SyncOp).where(SyncOp.unit_seq > covered)) == n_ops - covered
            assert s.scalar(select(func.count()).select_from(SyncOp).where(SyncOp.unit_seq.is_(None))) == 0
            assert quarantined(s) == []
    with books[names[0]]._read() as s:
        open_conflicts = conflicts(s)
    return SoakResult(edits, syncs, failures, int(n_ops), len(open_conflicts), {c.kind for c in open_conflicts},
                      time.monotonic() - started, timings)


