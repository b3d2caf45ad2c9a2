"""`check` walks the audit chain from the last link a check found sound (the vault's
`audit_verified`), `check --full` walks all of it. What that trusts is tested here as it is written
in README, "Security model": an in-place change before the remembered link is found only by --full,
one after it by every check; a mark that no longer matches sends the check over the whole trail,
and a broken trail never moves the mark."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from keyworker.clock import FixedClock
from keyworker.db.engine import raw_connect
from keyworker.security.audit_anchor import EXPECTED_TRIGGERS
from keyworker.security.vault import vault_path_for
from tests.conftest import ADMIN_PW
from tests.unit.test_audit_anchor import _key, _open

ROOT = Path(__file__).resolve().parents[2]


def _check(db_path: Path, clock: FixedClock, full: bool = False) -> dict[str, Any]:
    book = _open(db_path, clock)
    try:
        return book.check(full=full)
    finally:
        book.close()


def _mark(db_path: Path) -> dict[str, Any] | None:
    return json.loads(vault_path_for(db_path).read_text()).get("audit_verified")


def _tamper(db_path: Path, key: bytes, sql: str, *params: object) -> None:
    """A careful insider: drop the append-only triggers, change a row in place (its stored hash
    left as it was), and put the triggers back exactly as they were."""
    conn = raw_connect(db_path, key)
    try:
        for name in EXPECTED_TRIGGERS:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute(sql, params)
        for create in EXPECTED_TRIGGERS.values():
            conn.execute(create)
    finally:
        conn.close()


def _add_entries(db_path: Path, clock: FixedClock, times: int = 3) -> None:
    """Each sign-in, lock and unlock is an audit entry."""
    book = _open(db_path, clock)
    try:
        for _ in range(times):
            book.lock()
            book.unlock("admin", ADMIN_PW)
    finally:
        book.close()


def _cli(db_path: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWORKER_")}
    env.update(KEYWORKER_PASSWORD=ADMIN_PW, KEYWORKER_DEVICE_ID="0196a000-0000-7000-8000-0000000000d3",
               HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args, "--db", str(db_path)], env=env,
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=60)


def test_a_second_check_walks_only_the_entries_added_since(db_path: Path, clock: FixedClock) -> None:
    assert _mark(db_path) is None
    first = _check(db_path, clock)["audit_chain"]
    assert first["ok"] and first["audit_walk"] == "full" and first["verified_from"] == 1
    assert first["walked"] == first["entries"] == first["head_seq"]
    assert "no earlier check" in first["walk_note"]
    mark = _mark(db_path)
    assert mark is not None and mark["seq"] == first["head_seq"]

    _add_entries(db_path, clock)
    second = _check(db_path, clock)["audit_chain"]
    assert second["ok"] and second["audit_walk"] == "incremental"
    assert second["verified_from"] == mark["seq"] + 1 and second["trusted_up_to"] == mark["seq"]
    assert second["walked"] == second["head_seq"] - mark["seq"] > 6  # the sign-ins, locks and unlocks
    assert second["entries"] == second["head_seq"]  # the whole trail's length, not only the walked part
    assert _mark(db_path)["seq"] == second["head_seq"]  # type: ignore[index]

    full = _check(db_path, clock, full=True)["audit_chain"]
    assert full["ok"] and full["audit_walk"] == "full" and full["walked"] == full["entries"] == full["head_seq"]


def test_a_change_before_the_remembered_link_is_found_only_by_check_full(db_path: Path, clock: FixedClock,
                                                                        tmp_path: Path) -> None:
    assert _check(db_path, clock)["ok"]
    assert _mark(db_path)["seq"] > 4  # type: ignore[index]
    _tamper(db_path, _key(db_path, clock), "UPDATE audit_log SET detail = '{\"forged\": 1}' WHERE seq = 4")

    # The trade-off, as documented: the incremental walk trusts entry 4 and does not see it...
    quick = _check(db_path, clock)
    assert quick["ok"] is True and quick["audit_chain"]["audit_walk"] == "incremental"
    # ... check --full does, and says where.
    full = _check(db_path, clock, full=True)
    assert full["ok"] is False
    assert full["audit_chain"]["audit_walk"] == "full" and full["audit_chain"]["first_broken_seq"] == 4
    assert "entry 4 was altered" in full["audit_chain"]["problem"]

    plain = _cli(db_path, tmp_path, "check")
    assert plain.returncode == 0, plain.stderr
    assert "added since the last check; `check --full` re-checks all" in plain.stdout
    res = _cli(db_path, tmp_path, "check", "--full", "--json")
    assert res.returncode == 1, res.stderr
    assert json.loads(res.stdout)["audit_chain"]["first_broken_seq"] == 4
    human = _cli(db_path, tmp_path, "check", "--full")
    assert human.returncode == 1 and "entry 4 was altered" in human.stdout and "all checked" in human.stdout


def test_a_change_after_the_remembered_link_is_found_and_never_moves_the_mark(db_path: Path,
                                                                           clock: FixedClock) -> None:
    _check(db_path, clock)
    mark = _mark(db_path)
    assert mark is not None
    _add_entries(db_path, clock)
    target = mark["seq"] + 2
    _tamper(db_path, _key(db_path, clock), "UPDATE audit_log SET actor_name = 'mallory' WHERE seq = ?", target)

    for _ in range(2):  # and again: the broken trail left the mark where it was
        report = _check(db_path, clock)
        assert report["ok"] is False
        trail = report["audit_chain"]
        assert trail["audit_walk"] == "incremental" and trail["verified_from"] == mark["seq"] + 1
        assert trail["first_broken_seq"] == target and f"entry {target} was altered" in trail["problem"]
        assert _mark(db_path) == mark
    full = _check(db_path, clock, full=True)["audit_chain"]
    assert full["first_broken_seq"] == target and _mark(db_path) == mark


def test_a_mark_whose_entry_has_another_hash_falls_back_to_the_full_walk(db_path: Path,
                                                                          clock: FixedClock) -> None:
    _check(db_path, clock)
    vault_file = vault_path_for(db_path)
    data = json.loads(vault_file.read_text())
    seq = data["audit_verified"]["seq"]
    data["audit_verified"]["hash"] = "f" * 64
    vault_file.write_text(json.dumps(data))

    trail = _check(db_path, clock)["audit_chain"]
    assert trail["ok"] and trail["audit_walk"] == "full" and trail["walked"] == trail["entries"]
    assert f"the last check ended at entry {seq}, but entry {seq} is not the one it verified" == trail["walk_note"]
    assert _mark(db_path)["seq"] == trail["head_seq"]  # type: ignore[index]  # a sound walk raises it again


def test_a_row_removed_before_the_mark_sends_the_check_over_the_whole_trail(db_path: Path,
                                                                             clock: FixedClock) -> None:
    _check(db_path, clock)
    mark = _mark(db_path)
    _tamper(db_path, _key(db_path, clock), "DELETE FROM audit_log WHERE seq = 3")
    trail = _check(db_path, clock)["audit_chain"]
    assert trail["ok"] is False and trail["audit_walk"] == "full" and "entries, not the" in trail["walk_note"]
    assert trail["first_broken_seq"] == 3 and "entry 3 is missing" in trail["problem"]
    assert _mark(db_path) == mark


def test_the_walk_hashes_exactly_what_an_entry_hashes(db_path: Path, clock: FixedClock) -> None:
    """The walk reads plain driver rows with each column's own result processing; canonical() of
    such a row is byte for byte _canonical() of the ORM entry, across keyset batches."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from keyworker.db.foundation import AuditEntry
    from keyworker.security import audit as chain

    book = _open(db_path, clock)
    try:
        with book._write() as s:
            chain.append(s, at=datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC), actor_id=None,
                         actor_name="Zoë “nights”", device_id=book.device_id, action="test.odd", entity="unit",
                         detail={"note": "café – \u2028 \\ \"quoted\"", "n": 1.5})
        with book._read() as s:
            walked = [row for rows in chain._batches(s, 0, 7) for row in rows]
            entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
            assert len(walked) == len(entries) > 7
            for row, entry in zip(walked, entries, strict=True):
                assert chain.canonical(row) == chain._canonical(entry)
                assert row[len(chain.CANONICAL_FIELDS)] == entry.hash == chain.entry_hash(entry)
            assert chain.verify(s, batch=7).ok
    finally:
        book.close()
