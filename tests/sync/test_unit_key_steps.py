"""The unit key's steps in the vault (keyworker/security/unit_keys.py) and its wraps for a laptop
(keyworker/sync/unit_key.py): up and down between generations, bound to the unit and the direction;
what is reachable; spent steps dropped; and a sync key's wrap never opens as a unit key's."""
from __future__ import annotations

import os
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from keyworker.errors import VaultError
from keyworker.security import unit_keys
from keyworker.sync import rotate, unit_key


def _data(*keys: bytes, unit: str = "u1", file_gen: int = 1) -> dict:
    data: dict = {"unit_id": unit, "slots": [], unit_keys.FIELD: {"gen": file_gen, "steps": []}}
    for gen, (old, new) in enumerate(zip(keys, keys[1:]), start=1):
        unit_keys.add_step(data, unit_keys.make_step(unit, old, gen, new))
    return data


def test_steps_lead_up_and_down_and_only_in_their_own_unit() -> None:
    k1, k2, k3 = (os.urandom(32) for _ in range(3))
    data = _data(k1, k2, k3)
    assert unit_keys.newest_gen(data) == 3 and unit_keys.file_gen(data) == 1
    assert unit_keys.walk(data, "u1", k1, 1, 3) == k3
    assert unit_keys.walk(data, "u1", k3, 3, 1) == k1
    assert unit_keys.walk(data, "u1", k2, 2, 2) == k2
    with pytest.raises(VaultError):
        unit_keys.walk(data, "another unit", k1, 1, 2)
    with pytest.raises(VaultError):
        unit_keys.walk(data, "u1", os.urandom(32), 1, 2)  # not generation 1's key
    with pytest.raises(VaultError, match="does not hold the unit.s database key generation 4"):
        unit_keys.walk(data, "u1", k1, 1, 4)
    # an up entry is not a down entry (the direction is bound in)
    step = data[unit_keys.FIELD]["steps"][0]
    step["down"], step["up"] = step["up"], step["down"]
    with pytest.raises(VaultError):
        unit_keys.walk(data, "u1", k1, 1, 2)
    assert not unit_keys.add_step(_data(k1, k2), unit_keys.make_step("u1", k1, 1, k2))  # once per generation


def test_spent_steps_up_are_dropped_and_slots_then_unreachable_wait() -> None:
    k1, k2 = os.urandom(32), os.urandom(32)
    data = _data(k1, k2, file_gen=2)
    data["slots"] = [{"kind": "account", "username": "a", "gen": 2}, {"kind": "account", "username": "b"}]
    assert [s["username"] for s in unit_keys.behind(data)] == ["b"]
    assert unit_keys.drop_spent_steps(data) == 0  # b's slot still needs the step up
    data["slots"][1]["gen"] = 2
    assert unit_keys.drop_spent_steps(data) == 1
    assert not unit_keys.reachable(data, 1) and unit_keys.reachable(data, 2)
    assert unit_keys.walk(data, "u1", k2, 2, 1) == k1  # the step down stays
    pending = _data(k1, k2, file_gen=1)
    assert unit_keys.reachable(pending, 2) and unit_keys.reachable(pending, 1) and not unit_keys.reachable(pending, 3)


def test_a_sync_key_wrap_is_never_taken_for_a_unit_key_wrap() -> None:
    me = X25519PrivateKey.generate()
    public = me.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    private = me.private_bytes_raw()
    device = str(uuid.uuid4())
    key = os.urandom(32)
    unit_wrap = rotate.wrap_key(public, key, unit_key._aad("hub-unit", "u1", 2, device))
    assert rotate.unwrap_key(private, unit_wrap, unit_key._aad("hub-unit", "u1", 2, device)) == key
    with pytest.raises(ValueError):
        rotate.unwrap_key(private, unit_wrap, rotate._aad("hub-unit", "u1", 2, device))
    sync_wrap = rotate.wrap_key(public, key, rotate._aad("hub-unit", "u1", 2, device))
    with pytest.raises(ValueError):
        rotate.unwrap_key(private, sync_wrap, unit_key._aad("hub-unit", "u1", 2, device))
    for other in (unit_key._aad("hub-unit", "u1", 3, device), unit_key._aad("hub-unit", "u2", 2, device)):
        with pytest.raises(ValueError):
            rotate.unwrap_key(private, unit_wrap, other)


def test_a_step_may_go_over_a_generation_whose_wrap_did_not_open() -> None:
    k1, k3 = os.urandom(32), os.urandom(32)
    data = _data(k1)
    assert unit_keys.add_step(data, unit_keys.make_step("u1", k1, 1, k3, 3))
    assert unit_keys.newest_gen(data) == 3
    assert unit_keys.walk(data, "u1", k1, 1, 3) == k3 and unit_keys.walk(data, "u1", k3, 3, 1) == k1
    assert unit_keys.reachable(data, 3) and not unit_keys.reachable(data, 2)
    with pytest.raises(VaultError, match="generation 2"):
        unit_keys.walk(data, "u1", k1, 1, 2)
    with pytest.raises(ValueError):
        unit_keys.make_step("u1", k3, 3, k1, 2)
