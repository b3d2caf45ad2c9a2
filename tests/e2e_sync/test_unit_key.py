"""Rotating the unit (database) key after a laptop is revoked (keyworker/sync/unit_key.py), with a real
hub process and real SQLCipher laptops: B takes the new key at its next sync and re-keys its file at its
next open (the old key no longer opens it, every record is still there); a person signing in re-wraps
their slot and the list of accounts still to sign in shrinks; A and B still sync; a laptop joining
afterwards works; the removed laptop's key cannot open B's file; a re-key stopped at each step (raised,
or the process killed) leaves a unit that opens with all its data and re-keys at the next open; only an
administrator rotates; `main.py sync rotate-unit-key`."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import sqlcipher3
from sqlalchemy import select

from keyworker.clock import FixedClock
from keyworker.db.engine import raw_connect
from keyworker.db.foundation import AuditEntry
from keyworker.errors import PermissionDenied
from keyworker.security.vault import ACCOUNT, vault_path_for
from keyworker.sync import enrol
from keyworker.sync.run import sync_once
from keyworker.sync.unit_key import FAIL_ENV, STEPS, backup_path, newest_key, rotate_unit_key, status
from keyworker.db.outbox import OutboxDestination
from keyworker.outbox.secrets import unseal
from keyworker.returns.pseudonymised import unit_secret
from tests.e2e_sync.helpers import cli, join, open_laptop, three_laptops
from tests.hub.servers import HubProcess
from tests.sync.helpers import digest


TOKEN = "tok-VERY-secret-0123456789abcdef"


def audit_details(book, action: str) -> list[dict]:  # type: ignore[no-untyped-def]
    with book._read() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)).all()
    return [json.loads(r.detail) if r.detail else {} for r in rows]


def opens_with(path: Path, key: bytes) -> bool:
    try:
        raw_connect(path, key).close()
        return True
    except sqlcipher3.DatabaseError:
        return False


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if ".rekey-" in p.name or ".before-rekey-" in p.name)


def test_rotating_the_unit_key_rekeys_each_laptop_at_its_next_open(
        hub: HubProcess, certs, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    unit, books, people = three_laptops(hub, certs, db_path, tmp_path, clock, people=1)
    a, b, c = books["A"], books["B"], books["C"]
    rid = people[0][0]
    old_key, c_key = b._key, c._key
    assert old_key == c_key == a._key  # one unit key on every laptop
    admin = open_laptop(unit, "A", "admin")
    enrol.revoke(admin, unit.devices["C"])
    with pytest.raises(PermissionDenied):
        rotate_unit_key(a)  # a senior, not an administrator
    done = rotate_unit_key(admin)
    assert (done.generation, done.laptops) == (2, 2)
    assert audit_details(admin, "sync.rotate_unit_key") == [{"generation": 2, "laptops": 2, "codes_expired": 0}]
    here = status(admin)
    assert (here.file_generation, here.newest_generation, here.rekey_pending) == (1, 2, True)
    assert admin._key == old_key  # nothing re-keyed under an open unit

    # secrets sealed under (a key derived from) the unit key, in B's database: carried over by the re-key
    b_admin = open_laptop(unit, "B", "admin")
    dest = b_admin.destinations.add("https", "County hub", {"url": "https://hub.example.nhs.uk/letters"}, TOKEN)
    with b_admin._write() as s:
        pseudonym = unit_secret(b_admin, s, create=True)
    b_admin.close()

    sync_once(b)  # B takes the wrap; its file stays as it is while it is open
    assert b._vault.unit_key_gens() == (1, 2) and opens_with(unit.paths["B"], old_key)
    before = digest(b)
    b.close()
    b = books["B"] = open_laptop(unit, "B", "manager")
    new_key = b._key
    assert new_key != old_key and b._vault.unit_key_gens() == (2, 2)
    assert b.unit_key_notice is None
    assert audit_details(b, "unit.rekey") == [{"from": 1, "to": 2}]
    assert digest(b) == before  # every record is still there
    assert not opens_with(unit.paths["B"], old_key)  # the old key (the removed laptop's) no longer opens it
    assert not opens_with(unit.paths["B"], c_key)
    assert opens_with(unit.paths["B"], new_key)
    assert leftovers(unit.paths["B"]) == []
    with b._read() as s:
        stored = s.get(OutboxDestination, dest.id)
        assert stored is not None and unseal(b, dest.id, stored.secret) == TOKEN
        assert unit_secret(b, s, create=False) == pseudonym
    assert b._vault.sync_keys() and b.sync.status().enrolled  # the vault's secrets open with the new key
    # the manager signed in: their slot wraps generation 2 now; the administrator is still to sign in
    assert b._vault.slot_gen(ACCOUNT, "manager") == 2 and b._vault.slot_gen(ACCOUNT, "admin") == 1
    st = status(b)
    to_sign_in = set(status(admin).still_to_sign_in)  # on A every account is still to sign in
    assert set(st.still_to_sign_in) == to_sign_in - {n for n in to_sign_in if n.endswith("(manager)")}
    assert any(n.endswith("(admin)") for n in st.still_to_sign_in)
    assert st.recovery_key_old and not st.rekey_pending

    # A and B still sync (A still under the old key, B under the new): edits both ways, slots too
    a.residents.update(rid, {"gp_practice": "Fishergate Surgery"})
    sync_once(a)
    sync_once(b)
    b.residents.update(rid, {"postcode": "PR1 8BB"})
    sync_once(b)
    sync_once(a)
    sync_once(admin)
    assert digest(a) == digest(b)
    assert a._vault.slot_gen(ACCOUNT, "manager") == 2  # B's re-wrapped slot moved to A
    a.close()
    admin.close()
    admin = open_laptop(unit, "A", "admin")  # A re-keys at its next open; the admin's slot is re-wrapped
    assert admin._key == new_key and admin._vault.unit_key_gens() == (2, 2)
    assert admin._vault.slot_gen(ACCOUNT, "admin") == 2
    assert not opens_with(unit.paths["A"], old_key)
    left = set(status(admin).still_to_sign_in)
    assert left == set(st.still_to_sign_in) - {n for n in st.still_to_sign_in if n.endswith("(admin)")}
    sync_once(admin)
    sync_once(b)
    assert b._vault.slot_gen(ACCOUNT, "admin") == 2
    assert set(status(b).still_to_sign_in) == left

    # a laptop that joins after the rotation gets the new key, and works
    join(unit, admin, "D", tmp_path)
    d = open_laptop(unit, "D", "manager")
    try:
        assert d._key == new_key and d._vault.unit_key_gens() == (2, 2)
        sync_once(d)
        assert digest(d) == digest(admin)
        d.residents.update(rid, {"gp_practice": "Avenham Health Centre"})
        sync_once(d)
        sync_once(b)
        assert digest(b) == digest(d)
    finally:
        d.close()
    # the removed laptop is refused, and its key does not open the file it would need
    assert not opens_with(unit.paths["D"], c_key)
    for book in (admin, b, c):
        book.close()


def test_a_rekey_that_fails_or_is_killed_part_way_leaves_a_unit_that_opens_and_rekeys_next_time(
        hub: HubProcess, certs, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    unit, books, _people = three_laptops(hub, certs, db_path, tmp_path, clock, people=1)
    a, b, c = books["A"], books["B"], books["C"]
    c.close()
    old_key = b._key
    admin = open_laptop(unit, "A", "admin")
    rotate_unit_key(admin)
    # a laptop joining from A, which holds the new key but has not re-keyed (it is open): it gets A's key
    # and the step to the new one, and re-keys at its first sign-in
    join(unit, admin, "D", tmp_path)
    d = open_laptop(unit, "D", "manager")
    assert d._vault.unit_key_gens() == (2, 2)
    assert (d._key, 2) == newest_key(admin) and not opens_with(unit.paths["D"], old_key)
    sync_once(d)
    assert digest(d) == digest(admin)
    d.close()
    sync_once(b)
    before = digest(b)
    b.close()
    path = unit.paths["B"]
    for step in STEPS:
        os.environ[FAIL_ENV] = step
        try:
            b = open_laptop(unit, "B", "manager")
        finally:
            del os.environ[FAIL_ENV]
        assert b._key == old_key and b._vault.unit_key_gens() == (1, 2), step
        assert b.unit_key_notice and "could not re-key its database" in b.unit_key_notice
        assert "Nothing was lost" in b.unit_key_notice
        assert digest(b) == before
        assert audit_details(b, "unit.rekey_failed")[-1]["reason"]
        assert leftovers(path) == [], step
        sync_once(b)  # still a working laptop
        b.close()
    # killed after the copy: the copy is left, the file untouched; killed after the rename, before the
    # vault was written: the next open finds the file under the new key and finishes
    for step in ("rekey_copied", "rekey_renamed"):
        r = cli(unit, "B", "sync", "status", "--db", str(path), user="manager",
                env={"KEYWORKER_TEST_CRASH_AT": step})
        assert r.returncode == 70, (step, r.stdout, r.stderr)
        if step == "rekey_copied":
            copy = backup_path(path, 1)
            assert copy.exists() and stat.S_IMODE(copy.stat().st_mode) == 0o600
            assert opens_with(path, old_key) and opens_with(copy, old_key)
            b = open_laptop(unit, "B", "manager")  # tries again, and this time re-keys
            assert b._vault.unit_key_gens() == (2, 2) and digest(b) == before
            assert leftovers(path) == []
            b.close()
            # a second rotation, to be killed at the other step
            rotate_unit_key(admin)
            b = open_laptop(unit, "B", "manager")
            sync_once(b)
            before = digest(b)
            old_key = b._key
            b.close()
    assert not opens_with(path, old_key)  # renamed under the new key; the vault still says generation 2
    b = open_laptop(unit, "B", "manager")
    assert b._vault.unit_key_gens() == (3, 3) and b._key != old_key
    assert audit_details(b, "unit.rekey")[-1] == {"from": 2, "to": 3, "finished": True}
    assert digest(b) == before and leftovers(path) == []
    sync_once(b)
    b.close()
    assert vault_path_for(path).exists()
    a.close()
    admin.close()


def test_the_command_rotates_and_a_key_worker_is_refused(
        hub: HubProcess, certs, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    unit, books, _people = three_laptops(hub, certs, db_path, tmp_path, clock, people=0)
    for book in books.values():
        book.close()
    worker = open_laptop(unit, "A", "worker")
    try:
        with pytest.raises(PermissionDenied):
            worker.sync.rotate_unit_key()  # a key worker
        with pytest.raises(PermissionDenied):
            worker.sync.unit_key_status()
    finally:
        worker.close()
    r = cli(unit, "A", "sync", "rotate-unit-key", "--db", str(unit.paths["A"]), user="worker")
    assert r.returncode == 1 and "not allowed to manage laptops" in r.stderr and "Traceback" not in r.stderr
    r = cli(unit, "A", "sync", "rotate-unit-key", "--db", str(unit.paths["A"]))
    assert r.returncode == 0, r.stderr
    assert "generation 2, given to 3 laptop(s)" in r.stdout and "re-keys its database the next time" in r.stdout
    b = open_laptop(unit, "B", "manager")
    sync_once(b)
    b.close()
    b = open_laptop(unit, "B", "manager")
    assert b._vault.unit_key_gens() == (2, 2)
    b.close()


def test_a_damaged_wrap_is_said_in_words_and_the_next_rotation_steps_over_it(
        hub: HubProcess, certs, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    unit, books, _people = three_laptops(hub, certs, db_path, tmp_path, clock, people=0)
    a, b, c = books["A"], books["B"], books["C"]
    c.close()
    admin = open_laptop(unit, "A", "admin")
    rotate_unit_key(admin)
    with psycopg.connect(hub.db.owner_url) as conn:  # the hub's copy for B damaged (the owner role can)
        conn.execute("UPDATE unit_key_wraps SET wrapped = overlay(wrapped placing '\\xff'::bytea from 50 for 1) "
                     "WHERE unit_id = %s AND device_id = %s", (unit.unit_id, unit.devices["B"]))
    before = digest(b)
    sync_once(b)  # the round goes on; the key is not taken, and that is said
    assert b._vault.unit_key_gens() == (1, 1)
    assert b.unit_key_notice and "generation 2" in b.unit_key_notice and "does not open here" in b.unit_key_notice
    assert digest(b) == before
    rotate_unit_key(admin)  # generation 3, from the laptop that holds 2
    sync_once(b)
    assert b._vault.unit_key_gens() == (1, 3)
    b.close()
    b = open_laptop(unit, "B", "manager")
    assert b._vault.unit_key_gens() == (3, 3) and (b._key, 3) == newest_key(admin)
    assert digest(b) == before
    for book in (a, b, admin):
        book.close()
