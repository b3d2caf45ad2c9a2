"""Rotating the unit's sync key (docs/SYNC.md, "Rotating keys after a revocation").

After a laptop is revoked it keeps every sync key epoch it had, so it could open anything sealed
under them, were it ever to get hold of it. `rotate_sync_key(book)` (an administrator's,
MANAGE_LAPTOPS, audited `sync.rotate_key` on this laptop's chain) makes epoch current + 1:

1. it first takes any epoch the hub already holds for this laptop (so the new one is the next);
2. a new random 32-byte key, wrapped for each live laptop's X25519 public key as the hub lists it
   (this one's too): an ephemeral X25519 key pair, ECDH with the laptop's public key, HKDF-SHA256
   of the shared secret (salt: both public keys), AES-256-GCM with the hub unit, the unit, the
   epoch and the laptop's device id as associated data. A wrap is the ephemeral public key (32),
   the nonce (12) and the ciphertext with its tag (48): 92 bytes;
3. the hub takes the epoch once, only as the next one, and only with a wrap for every live laptop
   and none for a removed one (keyworker/hub/keys.py); it expires the unit's unused enrolment
   codes, whose bundles hold only the old keys;
4. the key goes into this laptop's vault, wrapped under the unit key as every epoch is
   (keyworker/sync/keys.py), and the book's keyring is read again, so what is written from now on
   is sealed with it.

Every other laptop takes it at the start of its next sync round (`take_new_keys`, before the push,
so its new changes are sealed with it too), and again before applying a pulled page that names an
epoch it does not have yet (`keys_for_page`: a rotation between the two would otherwise hold those
ops in quarantine). The revoked laptop is refused by the hub (401), so it never gets the new key;
ops already sealed under an old epoch stay readable by every laptop that has that epoch, as they
were."""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from keyworker.sync import keys
from keyworker.sync.client import HubClient, HubError, WrappedKey
from keyworker.sync.hubconf import HubConfig, device_private_key, hub_config

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

_INFO = b"keyworker sync key wrap v1"
_PUB = 32
_NONCE = 12
WRAP_BYTES = _PUB + _NONCE + 32 + 16


class SyncKeyUnreadable(HubError):
    """The newest sync key the hub holds for this laptop does not open here (a damaged wrap)."""


class RotationRefused(HubError):
    """A rotation cannot be made from this laptop as things stand."""


@dataclass(frozen=True)
class KeyRotation:
    epoch: int           # the unit's sync key epoch now
    laptops: int         # how many laptops were given it (this one included)
    codes_expired: int   # unused enrolment codes the hub expired (their bundles held the old keys)
    at: datetime


def _aad(hub_unit: str, unit_id: str, epoch: int, device_id: str) -> bytes:
    return f"keyworker-sync-key-wrap-v1|{hub_unit}|{unit_id}|{epoch}|{device_id}".encode()


def _device(device_id: str) -> str:
    return str(uuid.UUID(str(device_id)))


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _kek(shared: bytes, ephemeral: bytes, recipient: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_INFO).derive(shared))


def wrap_key(public_key: bytes, key: bytes, aad: bytes) -> bytes:
    """`key` sealed so that only the holder of `public_key`'s private key opens it."""
    recipient = X25519PublicKey.from_public_bytes(public_key)
    ephemeral = X25519PrivateKey.generate()
    eph = _raw(ephemeral.public_key())
    nonce = os.urandom(_NONCE)
    return eph + nonce + _kek(ephemeral.exchange(recipient), eph, public_key).encrypt(nonce, key, aad)


def unwrap_key(private_key: bytes, wrapped: bytes, aad: bytes) -> bytes:
    """The key inside a wrap for this laptop; ValueError if it does not open."""
    if len(wrapped) != WRAP_BYTES:
        raise ValueError("not a wrapped sync key")
    me = X25519PrivateKey.from_private_bytes(private_key)
    eph = wrapped[:_PUB]
    try:
        shared = me.exchange(X25519PublicKey.from_public_bytes(eph))
        key = _kek(shared, eph, _raw(me.public_key())).decrypt(wrapped[_PUB:_PUB + _NONCE], wrapped[_PUB + _NONCE:],
                                                                 aad)
    except (InvalidTag, ValueError) as e:
        raise ValueError("the wrapped sync key does not open") from e
    if len(key) != 32:
        raise ValueError("not a sync key")
    return key


def _here(fn: Callable[[], Any]) -> Any:
    return fn()


# -- every sync round ------------------------------------------------------------------------------
def _store(book: Casebook, opened: dict[int, bytes]) -> None:
    for epoch, key in sorted(opened.items()):
        keys.add_epoch(book._vault, book._key, epoch, key)
    book._forget_sync_keyring()  # read again, with the new epochs, by the next write


