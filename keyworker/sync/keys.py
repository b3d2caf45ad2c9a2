"""The unit's sync key: random, versioned by an epoch, held in the vault wrapped under the unit
key (AES-256-GCM under an HKDF-SHA256 key of the database key, as the outbox secrets are), and
created the first time it is needed. Op payloads are sealed under it with AES-256-GCM; the
associated data is op_id | entity_type | entity_id, so a payload cannot be moved to another op
or record. A sealed payload: 1 byte version (2), the key epoch (4 bytes, big-endian: the hub
keeps no epoch column, so the payload says which key opens it), 12 bytes nonce, ciphertext and
tag."""
from __future__ import annotations

import base64
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keyworker.errors import VaultError
from keyworker.security.vault import Vault

_VERSION = b"\x02"
_HEAD = 1 + 4 + 12
_WRAP_INFO = b"keyworker sync keys v1"


class PayloadUnreadable(Exception):
    """A payload that does not open: another key, another op, or altered bytes."""


def _aad(op_id: str, entity_type: str, entity_id: str) -> bytes:
    return f"{op_id}|{entity_type}|{entity_id}".encode()


def _wrap_key(unit_key: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_WRAP_INFO).derive(unit_key))


def _wrap_aad(unit_id: str, epoch: int) -> bytes:
    return f"{unit_id}|sync-key|{epoch}".encode()


@dataclass
class Keyring:
    """The sync keys of one unit, unwrapped: epoch -> key. `current` seals; any opens."""

    keys: dict[int, bytes]
    _aead: dict[int, AESGCM] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:  # never show a key
        return f"Keyring(epochs={sorted(self.keys)})"

    @property
    def current(self) -> int:
        return max(self.keys)

    def _cipher(self, epoch: int) -> AESGCM:
        c = self._aead.get(epoch)
        if c is None:
            c = self._aead[epoch] = AESGCM(self.keys[epoch])
        return c

    def seal(self, op_id: str, entity_type: str, entity_id: str, plaintext: bytes) -> tuple[int, bytes]:
        epoch = self.current
        nonce = os.urandom(12)
        return epoch, _VERSION + epoch.to_bytes(4, "big") + nonce + self._cipher(epoch).encrypt(
            nonce, plaintext, _aad(op_id, entity_type, entity_id))

    def open(self, epoch: int | None, op_id: str, entity_type: str, entity_id: str, sealed: bytes) -> bytes:
        """The plaintext; `epoch` (when the caller knows it) must be the one the payload names."""
        named = epoch_of(sealed)
        if epoch is not None and named != epoch:
            raise PayloadUnreadable("the payload names another key epoch")
        if named not in self.keys:
            raise PayloadUnreadable(f"no sync key of epoch {named} on this laptop")
        try:
            return self._cipher(named).decrypt(sealed[5:_HEAD], sealed[_HEAD:], _aad(op_id, entity_type, entity_id))
        except InvalidTag as e:
            raise PayloadUnreadable("the payload does not open with this unit's sync key") from e


def epoch_of(sealed: bytes) -> int:
    """The key epoch a sealed payload names."""
    if sealed[:1] != _VERSION or len(sealed) < _HEAD + 16:
        raise PayloadUnreadable("the payload is damaged")
    return int.from_bytes(sealed[1:5], "big")


_lock = threading.Lock()


def add_epoch(vault: Vault, unit_key: bytes, epoch: int, key: bytes) -> None:
    """Keep a later epoch's key (a rotation: keyworker/sync/rotate.py) in the vault, wrapped under
    the unit key as the first one is. An epoch the file already has is left as it is."""
    if epoch < 1 or len(key) != 32:
        raise ValueError("a sync key is 32 bytes of an epoch from 1")
    nonce = os.urandom(12)
    wrapped = _wrap_key(unit_key).encrypt(nonce, key, _wrap_aad(vault.unit_id, epoch))
    with _lock:
        vault.add_sync_key({"epoch": epoch, "nonce": base64.b64encode(nonce).decode(),
                            "wrapped": base64.b64encode(wrapped).decode()})


def highest_epoch(vault: Vault) -> int:
    """The newest epoch the vault holds (0: none yet), without unwrapping anything."""
    return max((int(e["epoch"]) for e in vault.sync_keys() if isinstance(e.get("epoch"), int)), default=0)


def keyring(vault: Vault, unit_key: bytes) -> Keyring:
    """The unit's sync keys, creating epoch 1 (in the vault, under its lock) the first time."""
    with _lock:
        entries = vault.sync_keys()
        if not entries:
            key = os.urandom(32)
            nonce = os.urandom(12)
            wrapped = _wrap_key(unit_key).encrypt(nonce, key, _wrap_aad(vault.unit_id, 1))
            entries = vault.add_sync_key({"epoch": 1, "nonce": base64.b64encode(nonce).decode(),
                                          "wrapped": base64.b64encode(wrapped).decode()})
        keys: dict[int, bytes] = {}
        aead = _wrap_key(unit_key)
        for e in entries:
            try:
                epoch = int(e["epoch"])
                keys[epoch] = aead.decrypt(base64.b64decode(e["nonce"]), base64.b64decode(e["wrapped"]),
                                           _wrap_aad(vault.unit_id, epoch))
            except (KeyError, ValueError, TypeError, InvalidTag) as err:
                raise VaultError(f"The key vault {vault.path.name} is damaged (a sync key cannot be read).") from err
        return Keyring(keys)


def rewrap(data: dict[str, Any], unit_id: str, old_key: bytes, new_key: bytes) -> None:
    """Every epoch wrapped again under a new unit key (inside Vault.update, when the database is
    re-keyed: keyworker/sync/unit_key.py). Raises VaultError if one does not open."""
    old, new = _wrap_key(old_key), _wrap_key(new_key)
    for e in data.get("sync_keys") or []:
        try:
            aad = _wrap_aad(unit_id, int(e["epoch"]))
            key = old.decrypt(base64.b64decode(e["nonce"]), base64.b64decode(e["wrapped"]), aad)
        except (KeyError, ValueError, TypeError, InvalidTag) as err:
            raise VaultError("The key vault is damaged (a sync key cannot be read).") from err
        nonce = os.urandom(12)
        e["nonce"] = base64.b64encode(nonce).decode()
        e["wrapped"] = base64.b64encode(new.encrypt(nonce, key, aad)).decode()
