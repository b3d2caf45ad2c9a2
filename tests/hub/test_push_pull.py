"""Push and pull through a real hub process: the round trip, paging, replays, two laptops at once,
and the payload bytes kept exactly as sent."""
from __future__ import annotations

import base64
import threading

import psycopg

from tests.hub.servers import HubProcess, Laptop, another_laptop, first_laptop, scalar


def push(laptop: Laptop, ops: list[dict], chain_head: dict | None = None) -> dict:
    with laptop.client() as c:
        r = c.post("/v1/push", json={"ops": ops, "chain_head": chain_head})
    assert r.status_code == 200, r.text
    return r.json()


def pull_all(laptop: Laptop, after: int = 0, limit: int = 500) -> tuple[list[dict], int]:
    ops: list[dict] = []
    with laptop.client() as c:
        while True:
            r = c.get("/v1/pull", params={"after": after, "limit": limit})
            assert r.status_code == 200, r.text
            page = r.json()
            ops += page["ops"]
            if not page["more"]:
                return ops, page["head"]
            after = page["ops"][-1]["unit_seq"]


def test_push_then_pull_round_trip_in_pages(hub: HubProcess) -> None:
    a = first_laptop(hub, "round-trip")
    b = another_laptop(a)
    ops = a.make_ops(25)
    answer = push(a, ops, {"seq": 7, "hash": "ab" * 32})
    assert [x["unit_seq"] for x in answer["acks"]] == list(range(1, 26))
    assert [x["op_id"] for x in answer["acks"]] == [o["op_id"] for o in ops]
    assert answer["head"] == 25 and answer["chain_head"] == {"seq": 7, "hash": "ab" * 32}

    with b.client() as c:
        first = c.get("/v1/pull", params={"after": 0, "limit": 10}).json()
        assert [o["unit_seq"] for o in first["ops"]] == list(range(1, 11))
        assert first["head"] == 25 and first["more"] is True
        last = c.get("/v1/pull", params={"after": 20, "limit": 10}).json()
        assert [o["unit_seq"] for o in last["ops"]] == list(range(21, 26)) and last["more"] is False
    pulled, head = pull_all(b, limit=7)
    assert head == 25 and [o["unit_seq"] for o in pulled] == list(range(1, 26))
    for sent, got in zip(ops, pulled, strict=True):
        assert got["op_id"] == sent["op_id"] and got["device_id"] == a.device_id
        assert got["device_seq"] == sent["device_seq"] and got["entity_id"] == sent["entity_id"]
        assert got["payload"] == sent["payload"]
    with a.client() as c:
        assert c.get("/v1/chain-head").json()["chain_head"]["seq"] == 7
    with b.client() as c:
        assert c.get("/v1/chain-head").json() == {"chain_head": None}


def test_units_see_only_their_own_ops(hub: HubProcess) -> None:
    a = first_laptop(hub, "unit-one")
    other = first_laptop(hub, "unit-two")
    push(a, a.make_ops(3))
    ops, head = pull_all(other)
    assert ops == [] and head == 0


def test_a_replayed_push_stores_nothing_twice_and_answers_the_same_seqs(hub: HubProcess) -> None:
    a = first_laptop(hub, "replay")
    ops = [dict(o, device_id=a.device_id) for o in a.make_ops(10)]  # naming itself is allowed
    first = push(a, ops)
    again = push(a, ops)
    assert again["acks"] == first["acks"] and again["head"] == first["head"] == 10
    # Half old, half new: the old answer their seqs, the new get the next ones.
    more = a.make_ops(5)
    mixed = push(a, ops[5:] + more)
    assert [x["unit_seq"] for x in mixed["acks"]] == list(range(6, 11)) + list(range(11, 16))
    pulled, head = pull_all(a)
    assert head == 15 and len(pulled) == 15 and len({o["op_id"] for o in pulled}) == 15


