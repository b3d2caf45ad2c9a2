"""Rotating the unit's sync key after a laptop is revoked (keyworker/sync/rotate.py), with a real hub
process and real SQLCipher laptops: the others take the new epoch at their next sync and exchange
edits sealed with it; the removed laptop is refused and its keys (epoch 1) do not open an epoch-2
payload; a laptop that joins afterwards gets both epochs and a code made before is expired; only an
administrator rotates; a damaged wrap is said in words; `main.py sync rotate-key`."""
from __future__ import annotations

import json
import secrets
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select

from keyworker.clock import FixedClock
from keyworker.db.foundation import AuditEntry
from keyworker.errors import PermissionDenied
from keyworker.sync import enrol, keys
from keyworker.sync.client import HubRefused
from keyworker.sync.keys import Keyring, PayloadUnreadable, epoch_of
from keyworker.sync.rotate import SyncKeyUnreadable, rotate_sync_key
from keyworker.sync.run import client_for, pull_all, sync_once, sync_status
from tests.e2e_sync.helpers import bootstrap, cli, join, open_laptop, three_laptops
from tests.hub.servers import HubProcess
from tests.sync.helpers import digest


def hub_payloads(hub: HubProcess, unit_id: str, after: int = 0) -> list[tuple[int, str, str, str, str, bytes]]:
    """(unit_seq, device_id, op_id, entity_type, entity_id, payload) as the hub stores them."""
    with psycopg.connect(hub.db.owner_url) as conn:
        rows = conn.execute("SELECT unit_seq, device_id, op_id, entity_type, entity_id, payload FROM ops "
                            "WHERE unit_id = %s AND unit_seq > %s ORDER BY unit_seq", (unit_id, after)).fetchall()
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), bytes(r[5])) for r in rows]


def head(hub: HubProcess, unit_id: str) -> int:
    with psycopg.connect(hub.db.owner_url) as conn:
        return int(conn.execute("SELECT last_seq FROM unit_counters WHERE unit_id = %s",
                                (unit_id,)).fetchone()[0])  # type: ignore[index]


def last_audit(book, action: str) -> dict:  # type: ignore[no-untyped-def]
    with book._read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None, action
    return json.loads(entry.detail)


