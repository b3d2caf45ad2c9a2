"""The files beside a unit database that keep processes from treading on each other:

- `unit.kwdb.lock`: an advisory lock. Every open Casebook holds it SHARED; a restore (or a demo
  rebuild) takes it EXCLUSIVE, so it cannot replace a unit that another window or process has open.
- `unit.kwdb.restore-journal`: what a restore is about to move where, written before it moves
  anything. `recover_interrupted_restore` runs at every open and finishes or rolls back a restore
  that was killed part-way; the next sign-in records which in the unit's audit trail.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import portalocker

from keyworker.errors import StorageError
from keyworker.security.vault import fsync_dir, lock_path_for, vault_path_for

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

CHUNK = 1 << 20


def journal_path_for(db_path: Path | str) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + ".restore-journal")


def sidecars(db_path: Path) -> list[Path]:
    """The database and every file that belongs to it, in the order a restore moves them."""
    return [db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm"), vault_path_for(db_path)]


def file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def crash_point(step: str) -> None:
    """Tests set KEYWORKER_TEST_DIE_AT to a step name to kill the process right there, as a power
    cut would: no cleanup, no finally blocks."""
    if os.environ.get("KEYWORKER_TEST_DIE_AT") == step:
        os._exit(86)


# -- the open-unit lock ----------------------------------------------------------------------
class UnitLock:
    """An advisory lock on `<db>.lock`. Shared: "this unit is open here". Exclusive: "this unit is
    being replaced". Never blocks; the lock file itself is left in place (deleting it would race)."""

    def __init__(self, db_path: Path, handle: IO[Any], exclusive: bool) -> None:
        self.db_path = db_path
        self._handle: IO[Any] | None = handle
        self.exclusive = exclusive

    @classmethod
    def shared(cls, db_path: Path) -> UnitLock:
        return cls._take(db_path, exclusive=False)

    @classmethod
    def exclusive_for_replace(cls, db_path: Path) -> UnitLock:
        return cls._take(db_path, exclusive=True)

    @classmethod
    def _take(cls, db_path: Path, *, exclusive: bool) -> UnitLock:
        db_path = Path(db_path)
        path = lock_path_for(db_path)
        try:
            handle = os.fdopen(os.open(path, os.O_CREAT | os.O_RDWR, 0o600), "r+b")
        except OSError as e:
            if not os.access(path.parent, os.W_OK):
                raise StorageError(f"The folder {path.parent} is read-only, and Keyworker must write beside "
                                   "the unit database. Choose a folder you can write to.") from e
            raise StorageError(f"Cannot create the lock file {path.name}: {e.strerror or e}") from e
        flags = (portalocker.LockFlags.EXCLUSIVE if exclusive else portalocker.LockFlags.SHARED)
        try:
            portalocker.lock(handle, flags | portalocker.LockFlags.NON_BLOCKING)
        except portalocker.exceptions.LockException as e:
            handle.close()
            if exclusive:
                raise StorageError(
                    f"{db_path.name} is open in another Keyworker window or process. Sign out and close "
                    "Keyworker there first; nothing was changed."
                ) from e
            raise StorageError(
                f"{db_path.name} is being restored or replaced by another Keyworker process. "
                "Try again when it has finished."
            ) from e
        return cls(db_path, handle, exclusive)

    def release(self) -> None:
        if self._handle is not None:
            try:
                portalocker.unlock(self._handle)
            finally:
                self._handle.close()
                self._handle = None


def replaced_while_open(db_path: Path) -> StorageError:
    return StorageError(
        f"The unit database {db_path.name} was replaced (restored from a backup?) while it was open here. "
        "Nothing was saved. Close Keyworker and open the unit again."
    )


# -- the restore journal ---------------------------------------------------------------------
COPYING = "copying"    # the new database is being written to its temporary file; nothing moved yet
MOVING = "moving"      # the new files are complete and verified; the old ones are being moved aside
FINISHED = "finished"  # settled by recovery: the audit entry is written at the next sign-in
ROLLED_BACK = "rolled_back"


@dataclass(frozen=True)
class RestorePlan:
    db_path: Path
    new_db: Path      # the verified new database, in a temporary file beside db_path
    new_vault: Path   # its vault, likewise
    stamp: str        # suffix of the moved-aside files: <name>.before-restore-<stamp>
    backup_name: str
    backup_created_at: str
    restored_by: str

    def aside(self, p: Path) -> Path:
        return p.with_name(f"{p.name}.before-restore-{self.stamp}")


def write_journal(plan: RestorePlan, state: str, new_sha256: str = "") -> None:
    data = {
        "state": state, "new_db": plan.new_db.name, "new_vault": plan.new_vault.name, "stamp": plan.stamp,
        "new_sha256": new_sha256, "backup": plan.backup_name, "backup_created_at": plan.backup_created_at,
        "restored_by": plan.restored_by,
    }
    write_json_file(journal_path_for(plan.db_path), data)


def clear_journal(db_path: Path) -> None:
    journal_path_for(db_path).unlink(missing_ok=True)
    fsync_dir(db_path.parent)


def write_json_file(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        with os.fdopen(os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600), "w", encoding="utf-8") as f:
            json.dump(data, f, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"Could not write {path.name} ({e.strerror or e}). Nothing was changed.") from e


