"""Publishing a new unit (database) key generation through a real hub process (keyworker/hub/keys.py
`publish_unit_key`, migration h0004): exactly the next generation, once; a wrap for every live laptop and
none for a removed one or a stranger; each laptop fetching its own; unused codes expired, and a code whose
bundle holds an older generation refused; kept apart from the sync key epochs; the service role can
neither change nor delete one. The wraps are random bytes here (tests/e2e_sync/test_unit_key.py seals
real ones)."""
from __future__ import annotations

import base64
import secrets

import psycopg
import pytest

from keyworker.hub import codes
from keyworker.hub.auth import REVOKED
from tests.hub.servers import HubProcess, Laptop, another_laptop, first_laptop, join, scalar, upload_code
from tests.hub.test_enrol import audited
from tests.hub.test_schema_roles import service


def _wraps(*laptops: Laptop) -> list[dict[str, str]]:
    return [{"device_id": lp.device_id, "wrapped": base64.b64encode(secrets.token_bytes(92)).decode()}
            for lp in laptops]


def _publish(by: Laptop, generation: int, wraps: list[dict[str, str]]):  # type: ignore[no-untyped-def]
    with by.client() as c:
        return c.post("/v1/unit-keys", json={"generation": generation, "wraps": wraps})


def test_a_generation_is_published_once_for_the_live_laptops_only(hub: HubProcess) -> None:
    a = first_laptop(hub, "ukeys")
    b = another_laptop(a, "Night office")
    c = another_laptop(a, "Lost laptop")
    stranger = first_laptop(hub, "ukeys-other")
    with b.client() as cl:
        assert cl.get("/v1/unit-keys", params={"after": 1}).json() == {"generation": 1, "keys": []}
        assert cl.post(f"/v1/devices/{c.device_id}/revoke").status_code == 200
    r = _publish(a, 3, _wraps(a, b))
    assert r.status_code == 409 and r.json()["error"] == (
        "The unit's database key is at generation 1, so a new key is generation 2, not 3: sync this laptop and "
        "try again")
    r = _publish(a, 2, _wraps(a))
    assert r.status_code == 409 and "has no copy for “Night office”" in r.json()["error"]
    r = _publish(a, 2, _wraps(a, b, c))
    assert r.status_code == 409 and r.json()["error"] == (
        "The new database key is wrapped for “Lost laptop”, which was removed from the unit: nothing was changed")
    r = _publish(a, 2, _wraps(a, b, stranger))
    assert r.status_code == 409 and "not enrolled in this unit" in r.json()["error"]
    for action in ("wrong_generation", "missing_device", "revoked_device", "unknown_device"):
        assert audited(hub, f"refused.unit_key_{action}", unit_id="ukeys") == 1
    assert scalar(hub.db.owner_url, "SELECT count(*) FROM unit_key_wraps WHERE unit_id = 'ukeys'") == 0
    code = upload_code(a)
    wraps = _wraps(a, b)
    r = _publish(a, 2, wraps)
    assert r.status_code == 201 and r.json()["generation"] == 2 and r.json()["codes_expired"] == 1
    assert audited(hub, "unit_key.rotated", unit_id="ukeys") == 1
    late = join(hub, code, name="Too late")  # its bundle held the old key
    assert late.status_code == 410 and "expired" in late.json()["error"]
    for lp, w in ((a, wraps[0]), (b, wraps[1])):
        with lp.client() as cl:
            got = cl.get("/v1/unit-keys", params={"after": 1}).json()
            assert got["generation"] == 2 and [(k["generation"], k["wrapped"]) for k in got["keys"]] == [
                (2, w["wrapped"])]
            # the sync key epochs are another thing: nothing there
            assert cl.get("/v1/keys", params={"after": 1}).json() == {"epoch": 1, "keys": []}
    assert _publish(b, 2, _wraps(a, b)).status_code == 409  # once
    with c.client() as cl:
        r = cl.get("/v1/unit-keys", params={"after": 1})
    assert r.status_code == 401 and r.json()["error"] == REVOKED
    for statement in ("UPDATE unit_key_wraps SET wrapped = '\\x00'", "DELETE FROM unit_key_wraps",
                      "UPDATE unit_key_generations SET generation = 9", "DELETE FROM unit_key_generations"):
        with service(hub.db) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_a_code_whose_bundle_holds_an_older_unit_key_is_refused(hub: HubProcess) -> None:
    a = first_laptop(hub, "ukeys-bundle")
    assert _publish(a, 2, _wraps(a)).status_code == 201

    def upload(**extra: int):  # type: ignore[no-untyped-def]
        code = codes.new_code()
        with a.client() as c:
            return c.post("/v1/enrol/codes", json={"code_name": codes.code_name(code),
                                                   "verifier_sha256": codes.verifier_sha256(code),
                                                   "bundle": base64.b64encode(b"sealed").decode(), **extra})

    old = upload(unit_key_gen=1)
    assert old.status_code == 409 and old.json()["error"] == (
        "The unit's database key was rotated while this code was being made: sync this laptop and make a new code")
    assert audited(hub, "refused.enrol_code_old_unit_key", unit_id="ukeys-bundle") == 1
    assert upload(unit_key_gen=2).status_code == 201
