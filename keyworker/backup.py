"""Encrypted backups: one file holding the vault (wrapped keys only) and an encrypted copy of the
database made by SQLCipher's own export. Nothing in a backup is readable without a password or
the recovery key. Restore checks the file before it touches the live database."""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import sqlcipher3
from sqlalchemy import Engine, text

from keyworker.clock import Clock
from keyworker.db.engine import DRIVER_ERRORS, raw_connect, translate_db_error
from keyworker.errors import AuthenticationFailed, BackupError, KeyworkerError, PermissionDenied, StorageError
from keyworker.security.permissions import GRANTS, Permission, Role
from keyworker.errors import VaultError
from keyworker.security.vault import ACCOUNT, Vault, fsync_dir, normalise_username, vault_path_for
from keyworker.unit_files import (
    CHUNK,
    COPYING,
    MOVING,
    RestorePlan,
    UnitLock,
    clear_journal,
    crash_point,
    journal_path_for,
    move_old_aside_and_place_new,
    recover_interrupted_restore,
    roll_back,
    sha256_of,
    sidecars,
    write_journal,
    write_json_file,
)

MAGIC = b"KEYWORKER-BACKUP\n"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class BackupHeader:
    unit_id: str
    created_at: str
    db_sha256: str
    db_size: int
    vault: dict[str, Any]
    audit_head: dict[str, Any] | None = None  # {"seq", "hash"} of the last audit entry; older backups lack it


def write_backup(engine: Engine, key: bytes, vault: Vault, out: Path, clock: Clock, *,
                 replace: bool = False) -> Path:
    """Export the open database (consistent snapshot) and write the backup file atomically; an
    existing file at `out` is refused unless `replace` (then it is replaced only once all is written)."""
    out = Path(out)
    if out.is_dir():
        raise BackupError(f"{out} is a folder: give a file name.")
    if (out.exists() or out.is_symlink()) and not replace:
        raise BackupError(f"{out} already exists. Choose a new file name.")
    if not out.parent.is_dir():
        raise BackupError(f"The folder {out.parent} does not exist.")
    tmpdir = tempfile.mkdtemp(prefix=".kw-backup-", dir=out.parent) if os.access(out.parent, os.W_OK) else None
    if tmpdir is None:
        raise StorageError(f"The folder {out.parent} is read-only. Choose a folder you can write to.")
    export = Path(tmpdir) / "export.db"
    try:
        raw = engine.raw_connection()
        try:
            conn = raw.driver_connection
            assert conn is not None  # a pooled connection always has its driver connection
            # The chain head just before the export, so the backup holds at least this entry.
            last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
            conn.execute("ATTACH DATABASE ? AS backup KEY ?", (str(export), f"x'{key.hex()}'"))
            try:
                conn.execute("SELECT sqlcipher_export('backup')")
            finally:
                conn.execute("DETACH DATABASE backup")
        finally:
            raw.close()
        # Streamed, not read into memory: a unit of a few hundred MB must not need twice that in RAM.
        digest, size = hashlib.sha256(), 0
        with open(export, "rb") as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        header = {
            "format": FORMAT_VERSION,
            "unit_id": vault.unit_id,
            "created_at": clock.now().isoformat(),
            "db_sha256": digest.hexdigest(),
            "db_size": size,
            "vault": json.loads(vault.to_json()),
            "audit_head": {"seq": last[0], "hash": last[1]} if last else None,
        }
        hbytes = json.dumps(header, sort_keys=True).encode("utf-8")
        part = out.with_name(out.name + ".part")
        part.unlink(missing_ok=True)  # a stale part (or a link planted there) goes; never followed
        flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(part, flags, 0o600), "wb") as f:
            f.write(MAGIC)
            f.write(struct.pack(">I", len(hbytes)))
            f.write(hbytes)
            with open(export, "rb") as src:
                shutil.copyfileobj(src, f, CHUNK)
            f.flush()
            os.fsync(f.fileno())
        os.replace(part, out)
        fsync_dir(out.parent)
        return out
    except KeyworkerError:
        raise
    except DRIVER_ERRORS as e:
        for p in (out.with_name(out.name + ".part"),):
            if p.exists():
                p.unlink()
        raise translate_db_error(e, out) from e
    finally:
        for p in Path(tmpdir).glob("*"):
            p.unlink()
        os.rmdir(tmpdir)


