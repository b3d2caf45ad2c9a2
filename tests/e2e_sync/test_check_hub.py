"""`check` on an enrolled laptop compares its audit chain with the head the unit hub last saw
(docs/SYNC.md, "Audit-chain heads"): entries removed from the end are found even when whoever
removed them also lowered the vault's marks to match; a hub that cannot be asked is said in words
and is no failure; a laptop that never enrolled is checked as before."""
from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import psycopg

from keyworker.casebook import Casebook
from keyworker.cli.check_text import check_lines
from keyworker.clock import FixedClock
from keyworker.db.engine import raw_connect
from keyworker.security.audit_anchor import EXPECTED_TRIGGERS
from keyworker.security.vault import FAST_KDF, vault_path_for
from keyworker.sync import enrol
from tests.conftest import ADMIN_PW
from tests.e2e_sync.helpers import Unit, bootstrap, cli, join, open_laptop
from tests.hub.servers import HubProcess


def _hub_head(hub: HubProcess, device_id: str) -> tuple[int, str]:
    with psycopg.connect(hub.db.owner_url) as conn:
        row = conn.execute("SELECT seq, hash FROM chain_heads WHERE device_id = %s", (device_id,)).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def _check(unit: Unit, name: str) -> dict:
    book = open_laptop(unit, name)
    try:
        return book.check()
    finally:
        book.close()


def _key(unit: Unit, name: str) -> bytes:
    book = open_laptop(unit, name)
    try:
        return book._key
    finally:
        book.close()


def _cut_back(path: Path, key: bytes, keep: int, *, lower_marks: bool) -> None:
    """An insider with the key: drop the guards, delete every entry after `keep`, put the
    triggers back exactly as they were, and (`lower_marks`) lower the vault's high-water mark and
    verified mark to the new last entry, so this laptop's own anchors see nothing wrong."""
    conn = raw_connect(path, key)
    try:
        for name in EXPECTED_TRIGGERS:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DELETE FROM audit_log WHERE seq > ?", (keep,))
        for sql in EXPECTED_TRIGGERS.values():
            conn.execute(sql)
        seq, hash_ = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    if lower_marks:
        vault_file = vault_path_for(path)
        vault = json.loads(vault_file.read_text())
        vault["audit_chain"].update(seq=seq, hash=hash_)
        vault["audit_verified"] = {"seq": seq, "hash": hash_}
        vault_file.write_text(json.dumps(vault))


