"""The hub process killed (SIGKILL) in the middle of a large push: PostgreSQL keeps all of the
push or none of it, and the laptop's retry stores each op exactly once.

To kill it inside the transaction every time, not by luck, the test holds a lock on the laptop's
chain-head row: the push has locked the counter and copied all its ops when it reaches that row
and waits, uncommitted. Then the hub is killed, and the lock let go."""
from __future__ import annotations

import threading
import time

import httpx
import psycopg

from tests.hub.servers import HubProcess, first_laptop
from tests.pg import PostgresCluster

HEAD = "cd" * 32


def counts(hub: HubProcess, unit: str) -> tuple[int, int, int]:
    with psycopg.connect(hub.db.owner_url) as conn:
        n, distinct = conn.execute("SELECT count(*), count(DISTINCT op_id) FROM ops WHERE unit_id = %s",
                                   (unit,)).fetchone()  # type: ignore[misc]
        last = conn.execute("SELECT last_seq FROM unit_counters WHERE unit_id = %s", (unit,)).fetchone()[0]  # type: ignore[index]
    return n, distinct, last


def wait_for(query: str, args: tuple, pg: PostgresCluster, db: str, want: bool, timeout: float = 30) -> list:
    deadline = time.monotonic() + timeout
    with pg.connect(db) as conn:
        while True:
            rows = conn.execute(query, args).fetchall()
            if bool(rows) == want:
                return rows
            assert time.monotonic() < deadline, f"timed out waiting for {query}"
            time.sleep(0.02)


def test_a_hub_killed_mid_push_keeps_none_of_it_and_the_retry_stores_each_op_once(
        hub: HubProcess, pg: PostgresCluster) -> None:
    a = first_laptop(hub, "killed")
    with a.client() as c:
        assert c.post("/v1/push", json={"ops": a.make_ops(1), "chain_head": {"seq": 1, "hash": HEAD}}).status_code == 200
    big = a.make_ops(2000, size=2048)
    db = hub.db.owner_url.rsplit("/", 1)[-1]

    blocker = psycopg.connect(hub.db.owner_url)  # a transaction left open on purpose
    blocker.execute("SELECT 1 FROM chain_heads WHERE device_id = %s FOR UPDATE", (a.device_id,))
    outcome: list[object] = []

    def send() -> None:
        try:
            with a.client() as c:
                outcome.append(c.post("/v1/push", json={"ops": big, "chain_head": {"seq": 2, "hash": HEAD}}))
        except httpx.TransportError as e:
            outcome.append(e)

    pusher = threading.Thread(target=send)
    pusher.start()
    waiting = wait_for("SELECT pid FROM pg_stat_activity WHERE usename = 'keyworker_hub' AND wait_event_type = 'Lock'",
                       (), pg, db, want=True)
    hub.kill()
    blocker.rollback()
    blocker.close()
    pusher.join(timeout=30)
    assert isinstance(outcome[0], httpx.TransportError)  # the laptop never got an answer
    wait_for("SELECT pid FROM pg_stat_activity WHERE pid = %s", (waiting[0][0],), pg, db, want=False)
    assert counts(hub, "killed") == (1, 1, 1)  # none of the 2000: the counter did not move either

    hub.start()
    with a.client() as c:
        first = c.post("/v1/push", json={"ops": big, "chain_head": {"seq": 2, "hash": HEAD}})
        again = c.post("/v1/push", json={"ops": big, "chain_head": {"seq": 2, "hash": HEAD}})
    assert first.status_code == again.status_code == 200
    assert [x["unit_seq"] for x in first.json()["acks"]] == list(range(2, 2002))
    assert again.json()["acks"] == first.json()["acks"]
    assert counts(hub, "killed") == (2001, 2001, 2001)
