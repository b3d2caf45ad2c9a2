"""Rotating the unit (database) key after a revocation (docs/SYNC.md, "Rotating keys as built").

The unit key is the SQLCipher key of the unit's database, the same on every laptop of the unit:
each account's key slot wraps it and moves to every laptop (keyworker/sync/slots.py), and an
enrolment bundle hands it on. A removed laptop keeps it. `rotate_unit_key(book)` (an
administrator's, MANAGE_LAPTOPS, audited `sync.rotate_unit_key`) makes the next generation:

1. **Publish.** A random 32-byte key, generation N + 1, wrapped for each live laptop's X25519
   public key exactly as a sync key epoch is (keyworker/sync/rotate.py `wrap_key`), with its own
   associated data (`keyworker-unit-key-wrap-v1|...`), so a sync key's wrap can never be taken for
   a unit key's; the hub (keyworker/hub/keys.py `publish_unit_key`, migration h0004) takes it only
   as generation current + 1, with a wrap for every live laptop and none for a removed one.
2. **Take.** Every laptop (this one at once) keeps it in its vault as a step (keyworker/security/
   unit_keys.py: the new key sealed under the old, and the old under the new). Other laptops take
   it at the start of their next sync round (`take_unit_keys`). Nothing else changes then: the
   database and the vault's secrets stay under the old key while the unit is open.
3. **Re-key at the next open** (`prepare_open`, from Casebook's open path before its engine
   exists): with the unit locked for replacing (no other window or process has it open), the file
   is checkpointed, copied beside itself (`<unit>.before-rekey-<N>`, owner-only: an encrypted copy
   under the old key), exported with `sqlcipher_export` into a new file under the new key, checked
   (`PRAGMA quick_check`), its destination secrets and pseudonym secret sealed again under the new
   key, and renamed over the unit (atomic). Then, in one atomic vault write, the vault's sync keys,
   hub token and private key are wrapped again under the new key and the vault records the new
   generation; the copy is removed. A failure at any step leaves the old file (or puts the copy
   back), the unit opens with the old key and says so; the next open tries again. A crash between
   the rename and the vault write is found at the next open (the file opens with the new key) and
   finished.
4. **Slots.** A person whose slot wraps an older generation signs in as before (the steps lead to
   the current key); their slot is then wrapped again under the newest key (`rewrap_slot`, from
   Casebook.open) and moves to the other laptops as a password change does. `status(book)` lists
   the accounts still to sign in; once none is left, the old steps up are dropped.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keyworker.errors import KeyworkerError, StorageError, VaultError
from keyworker.security import unit_keys
from keyworker.security.slot_changes import crash_point
from keyworker.security.vault import ACCOUNT, RECOVERY, Vault, fsync_dir
from keyworker.sync.client import HubClient
from keyworker.sync.hubconf import device_private_key, hub_config

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

FAIL_ENV = "KEYWORKER_TEST_REKEY_FAIL"  # tests only: fail (raise) the re-key at a named step
STEPS = ("rekey_copied", "rekey_exported", "rekey_renamed")


class RekeyStepFailed(KeyworkerError):
    pass


def _step(name: str) -> None:
    crash_point(name)  # tests: KEYWORKER_TEST_CRASH_AT kills the process here
    if os.environ.get(FAIL_ENV) == name:
        raise RekeyStepFailed(f"a test stopped it at {name}")


def _aad(hub_unit: str, unit_id: str, gen: int, device_id: str) -> bytes:
    return f"keyworker-unit-key-wrap-v1|{hub_unit}|{unit_id}|{gen}|{device_id}".encode()


@dataclass(frozen=True)
class UnitKeyRotation:
    generation: int      # the unit key's generation now
    laptops: int         # how many laptops were given it (this one included)
    codes_expired: int   # unused enrolment codes the hub expired
    at: datetime


@dataclass(frozen=True)
class UnitKeyStatus:
    file_generation: int         # the generation this laptop's database file is under
    newest_generation: int       # the newest this laptop holds
    rekey_pending: bool          # this laptop re-keys its database the next time the unit is opened
    still_to_sign_in: tuple[str, ...]  # accounts whose slots wrap an older generation (full names)
    recovery_key_old: bool       # the recovery key's slot wraps an older generation


# -- taking a generation (every laptop) ------------------------------------------------------------
def _keep(vault: Vault, file_key: bytes, opened: dict[int, bytes]) -> int:
    """Keep newly opened generations as steps from the newest one this vault reaches."""
    added = 0

    def change(data: dict[str, Any]) -> None:
        nonlocal added
        gen = unit_keys.newest_gen(data)
        key = unit_keys.walk(data, vault.unit_id, file_key, unit_keys.file_gen(data), gen)
        for g in sorted(opened):
            if g <= gen:
                continue
            if unit_keys.add_step(data, unit_keys.make_step(vault.unit_id, key, gen, opened[g], g)):
                added += 1
            gen, key = g, opened[g]

    vault.update(change)
    return added


def take_unit_keys(book: Casebook, hub: HubClient) -> int:
    """Fetch this laptop's wraps of the unit key generations after the newest it holds, open them
    with its private key and keep them in its vault as steps (no database statement: the re-key
    waits for the next open). Returns how many were added. A wrap that does not open is left: the
    laptop keeps its key and says nothing here (the administrator's screen lists who has re-keyed)."""
    vault = book._vault
    vault.refresh()
    _file, have = vault.unit_key_gens()
    _unit_gen, wrapped = hub.unit_keys(have)
    if not wrapped:
        return 0
    config = hub_config(vault)
    assert config is not None
    from keyworker.sync.rotate import _device, unwrap_key

    private = device_private_key(vault, book._key)
    opened: dict[int, bytes] = {}
    failed: list[int] = []
    for w in wrapped:
        try:
            opened[w.epoch] = unwrap_key(private, w.wrapped, _aad(config.unit_id, vault.unit_id, w.epoch,
                                                                 _device(config.device_id)))
        except ValueError:
            failed.append(w.epoch)
    added = _keep(vault, book._key, opened) if opened else 0
    if failed and max(failed) > max(opened, default=0):
        # Said, not raised: syncing goes on with the key this laptop has. A later generation that
        # opens steps over the damaged one.
        book.unit_key_notice = (
            f"The unit's new database key (generation {max(failed)}) that the hub holds for this laptop does not "
            "open here: it may have been damaged. This laptop keeps its key and goes on syncing. Ask an "
            "administrator to rotate the unit's database key again from another laptop.")
    return added


# -- an administrator's rotation -------------------------------------------------------------------
def rotate_unit_key(book: Casebook) -> UnitKeyRotation:
    """Make, publish and keep the unit's next database key (see the module's docstring)."""
    from keyworker.sync.enrol import MANAGE_LAPTOPS
    from keyworker.sync.rotate import RotationRefused, _device, wraps_for_live_laptops
    from keyworker.sync.run import NotEnrolled, client_for

    book.require(MANAGE_LAPTOPS)
    config = hub_config(book._vault)
    if config is None:
        raise NotEnrolled()
    with client_for(book) as hub:
        take_unit_keys(book, hub)
        _file, current = book._vault.unit_key_gens()
        unit_gen, _ = hub.unit_keys(current)
        if unit_gen > current:
            raise RotationRefused(f"The unit's database key is at generation {unit_gen} and this laptop has only up "
                                  f"to {current}, so it cannot rotate it: rotate from a laptop that has synced since "
                                  "the last rotation. Nothing was changed")
        gen = current + 1
        key = os.urandom(32)
        wraps = wraps_for_live_laptops(config, book._vault.unit_id, gen, key, hub.devices(), aad=_aad,
                                       what="database key")
        if _device(config.device_id) not in wraps:
            raise RotationRefused("The hub does not list this laptop as enrolled: nothing was changed")
        answer = hub.publish_unit_key(gen, wraps)
    _keep(book._vault, book._key, {gen: key})
    done = UnitKeyRotation(gen, len(wraps), int(answer.get("codes_expired") or 0), book.clock.now())
    with book._write() as s:
        book._record(s, "sync.rotate_unit_key", "unit", book._vault.unit_id,
                     detail={"generation": gen, "laptops": done.laptops, "codes_expired": done.codes_expired})
    return done


def status(book: Casebook) -> UnitKeyStatus:
    """Where this laptop's database and the vault's slots stand (no network). For the Laptops page."""
    from sqlalchemy import select

    from keyworker.db.foundation import Account

    vault = book._vault
    vault.refresh()
    data = vault.update(lambda d: {"slots": [dict(s) for s in d["slots"]], unit_keys.FIELD: d.get(unit_keys.FIELD)})
    file_gen, newest = unit_keys.file_gen(data), unit_keys.newest_gen(data)
    old = unit_keys.behind(data)
    names = {str(s.get("username")) for s in old if s.get("kind") == ACCOUNT}
    with book._read() as s:
        rows = s.execute(select(Account.username, Account.full_name).where(Account.archived.is_(False),
                                                                           Account.disabled.is_(False))).all()
    full = sorted(f"{r.full_name} ({r.username})" for r in rows if r.username in names)
    return UnitKeyStatus(file_gen, newest, newest > file_gen, tuple(full),
                         any(s.get("kind") == RECOVERY for s in old))


# -- a slot of an older generation, at its owner's sign-in -----------------------------------------
def rewrap_slot(book: Casebook, kind: str, username: str, secret: str) -> bool:
    """Wrap this person's slot again under the newest key (their secret is known only now), as a
    password change does, so it moves to the other laptops. True if it was re-wrapped."""
    vault = book._vault
    file_gen, newest = vault.unit_key_gens()
    have = vault.slot_gen(kind, username)
    if have == 0 or have >= newest:
        return False
    with book._write() as s:
        book._wrap_key_for(kind, username, secret, session=s)
        book._record(s, "unit_key.slot_rewrapped", "account", book.actor.id if kind == ACCOUNT else None,
                     detail={"generation": newest, "was": have, "recovery": kind == RECOVERY} if kind == RECOVERY
                     else {"generation": newest, "was": have})
    vault.update(unit_keys.drop_spent_steps)
    return True


def newest_key(book: Casebook) -> tuple[bytes, int]:
    """The newest unit key this vault reaches, and its generation (slots are wrapped under it)."""
    data = book._vault.update(lambda d: {unit_keys.FIELD: d.get(unit_keys.FIELD)})
    file_gen, newest = unit_keys.file_gen(data), unit_keys.newest_gen(data)
    return unit_keys.walk(data, book._vault.unit_id, book._key, file_gen, newest), newest


# -- the re-key, at open ---------------------------------------------------------------------------
BUSY = ("This laptop holds the unit's new database key but could not re-key its database now, because the unit "
        "is open in another Keyworker window or process. Nothing was changed; it re-keys the next time the unit "
        "is opened with no other window open.")


@dataclass(frozen=True)
class Prepared:
    key: bytes                    # the key the file is under now
    rekeyed: dict[str, Any] | None = None   # {"from", "to"} when it was re-keyed now
    notice: str | None = None     # plain words to show the person who signed in
    failed: str | None = None     # why a re-key failed, for the audit trail


def backup_path(path: Path, gen: int) -> Path:
    return path.with_name(f"{path.name}.before-rekey-{gen}")


def _tmp_path(path: Path, gen: int) -> Path:
    return path.with_name(f"{path.name}.rekey-{gen}.tmp")


def _opens(path: Path, key: bytes) -> bool:
    from keyworker.db.engine import DRIVER_ERRORS, raw_connect

    try:
        conn = raw_connect(path, key)
    except DRIVER_ERRORS:
        return False
    conn.close()
    return True


def _remove(*paths: Path) -> None:
    for p in paths:
        for q in (p, Path(f"{p}-wal"), Path(f"{p}-shm"), Path(f"{p}-journal")):
            try:
                q.unlink()
            except FileNotFoundError:
                pass


def _finish_vault(vault: Vault, old_key: bytes, old_gen: int, new_key: bytes, new_gen: int) -> None:
    """In one atomic vault write: the vault's secrets wrapped again under the new key, and the file
    recorded as under the new generation."""
    from keyworker.sync import hubconf, keys

    def change(data: dict[str, Any]) -> None:
        if unit_keys.file_gen(data) != old_gen:
            raise VaultError("The key vault changed while the database was being re-keyed.")
        keys.rewrap(data, vault.unit_id, old_key, new_key)
        hubconf.rewrap(data, vault.unit_id, old_key, new_key)
        entry = data.setdefault(unit_keys.FIELD, {"steps": []})
        entry["gen"] = new_gen
        unit_keys.drop_spent_steps(data)

    vault.update(change)


def _copy_owner_only(src: Path, dest: Path) -> None:
    fd = os.open(dest, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with open(src, "rb") as f, os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(f, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(dest, 0o600)


def _rekey_file(path: Path, old_key: bytes, new_key: bytes, new_gen: int, backup: Path) -> None:
    from keyworker.db.engine import raw_connect
    from keyworker.outbox.secrets import reseal_all
    from keyworker.returns.pseudonymised import reseal

    tmp = _tmp_path(path, new_gen)
    _remove(tmp)
    conn = raw_connect(path, old_key)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    _copy_owner_only(path, backup)  # the encrypted copy, under the old key
    _step("rekey_copied")
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        conn = raw_connect(path, old_key)
        try:
            conn.execute("ATTACH DATABASE ? AS rekeyed KEY ?", (str(tmp), f"x'{new_key.hex()}'"))
            conn.execute("SELECT sqlcipher_export('rekeyed')")
            conn.execute("DETACH DATABASE rekeyed")
        finally:
            conn.close()
        conn = raw_connect(tmp, new_key)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
            if rows != ["ok"]:
                raise StorageError("The re-keyed copy of the database did not pass its check.")
            conn.execute("BEGIN IMMEDIATE")
            reseal_all(conn, old_key, new_key)
            reseal(conn, old_key, new_key)
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        _step("rekey_exported")
        _remove(Path(f"{path}-wal"), Path(f"{path}-shm"))  # the old file's, empty after its checkpoint
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        _remove(tmp)


def _words(e: BaseException) -> str:
    if isinstance(e, KeyworkerError):
        return e.message if hasattr(e, "message") else str(e)
    if isinstance(e, OSError):
        return e.strerror or str(e)
    return str(e) or type(e).__name__


def prepare_open(path: Path, vault: Vault, key: bytes) -> Prepared:
    """Before the unit's engine exists: finish or make a pending re-key. `key` opens generation
    `file_gen` (the vault's word). Never raises for a re-key that cannot be made: the unit then
    opens with the key it has, and `notice` says why."""
    from keyworker.db.engine import DRIVER_ERRORS
    from keyworker.unit_files import UnitLock

    vault.refresh()
    data = vault.update(lambda d: {unit_keys.FIELD: d.get(unit_keys.FIELD)})
    file_gen, newest = unit_keys.file_gen(data), unit_keys.newest_gen(data)
    if newest <= file_gen:
        backup = backup_path(path, file_gen - 1)
        if file_gen > 1 and backup.exists():
            _remove(backup)  # left by a re-key that was finished (its vault write done)
        return Prepared(key)
    try:
        new_key = unit_keys.walk(data, vault.unit_id, key, file_gen, newest)
    except VaultError as e:
        return Prepared(key, notice=f"This laptop could not re-key its database: {e}", failed=str(e))
    try:
        lock = UnitLock.exclusive_for_replace(path)
    except StorageError:
        return Prepared(key, notice=BUSY)
    backup = backup_path(path, file_gen)
    try:
        if not _opens(path, key):
            if _opens(path, new_key):  # renamed, and stopped before the vault was written: finish it
                _finish_vault(vault, key, file_gen, new_key, newest)
                _remove(backup)
                return Prepared(new_key, rekeyed={"from": file_gen, "to": newest, "finished": True})
            if backup.exists() and _opens(backup, key):  # put the copy back
                _remove(Path(f"{path}-wal"), Path(f"{path}-shm"))
                os.replace(backup, path)
                fsync_dir(path.parent)
        _rekey_file(path, key, new_key, newest, backup)
        _step("rekey_renamed")
        _finish_vault(vault, key, file_gen, new_key, newest)
        _remove(backup)
        return Prepared(new_key, rekeyed={"from": file_gen, "to": newest})
    except (KeyworkerError, *DRIVER_ERRORS, ValueError) as e:
        why = _words(e)
        try:
            if not _opens(path, key) and backup.exists() and _opens(backup, key):
                # Renamed, then the vault could not be written: the copy, under the old key, goes back
                # (nothing was written since: the unit is locked for replacing).
                _remove(Path(f"{path}-wal"), Path(f"{path}-shm"))
                os.replace(backup, path)
                fsync_dir(path.parent)
            if _opens(path, key):
                _remove(backup)
        except OSError:
            pass
        return Prepared(key, notice=_failed_words(why), failed=why)
    finally:
        lock.release()


def _failed_words(why: str) -> str:
    return (f"This laptop could not re-key its database to the unit's new key ({why}). Nothing was lost: it "
            "opened with the key it had, and tries again the next time the unit is opened.")


__all__ = ["BUSY", "Prepared", "UnitKeyRotation", "UnitKeyStatus", "newest_key", "prepare_open", "rewrap_slot",
           "rotate_unit_key", "status", "take_unit_keys"]
