"""Anchors for the audit chain outside its own table, so that whoever holds a password cannot
silently shorten, empty or replace the chain from inside the database file.

- The vault keeps the chain's genesis (the first entry's hash) and a high-water mark (the highest
  seq seen and its hash). It is raised at sign-in, unlock, lock, close, backup, check and every
  ANCHOR_EVERY_WRITES writes, and only while the chain still holds what was anchored: a tampered
  chain never moves the mark, so the evidence stays.
- Every backup header holds the chain head at backup time; `check --against BACKUP` asks that the
  live chain still contain that entry.
- The append-only triggers are compared with the exact text they were created with.
- The unit hub keeps the furthest head each laptop pushed (docs/SYNC.md, "Audit-chain heads");
  `check` on an enrolled laptop asks that the live chain still hold it (`compare_with_hub`), which
  catches entries removed from the end even when the vault's mark was lowered to match.

What this cannot see (README, "Security model"): entries appended or rewritten after the last
anchor, and anything done by someone who also edits the vault file and holds no backup to compare.
`check` without --full walks only the entries after the last link a check found sound (the vault's
`audit_verified`), so an entry before it altered in place, its stored hash kept, waits for --full.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import text
from sqlalchemy.orm import Session

from keyworker.backup import copy_payload, read_backup_header
from keyworker.clock import format_datetime
from keyworker.db.engine import DRIVER_ERRORS, raw_connect
from keyworker.errors import BackupError
from keyworker.security import audit as chain
from keyworker.security.vault import Vault

# benchmarks/bench_audit_anchor.py, 2-core machine under load: one anchor (vault rewrite with fsyncs)
# 5-11 ms, a small audited write 2.4-12 ms; every 20 writes adds 0.25-0.55 ms (4-10 %) per write.
# 20 is also the most entries a crash (no close, no lock) can leave unanchored at the chain's end.
ANCHOR_EVERY_WRITES = 20

# The first entry of a unit file's trail: Casebook.create's, or keyworker/sync/enrol.py join's.
CHAIN_BEGINNINGS = ("unit.create", "sync.join")

# Exactly as migrations/versions/0001_foundation.py created them; SQLite keeps the text verbatim.
EXPECTED_TRIGGERS = {
    "audit_log_no_update": "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                           "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "audit_log_no_delete": "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                           "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
}


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str


@dataclass(frozen=True)
class Anchor:
    """What the vault remembers of the chain."""

    genesis: str
    seq: int
    hash: str


def vault_anchor(vault: Vault) -> Anchor | None:
    raw = vault.chain_head()
    if raw is None:
        return None
    return Anchor(str(raw["genesis"]), int(raw["seq"]), str(raw["hash"]))


def head(session: Session) -> ChainHead | None:
    row = session.execute(text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).first()
    return ChainHead(int(row[0]), str(row[1])) if row else None


def _first(session: Session) -> tuple[int, str, str] | None:
    row = session.execute(text("SELECT seq, hash, action FROM audit_log ORDER BY seq LIMIT 1")).first()
    return (int(row[0]), str(row[1]), str(row[2])) if row else None


def _hash_at(session: Session, seq: int) -> str | None:
    return session.execute(text("SELECT hash FROM audit_log WHERE seq = :s"), {"s": seq}).scalar()


def anchor_problems(session: Session, anchor: Anchor | None) -> list[tuple[int, str]]:
    """(first broken seq, problem) for every way the chain disagrees with the vault's anchor."""
    last = head(session)
    first = _first(session)
    if anchor is None:
        # Every unit file begins with its creation, or (a laptop that joined a unit hub: its trail is
        # its own) with the join that made the file; a chain that does not lost its start.
        if first is not None and (first[0] != 1 or first[2] not in CHAIN_BEGINNINGS):
            return [(1, "the audit trail does not begin with the unit's creation (or, on a laptop that joined "
                        "a unit hub, with its joining): its start was replaced")]
        return []
    if last is None or first is None:
        return [(1, f"the audit trail is empty, but it had reached entry {anchor.seq}: "
                    f"entries 1..{anchor.seq} are missing")]
    problems: list[tuple[int, str]] = []
    if first[0] != 1 or first[1] != anchor.genesis:
        problems.append((1, "the audit trail was replaced: its first entry is not the one this unit began with"))
    if last.seq < anchor.seq:
        problems.append((last.seq + 1, f"the audit trail ends at entry {last.seq} but had reached entry "
                                       f"{anchor.seq}: entries {last.seq + 1}..{anchor.seq} are missing from the end"))
    elif _hash_at(session, anchor.seq) != anchor.hash:
        problems.append((anchor.seq, f"entry {anchor.seq} is not the one recorded in the vault: "
                                     f"the trail was rewritten at or before entry {anchor.seq}"))
    return problems


