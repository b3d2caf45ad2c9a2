"""What goes wrong, with the real parts: the hub killed in the middle of a push and started again,
a laptop process killed after the hub stored its push and before it recorded the answer, and a
laptop removed from the unit."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from unittest import mock

import psycopg
import pytest
from sqlalchemy import func, select, text

from keyworker.clock import FixedClock
from keyworker.db.sync import SyncOp
from keyworker.sync import enrol
from keyworker.sync.client import HubRefused, HubUnreachable
from keyworker.sync.run import sync_once, sync_status
from tests.e2e_sync.helpers import cli, open_laptop, settle, three_laptops
from tests.hub.servers import HubProcess
from tests.sync.helpers import digest


def hub_ops(hub: HubProcess, unit_id: str) -> tuple[int, int, int]:
    with psycopg.connect(hub.db.owner_url) as conn:
        n, distinct = conn.execute("SELECT count(*), count(DISTINCT op_id) FROM ops WHERE unit_id = %s",
                                   (unit_id,)).fetchone()  # type: ignore[misc]
        last = conn.execute("SELECT last_seq FROM unit_counters WHERE unit_id = %s",
                            (unit_id,)).fetchone()[0]  # type: ignore[index]
    return int(n), int(distinct), int(last)


def unpushed(book, device_id: str) -> int:  # type: ignore[no-untyped-def]
    with book._read() as s:
        return int(s.scalar(select(func.count()).select_from(SyncOp).where(
            SyncOp.device_id == device_id, SyncOp.unit_seq.is_(None))) or 0)


def restart_on_same_port(hub: HubProcess) -> None:
    port = hub.port
    with mock.patch("tests.hub.servers.free_port", return_value=port):
        hub.start()


def _edits(book, people, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        book.residents.update(people[i % len(people)][0], {"gp_practice": f"Practice {i}"})


def _all_equal(books) -> None:  # type: ignore[no-untyped-def]
    digests = {n: digest(b) for n, b in books.items()}
    for table in digests["A"]:
        assert len({d[table] for d in digests.values()}) == 1, table


def test_the_hub_killed_mid_push_and_restarted_loses_nothing_and_stores_nothing_twice(
        hub: HubProcess, pg, certs, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    unit, books, people = three_laptops(hub, certs, db_path, tmp_path, clock)
    a = books["A"]
    try:
        _edits(a, people, 40)
        waiting = unpushed(a, unit.devices["A"])
        assert waiting == 40
        before = hub_ops(hub, unit.unit_id)
        dbname = hub.db.owner_url.rsplit("/", 1)[-1]
        blocker = psycopg.connect(hub.db.owner_url)  # holds A's chain-head row: the push waits inside its transaction
        blocker.execute("SELECT 1 FROM chain_heads WHERE device_id = %s FOR UPDATE", (unit.devices["A"],))
        outcome: list[BaseException] = []

        def push() -> None:
            try:
                sync_once(a)
            except BaseException as e:  # noqa: BLE001
                outcome.append(e)

        t = threading.Thread(target=push)
        t.start()
        deadline = time.monotonic() + 30
        with pg.connect(dbname) as conn:
            while not conn.execute("SELECT 1 FROM pg_stat_activity WHERE usename = 'keyworker_hub' "
                                   "AND wait_event_type = 'Lock'").fetchall():
                assert time.monotonic() < deadline
                time.sleep(0.02)
        hub.kill()
        blocker.rollback()
        blocker.close()
        t.join(30)
        assert len(outcome) == 1 and isinstance(outcome[0], HubUnreachable)
        assert sync_status(a).offline_since is not None and unpushed(a, unit.devices["A"]) == waiting
        time.sleep(0.3)  # PostgreSQL sees the connection drop and rolls the push back
        assert hub_ops(hub, unit.unit_id) == before
        restart_on_same_port(hub)
        report = sync_once(a)
        assert report.pushed == waiting and unpushed(a, unit.devices["A"]) == 0
        assert sync_status(a).offline_since is None and sync_status(a).last_synced_at is not None
        n, distinct, last = hub_ops(hub, unit.unit_id)
        assert n == distinct == last == before[0] + waiting
        settle(books)
        _all_equal(books)
        with books["B"]._read() as s:  # each op after B's snapshot once in B's log
            covered = int(s.scalar(text("SELECT value FROM sync_state WHERE key = 'snapshot_seq'")))
            assert s.scalar(select(func.count()).select_from(SyncOp).where(SyncOp.unit_seq > covered)) == n - covered
    finally:
        for b in books.values():
            b.close()


def test_a_laptop_killed_before_recording_the_acks_pushes_again_without_duplicates(
        hub: HubProcess, certs, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    unit, books, people = three_laptops(hub, certs, db_path, tmp_path, clock)
    try:
        b = books["B"]
        _edits(b, people, 25)
        b.close()
        before = hub_ops(hub, unit.unit_id)
        r = cli(unit, "B", "sync", "now", "--db", str(unit.paths["B"]), user="manager",
                env={"KEYWORKER_TEST_CRASH_AT": "sync_pushed"})
        assert r.returncode == 70, r.stderr  # killed between the hub's answer and storing it
        after_kill = hub_ops(hub, unit.unit_id)
        assert after_kill[0] == before[0] + 25  # the hub has them
        b = books["B"] = open_laptop(unit, "B", "manager")
        assert unpushed(b, unit.devices["B"]) == 25  # the laptop does not know it
        report = sync_once(b)
        assert report.pushed == 25 and unpushed(b, unit.devices["B"]) == 0
        assert hub_ops(hub, unit.unit_id) == after_kill  # answered with the seqs it gave: nothing twice
        settle(books)
        _all_equal(books)
    finally:
        for bk in books.values():
            bk.close()


def test_a_removed_laptop_is_told_so_and_keeps_its_unpushed_changes(
        hub: HubProcess, certs, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    unit, books, people = three_laptops(hub, certs, db_path, tmp_path, clock)
    try:
        admin = open_laptop(unit, "A", "admin")
        enrol.revoke(admin, unit.devices["C"])
        assert {d.device_id: d.revoked_at is not None for d in enrol.laptops(admin)}[unit.devices["C"]]
        admin.close()
        c = books["C"]
        _edits(c, people, 3)
        with pytest.raises(HubRefused, match="This laptop was removed from the unit") as caught:
            sync_once(c)
        assert caught.value.revoked
        assert unpushed(c, unit.devices["C"]) == 3
        st = sync_status(c)
        assert st.last_error == "This laptop was removed from the unit" and st.pending_ops == 3
        r = cli(unit, "C", "sync", "now", "--db", str(unit.paths["C"]), user="manager")
        assert r.returncode == 1 and r.stderr.strip() == "error: This laptop was removed from the unit"
        # the others go on without it
        settle({"A": books["A"], "B": books["B"]})
        assert digest(books["A"]) == digest(books["B"])
    finally:
        for bk in books.values():
            bk.close()
