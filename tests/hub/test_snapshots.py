"""The hub's snapshot store through a real hub process: begin, chunks, complete, latest, and what
it refuses (a seq ahead of the unit, another laptop's upload, a snapshot with a chunk missing,
reading one that is not complete). The bytes come back exactly as sent."""
from __future__ import annotations

import base64
import secrets

from tests.hub.servers import HubProcess, another_laptop, first_laptop, scalar


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_a_snapshot_round_trip_and_the_newest_replaces_the_older(hub: HubProcess) -> None:
    a = first_laptop(hub, "snap-unit")
    b = another_laptop(a, "B")
    with a.client() as c:
        assert c.get("/v1/snapshots/latest").json() == {"snapshot": None}
        sid = c.post("/v1/snapshots", json={"unit_seq": 0}).json()["snapshot_id"]
        parts = [secrets.token_bytes(1000 + i) for i in range(3)]
        for n, data in enumerate(parts):
            assert c.post(f"/v1/snapshots/{sid}/chunks/{n}", json={"data": _b64(data)}).status_code == 200
        # not readable before it is complete
        with b.client() as cb:
            assert cb.get(f"/v1/snapshots/{sid}/chunks/0").status_code == 404
        r = c.post(f"/v1/snapshots/{sid}/complete", json={"chunks": 3})
        assert r.status_code == 200 and r.json() == {"snapshot_id": sid, "unit_seq": 0}
    with b.client() as cb:
        latest = cb.get("/v1/snapshots/latest").json()["snapshot"]
        assert latest["snapshot_id"] == sid and latest["chunks"] == 3 and latest["bytes"] == sum(map(len, parts))
        got = [base64.b64decode(cb.get(f"/v1/snapshots/{sid}/chunks/{n}").json()["data"]) for n in range(3)]
        assert got == parts
        # B makes a newer one: A's goes, chunks and all
        sid2 = cb.post("/v1/snapshots", json={"unit_seq": 0}).json()["snapshot_id"]
        cb.post(f"/v1/snapshots/{sid2}/chunks/0", json={"data": _b64(b"x" * 10)})
        assert cb.post(f"/v1/snapshots/{sid2}/complete", json={"chunks": 1}).status_code == 200
    assert scalar(hub.db.owner_url, "SELECT count(*) FROM snapshots WHERE unit_id = 'snap-unit'") == 1
    assert scalar(hub.db.owner_url, "SELECT count(*) FROM snapshot_chunks WHERE snapshot_id = %s", sid) == 0
    assert scalar(hub.db.owner_url, "SELECT count(*) FROM hub_audit WHERE unit_id = 'snap-unit' "
                                    "AND action = 'snapshot.completed'") == 2


def test_what_the_hub_refuses(hub: HubProcess) -> None:
    a = first_laptop(hub, "snap-refusals")
    b = another_laptop(a, "B")
    other_unit = first_laptop(hub, "snap-elsewhere")
    with a.client() as c:
        r = c.post("/v1/snapshots", json={"unit_seq": 5})  # the unit has no ops yet
        assert r.status_code == 409 and "ahead of the hub" in r.json()["error"]
        assert c.post("/v1/snapshots", json={"unit_seq": -1}).status_code == 400
        sid = c.post("/v1/snapshots", json={"unit_seq": 0}).json()["snapshot_id"]
        c.post(f"/v1/snapshots/{sid}/chunks/0", json={"data": _b64(b"zero")})
        c.post(f"/v1/snapshots/{sid}/chunks/2", json={"data": _b64(b"two")})
        r = c.post(f"/v1/snapshots/{sid}/complete", json={"chunks": 3})
        assert r.status_code == 409 and "2 of its 3 chunks" in r.json()["error"]
        assert c.post(f"/v1/snapshots/{sid}/chunks/1", json={"data": ""}).status_code == 400
        assert c.post(f"/v1/snapshots/{sid}/chunks/x", json={"data": _b64(b"1")}).status_code == 400
    # another laptop of the unit, or of another unit, cannot add to it or finish it
    for stranger in (b, other_unit):
        with stranger.client() as c:
            assert c.post(f"/v1/snapshots/{sid}/chunks/1", json={"data": _b64(b"one")}).status_code == 404
            assert c.post(f"/v1/snapshots/{sid}/complete", json={"chunks": 3}).status_code == 404
    with a.client() as c:
        c.post(f"/v1/snapshots/{sid}/chunks/1", json={"data": _b64(b"one")})
        assert c.post(f"/v1/snapshots/{sid}/complete", json={"chunks": 3}).status_code == 200
        assert c.post(f"/v1/snapshots/{sid}/chunks/3", json={"data": _b64(b"late")}).status_code == 409
    with other_unit.client() as c:  # another unit never sees it
        assert c.get("/v1/snapshots/latest").json() == {"snapshot": None}
        assert c.get(f"/v1/snapshots/{sid}/chunks/0").status_code == 404


def test_a_unit_may_have_only_a_few_uploads_under_way(hub: HubProcess) -> None:
    a = first_laptop(hub, "snap-unfinished")
    with a.client() as c:
        for _ in range(3):
            assert c.post("/v1/snapshots", json={"unit_seq": 0}).status_code == 201
        r = c.post("/v1/snapshots", json={"unit_seq": 0})
        assert r.status_code == 409 and "3 copies of the unit are already being uploaded" in r.json()["error"]


def test_a_snapshot_larger_than_the_hub_takes_is_refused_and_its_last_chunk_not_kept(
        hub: HubProcess, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The size cap, called in this process against the hub's real database as the service role."""
    import uuid
    from datetime import UTC, datetime

    import psycopg
    import pytest

    from keyworker.hub import snapshots
    from keyworker.hub.auth import Device
    from keyworker.hub.errors import Refused

    a = first_laptop(hub, "snap-too-big")
    device = Device(uuid.UUID(a.device_id), a.unit_id, "A")
    monkeypatch.setattr(snapshots, "MAX_SNAPSHOT_BYTES", 2500)
    from tests.hub.servers import SERVICE_PW

    with psycopg.connect(hub.db.service_url, password=SERVICE_PW, autocommit=True) as conn:
        sid = snapshots.begin(conn, device, {"unit_seq": 0}, datetime.now(UTC))["snapshot_id"]
        snapshots.put_chunk(conn, device, sid, "0", {"data": _b64(secrets.token_bytes(2000))})
        with pytest.raises(Refused) as refused:
            snapshots.put_chunk(conn, device, sid, "1", {"data": _b64(secrets.token_bytes(1000))})
        assert refused.value.status == 413 and "larger than the hub takes" in refused.value.message
    assert scalar(hub.db.owner_url, "SELECT count(*) FROM snapshot_chunks WHERE snapshot_id = %s", sid) == 1
    assert scalar(hub.db.owner_url, "SELECT bytes FROM snapshots WHERE snapshot_id = %s", sid) == 2000