def trigger_problems(session: Session) -> list[str]:
    rows = session.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
    ).all()
    found = {str(name): str(sql) for name, sql in rows}
    problems = []
    for name, sql in EXPECTED_TRIGGERS.items():
        if name not in found:
            problems.append(f"the trigger {name} that keeps the audit log append-only is missing")
        elif found[name] != sql:
            problems.append(f"the trigger {name} that keeps the audit log append-only was altered")
    extra = sorted(set(found) - set(EXPECTED_TRIGGERS))
    problems += [f"an unexpected trigger {name} is on the audit log" for name in extra]
    return problems


def advance(session: Session, vault: Vault) -> None:
    """Raise the vault's high-water mark to the current head, unless the chain no longer holds
    what was anchored (then the old mark is kept as evidence) or nothing was added."""
    anchor = vault_anchor(vault)
    last = head(session)
    if last is None or (anchor is not None and last.seq == anchor.seq) or anchor_problems(session, anchor):
        return
    if anchor is not None:
        genesis = anchor.genesis
    else:
        first = _first(session)
        assert first is not None  # the chain has a head
        genesis = first[1]
    vault.record_chain_head(genesis, last.seq, last.hash)


# -- backups -----------------------------------------------------------------------------------
def backup_head(path: Path, key: bytes, unit_id: str) -> ChainHead | None:
    """The chain head a backup holds: from its header, or (older backups) from its own database,
    decrypted with this unit's key from a temporary copy of the still-encrypted payload."""
    header, offset = read_backup_header(Path(path))
    if header.unit_id != unit_id:
        raise BackupError(f"{Path(path).name} is a backup of another unit; it cannot be compared with this one.")
    if header.audit_head is not None:
        return ChainHead(int(header.audit_head["seq"]), str(header.audit_head["hash"]))
    folder = tempfile.mkdtemp(prefix=".kw-against-")
    copy = Path(folder) / "backup.db"
    try:
        with os.fdopen(os.open(copy, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "wb") as f:
            copy_payload(Path(path), header, offset, f)  # streamed: a large backup never sits in memory
        try:
            conn = raw_connect(copy, key)
            try:
                row = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
            finally:
                conn.close()
        except (sqlcipher3.Error, *DRIVER_ERRORS) as e:
            raise BackupError(f"The database inside {Path(path).name} cannot be read with this unit's key.") from e
        return ChainHead(int(row[0]), str(row[1])) if row else None
    finally:
        for p in Path(folder).iterdir():
            p.unlink()
        os.rmdir(folder)


def compare_with_backup(session: Session, backup: ChainHead | None, name: str,
                        verified: chain.ChainReport) -> dict[str, Any]:
    """The live chain must hold the backup's head entry, and verify up to it."""
    out: dict[str, Any] = {"backup": name, "seq": backup.seq if backup else None, "ok": True, "problem": None}
    if backup is None:
        return out  # an empty chain in the backup: nothing to hold
    last = head(session)
    if last is None or last.seq < backup.seq:
        upto = last.seq if last else 0
        problem = (f"the audit trail ends at entry {upto}, but backup {name} holds entries up to {backup.seq}: "
                   f"entries {upto + 1}..{backup.seq} are missing")
    elif _hash_at(session, backup.seq) != backup.hash:
        problem = (f"entry {backup.seq} differs from the same entry in backup {name}: "
                   f"the trail was rewritten at or before entry {backup.seq}")
    elif not verified.ok and verified.first_broken_seq is not None and verified.first_broken_seq <= backup.seq:
        problem = f"the audit trail is broken at entry {verified.first_broken_seq}, before backup {name}'s last entry"
    else:
        return out
    out.update(ok=False, problem=problem)
    return out


# -- the unit hub -------------------------------------------------------------------------------
@dataclass(frozen=True)
class HubHead:
    """What the unit hub holds of this laptop's chain (`GET /v1/chain-head`): the entry and when
    the hub stored it (seq None: it holds none yet); or, in `not_compared`, why it was not asked
    or did not answer (offline, this laptop removed ...), in words that follow "not compared: "."""

    seq: int | None = None
    hash: str | None = None
    at: datetime | None = None
    not_compared: str | None = None


def compare_with_hub(session: Session, held: HubHead,
                     verified: chain.ChainReport) -> tuple[dict[str, Any], int | None]:
    """The live chain must hold the entry the hub last saw, with its hash, and verify up to it.
    Returns `audit_chain.hub` of `check --json` and the first entry found wrong. `ok` is None when
    nothing was compared (`reason` says why): that is not a failure."""
    seen = f"seen {format_datetime(held.at)}" if held.at else "seen by the hub"
    out: dict[str, Any] = {"compared": False, "ok": None, "seq": held.seq,
                           "at": held.at.isoformat() if held.at else None, "problem": None,
                           "reason": held.not_compared}
    if held.not_compared is not None:
        return out, None
    if held.seq is None or held.hash is None:
        out["reason"] = ("the hub holds no entry of this laptop's yet (it has not finished a sync since it "
                         "was enrolled)")
        return out, None
    out["compared"] = True
    last = head(session)
    if last is None or last.seq < held.seq:
        upto = last.seq if last else 0
        out.update(ok=False, problem=f"entries were removed from the end of the audit trail: the unit hub last "
                                     f"saw entry {held.seq:,} ({seen}), this laptop's trail ends at entry {upto:,}")
        return out, upto + 1
    if _hash_at(session, held.seq) != held.hash:
        out.update(ok=False, problem=f"entry {held.seq:,} is not the one the unit hub saw ({seen}): the trail was "
                                     f"cut back and written again, or rewritten at or before entry {held.seq:,}")
        return out, held.seq
    if not verified.ok and verified.first_broken_seq is not None and verified.first_broken_seq <= held.seq:
        out.update(ok=False, problem=f"the audit trail is broken at entry {verified.first_broken_seq:,}, before "
                                     f"the last entry the unit hub saw ({held.seq:,})")
        return out, verified.first_broken_seq
    out["ok"] = True
    return out, None


# -- the report `check` prints -----------------------------------------------------------------
def vault_verified(vault: Vault) -> ChainHead | None:
    """The last entry a check walked the chain to and found sound (the vault's `audit_verified`)."""
    raw = vault.chain_verified()
    if raw is None:
        return None
    try:
        return ChainHead(int(raw["seq"]), str(raw["hash"]))
    except (KeyError, TypeError, ValueError):
        return None  # unreadable: walk it all


def _walk(session: Session, vault: Vault, full: bool) -> tuple[chain.ChainReport, dict[str, Any]]:
    """The chain walk: from the vault's verified mark on (when the entry there still holds the
    hash the mark remembers), else from the start. Returns it and how it was walked."""
    mark = None if full else vault_verified(vault)
    why = "asked for" if full else "no earlier check to continue from"
    if mark is not None:
        changed = chain.changed_since(session, mark.seq, mark.hash)
        if changed is None:
            walked = chain.verify(session, after=(mark.seq, mark.hash))
            total = int(session.execute(text("SELECT count(*) FROM audit_log")).scalar() or 0)
            # Entries 1..mark were found sound before and nothing is missing only if the count
            # says so; a row gone from the middle sends the check back over the whole trail.
            if walked.ok and total != walked.last_seq:
                why = f"the trail holds {total} entries, not the {walked.last_seq} its numbering says"
            else:
                report = chain.ChainReport(walked.ok, total if walked.ok else mark.seq + walked.entries,
                                           walked.first_broken_seq, walked.problem, walked.last_seq,
                                           walked.last_hash)
                return report, {"audit_walk": "incremental", "walked": walked.entries,
                                "verified_from": mark.seq + 1, "trusted_up_to": mark.seq, "walk_note": None}
        else:
            why = f"the last check ended at entry {mark.seq}, but {changed}"
    walked = chain.verify(session)
    return walked, {"audit_walk": "full", "walked": walked.entries, "verified_from": 1, "trusted_up_to": None,
                    "walk_note": why}


def report(session: Session, vault: Vault, against: tuple[str, ChainHead | None] | None = None,
           *, full: bool = False, hub: HubHead | None = None) -> dict[str, Any]:
    """`audit_chain` of `check --json`: the chain walk, then the anchors, triggers, backup and
    unit hub (`hub` None: this laptop is not enrolled, and the report has no `hub`).

    The walk is incremental unless `full`: it continues from the last entry a check found sound
    (the vault's verified mark; README, "Security model", says what that trusts). A trail found
    sound in every respect raises the mark to the entry walked to; anything wrong keeps it."""
    verified, walk = _walk(session, vault, full)
    found: list[tuple[int | None, str]] = []
    if not verified.ok:
        found.append((verified.first_broken_seq, verified.problem or "the audit chain is broken"))
    anchor = vault_anchor(vault)
    found += anchor_problems(session, anchor)
    triggers = trigger_problems(session)
    found += [(None, p) for p in triggers]
    last = head(session)
    out = verified.as_json()
    out.update(walk)
    out.update(head_seq=last.seq if last else None, anchored_seq=anchor.seq if anchor else None,
               triggers="ok" if not triggers else "; ".join(triggers))
    if against is not None:
        out["against"] = compare_with_backup(session, against[1], against[0], verified)
        if not out["against"]["ok"]:
            found.append((None, out["against"]["problem"]))
    if hub is not None:
        out["hub"], broken = compare_with_hub(session, hub, verified)
        if out["hub"]["ok"] is False:
            found.append((broken, out["hub"]["problem"]))
    seqs = [seq for seq, _ in found if seq is not None]
    out.update(ok=not found, first_broken_seq=min(seqs) if seqs else None,
               problem=found[0][1] if found else None, problems=[p for _, p in found])
    if not found and verified.last_seq:
        vault.record_chain_verified(verified.last_seq, verified.last_hash)
    return out