def test_rotating_after_a_revocation_leaves_the_removed_laptop_unable_to_open_what_follows(
        hub: HubProcess, certs, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    unit, books, people = three_laptops(hub, certs, db_path, tmp_path, clock, people=1)
    a, b, c = books["A"], books["B"], books["C"]
    rid = people[0][0]
    admin = open_laptop(unit, "A", "admin")
    try:
        enrol.revoke(admin, unit.devices["C"])
        done = rotate_sync_key(admin)
        assert (done.epoch, done.laptops) == (2, 2)
        assert keys.highest_epoch(admin._vault) == 2 and admin._sync_keyring().current == 2
        assert last_audit(admin, "sync.rotate_key") == {"epoch": 2, "laptops": 2, "codes_expired": 0}
        before = head(hub, unit.unit_id)

        # A's other book on the same file takes the epoch from its vault (or the hub) at its next sync
        sync_once(a)
        assert a._sync_keyring().current == 2
        a.residents.update(rid, {"gp_practice": "Fishergate Surgery"})
        sync_once(a)
        # B meets an epoch-2 op before its round took the key: the page's epoch makes it fetch the key first
        with client_for(b) as h:
            applied, held = pull_all(b, h)
        assert held == 0 and applied >= 1 and keys.highest_epoch(b._vault) == 2
        sync_once(b)
        assert b._sync_keyring().current == 2
        b.residents.update(rid, {"postcode": "PR1 8BB"})
        sync_once(b)
        sync_once(a)
        assert digest(a) == digest(b)
        after = hub_payloads(hub, unit.unit_id, before)
        from_a = [p for p in after if p[1] == unit.devices["A"]]
        from_b = [p for p in after if p[1] == unit.devices["B"]]
        assert from_a and from_b
        assert {epoch_of(p[5]) for p in after} == {2}

        # the removed laptop: refused, never given epoch 2, and its epoch-1 key does not open epoch 2
        with pytest.raises(HubRefused, match="This laptop was removed from the unit"):
            sync_once(c)
        ring = c._sync_keyring()
        assert sorted(ring.keys) == [1] and keys.highest_epoch(c._vault) == 1
        _, _, op_id, etype, eid, sealed = from_b[-1]
        with pytest.raises(PayloadUnreadable, match="no sync key of epoch 2"):
            ring.open(None, op_id, etype, eid, sealed)
        with pytest.raises(PayloadUnreadable, match="does not open"):
            Keyring({2: ring.keys[1]}).open(None, op_id, etype, eid, sealed)  # the old key, as if it were epoch 2
        assert b._sync_keyring().open(None, op_id, etype, eid, sealed)  # while the laptops enrolled open it

        # a second rotation from B, which has synced: epoch 3
        b_admin = open_laptop(unit, "B", "admin")
        try:
            assert rotate_sync_key(b_admin).epoch == 3
        finally:
            b_admin.close()
        sync_once(a)
        assert a._sync_keyring().current == 3
    finally:
        admin.close()
        for bk in books.values():
            bk.close()


def test_a_laptop_joining_after_a_rotation_gets_both_epochs_and_an_older_code_is_expired(
        hub: HubProcess, certs, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    try:
        old_code = enrol.make_code(a)
        a.close()
        r = cli(unit, "A", "sync", "rotate-key", "--db", str(unit.paths["A"]), user="worker")
        assert r.returncode == 1 and r.stderr.strip().splitlines() == [
            "error: Your role (key worker) is not allowed to manage laptops."]
        r = cli(unit, "A", "sync", "rotate-key", "--db", str(unit.paths["A"]))
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("The unit's sync key is now epoch 2, given to 1 laptop(s)")
        assert "1 unused enrolment code(s) expired" in r.stdout
        a = open_laptop(unit, "A")
        with pytest.raises(HubRefused, match="This enrolment code has expired"):
            enrol.join(unit.url, old_code.text, tmp_path / "late" / "unit.kwdb", unit.pin, device_name="Late",
                       device_id=unit.devices["C"], clock=clock)
        join(unit, a, "D", tmp_path)
        d = open_laptop(unit, "D")
        try:
            assert sorted(d._sync_keyring().keys) == [1, 2]
            assert d._sync_keyring().keys == a._sync_keyring().keys
            from tests.sync.test_apply import _resident_with_plan

            m = open_laptop(unit, "A", "manager")
            try:
                _resident_with_plan(m, "Ash", "Kerr")
                sync_once(m)
            finally:
                m.close()
            sync_once(d)
            assert digest(a) == digest(d)
            payloads = hub_payloads(hub, unit.unit_id)
            assert {epoch_of(p[5]) for p in payloads} == {1, 2}  # the unit's first push, then after the rotation
            st = sync_status(d)
            assert st.quarantined == 0 and st.last_error is None
        finally:
            d.close()
    finally:
        a.close()


def test_a_damaged_wrap_is_said_in_words_and_nothing_more_is_synced(
        hub: HubProcess, certs, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    from keyworker.sync.rotate import wrap_key, _aad, _device  # noqa: PLC2701 - a wrap made by hand

    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    join(unit, a, "B", tmp_path)
    b = open_laptop(unit, "B")
    try:
        worker = open_laptop(unit, "A", "worker")
        with pytest.raises(PermissionDenied):
            rotate_sync_key(worker)
        worker.close()
        # epoch 2 published by hand: A's wrap is right, B's is 92 bytes of noise
        with client_for(a) as h:
            mine = next(lp for lp in h.devices() if lp.device_id == unit.devices["A"])
            key = secrets.token_bytes(32)
            good = wrap_key(mine.public_key, key, _aad(unit.unit_id, a._vault.unit_id, 2, _device(unit.devices["A"])))
            h.publish_keys(2, {unit.devices["A"]: good, unit.devices["B"]: secrets.token_bytes(92)})
        sync_once(a)
        assert a._sync_keyring().keys[2] == key
        with pytest.raises(SyncKeyUnreadable, match=r"^The unit's new sync key \(epoch 2\) that the hub holds for this "
                                                    "laptop does not open here"):
            sync_once(b)
        assert keys.highest_epoch(b._vault) == 1
        st = sync_status(b)
        assert st.last_error is not None and "does not open here" in st.last_error and st.quarantined == 0
        r = cli(unit, "B", "sync", "now", "--db", str(unit.paths["B"]))
        assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and "does not open here" in r.stderr
        # an administrator rotates again from A: B takes epoch 3 and syncs again
        assert rotate_sync_key(a).epoch == 3
        sync_once(b)
        assert sorted(b._sync_keyring().keys) == [1, 3] and sync_status(b).last_error is None
        assert b._sync_keyring().keys[3] == a._sync_keyring().keys[3]
    finally:
        a.close()
        b.close()
