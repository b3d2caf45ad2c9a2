"""Publishing a new sync key epoch through a real hub process (keyworker/hub/keys.py): once, by a
live laptop, exactly the next epoch, one wrap for each live laptop and none for a removed or a
stranger; each laptop fetching its own wraps; unused enrolment codes expire with the old keys; the
service role can neither change nor delete a wrap. The wraps here are random bytes: the hub
cannot tell (tests/e2e_sync/test_rotate.py seals real ones)."""
from __future__ import annotations

import base64
import secrets

import httpx
import psycopg
import pytest

from keyworker.hub.auth import REVOKED
from tests.hub.servers import HubProcess, Laptop, another_laptop, first_laptop, join, scalar, upload_code
from tests.hub.test_enrol import audited
from tests.hub.test_schema_roles import service


def _wraps(*laptops: Laptop) -> list[dict[str, str]]:
    return [{"device_id": lp.device_id, "wrapped": base64.b64encode(secrets.token_bytes(92)).decode()}
            for lp in laptops]


def _publish(by: Laptop, epoch: int, wraps: list[dict[str, str]]):  # type: ignore[no-untyped-def]
    with by.client() as c:
        return c.post("/v1/keys", json={"epoch": epoch, "wraps": wraps})


def test_a_new_epoch_is_published_once_and_each_laptop_gets_its_own_wrap(hub: HubProcess) -> None:
    a = first_laptop(hub, "keys-once")
    b = another_laptop(a, "B")
    wraps = _wraps(a, b)
    with b.client() as c:
        assert c.get("/v1/keys", params={"after": 1}).json() == {"epoch": 1, "keys": []}
    r = _publish(a, 2, wraps)
    assert r.status_code == 201, r.text
    assert r.json()["epoch"] == 2 and r.json()["laptops"] == 2
    for lp, w in ((a, wraps[0]), (b, wraps[1])):
        with lp.client() as c:
            got = c.get("/v1/keys", params={"after": 1}).json()
            assert got["epoch"] == 2
            assert [(k["epoch"], k["wrapped"], k["created_by_device"]) for k in got["keys"]] == [
                (2, w["wrapped"], a.device_id)]
            assert c.get("/v1/keys", params={"after": 2}).json()["keys"] == []
    assert audited(hub, "keys.rotated", unit_id="keys-once") == 1
    again = _publish(b, 2, _wraps(a, b))
    assert again.status_code == 409
    assert again.json()["error"] == ("The unit's sync key is at epoch 2, so a new key is epoch 3, not 2: sync this "
                                     "laptop and try again")
    assert audited(hub, "refused.keys_wrong_epoch", unit_id="keys-once") == 1
    # the next one is 3, by any live laptop
    assert _publish(b, 3, _wraps(a, b)).status_code == 201
    with a.client() as c:
        assert [k["epoch"] for k in c.get("/v1/keys", params={"after": 1}).json()["keys"]] == [2, 3]


