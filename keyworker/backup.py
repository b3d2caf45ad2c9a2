"""Encrypted backups: one file holding the vault (wrapped keys only) and an encrypted copy of the
database made by SQLCipher's own export. Nothing in a backup is readable without a password or
the recovery key. Restore checks the file before it touches the live database."""
from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine

from keyworker.clock import Clock
from keyworker.db.engine import DRIVER_ERRORS, raw_connect, translate_db_error
from keyworker.errors import AuthenticationFailed, BackupError, KeyworkerError, PermissionDenied, StorageError
from keyworker.security.permissions import GRANTS, Permission, Role
from keyworker.errors import VaultError
from keyworker.security.vault import ACCOUNT, Vault, _fsync_dir, normalise_username, vault_path_for

MAGIC = b"KEYWORKER-BACKUP\n"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class BackupHeader:
    unit_id: str
    created_at: str
    db_sha256: str
    db_size: int
    vault: dict[str, Any]


def write_backup(engine: Engine, key: bytes, vault: Vault, out: Path, clock: Clock) -> Path:
    """Export the open database (consistent snapshot) and write the backup file atomically."""
    out = Path(out)
    if out.exists():
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
            conn.execute("ATTACH DATABASE ? AS backup KEY ?", (str(export), f"x'{key.hex()}'"))
            try:
                conn.execute("SELECT sqlcipher_export('backup')")
            finally:
                conn.execute("DETACH DATABASE backup")
        finally:
            raw.close()
        data = export.read_bytes()
        header = {
            "format": FORMAT_VERSION,
            "unit_id": vault.unit_id,
            "created_at": clock.now().isoformat(),
            "db_sha256": hashlib.sha256(data).hexdigest(),
            "db_size": len(data),
            "vault": json.loads(vault.to_json()),
        }
        hbytes = json.dumps(header, sort_keys=True).encode("utf-8")
        part = out.with_name(out.name + ".part")
        with os.fdopen(os.open(part, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600), "wb") as f:
            f.write(MAGIC)
            f.write(struct.pack(">I", len(hbytes)))
            f.write(hbytes)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(part, out)
        _fsync_dir(out.parent)
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


def read_backup(path: Path) -> tuple[BackupHeader, bytes]:
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
            data = f.read()
    except (OSError, struct.error, ValueError, UnicodeDecodeError) as e:
        if isinstance(e, OSError) and not isinstance(e, FileNotFoundError):
            raise BackupError(f"{path.name} cannot be read: {e.strerror or e}") from e
        if isinstance(e, FileNotFoundError):
            raise BackupError(f"There is no file {path}.") from e
        raise BackupError(f"{path.name} is not a Keyworker backup or is damaged.") from e
    if not isinstance(header, dict) or header.get("format") != FORMAT_VERSION:
        raise BackupError(f"{path.name} is not a Keyworker backup this version can read.")
    if len(data) != header.get("db_size") or hashlib.sha256(data).hexdigest() != header.get("db_sha256"):
        raise BackupError(f"{path.name} is incomplete or damaged (checksum mismatch). It was not restored.")
    return BackupHeader(header["unit_id"], header["created_at"], header["db_sha256"], header["db_size"],
                        header["vault"]), data


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
    renamed `*.before-restore-<time>`; that folder is returned (None if there was nothing)."""
    header, data = read_backup(backup)
    db_path = Path(db_path)
    vault = Vault.from_data(vault_path_for(db_path), header.vault)
    vault.ephemeral = True  # the backup's vault is only read; the live one counts the attempt
    live = _live_vault(db_path)
    key = (live or vault).attempt(normalise_username(username), clock,
                                  lambda: vault.open_slot(ACCOUNT, username, password))
    vault.take_counters_from(live)
    vault.ephemeral = False
    if not db_path.parent.is_dir():
        raise StorageError(f"The folder {db_path.parent} does not exist.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".kw-restore-", dir=db_path.parent)
    except OSError as e:
        raise translate_db_error(e, db_path) from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            conn = raw_connect(tmp, key)
            ok = conn.execute("PRAGMA integrity_check").fetchone()
            account = conn.execute("SELECT role, disabled FROM accounts WHERE username = ? AND archived = 0",
                                   (username.strip().lower(),)).fetchone()
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.close()
        except (sqlcipher3.Error, *DRIVER_ERRORS) as e:
            raise BackupError(f"The database inside {Path(backup).name} is damaged. It was not restored.") from e
        if not ok or ok[0] != "ok":
            raise BackupError(f"The database inside {Path(backup).name} is damaged. It was not restored.")
        # Restoring replaces everyone's work: only a role allowed to back up may do it.
        if account is None or account[1]:
            raise AuthenticationFailed()
        role = Role(account[0])
        if Permission.BACKUP not in GRANTS[role]:
            raise PermissionDenied(role.value, Permission.BACKUP.value)
        stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
        kept = None
        moved: list[tuple[Path, Path]] = []
        try:
            for p in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm"), vault_path_for(db_path)):
                if p.exists():
                    kept = p.with_name(f"{p.name}.before-restore-{stamp}")
                    os.replace(p, kept)
                    moved.append((p, kept))
            vault.save()
            os.replace(tmp, db_path)
            _fsync_dir(db_path.parent)
        except (OSError, KeyworkerError):
            # Put the previous unit back exactly as it was: a failed restore must not lose it.
            for original, aside in reversed(moved):
                os.replace(aside, original)
            raise
        tmp = ""
        return kept.parent if kept else None
    except OSError as e:
        err = translate_db_error(e, db_path)
        if not isinstance(err, StorageError):
            err = StorageError(f"Restore failed while writing files ({e.strerror or e}).")
        raise StorageError(f"{err} The unit database was not changed.") from e
    finally:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
