"""The key vault: a small JSON file beside the database holding the random database key wrapped
once per account (and once for the recovery key).

Each slot: Argon2id(password, salt) -> key-encryption key -> AES-256-GCM(database key). The slot id,
kind and user name are bound in as associated data, so a slot cannot be moved to another user.
Changing a password re-wraps one slot; removing an account removes its slot. The vault also keeps
the failed sign-in counters, so throttling survives a restart (the DB cannot be read before sign-in).
"""
from __future__ import annotations

import base64
import json
import math
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keyworker.clock import Clock
from keyworker.errors import AuthenticationFailed, SignInThrottled, StorageError, VaultError
from keyworker.ids import new_id

FORMAT = "keyworker-vault"
VERSION = 1
RECOVERY = "recovery"
ACCOUNT = "account"
FREE_FAILURES = 5
MAX_DELAY_S = 300


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


def throttle_delay(failures: int) -> int:
    """Seconds to wait after `failures` failed sign-ins in a row: none for the first five, then
    30 s doubling to a cap of five minutes (a night worker must not be locked out for long)."""
    if failures < FREE_FAILURES:
        return 0
    return min(30 * 2 ** (failures - FREE_FAILURES), MAX_DELAY_S)


def vault_path_for(db_path: Path | str) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + ".vault")