def take_new_keys(book: Casebook, hub: HubClient, db: Callable[[Callable[[], Any]], Any] = _here) -> int:
    """Fetch this laptop's wraps of the epochs after the newest it holds, open them with its
    private key and keep them in its vault. Returns how many were added. A newest wrap that does
    not open stops here with SyncKeyUnreadable (the caller's round records it), so nothing is
    pulled that this laptop could only hold in quarantine."""
    book._vault.refresh()  # another book or process on this unit may have taken them already
    have = keys.highest_epoch(book._vault)
    ring = getattr(book, "_keyring", None)
    if ring is not None and have > ring.current:
        book._forget_sync_keyring()  # the vault is ahead of this book's keyring: read it again
    _unit_epoch, wrapped = hub.keys(have)
    if not wrapped:
        return 0
    config = hub_config(book._vault)
    assert config is not None  # a client exists, so the laptop is enrolled
    private = device_private_key(book._vault, book._key)
    opened: dict[int, bytes] = {}
    failed: list[int] = []
    for w in wrapped:
        try:
            opened[w.epoch] = unwrap_key(private, w.wrapped, _aad(config.unit_id, book._vault.unit_id, w.epoch,
                                                                  _device(config.device_id)))
        except ValueError:
            failed.append(w.epoch)
    if opened:
        db(partial(_store, book, opened))
    if failed and max(failed) > max(opened, default=0):
        raise SyncKeyUnreadable(
            f"The unit's new sync key (epoch {max(failed)}) that the hub holds for this laptop does not open here: "
            "it may have been damaged. Nothing more was synced. Ask an administrator to rotate the unit's sync key "
            "again from another laptop")
    return len(opened)


def keys_for_page(book: Casebook, hub: HubClient, ops: Sequence[Any],
                  db: Callable[[Callable[[], Any]], Any] = _here) -> None:
    """Before a pulled page is applied: if an op names a key epoch newer than any this laptop holds
    (a rotation since this round began), fetch the new keys first."""
    newest = 0
    for op in ops:
        try:
            newest = max(newest, keys.epoch_of(op.payload))
        except keys.PayloadUnreadable:
            continue  # damaged: apply holds it in quarantine, as always
    if newest > keys.highest_epoch(book._vault):
        take_new_keys(book, hub, db)


# -- an administrator's rotation ---------------------------------------------------------------------
def wraps_for_live_laptops(config: HubConfig, unit_id: str, n: int, key: bytes, laptops: Sequence[Any], *,
                           aad: Callable[[str, str, int, str], bytes] = _aad, what: str = "key") -> dict[str, bytes]:
    """`key` wrapped for each laptop the hub lists as not removed, by device id; `aad` binds each
    wrap to its kind of key (the sync key's here, the database key's in unit_key.py), unit,
    version `n` and laptop."""
    wraps: dict[str, bytes] = {}
    for lp in laptops:
        if lp.revoked_at is not None:
            continue
        if not lp.public_key or len(lp.public_key) != 32:
            raise RotationRefused(f"The hub has no public key for the laptop “{lp.name}”: the {what} cannot be "
                                  "rotated for it. Nothing was changed")
        did = _device(lp.device_id)
        wraps[did] = wrap_key(lp.public_key, key, aad(config.unit_id, unit_id, n, did))
    return wraps


def rotate_sync_key(book: Casebook) -> KeyRotation:
    """Make, publish and keep the unit's next sync key epoch (see the module's docstring)."""
    from keyworker.sync.enrol import MANAGE_LAPTOPS
    from keyworker.sync.run import NotEnrolled, client_for

    book.require(MANAGE_LAPTOPS)
    config = hub_config(book._vault)
    if config is None:
        raise NotEnrolled()
    with client_for(book) as hub:
        take_new_keys(book, hub)
        book._sync_keyring()  # epoch 1 exists here before there is an epoch 2
        current = keys.highest_epoch(book._vault)
        unit_epoch, _ = hub.keys(current)
        if unit_epoch > current:
            raise RotationRefused(f"The unit's sync key is at epoch {unit_epoch} and this laptop has only up to "
                                  f"{current}, so it cannot rotate it: rotate from a laptop that has synced since "
                                  "the last rotation. Nothing was changed")
        epoch = current + 1
        key = os.urandom(32)
        wraps = wraps_for_live_laptops(config, book._vault.unit_id, epoch, key, hub.devices())
        if _device(config.device_id) not in wraps:
            raise RotationRefused("The hub does not list this laptop as enrolled: nothing was changed")
        answer = hub.publish_keys(epoch, wraps)
    keys.add_epoch(book._vault, book._key, epoch, key)
    book._forget_sync_keyring()
    rotation = KeyRotation(epoch, len(wraps), int(answer.get("codes_expired") or 0), book.clock.now())
    with book._write() as s:  # its ops (none) and the entry are sealed with the new key from here on
        book._record(s, "sync.rotate_key", "unit", book._vault.unit_id,
                     detail={"epoch": epoch, "laptops": rotation.laptops, "codes_expired": rotation.codes_expired})
    return rotation


__all__ = ["KeyRotation", "RotationRefused", "SyncKeyUnreadable", "WrappedKey", "keys_for_page", "rotate_sync_key",
           "take_new_keys", "unwrap_key", "wrap_key"]
