"""A soak small enough for CI (tests/e2e_sync/soak.py), and the sync worker's thread against the
real hub: a round on wake(), backoff while the hub is down, and back when it returns."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from keyworker.clock import FixedClock
from keyworker.db.caseload import Resident
from keyworker.sync.client import HubUnreachable
from keyworker.sync.run import sync_once, sync_status
from keyworker.sync.worker import SyncWorker
from tests.e2e_sync.helpers import three_laptops
from tests.e2e_sync.soak import restart, soak


@pytest.mark.slow
def test_soak_three_laptops_random_edits_offline_periods_and_a_hub_restart(
        hub, certs, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    unit, books, people = three_laptops(hub, certs, db_path, tmp_path, clock, people=3)
    try:
        result = soak(unit, books, people, clock, edits_each=150)
        assert result.edits == 450 and result.hub_ops > 450 and result.offline_failures > 0
        assert "field" in result.kinds and "fork" in result.kinds
        print(f"soak: {result}")
    finally:
        for b in books.values():
            b.close()


def _wait(cond, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_worker_syncs_on_wake_backs_off_while_offline_and_comes_back(
        hub, certs, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    unit, books, people = three_laptops(hub, certs, db_path, tmp_path, clock, people=1)
    a, b = books["A"], books["B"]
    rid = people[0][0]
    worker = SyncWorker(b, interval=3600, base_delay=0.2, max_delay=0.5)
    worker.start()
    try:
        _wait(lambda: worker.rounds >= 1)
        a.residents.update(rid, {"postcode": "LA1 1AA"})
        sync_once(a)
        worker.wake()

        def b_has() -> bool:
            with b._read() as s:
                return s.scalar(select(Resident.postcode).where(Resident.id == rid)) == "LA1 1AA"
        _wait(b_has)
        hub.kill()
        b.residents.update(rid, {"gp_practice": "Fishergate Practice"})
        worker.wake()
        _wait(lambda: worker.failures >= 2)  # tried again, with backoff, without being woken
        assert isinstance(worker.last_error, HubUnreachable)
        assert sync_status(b).offline_since is not None and sync_status(b).pending_ops >= 1
        restart(hub)
        _wait(lambda: worker.failures == 0 and sync_status(b).pending_ops == 0)
        assert sync_status(b).offline_since is None
    finally:
        worker.stop()
        assert not worker.is_alive()
        for bk in books.values():
            bk.close()