class Vault:
    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self._data = data
        # An ephemeral vault (a backup's, being checked) never writes to disk.
        self.ephemeral = False

    # -- files -------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path) -> Vault:
        data = {"format": FORMAT, "version": VERSION, "unit_id": new_id(), "slots": [], "throttle": {}}
        return cls(Path(path), data)

    @classmethod
    def load(cls, path: Path | str) -> Vault:
        path = Path(path)
        if not path.exists():
            raise VaultError(
                f"The key vault {path.name} is missing beside the database. Restore it from a backup."
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise VaultError(f"The key vault {path.name} is damaged and cannot be read.") from e
        return cls.from_data(path, data)

    @classmethod
    def from_data(cls, path: Path, data: Any) -> Vault:
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("slots"), list):
            raise VaultError(f"{path.name} is not a Keyworker key vault.")
        if data.get("version") != VERSION:
            raise VaultError(f"The key vault {path.name} was written by a newer version of Keyworker.")
        data.setdefault("throttle", {})
        return cls(path, data)

    def to_json(self) -> str:
        return json.dumps(self._data, indent=1, sort_keys=True)

    def snapshot(self) -> str:
        return json.dumps(self._data, sort_keys=True)

    def revert(self, snapshot: str) -> None:
        """Undo in-memory (and, if saved, on-disk) slot changes of a transaction that failed."""
        if self.snapshot() == snapshot:
            return
        self._data = json.loads(snapshot)
        try:
            self.save()
        except StorageError:
            pass  # the disk still has the old vault if the failed change never reached it

    def save(self) -> None:
        """Atomic replace: a full disk or a crash leaves the previous vault intact."""
        if self.ephemeral:
            return
        tmp_name = None
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=".vault-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self.to_json())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp_name, self.path)
            tmp_name = None
            _fsync_dir(self.path.parent)  # so the rename itself survives a power cut
        except OSError as e:
            raise StorageError(f"Could not write the key vault ({e.strerror or e}). Nothing was changed.") from e
        finally:
            if tmp_name and os.path.exists(tmp_name):
                os.unlink(tmp_name)

    @property
    def unit_id(self) -> str:
        return str(self._data["unit_id"])

    # -- slots -------------------------------------------------------------------------------
    def _aad(self, slot_id: str, kind: str, username: str) -> bytes:
        return f"{self.unit_id}|{slot_id}|{kind}|{username}".encode()

    def add_slot(self, kind: str, username: str, secret: str, db_key: bytes, kdf: KdfParams = DEFAULT_KDF) -> None:
        """Wrap `db_key` with `secret`, replacing any slot this user already has."""
        username = normalise_username(username) if kind == ACCOUNT else RECOVERY
        salt = secrets.token_bytes(16)
        nonce = secrets.token_bytes(12)
        slot_id = new_id()
        kek = derive(secret, salt, kdf)
        wrapped = AESGCM(kek).encrypt(nonce, db_key, self._aad(slot_id, kind, username))
        self.remove_slot(kind, username)
        self._data["slots"].append(
            {
                "id": slot_id,
                "kind": kind,
                "username": username,
                "kdf": {"alg": "argon2id", "t": kdf.time_cost, "m": kdf.memory_kib, "p": kdf.parallelism,
                        "salt": _b64(salt)},
                "nonce": _b64(nonce),
                "wrapped": _b64(wrapped),
            }
        )

    def remove_slot(self, kind: str, username: str) -> bool:
        username = normalise_username(username) if kind == ACCOUNT else RECOVERY
        before = len(self._data["slots"])
        self._data["slots"] = [
            s for s in self._data["slots"] if not (s["kind"] == kind and s["username"] == username)
        ]
        return len(self._data["slots"]) != before

    def has_slot(self, kind: str, username: str) -> bool:
        username = normalise_username(username) if kind == ACCOUNT else RECOVERY
        return any(s["kind"] == kind and s["username"] == username for s in self._data["slots"])

    def usernames(self) -> list[str]:
        return sorted(s["username"] for s in self._data["slots"] if s["kind"] == ACCOUNT)

    def _unwrap(self, slot: dict[str, Any], secret: str) -> bytes | None:
        try:
            k = slot["kdf"]
            kdf = KdfParams(int(k["t"]), int(k["m"]), int(k["p"]))
            kek = derive(secret, _unb64(k["salt"]), kdf)
            return AESGCM(kek).decrypt(
                _unb64(slot["nonce"]), _unb64(slot["wrapped"]), self._aad(slot["id"], slot["kind"], slot["username"])
            )
        except InvalidTag:
            return None
        except (KeyError, ValueError, TypeError) as e:
            raise VaultError(f"The key vault {self.path.name} is damaged (a key slot cannot be read).") from e

    def unlock(self, username: str, password: str, clock: Clock) -> bytes:
        """The database key, if `password` opens `username`'s slot. Counts failures and throttles."""
        username = normalise_username(username)
        self._check_throttle(username, clock)
        slot = next((s for s in self._data["slots"] if s["kind"] == ACCOUNT and s["username"] == username), None)
        if slot is None:
            # Spend the same time as a real attempt, so timing does not reveal which names exist.
            derive(password, b"\0" * 16, DEFAULT_KDF)
            key = None
        else:
            key = self._unwrap(slot, password)
        if key is None:
            self._record_failure(username, clock)
            raise AuthenticationFailed()
        self._clear_failures(username)
        return key

    def unlock_recovery(self, recovery_key: str) -> bytes:
        slot = next((s for s in self._data["slots"] if s["kind"] == RECOVERY), None)
        if slot is None:
            raise VaultError("This unit has no recovery key.")
        key = self._unwrap(slot, normalise_recovery_key(recovery_key))
        if key is None:
            raise AuthenticationFailed()
        return key

    # -- the audit chain's anchor (keyworker/security/audit_anchor.py) ------------------------
    def record_chain_head(self, genesis: str, seq: int, hash_: str) -> None:
        """The audit chain's first entry hash and its high-water mark, kept outside the database."""
        self._data["audit_chain"] = {"genesis": genesis, "seq": seq, "hash": hash_}
        self.save()

    def chain_head(self) -> dict[str, Any] | None:
        head = self._data.get("audit_chain")
        return dict(head) if isinstance(head, dict) else None

    # -- throttling --------------------------------------------------------------------------
    def failures(self, username: str) -> int:
        entry = self._data["throttle"].get(normalise_username(username))
        return int(entry["failures"]) if entry else 0

    def _check_throttle(self, username: str, clock: Clock) -> None:
        entry = self._data["throttle"].get(username)
        if not entry:
            return
        wait = throttle_delay(int(entry["failures"]))
        if not wait:
            return
        until = datetime.fromisoformat(entry["last"]) + timedelta(seconds=wait)
        remaining = (until - clock.now()).total_seconds()
        if remaining > 0:
            raise SignInThrottled(math.ceil(remaining))

    def _record_failure(self, username: str, clock: Clock) -> None:
        throttle = self._data["throttle"]
        entry = throttle.setdefault(username, {"failures": 0})
        entry["failures"] = int(entry["failures"]) + 1
        entry["last"] = clock.now().isoformat()
        # Remembered until the database is next opened, then written to the audit chain.
        pending = self._data.setdefault("pending_audit", [])
        pending.append([entry["last"], username[:64]])
        del pending[:-500]
        if len(throttle) > 200:  # unknown names must not grow the file without bound
            oldest = sorted(throttle, key=lambda u: throttle[u]["last"])[: len(throttle) - 200]
            for u in oldest:
                del throttle[u]
        self.save()

    def take_pending_failures(self) -> list[tuple[str, str]]:
        """Failed sign-ins not yet in the audit chain (the caller saves the vault after writing them)."""
        pending = self._data.pop("pending_audit", [])
        return [(str(at), str(user)) for at, user in pending]

    def _clear_failures(self, username: str) -> None:
        if self._data["throttle"].pop(username, None) is not None:
            self.save()


def _fsync_dir(folder: Path) -> None:
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
