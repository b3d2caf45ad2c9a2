"""Building the demo unit safely: it is built under a temporary name beside its final one and
renamed into place only when complete, so a build killed part-way leaves nothing at the demo's
name. A demo unit is marked as one inside its database (setting `demo`) and in its vault file
(`"demo": true`, readable without a password), and only a unit so marked is ever replaced.
Here too: the demo's accounts and their shared password."""
from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keyworker.errors import StorageError, ValidationError, VaultError
from keyworker.security.vault import fsync_dir, vault_path_for
from keyworker.unit_files import UnitLock, crash_point, lock_path_for, sidecars, write_json_file

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

DEMO_PASSWORD = "Ribble-House-Demo-2026"  # must not contain a demo user name ("worker")
DEMO_ACCOUNTS = [
    ("admin", "Alex Admin", "admin"),
    ("manager", "Morgan Manager", "senior"),
    ("worker", "Sam Worker", "key_worker"),
    ("nights", "Nico Nights", "out_of_hours"),
]
BUILDING = ".building-"
_SUFFIXES = (".vault.lock", ".vault", ".lock", "-wal", "-shm", "-journal")


class NotADemo(StorageError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} is a real unit, not a demo: demo --overwrite only replaces a demo unit.")


def is_demo_unit(db_path: Path) -> bool:
    """What the vault beside `db_path` says (no password needed). A unit without a vault, or one
    whose vault cannot be read, is not treated as a demo."""
    try:
        data = json.loads(vault_path_for(db_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("demo") is True


def build_path_for(db_path: Path) -> Path:
    return db_path.with_name(f".{db_path.name}{BUILDING}{secrets.token_hex(4)}")


def mark_vault_as_demo(db_path: Path) -> None:
    """After the book is closed: add `"demo": true` to its vault file (kept by later saves)."""
    vpath = vault_path_for(db_path)
    try:
        data = json.loads(vpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise VaultError(f"The key vault {vpath.name} of the new demo unit cannot be read.") from e
    data["demo"] = True
    write_json_file(vpath, data)


def remove_stale_builds(db_path: Path) -> list[str]:
    """Delete demo builds left by a process that died; a build still running holds its lock."""
    prefix = f".{db_path.name}{BUILDING}"
    bases: set[Path] = set()
    for p in db_path.parent.glob(prefix + "*"):
        name = p.name
        for suffix in _SUFFIXES:
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        bases.add(p.with_name(name))
    removed = []
    for base in sorted(bases):
        try:
            lock = UnitLock.exclusive_for_replace(base)
        except StorageError:
            continue  # another demo build is running right now
        try:
            for p in sidecars(base):
                p.unlink(missing_ok=True)
        finally:
            lock.release()
        _remove_lock_files(base)
        removed.append(base.name)
    return removed


def refuse_unless_replaceable(db_path: Path, *, force: bool) -> None:
    """Before building: a unit at `db_path` is replaced only with --overwrite (`force`), and only a demo unit."""
    db_exists, vault_exists = db_path.exists(), vault_path_for(db_path).exists()
    if not db_exists and not vault_exists:
        return
    if not is_demo_unit(db_path):
        if force:
            raise NotADemo(db_path)
        raise StorageError(f"{db_path} already exists. Choose another file or open it instead.")
    if db_exists and not force:
        raise StorageError(f"{db_path} already exists. Add --overwrite to replace it.")
    # A demo vault with no database is a demo whose install was killed: it is replaced.


def install(build: Path, db_path: Path, *, force: bool) -> None:
    """Move the finished build into place. The old demo (if any) goes first, then the vault, then
    the database: at every step the files at `db_path` are either a whole unit or not a unit."""
    lock = UnitLock.exclusive_for_replace(db_path)  # not while the demo is open in a window
    try:
        refuse_unless_replaceable(db_path, force=force)  # again: things may have changed meanwhile
        try:
            for p in sidecars(db_path):  # database first: without it, what is left is no unit
                p.unlink(missing_ok=True)
            os.replace(vault_path_for(build), vault_path_for(db_path))
            crash_point("demo:vault-placed")
            os.replace(build, db_path)
            fsync_dir(db_path.parent)
        except OSError as e:
            raise StorageError(f"Could not put the demo unit in place at {db_path} ({e.strerror or e}).") from e
    finally:
        lock.release()
    _remove_lock_files(build)


def build_demo(db_path: Path, build_into: Callable[[Path], None], *, force: bool = False) -> None:
    """Run `build_into(temporary path)` (which creates, fills and closes a unit there), then put
    the result at `db_path`. On any failure the temporary build is deleted and `db_path` untouched."""
    db_path = Path(db_path)
    refuse_unless_replaceable(db_path, force=force)
    if db_path.exists():
        UnitLock.exclusive_for_replace(db_path).release()  # say now, not after the build, that it is open
    if db_path.parent.is_dir():
        remove_stale_builds(db_path)
    build = build_path_for(db_path)
    try:
        build_into(build)
        mark_vault_as_demo(build)
        install(build, db_path, force=force)
    except BaseException:
        for p in sidecars(build):
            try:
                p.unlink(missing_ok=True)
            except OSError:
                pass
        _remove_lock_files(build)
        raise


def _remove_lock_files(build: Path) -> None:
    """A build's own lock files (the unit's and its vault's) go with it."""
    for p in (lock_path_for(build), lock_path_for(vault_path_for(build))):
        p.unlink(missing_ok=True)


def create_unit(path: Path, pw: str, kdf: Any = None) -> Casebook:
    """The demo unit's database at `path`, marked as a demo, with its four accounts; open as admin."""
    from keyworker.casebook import Casebook
    from keyworker.security.vault import DEFAULT_KDF
    from keyworker.settings import set_setting

    book, _ = Casebook.create(path, admin_username="admin", admin_full_name="Alex Admin", password=pw,
                              unit_name="Ribble House (demo unit)", kdf=kdf or DEFAULT_KDF)
    try:
        with book._write() as s:
            set_setting(s, "demo", "true")  # this unit is a demo: `demo --overwrite` may replace it
            book._record(s, "setting.change", "setting", None, detail={"key": "demo", "value": True})
        for user, name, role in DEMO_ACCOUNTS[1:]:
            try:
                book.accounts.create(user, name, role, pw)
            except ValidationError as e:
                problem = e.fields.get("password")
                if problem is None:
                    raise
                raise ValidationError({"password": f"The demo password cannot be used for {user}: {problem}"}) from e
    except BaseException:
        book.close()
        raise
    return book
