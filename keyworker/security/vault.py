"""The key vault: a small JSON file beside the database holding the random database key wrapped
once per account (and once for the recovery key).

Each slot: Argon2id(password, salt) -> key-encryption key -> AES-256-GCM(database key). The slot id,
kind and user name are bound in as associated data, so a slot cannot be moved to another user.
Changing a password re-wraps one slot; removing an account removes its slot. The vault also keeps
the failed sign-in counters, so throttling survives a restart (the DB cannot be read before sign-in).

Several processes may have the same unit open, so the in-memory copy is only a cache: every change
is a read-modify-write of the CURRENT file under an exclusive lock (`<vault>.lock` beside it), and
reads for sign-in reload the file. To change any field, one call:

    vault.update(lambda data: data.__setitem__("my_field", value))

`update(change)` takes the lock (re-entrant within this object), reloads the file, applies
`change(data)` to a copy, writes it atomically and returns what `change` returned; if `change`
raises, nothing is written. `locked()` holds the lock across several steps (a transaction).

Slots added by an account change start "pending" until the database commit that goes with them;
see keyworker.security.vault_repair for how a crash between the two is repaired on open.
"""
from __future__ import annotations

import base64
import copy
import errno
import json
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TypeVar

import portalocker
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keyworker.clock import Clock
from keyworker.errors import AuthenticationFailed, SignInThrottled, StorageError, VaultError
from keyworker.ids import new_id
from keyworker.security import throttle, unit_keys
from keyworker.security.throttle import FREE_FAILURES as FREE_FAILURES
from keyworker.security.throttle import MAX_DELAY_S as MAX_DELAY_S
from keyworker.security.throttle import RECOVERY_COUNTER as RECOVERY_COUNTER
from keyworker.security.throttle import throttle_delay as throttle_delay

