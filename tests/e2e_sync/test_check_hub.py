"""`check` on an enrolled laptop compares its audit chain with the head the unit hub last saw
(docs/SYNC.md, "Audit-chain heads"): entries removed from the end are found even when whoever
removed them also lowered the vault's marks to match; a hub that cannot be asked is said in words
and is no failure; a laptop that never enrolled is checked as before."""
from __future__ import annotations

from pathlib import Path

import psycopg

from keyworker.clock import FixedClock
from tests.e2e_sync.helpers import bootstrap, open_laptop
from tests.hub.servers import HubProcess


def _hub_head(hub: HubProcess, device_id: str) -> tuple[int, str]:
    with psycopg.connect(hub.db.owner_url) as conn:
        row = conn.execute("SELECT seq, hash FROM chain_heads WHERE device_id = %s", (device_id,)).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def test_a_round_with_nothing_to_push_still_tells_the_hub_the_head(hub, certs, db_path: Path,  # type: ignore[no-untyped-def]
                                                                    clock: FixedClock) -> None:
    from sqlalchemy import text

    from keyworker.sync.run import client_for, sync_once

    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    a.close()
    before, _ = _hub_head(hub, unit.devices["A"])
    a = open_laptop(unit, "A")  # the sign-in is audited, and makes no op
    try:
        with a._read() as s:
            head = s.execute(text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).one()
        assert sync_once(a).pushed == 0
        assert _hub_head(hub, unit.devices["A"]) == (head[0], head[1]) and head[0] > before
        # the same head is not sent again: the next round, with nothing new, makes no push at all
        pushes: list[int] = []
        with client_for(a) as hub_client:
            sent = hub_client.push

            def counted(ops: list, chain_head: tuple[int, str] | None) -> list[tuple[str, int]]:
                pushes.append(len(ops))
                return sent(ops, chain_head)

            hub_client.push = counted  # type: ignore[method-assign]
            sync_once(a, client=hub_client)
        assert pushes == []
    finally:
        a.close()
