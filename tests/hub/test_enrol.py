"""Enrolment and revocation through a real hub process: a valid code, an expired, a reused and a
wrong one; the bootstrap code of a unit's first laptop; a removed laptop refused. Time is moved
through `now` (add_unit's, and join's when called directly), never by waiting 15 minutes."""
from __future__ import annotations

import base64
import secrets
import uuid
from datetime import timedelta

import psycopg
import pytest

from keyworker.hub import codes, enrol
from keyworker.hub.auth import REVOKED
from keyworker.hub.errors import Refused
from tests.hub.servers import (HubProcess, another_laptop, bootstrap_code, first_laptop, join, now_utc,
                               scalar, upload_code)


def audited(hub: HubProcess, action: str, **where: str) -> int:
    clause = "".join(f" AND {k} = %s" for k in where)
    return int(scalar(hub.db.owner_url, f"SELECT count(*) FROM hub_audit WHERE action = %s{clause}",
                      action, *where.values()))


def test_a_valid_code_enrols_once_and_hands_over_the_bundle(hub: HubProcess) -> None:
    a = first_laptop(hub, "enrol-valid")
    bundle = secrets.token_bytes(5000)
    code = upload_code(a, bundle)
    own_id = str(uuid.uuid4())  # the laptop's own device id, which its rows are stamped with
    r = join(hub, code, name="Night office", device_id=own_id)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["device_id"] == own_id and body["unit_id"] == "enrol-valid" and body["head"] == 0
    assert base64.b64decode(body["bundle"]) == bundle and len(body["token"]) >= 43
    with hub.client(body["token"]) as c:
        assert c.get("/v1/pull").status_code == 200
        listed = c.get("/v1/devices").json()["devices"]
    assert [d["name"] for d in listed] == ["enrol-valid first", "Night office"]
    assert audited(hub, "device.enrolled", unit_id="enrol-valid") == 2
    token_sha = scalar(hub.db.owner_url, "SELECT token_sha256 FROM devices WHERE device_id = %s", own_id)
    assert bytes(token_sha) != body["token"].encode() and len(bytes(token_sha)) == 32  # only the digest

    again = join(hub, code, name="Someone else")
    assert again.status_code == 409 and again.json() == {
        "error": "This enrolment code has already been used: make a new one on an enrolled laptop"}
    assert audited(hub, "refused.enrol_code_used", unit_id="enrol-valid") == 1


def test_a_wrong_verifier_is_refused_and_audited_and_leaves_the_code_usable(hub: HubProcess) -> None:
    a = first_laptop(hub, "enrol-wrong")
    code = upload_code(a)
    wrong = {"code_name": codes.code_name(code), "verifier": base64.b64encode(secrets.token_bytes(32)).decode(),
             "public_key": base64.b64encode(secrets.token_bytes(32)).decode(), "name": "Guess"}
    with hub.client() as c:
        r = c.post("/v1/enrol/join", json=wrong)
        unknown = c.post("/v1/enrol/join", json=dict(wrong, code_name="ZZZZZZZZ"))
    assert r.status_code == 403 and r.json()["error"] == enrol.WRONG_CODE
    assert unknown.status_code == 403 and unknown.json()["error"] == enrol.WRONG_CODE
    assert audited(hub, "refused.enrol_wrong_verifier", unit_id="enrol-wrong") == 1
    assert audited(hub, "refused.enrol_unknown_code") >= 1
    assert join(hub, code).status_code == 201


def test_an_expired_code_is_refused_with_its_reason(hub: HubProcess) -> None:
    # A bootstrap code made 16 minutes ago (add_unit's `now`): 15 minutes is the limit.
    with psycopg.connect(hub.db.owner_url, autocommit=True) as conn:
        code = enrol.add_unit(conn, "enrol-expired", now_utc() - timedelta(minutes=16))
    r = join(hub, code)
    assert r.status_code == 410 and "expired" in r.json()["error"]
    assert audited(hub, "refused.enrol_code_expired", unit_id="enrol-expired") == 1


def test_a_code_lasts_exactly_fifteen_minutes(hub: HubProcess) -> None:
    made = now_utc()
    with psycopg.connect(hub.db.owner_url, autocommit=True) as conn:
        code = enrol.add_unit(conn, "enrol-clock", made)
        body = {"code_name": codes.code_name(code), "verifier": base64.b64encode(codes.verifier(code)).decode(),
                "public_key": base64.b64encode(bytes(32)).decode(), "name": "Clocked"}
        with pytest.raises(Refused) as refused:
            enrol.join(conn, body, made + timedelta(minutes=15), "127.0.0.1")
        assert refused.value.status == 410
        joined = enrol.join(conn, body, made + timedelta(minutes=14, seconds=59), "127.0.0.1")
    assert joined.unit_id == "enrol-clock" and joined.bundle is None


def test_bootstrap_is_only_for_a_unit_without_laptops(hub: HubProcess) -> None:
    first_laptop(hub, "enrol-boot")
    with pytest.raises(enrol.UnitError, match="already has 1 enrolled laptop"):
        bootstrap_code(hub.db, "enrol-boot")
    with pytest.raises(enrol.UnitError, match="unit id"):
        bootstrap_code(hub.db, "no spaces please")


def test_a_removed_laptop_is_refused_with_the_message(hub: HubProcess) -> None:
    a = first_laptop(hub, "revoke")
    b = another_laptop(a, "Stolen")
    pending = upload_code(b)  # a code the stolen laptop made: it dies with the laptop
    elsewhere = first_laptop(hub, "revoke-other")
    with elsewhere.client() as c:
        r = c.post(f"/v1/devices/{b.device_id}/revoke")
    assert r.status_code == 404  # another unit's laptop cannot remove this one
    with a.client() as c:
        r = c.post(f"/v1/devices/{b.device_id}/revoke")
        assert r.status_code == 200 and r.json()["device_id"] == b.device_id
        assert c.post(f"/v1/devices/{b.device_id}/revoke").json() == r.json()  # once is enough
    with b.client() as c:
        for refused in (c.get("/v1/pull"), c.post("/v1/push", json={"ops": b.make_ops(1)})):
            assert refused.status_code == 401 and refused.json() == {"error": REVOKED}
    assert join(hub, pending).status_code == 410
    assert audited(hub, "device.revoked", device_id=b.device_id) == 1
    assert audited(hub, "refused.revoked", device_id=b.device_id) == 2
    with a.client() as c:
        assert c.get("/v1/pull").status_code == 200
        stolen = [d for d in c.get("/v1/devices").json()["devices"] if d["device_id"] == b.device_id]
    assert stolen[0]["revoked_at"] is not None