FORMAT = "keyworker-vault"
VERSION = 1
RECOVERY = "recovery"
ACCOUNT = "account"
T = TypeVar("T")


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. The default is tuned so one unlock takes 0.3-0.6 s on a 2-core laptop."""

    time_cost: int = 4
    memory_kib: int = 131072
    parallelism: int = 1


DEFAULT_KDF = KdfParams()
# For tests only: the same algorithm at a cost that keeps the suite fast.
FAST_KDF = KdfParams(time_cost=1, memory_kib=8192, parallelism=1)


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: str) -> bytes:
    return base64.b64decode(s.encode("ascii"), validate=True)


def derive(secret: str, salt: bytes, kdf: KdfParams) -> bytes:
    return hash_secret_raw(
        secret.encode("utf-8"), salt, kdf.time_cost, kdf.memory_kib, kdf.parallelism, 32, Type.ID
    )


def normalise_username(username: str) -> str:
    return username.strip().lower()


def vault_path_for(db_path: Path | str) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + ".vault")


def lock_path_for(path: Path | str) -> Path:
    """The advisory lock file beside `path` (the vault's, or the unit database's: unit_files)."""
    p = Path(path)
    return p.with_name(p.name + ".lock")


class Vault:
    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self._data = data
        # An ephemeral vault (a backup's, being checked) never writes to disk.
        self.ephemeral = False
        self._lock_file: IO[str] | None = None
        self._lock_depth = 0
        self._thread_lock = threading.RLock()

    # -- files -------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path) -> Vault:
        data = {"format": FORMAT, "version": VERSION, "unit_id": new_id(), "slots": [], "throttle": {}}
        return cls(Path(path), data)

    @classmethod
    def load(cls, path: Path | str) -> Vault:
        path = Path(path)
        return cls(path, _read_file(path))

    @classmethod
    def from_data(cls, path: Path, data: Any) -> Vault:
        return cls(path, _checked(path, data))

    def to_json(self) -> str:
        return json.dumps(self._data, indent=1, sort_keys=True)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the vault's file lock (exclusive; re-entrant within this object)."""
        with self._thread_lock:
            if self.ephemeral or self._lock_depth:
                self._lock_depth += 1
                try:
                    yield
                finally:
                    self._lock_depth -= 1
                return
            lock = lock_path_for(self.path)
            try:
                f = os.fdopen(os.open(lock, os.O_CREAT | os.O_RDWR, 0o600), "r+")
            except OSError as e:
                if e.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
                    raise StorageError(f"The folder {lock.parent} is read-only, and Keyworker must write "
                                       f"the key vault's lock file {lock.name} there. Nothing was changed.") from e
                raise StorageError(f"Could not open the key vault's lock file {lock.name} "
                                   f"({e.strerror or e}). Nothing was changed.") from e
            try:
                portalocker.lock(f, portalocker.LOCK_EX)
                self._lock_file, self._lock_depth = f, 1
                try:
                    yield
                finally:
                    self._lock_depth, self._lock_file = 0, None
                    portalocker.unlock(f)
            finally:
                f.close()

    def refresh(self) -> None:
        """Reload the current file into the cache (another process may have changed it)."""
        with self.locked():
            self._data = self._current()

    def update(self, change: Callable[[dict[str, Any]], T]) -> T:
        """Read-modify-write the current file under the lock; see the module docstring."""
        with self.locked():
            data = self._current()
            before = json.dumps(data, sort_keys=True)
            result = change(data)
            if json.dumps(data, sort_keys=True) != before or not self.path.exists():
                self._write(data)
            self._data = data
            return result

    def save(self) -> None:
        """Write this copy over the file, whole: only for a new vault or a restored backup's.
        Every other change goes through update()."""
        with self.locked():
            self._write(self._data)

    def _current(self) -> dict[str, Any]:
        if self.ephemeral or not self.path.exists():
            return copy.deepcopy(self._data)  # a vault not yet written (being created) or a backup's
        data = _read_file(self.path)
        if data["unit_id"] != self._data["unit_id"]:
            raise VaultError(f"The key vault {self.path.name} was replaced by another unit's vault.")
        return data

    def _write(self, data: dict[str, Any]) -> None:
        """Atomic replace: a full disk or a crash leaves the previous vault intact."""
        if self.ephemeral:
            return
        tmp_name = None
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=".vault-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps(data, indent=1, sort_keys=True))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp_name, self.path)
            tmp_name = None
            fsync_dir(self.path.parent)  # so the rename itself survives a power cut
        except OSError as e:
            raise StorageError(f"Could not write the key vault ({e.strerror or e}). Nothing was changed.") from e
        finally:
            if tmp_name and os.path.exists(tmp_name):
                os.unlink(tmp_name)

    @property
    def unit_id(self) -> str:
        return str(self._data["unit_id"])

    # -- slots -------------------------------------------------------------------------------
    def _aad(self, slot_id: str, kind: str, username: str, gen: int = 1) -> bytes:
        # A slot of a later unit key generation (keyworker/security/unit_keys.py) names it too.
        return f"{self.unit_id}|{slot_id}|{kind}|{username}".encode() + (f"|gen{gen}".encode() if gen > 1 else b"")

    def new_slot(self, kind: str, username: str, secret: str, db_key: bytes,
                 kdf: KdfParams = DEFAULT_KDF, gen: int = 1) -> dict[str, Any]:
        """Wrap `db_key` (unit key generation `gen`) with `secret` (slow: Argon2id). Not yet in the vault."""
        username = normalise_username(username) if kind == ACCOUNT else RECOVERY
        salt = secrets.token_bytes(16)
        nonce = secrets.token_bytes(12)
        slot_id = new_id()
        kek = derive(secret, salt, kdf)
        wrapped = AESGCM(kek).encrypt(nonce, db_key, self._aad(slot_id, kind, username, gen))
        extra: dict[str, Any] = {"gen": gen} if gen > 1 else {}
        return {**extra, 
            "id": slot_id,
            "kind": kind,
            "username": username,
            "kdf": {"alg": "argon2id", "t": kdf.time_cost, "m": kdf.memory_kib, "p": kdf.parallelism,
                    "salt": _b64(salt)},
            "nonce": _b64(nonce),
            "wrapped": _b64(wrapped),
        }

    def add_slot(self, kind: str, username: str, secret: str, db_key: bytes, kdf: KdfParams = DEFAULT_KDF) -> str:
        """Wrap `db_key` with `secret`, replacing any slot this user already has (at once: for a
        new unit; account changes use add_pending + commit_slot). Returns the slot id."""
        slot = self.new_slot(kind, username, secret, db_key, kdf)

        def put(data: dict[str, Any]) -> None:
            _drop(data, lambda s: s.get("kind") == kind and s.get("username") == slot["username"])
            data["slots"].append(slot)

        self.update(put)
        return str(slot["id"])

    def add_pending(self, slot: dict[str, Any]) -> None:
        """Add a slot that takes effect only when commit_slot() is called (after the DB commit)."""
        self.update(lambda data: data["slots"].append({**slot, "pending": True}))

    def commit_slot(self, slot_id: str) -> bool:
        """The pending slot becomes the user's slot; the user's previous slot is dropped."""
        def commit(data: dict[str, Any]) -> bool:
            slot = next((s for s in data["slots"] if s.get("id") == slot_id), None)
            if slot is None:
                return False
            _drop(data, lambda s: s.get("kind") == slot["kind"] and s.get("username") == slot["username"]
                  and s.get("id") != slot_id)
            slot.pop("pending", None)
            return True

        return self.update(commit)

    def drop_slot(self, slot_id: str) -> bool:
        return bool(self.update(lambda data: _drop(data, lambda s: s.get("id") == slot_id)))

    def remove_slot(self, kind: str, username: str) -> bool:
        username = normalise_username(username) if kind == ACCOUNT else RECOVERY
        return bool(self.update(
            lambda data: _drop(data, lambda s: s.get("kind") == kind and s.get("username") == username)))

    def has_slot(self, kind: str, username: str) -> bool:
        username = normalise_username(username) if kind == ACCOUNT else RECOVERY
        return any(s["kind"] == kind and s["username"] == username and not s.get("pending")
                   for s in self._data["slots"])

    def usernames(self) -> list[str]:
        return sorted(s["username"] for s in self._data["slots"] if s["kind"] == ACCOUNT and not s.get("pending"))

    def _unwrap(self, slot: dict[str, Any], secret: str) -> bytes | None:
        try:
            k = slot["kdf"]
            kdf = KdfParams(int(k["t"]), int(k["m"]), int(k["p"]))
            kek = derive(secret, _unb64(k["salt"]), kdf)
            return AESGCM(kek).decrypt(
                _unb64(slot["nonce"]), _unb64(slot["wrapped"]),
                self._aad(slot["id"], slot["kind"], slot["username"], unit_keys.slot_gen(slot)))
        except InvalidTag:
            return None
        except (KeyError, ValueError, TypeError) as e:
            raise VaultError(f"The key vault {self.path.name} is damaged (a key slot cannot be read).") from e

    def open_slot(self, kind: str, username: str, secret: str) -> bytes | None:
        """The database key if `secret` opens this user's committed slot (no counting): the key
        the database file is under now, even if the slot wraps another generation of it."""
        slot = self._slot(kind, username)
        key = self.open_slot_raw(kind, username, secret)
        if key is None or slot is None:
            return key
        return unit_keys.walk(self._data, self.unit_id, key, unit_keys.slot_gen(slot), unit_keys.file_gen(self._data))

    def _slot(self, kind: str, username: str) -> dict[str, Any] | None:
        username = normalise_username(username) if kind == ACCOUNT else RECOVERY
        return next((s for s in self._data["slots"] if s.get("kind") == kind and s.get("username") == username
                     and not s.get("pending")), None)

    def slot_gen(self, kind: str, username: str) -> int:
        """Which unit key generation this user's committed slot wraps (0: no slot)."""
        slot = self._slot(kind, username)
        return 0 if slot is None else unit_keys.slot_gen(slot)

    def unit_key_gens(self) -> tuple[int, int]:
        """(the generation the database file is under, the newest this vault knows)."""
        return unit_keys.file_gen(self._data), unit_keys.newest_gen(self._data)

    def open_slot_raw(self, kind: str, username: str, secret: str) -> bytes | None:
        """The key this user's committed slot wraps, of the slot's own generation (no counting)."""
        username = normalise_username(username) if kind == ACCOUNT else RECOVERY
        slot = next((s for s in self._data["slots"] if s.get("kind") == kind and s.get("username") == username
                     and not s.get("pending")), None)
        if slot is None:
            # Spend the same time as a real attempt, so timing does not reveal which names exist.
            derive(secret, b"\0" * 16, DEFAULT_KDF)
            return None
        return self._unwrap(slot, secret)

    def unlock(self, username: str, password: str, clock: Clock) -> bytes:
        """The database key, if `password` opens `username`'s slot. Counts failures and throttles."""
        username = normalise_username(username)
        return self.attempt(username, clock, lambda: self.open_slot(ACCOUNT, username, password))

    def unlock_recovery(self, recovery_key: str, clock: Clock) -> bytes:
        """The database key, if this is the unit's recovery key (throttled by its own counter)."""
        if not any(s.get("kind") == RECOVERY for s in self._data["slots"]):
            raise VaultError("This unit has no recovery key.")
        return self.attempt(RECOVERY_COUNTER, clock,
                            lambda: self.open_slot(RECOVERY, RECOVERY, normalise_recovery_key(recovery_key)))

    # -- the audit chain's anchor (keyworker/security/audit_anchor.py) ------------------------
    def record_chain_head(self, genesis: str, seq: int, hash_: str) -> None:
        """The audit chain's first entry hash and its high-water mark, kept outside the database."""
        def change(data: dict[str, Any]) -> None:
            old = data.get("audit_chain")
            # Another process may have anchored further already: a mark never goes down here.
            if isinstance(old, dict) and old.get("genesis") == genesis and isinstance(old.get("seq"), int) \
                    and old["seq"] > seq:
                return
            data["audit_chain"] = {"genesis": genesis, "seq": seq, "hash": hash_}

        self.update(change)

    def chain_head(self) -> dict[str, Any] | None:
        head = self._data.get("audit_chain")
        return dict(head) if isinstance(head, dict) else None

    def record_chain_verified(self, seq: int, hash_: str) -> None:
        """The last entry a `check` walked the chain to and found sound: the next check need
        only walk the entries after it (keyworker/security/audit_anchor.py, `report`)."""
        def change(data: dict[str, Any]) -> None:
            old = data.get("audit_verified")
            # Another process may have checked further already: the mark never goes down here.
            if isinstance(old, dict) and isinstance(old.get("seq"), int) and old["seq"] > seq:
                return
            data["audit_verified"] = {"seq": seq, "hash": hash_}

        self.update(change)

    def chain_verified(self) -> dict[str, Any] | None:
        mark = self._data.get("audit_verified")
        return dict(mark) if isinstance(mark, dict) else None

    # -- the unit's sync keys (keyworker/sync/keys.py) ----------------------------------------
    def sync_keys(self) -> list[dict[str, Any]]:
        """The sync key epochs, each wrapped under the unit key: [{"epoch", "nonce", "wrapped"}]."""
        keys = self._data.get("sync_keys")
        return [dict(k) for k in keys if isinstance(k, dict)] if isinstance(keys, list) else []

    def add_sync_key(self, entry: dict[str, Any]) -> list[dict[str, Any]]:
        """Add one wrapped epoch unless the current file already has that epoch (another process
        may have created it first). Returns the epochs now in the file."""
        def change(data: dict[str, Any]) -> list[dict[str, Any]]:
            keys = data.setdefault("sync_keys", [])
            if not any(isinstance(k, dict) and k.get("epoch") == entry["epoch"] for k in keys):
                keys.append(dict(entry))
            return [dict(k) for k in keys if isinstance(k, dict)]

        return self.update(change)

    # -- throttling --------------------------------------------------------------------------
    def attempt(self, counter: str, clock: Clock, try_open: Callable[[], bytes | None]) -> bytes:
        """Count one sign-in attempt on `counter` (under the lock, before the slow check, so
        parallel attempts are all counted), run `try_open`, then clear or queue the failure.
        `try_open` may read another vault (a backup's) while this one keeps the count."""
        now = clock.now()
        wait = self.update(lambda data: throttle.reserve_attempt(data, counter, now))
        if wait:
            raise SignInThrottled(wait)
        key = try_open()
        if key is None:
            self.update(lambda data: throttle.queue_failure(data, counter, now))
            raise AuthenticationFailed()
        self.update(lambda data: throttle.clear(data, counter))
        return key

    def failures(self, username: str) -> int:
        return throttle.failures(self._data, normalise_username(username), datetime.now(UTC))

    def pending_failures(self) -> tuple[list[tuple[str, str, str]], dict[str, Any] | None]:
        """Failed sign-ins not yet in the audit chain, from the current file: ((at, name, id) ...),
        and a summary {count, first, last} of unknown names beyond the first few."""
        self.refresh()
        return throttle.pending(self._data)

    def drop_pending_failures(self, ids: set[str], more_count: int) -> None:
        self.update(lambda data: throttle.drop_pending(data, ids, more_count))

    def take_counters_from(self, live: Vault | None) -> None:
        """A restored vault keeps the live unit's sign-in counters and its failures not yet
        audited (not the backup's own, which were audited before the backup was made)."""
        source = throttle.counters(live._data) if live is not None else {}
        # The sync keys too (keyworker/sync/keys.py): a backup older than an epoch must still
        # open what the unit's other laptops seal, so the live vault's epochs are kept.
        live_keys = live.sync_keys() if live is not None and live.unit_id == self.unit_id else []

        def change(data: dict[str, Any]) -> None:
            throttle.replace_counters(data, source)
            keys = data.setdefault("sync_keys", [])
            have = {k.get("epoch") for k in keys if isinstance(k, dict)}
            keys.extend(k for k in live_keys if k.get("epoch") not in have)
            if not keys:
                data.pop("sync_keys")

        self.update(change)