def test_a_device_seq_reused_for_another_op_is_refused_and_audited(hub: HubProcess) -> None:
    a = first_laptop(hub, "reuse")
    ops = a.make_ops(2)
    push(a, ops)
    forged = dict(a.make_ops(1)[0], device_seq=2)
    with a.client() as c:
        r = c.post("/v1/push", json={"ops": [forged]})
    assert r.status_code == 409 and "already on the hub" in r.json()["error"]
    assert scalar(hub.db.owner_url, "SELECT count(*) FROM hub_audit WHERE action = 'refused.device_seq_reused' "
                  "AND device_id = %s", a.device_id) == 1
    assert scalar(hub.db.owner_url, "SELECT count(*) FROM ops WHERE unit_id = 'reuse'") == 2


def test_two_laptops_pushing_at_once_get_one_gap_free_interleaved_sequence(hub: HubProcess) -> None:
    a = first_laptop(hub, "concurrent")
    b = another_laptop(a)
    batches, per_batch = 15, 8
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(laptop: Laptop) -> None:
        try:
            start.wait()
            for _ in range(batches):
                push(laptop, laptop.make_ops(per_batch))
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(x,)) for x in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    pulled, head = pull_all(a)
    total = 2 * batches * per_batch
    assert head == total and [o["unit_seq"] for o in pulled] == list(range(1, total + 1))
    for laptop in (a, b):
        mine = [o["device_seq"] for o in pulled if o["device_id"] == laptop.device_id]
        assert mine == list(range(1, batches * per_batch + 1))  # each laptop's own order kept
    owners = [o["device_id"] for o in pulled]
    switches = sum(1 for x, y in zip(owners, owners[1:]) if x != y)
    assert switches > 1, "the two laptops' pushes should interleave"


def test_the_hub_keeps_the_payload_bytes_exactly_as_sent(hub: HubProcess) -> None:
    a = first_laptop(hub, "bytes")
    ops = a.make_ops(20, size=3000)
    # Bytes no decoder would accept, and the empty payload.
    odd = [b"\x00\xff\xfe" * 100, bytes(range(256)), b""]
    for op, payload in zip(ops, odd):
        op["payload"] = base64.b64encode(payload).decode()
        a.sent[op["op_id"]] = payload
    push(a, ops)
    with psycopg.connect(hub.db.owner_url) as conn:
        stored: dict[str, bytes] = dict(conn.execute("SELECT op_id::text, payload FROM ops WHERE unit_id = 'bytes'").fetchall())
    assert {k: bytes(v) for k, v in stored.items()} == a.sent


def test_malformed_pushes_get_a_plain_json_error(hub: HubProcess) -> None:
    a = first_laptop(hub, "malformed")
    good = a.make_ops(1)[0]
    with a.client() as c:
        for body, words in (({"ops": "no"}, "ops must be a list"),
                            ({"ops": [dict(good, payload="%%%")]}, "not valid base64"),
                            ({"ops": [dict(good, op_id="x")]}, "not a UUID"),
                            ({"ops": [good], "chain_head": {"seq": 1, "hash": "zz"}}, "chain_head"),
                            ({"ops": [dict(good, kind="insert")]}, "fields the hub does not keep (kind)"),
                            ({"ops": [dict(good, device_id="0196a000-0000-7000-8000-0000000000d1")]},
                             "written by another device")):
            r = c.post("/v1/push", json=body)
            assert r.status_code == 400 and words in r.json()["error"], r.text
        r = c.post("/v1/push", content=b"{not json", headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json() == {"error": "The request body is not JSON"}
        r = c.get("/v1/nowhere")
        assert r.status_code == 404 and r.json() == {"error": "There is no such address on the hub"}
        r = c.get("/v1/push")
        assert r.status_code == 405 and "error" in r.json()
    with hub.client("not-a-token") as c:
        r = c.get("/v1/pull")
        assert r.status_code == 401 and "not known" in r.json()["error"]
        # Signed in before the body is read: a stranger's large push is refused as a stranger.
        r = c.post("/v1/push", content=b"x" * 2_000_000)
        assert r.status_code == 401
    with hub.client() as c:
        r = c.post("/v1/enrol/join", content=b"x" * 100_000)
    assert r.status_code == 413 and "larger than the hub takes" in r.json()["error"]