def test_a_synced_laptop_matches_what_the_hub_last_saw(hub, certs, db_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    a.close()
    seen, _ = _hub_head(hub, unit.devices["A"])
    report = _check(unit, "A")
    assert report["ok"] is True
    held = report["audit_chain"]["hub"]
    assert held["compared"] is True and held["ok"] is True and held["seq"] == seen and held["problem"] is None
    line = next(x for x in check_lines(report) if "unit hub" in x)
    assert line.startswith(f"Against the unit hub: the audit trail matches what the hub last saw (entry {seen:,}, seen ")
    assert check_lines(report)[-1] == "OK"
    # the check's audit entry says what the comparison found
    assert _last_check_words(unit) == "All well; the audit trail matches the unit hub's"


def _last_check_words(unit: Unit) -> str:
    from keyworker.audit_words import describe

    book = open_laptop(unit, "A")
    try:
        with book._read() as s:
            from sqlalchemy import text

            raw = s.execute(text("SELECT detail FROM audit_log WHERE action = 'check' ORDER BY seq DESC LIMIT 1")).scalar()
    finally:
        book.close()
    return describe("check", json.loads(raw) if isinstance(raw, str) else raw).details


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


def test_entries_removed_from_the_end_are_found_by_the_hub_though_the_vault_was_lowered(  # type: ignore[no-untyped-def]
        hub, certs, db_path: Path, clock: FixedClock) -> None:
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    a.close()
    seen, _ = _hub_head(hub, unit.devices["A"])
    _cut_back(db_path, _key(unit, "A"), seen - 10, lower_marks=True)
    r = cli(unit, "A", "check", "--no-integrity", "--db", str(db_path))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    # the check's own sign-in took entry seen - 9
    assert (f"Against the unit hub: DIFFERS: entries were removed from the end of the audit trail: the unit hub "
            f"last saw entry {seen:,} (seen ") in r.stdout
    assert f"this laptop's trail ends at entry {seen - 9:,}" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == "PROBLEMS FOUND"
    r = cli(unit, "A", "check", "--json", "--no-integrity", "--db", str(db_path))
    assert r.returncode == 1
    trail = json.loads(r.stdout)["audit_chain"]
    # the vault's marks were lowered with the trail: only the hub's head shows what went
    assert trail["problems"] == [trail["hub"]["problem"]]
    assert trail["hub"]["compared"] is True and trail["hub"]["ok"] is False and trail["hub"]["seq"] == seen
    assert trail["first_broken_seq"] > seen - 9


def test_a_trail_cut_back_and_written_again_past_the_hubs_entry_differs(  # type: ignore[no-untyped-def]
        hub, certs, db_path: Path, clock: FixedClock) -> None:
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    a.close()
    seen, _ = _hub_head(hub, unit.devices["A"])
    key = _key(unit, "A")
    _cut_back(db_path, key, seen - 1, lower_marks=True)
    report = _check(unit, "A")  # its sign-in writes a new entry where the hub's was
    held = report["audit_chain"]["hub"]
    assert report["ok"] is False and held["ok"] is False
    assert held["problem"].startswith(f"entry {seen:,} is not the one the unit hub saw (seen ")
    assert report["audit_chain"]["first_broken_seq"] == seen
    assert f"Against the unit hub: DIFFERS: entry {seen:,} is not the one" in "\n".join(check_lines(report))
    assert _last_check_words(unit) == "Problems found; the audit trail differs from the unit hub's"


def test_the_vault_kept_too_both_say_so(hub, certs, db_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    a.close()
    seen, _ = _hub_head(hub, unit.devices["A"])
    _cut_back(db_path, _key(unit, "A"), seen - 10, lower_marks=False)
    trail = _check(unit, "A")["audit_chain"]
    assert trail["ok"] is False and len(trail["problems"]) == 2
    assert "missing from the end" in trail["problems"][0] and trail["problems"][1] == trail["hub"]["problem"]
    lines = check_lines({"ok": False, "audit_chain": trail})
    assert sum("entries were removed from the end" in x for x in lines) == 1  # said once, on the hub's line


def _restart_on_same_port(hub: HubProcess) -> None:
    port = hub.port
    with mock.patch("tests.hub.servers.free_port", return_value=port):
        hub.start()


def test_a_hub_that_is_down_is_not_compared_and_check_passes(hub, certs, db_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    a.close()
    hub.stop()
    try:
        report = _check(unit, "A")
    finally:
        _restart_on_same_port(hub)
    assert report["ok"] is True
    held = report["audit_chain"]["hub"]
    assert held["compared"] is False and held["ok"] is None and held["problem"] is None
    assert held["reason"] == "the unit hub could not be reached (this laptop may be offline, or the hub down)"
    assert ("Against the unit hub: not compared: the unit hub could not be reached (this laptop may be offline, "
            "or the hub down); checked by this laptop's own anchors only") in check_lines(report)
    assert check_lines(report)[-1] == "OK"
    assert _last_check_words(unit) == "All well; not compared with the unit hub"


def test_a_removed_laptop_is_not_compared_and_says_why(hub, certs, db_path: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                      clock: FixedClock) -> None:
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    join(unit, a, "B", tmp_path)
    # a joined laptop's trail begins with its joining, and passes (it is anchored from then on)
    report = _check(unit, "B")
    assert report["ok"] is True, report["audit_chain"]["problems"]
    assert report["audit_chain"]["anchored_seq"] is not None
    assert report["audit_chain"]["hub"]["ok"] is True  # its first sync told the hub its head
    enrol.revoke(a, unit.devices["B"])
    a.close()
    r = cli(unit, "B", "check", "--no-integrity", "--db", str(unit.paths["B"]))
    assert r.returncode == 0, r.stdout + r.stderr
    assert ("Against the unit hub: not compared: the unit hub refused: This laptop was removed from the unit; "
            "checked by this laptop's own anchors only") in r.stdout


def test_a_laptop_never_enrolled_is_checked_as_before(db_path: Path, clock: FixedClock) -> None:
    book = Casebook.open(db_path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)
    try:
        report = book.check()
    finally:
        book.close()
    assert report["ok"] is True and "hub" not in report["audit_chain"]
    assert not any("hub" in line for line in check_lines(report))