def _drop(data: dict[str, Any], which: Callable[[dict[str, Any]], bool]) -> int:
    before = len(data["slots"])
    data["slots"] = [s for s in data["slots"] if not which(s)]
    return before - len(data["slots"])


def _read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise VaultError(
            f"The key vault {path.name} is missing beside the database. Restore it from a backup."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise VaultError(f"The key vault {path.name} is damaged and cannot be read.") from e
    return _checked(path, data)


def _checked(path: Path, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("slots"), list):
        raise VaultError(f"{path.name} is not a Keyworker key vault.")
    if data.get("version") != VERSION:
        raise VaultError(f"The key vault {path.name} was written by a newer version of Keyworker.")
    if not all(isinstance(s, dict) for s in data["slots"]) or not isinstance(data.get("unit_id"), str):
        raise VaultError(f"The key vault {path.name} is damaged (a key slot cannot be read).")
    data.setdefault("throttle", {})
    if not isinstance(data["throttle"], dict):
        raise VaultError(f"The key vault {path.name} is damaged (the sign-in counters cannot be read).")
    return data


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; Windows cannot open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not possible on every platform; the file itself was already synced
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def new_recovery_key() -> str:
    """A 200-bit recovery key shown once, as eight groups of five characters (Crockford-like base32)."""
    raw = base64.b32encode(secrets.token_bytes(25)).decode("ascii").rstrip("=")
    return "-".join(raw[i : i + 5] for i in range(0, 40, 5))


def normalise_recovery_key(text: str) -> str:
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return "-".join(cleaned[i : i + 5] for i in range(0, len(cleaned), 5))


def new_db_key() -> bytes:
    return secrets.token_bytes(32)