def read_backup_header(path: Path) -> tuple[BackupHeader, int]:
    """The backup's header and the offset where its database begins (nothing else is read)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(len(MAGIC))
            if magic != MAGIC:
                raise BackupError(f"{path.name} is not a Keyworker backup.")
            (hlen,) = struct.unpack(">I", f.read(4))
            if hlen > 10_000_000:
                raise BackupError(f"{path.name} is not a Keyworker backup (bad header).")
            header = json.loads(f.read(hlen).decode("utf-8"))
            offset = f.tell()
    except (OSError, struct.error, ValueError, UnicodeDecodeError) as e:
        raise _unreadable(path, e) from e
    if not isinstance(header, dict) or header.get("format") != FORMAT_VERSION:
        raise BackupError(f"{path.name} is not a Keyworker backup this version can read.")
    try:
        return BackupHeader(header["unit_id"], header["created_at"], header["db_sha256"], int(header["db_size"]),
                            header["vault"], header.get("audit_head")), offset
    except (KeyError, TypeError, ValueError) as e:
        raise BackupError(f"{path.name} is not a Keyworker backup or is damaged.") from e


def _unreadable(path: Path, e: Exception) -> BackupError:
    if isinstance(e, FileNotFoundError):
        return BackupError(f"There is no file {path}.")
    if isinstance(e, OSError):
        return BackupError(f"{path.name} cannot be read: {e.strerror or e}")
    return BackupError(f"{path.name} is not a Keyworker backup or is damaged.")


def copy_payload(path: Path, header: BackupHeader, offset: int, dest: BinaryIO) -> None:
    """Copy the backup's database to `dest` in chunks, checking its size and checksum on the way."""
    path = Path(path)
    digest, size = hashlib.sha256(), 0
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            while chunk := f.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                dest.write(chunk)
                crash_point("copying")
    except OSError as e:
        if e.filename is None or Path(e.filename) == path:
            raise _unreadable(path, e) from e
        raise
    if size != header.db_size or digest.hexdigest() != header.db_sha256:
        raise BackupError(f"{path.name} is incomplete or damaged (checksum mismatch). It was not restored.")


def read_backup(path: Path) -> tuple[BackupHeader, bytes]:
    """The header and the whole database, checked (for small backups and tools; restore streams)."""
    header, offset = read_backup_header(path)
    buf = io.BytesIO()
    copy_payload(path, header, offset, buf)
    return header, buf.getvalue()


class BackupSignInFailed(AuthenticationFailed):
    """The backup's own accounts did not let this user in: it is the backup's account that failed,
    which may not be one the live unit has (another unit's backup, or a password changed since)."""

    def __init__(self, other_unit: bool) -> None:
        KeyworkerError.__init__(self, (
            "The user name or password does not open this backup. It is a backup of another unit: use an "
            "account of that unit, with its password as it was when the backup was made." if other_unit else
            "The user name or password does not open this backup: use an account and password as they "
            "were when the backup was made."))
        self.other_unit = other_unit


def _live_vault(db_path: Path) -> Vault | None:
    """The live unit's vault, whose throttle a restore's password check counts against (a wrong
    password there is throttled and audited like a failed sign-in). None if there is none."""
    try:
        return Vault.load(vault_path_for(db_path))
    except VaultError:
        return None  # missing or damaged: restoring is how to get it back


def restore_backup(backup: Path, db_path: Path, username: str, password: str, clock: Clock) -> Path | None:
    """Replace the unit database at `db_path` with the backup, after proving the password opens
    the backup and the backup's database is intact. The previous files are kept beside it,
    renamed `*.before-restore-<time>`; that folder is returned (None if there was nothing).
    Refused while the unit is open anywhere; a restore killed part-way is finished or rolled back
    at the next open (keyworker.unit_files)."""
    header, offset = read_backup_header(backup)
    db_path = Path(db_path)
    vault = Vault.from_data(vault_path_for(db_path), header.vault)
    vault.ephemeral = True  # the backup's vault is only read; the live one counts the attempt
    live = _live_vault(db_path)
    other_unit = live is not None and live.unit_id != vault.unit_id
    try:
        key = (live or vault).attempt(normalise_username(username), clock,
                                      lambda: vault.open_slot(ACCOUNT, username, password))
    except AuthenticationFailed as e:
        raise BackupSignInFailed(other_unit) from e
    vault.take_counters_from(live)
    vault.ephemeral = False
    if not db_path.parent.is_dir():
        raise StorageError(f"The folder {db_path.parent} does not exist.")
    lock = UnitLock.exclusive_for_replace(db_path)
    try:
        recover_interrupted_restore(db_path, locked=True)
        return _restore_locked(Path(backup), header, offset, db_path, vault, key, username, clock)
    finally:
        lock.release()