def test_a_skipped_epoch_a_missing_laptop_a_removed_one_and_a_stranger_are_refused(hub: HubProcess) -> None:
    a = first_laptop(hub, "keys-refused")
    b = another_laptop(a, "Night office")
    c = another_laptop(a, "Lost laptop")
    stranger = first_laptop(hub, "keys-other-unit")
    r = _publish(a, 3, _wraps(a, b, c))
    assert r.status_code == 409 and "is epoch 2, not 3" in r.json()["error"]
    r = _publish(a, 2, _wraps(a, c))
    assert r.status_code == 409 and r.json()["error"] == (
        "The new key has no copy for “Night office” (enrolled meanwhile?): nothing was changed; list the laptops "
        "again and try again")
    r = _publish(a, 2, _wraps(a, b, c, stranger))
    assert r.status_code == 409 and "not enrolled in this unit" in r.json()["error"]
    with a.client() as cl:
        assert cl.post(f"/v1/devices/{c.device_id}/revoke").status_code == 200
    r = _publish(a, 2, _wraps(a, b, c))
    assert r.status_code == 409 and r.json()["error"] == (
        "The new key is wrapped for “Lost laptop”, which was removed from the unit: nothing was changed")
    for action in ("keys_missing_device", "keys_unknown_device", "keys_revoked_device"):
        assert audited(hub, f"refused.{action}", unit_id="keys-refused") == 1
    assert scalar(hub.db.owner_url, "SELECT count(*) FROM key_wraps WHERE unit_id = 'keys-refused'") == 0
    # malformed: 400, in words
    for body, words in (({"epoch": 2, "wraps": []}, "wraps must be a list"),
                        ({"epoch": "2", "wraps": _wraps(a, b)}, "epoch must be a whole number"),
                        ({"epoch": 2, "wraps": _wraps(a, b) + _wraps(a)}, "wrapped twice"),
                        ({"epoch": 2, "wraps": [{"device_id": a.device_id, "wrapped": "AAAA"}]}, "not a wrapped key")):
        with a.client() as cl:
            r = cl.post("/v1/keys", json=body)
        assert r.status_code == 400 and words in r.json()["error"], r.text
    # without the removed laptop it goes through; the removed one gets nothing, ever
    assert _publish(a, 2, _wraps(a, b)).status_code == 201
    with c.client() as cl:
        r = cl.get("/v1/keys", params={"after": 1})
    assert r.status_code == 401 and r.json()["error"] == REVOKED


def test_a_rotation_expires_the_unused_codes_whose_bundles_hold_the_old_keys(hub: HubProcess) -> None:
    a = first_laptop(hub, "keys-codes")
    code = upload_code(a)
    r = _publish(a, 2, _wraps(a))
    assert r.status_code == 201 and r.json()["codes_expired"] == 1
    late = join(hub, code, name="Too late")
    assert late.status_code == 410 and "expired" in late.json()["error"]
    # a code made afterwards works, and its laptop must have a wrap of the next epoch
    b_body = join(hub, upload_code(a), name="New laptop").json()
    b = Laptop(hub, b_body["device_id"], b_body["unit_id"], b_body["token"])
    assert _publish(a, 3, _wraps(a)).status_code == 409
    assert _publish(a, 3, _wraps(a, b)).status_code == 201


def test_the_devices_list_has_each_public_key(hub: HubProcess) -> None:
    a = first_laptop(hub, "keys-public")
    with a.client() as c:
        listed = c.get("/v1/devices").json()["devices"]
    stored = bytes(scalar(hub.db.owner_url, "SELECT public_key FROM devices WHERE device_id = %s", a.device_id))
    assert [base64.b64decode(d["public_key"]) for d in listed] == [stored]


def test_the_service_role_cannot_change_or_delete_a_wrap_or_an_epoch(hub: HubProcess) -> None:
    a = first_laptop(hub, "keys-roles")
    assert _publish(a, 2, _wraps(a)).status_code == 201
    for statement in ("UPDATE key_wraps SET wrapped = '\\x00'", "DELETE FROM key_wraps",
                      "UPDATE key_epochs SET epoch = 9", "DELETE FROM key_epochs"):
        with service(hub.db) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_a_code_whose_bundle_holds_only_older_epochs_is_refused(hub: HubProcess) -> None:
    from keyworker.hub import codes

    a = first_laptop(hub, "keys-bundle")
    assert _publish(a, 2, _wraps(a)).status_code == 201

    def upload(**extra: int) -> httpx.Response:
        code = codes.new_code()
        with a.client() as c:
            return c.post("/v1/enrol/codes", json={"code_name": codes.code_name(code),
                                                   "verifier_sha256": codes.verifier_sha256(code),
                                                   "bundle": base64.b64encode(b"sealed").decode(), **extra})

    old = upload(key_epoch=1)
    assert old.status_code == 409 and old.json()["error"] == (
        "The unit's sync key was rotated while this code was being made: sync this laptop and make a new code")
    assert audited(hub, "refused.enrol_code_old_keys", unit_id="keys-bundle") == 1
    assert upload(key_epoch=2).status_code == 201
    assert upload().status_code == 201  # a laptop that does not say