def _read_journal(db_path: Path) -> dict[str, Any] | None:
    path = journal_path_for(db_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise StorageError(f"The restore journal {path.name} is damaged. Keep it, and ask for support; "
                           "the unit files were not touched.") from e
    if not isinstance(data, dict) or data.get("state") not in (COPYING, MOVING, FINISHED, ROLLED_BACK):
        raise StorageError(f"The restore journal {path.name} is not one this version can read.")
    return data


def _plan_from(db_path: Path, j: dict[str, Any]) -> RestorePlan:
    # Only bare file names are trusted from the journal: everything lives beside the database.
    names = [Path(str(j[k])).name for k in ("new_db", "new_vault")]
    return RestorePlan(db_path, db_path.with_name(names[0]), db_path.with_name(names[1]),
                       Path(str(j["stamp"])).name, str(j.get("backup", "")), str(j.get("backup_created_at", "")),
                       str(j.get("restored_by", "")))


def move_old_aside_and_place_new(plan: RestorePlan) -> None:
    """Steps of a restore after the journal says MOVING. Each step checks what is already done,
    so recovery runs the same code to finish a restore killed between any two of them."""
    db = plan.db_path
    if plan.new_db.exists():  # the database at db_path (if any) is still the old one
        for p in sidecars(db)[:3]:
            if p.exists():
                os.replace(p, plan.aside(p))
                crash_point(f"aside:{p.name}")
    vault = vault_path_for(db)
    if plan.new_vault.exists():
        if vault.exists():
            os.replace(vault, plan.aside(vault))
            crash_point("aside:vault")
        os.replace(plan.new_vault, vault)
        crash_point("placed:vault")
    if plan.new_db.exists():
        os.replace(plan.new_db, db)
    fsync_dir(db.parent)
    crash_point("placed:db")


def roll_back(plan: RestorePlan) -> None:
    """Put the old files back and drop the new ones (a restore killed before the new database was
    complete)."""
    for p in reversed(sidecars(plan.db_path)):
        if plan.aside(p).exists():
            os.replace(plan.aside(p), p)
    for p in (plan.new_db, Path(f"{plan.new_db}-wal"), Path(f"{plan.new_db}-shm"), plan.new_vault):
        p.unlink(missing_ok=True)
    fsync_dir(plan.db_path.parent)


def recover_interrupted_restore(db_path: Path | str, *, locked: bool = False) -> str | None:
    """Finish or roll back a restore that was killed part-way. Run at every open, before the unit's
    files are read. Returns FINISHED, ROLLED_BACK or None (nothing to do)."""
    db_path = Path(db_path)
    j = _read_journal(db_path)
    if j is None or j["state"] in (FINISHED, ROLLED_BACK):
        return None
    try:
        lock = None if locked else UnitLock.exclusive_for_replace(db_path)
    except StorageError as e:
        raise StorageError(f"{db_path.name} is being restored by another Keyworker process. "
                           "Try again when it has finished.") from e
    try:
        j = _read_journal(db_path)  # another process may have settled it while we waited
        if j is None or j["state"] in (FINISHED, ROLLED_BACK):
            return None
        plan = _plan_from(db_path, j)
        if j["state"] == MOVING and _new_db_is_whole(plan, str(j.get("new_sha256", ""))):
            try:
                move_old_aside_and_place_new(plan)
            except OSError as e:
                raise StorageError(f"An interrupted restore of {db_path.name} could not be finished "
                                   f"({e.strerror or e}). The files were left as they are.") from e
            outcome = FINISHED
        else:
            try:
                roll_back(plan)
            except OSError as e:
                raise StorageError(f"An interrupted restore of {db_path.name} could not be undone "
                                   f"({e.strerror or e}). The files were left as they are.") from e
            outcome = ROLLED_BACK
        if db_path.exists():
            j["state"] = outcome  # for the next sign-in to write into the audit trail
            write_json_file(journal_path_for(db_path), j)
        else:
            clear_journal(db_path)  # restored into an empty folder and rolled back: no unit to tell
        return outcome
    finally:
        if lock is not None:
            lock.release()


def _new_db_is_whole(plan: RestorePlan, sha: str) -> bool:
    if not sha:
        return False
    if not plan.new_vault.exists() and not vault_path_for(plan.db_path).exists():
        return False
    candidate = plan.new_db if plan.new_db.exists() else plan.db_path
    return candidate.exists() and sha256_of(candidate) == sha


def record_settled_restore(book: Casebook) -> None:
    """Write a restore that recovery finished or rolled back into the audit trail of the unit now
    open, then forget it. Renaming the journal first means only one process records it."""
    path = journal_path_for(book.path)
    try:
        j = _read_journal(book.path)
    except StorageError:
        return
    if j is None or j["state"] not in (FINISHED, ROLLED_BACK):
        return
    claimed = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        os.replace(path, claimed)
    except OSError:
        return
    try:
        action = "unit.restore.finished" if j["state"] == FINISHED else "unit.restore.rolled_back"
        detail = {"backup": j.get("backup"), "backup_created_at": j.get("backup_created_at"),
                  "restored_by": j.get("restored_by"), "interrupted": True}
        with book._write() as s:
            book._record(s, action, "unit", book._vault.unit_id, detail=detail)
    except BaseException:
        os.replace(claimed, path)
        raise
    claimed.unlink(missing_ok=True)