def _restore_locked(backup: Path, header: BackupHeader, offset: int, db_path: Path, vault: Vault, key: bytes,
                    username: str, clock: Clock) -> Path | None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=".kw-restore-", dir=db_path.parent)
    except OSError as e:
        raise translate_db_error(e, db_path) from e
    plan = RestorePlan(db_path, Path(tmp), Path(tmp + ".vault"), clock.now().strftime("%Y%m%dT%H%M%SZ"),
                       backup.name, header.created_at, username.strip().lower())
    moving = False
    try:
        write_journal(plan, COPYING)
        with os.fdopen(fd, "wb") as f:
            copy_payload(backup, header, offset, f)
            f.flush()
            os.fsync(f.fileno())
        try:
            conn = raw_connect(tmp, key)
            ok = conn.execute("PRAGMA integrity_check").fetchone()
            account = conn.execute("SELECT id, role, disabled FROM accounts WHERE username = ? AND archived = 0",
                                   (username.strip().lower(),)).fetchone()
            conn.close()
        except (sqlcipher3.Error, *DRIVER_ERRORS) as e:
            raise BackupError(f"The database inside {backup.name} is damaged. It was not restored.") from e
        if not ok or ok[0] != "ok":
            raise BackupError(f"The database inside {backup.name} is damaged. It was not restored.")
        # Restoring replaces everyone's work: only a role allowed to back up may do it.
        if account is None or account[2]:
            raise BackupSignInFailed(other_unit=False)
        role = Role(account[1])
        if Permission.BACKUP not in GRANTS[role]:
            raise PermissionDenied(role.value, Permission.BACKUP.value)
        _record_restore(plan, key, account[0], clock)
        new_sha = sha256_of(plan.new_db)
        write_json_file(plan.new_vault, json.loads(vault.to_json()))
        write_journal(plan, MOVING, new_sha)
        moving = True
        crash_point("journal:moving")
        try:
            move_old_aside_and_place_new(plan)
        except OSError:
            # Put the previous unit back exactly as it was: a failed restore must not lose it.
            roll_back(plan)
            clear_journal(db_path)
            raise
        clear_journal(db_path)
        kept = [p for p in sidecars(db_path) if plan.aside(p).exists()]
        return db_path.parent if kept else None
    except OSError as e:
        err = translate_db_error(e, db_path)
        if not isinstance(err, StorageError):
            err = StorageError(f"Restore failed while writing files ({e.strerror or e}).")
        raise StorageError(f"{err} The unit database was not changed.") from e
    finally:
        if not moving:  # nothing was moved: the temporary files and the journal go
            for p in (plan.new_db, plan.new_vault, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                p.unlink(missing_ok=True)
            journal_path_for(db_path).unlink(missing_ok=True)


def _record_restore(plan: RestorePlan, key: bytes, account_id: str, clock: Clock) -> None:
    """The restore's audit entry, written into the restored database before it goes live: who
    restored, from which backup file, made when."""
    from sqlalchemy.orm import Session

    from keyworker.casebook import UnitContext
    from keyworker.db.engine import make_engine
    from keyworker.device import device_id
    from keyworker.security import audit as audit_chain

    device = device_id()
    engine = make_engine(plan.new_db, key)
    try:
        with Session(engine) as s, s.begin():
            s.info["ctx"] = UnitContext(clock, account_id, device)
            unit_id = s.execute(text("SELECT value FROM settings WHERE key = 'unit_id'")).scalar()
            audit_chain.append(s, at=clock.now(), actor_id=account_id, actor_name=plan.restored_by, device_id=device,
                               action="unit.restore", entity="unit", entity_id=str(unit_id) if unit_id else None,
                               detail={"backup": plan.backup_name, "backup_created_at": plan.backup_created_at})
    except DRIVER_ERRORS as e:
        raise BackupError(f"The database inside {plan.backup_name} is damaged. It was not restored.") from e
    finally:
        engine.dispose()
    conn = raw_connect(plan.new_db, key)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")  # one file to move into place, no -wal
    finally:
        conn.close()
