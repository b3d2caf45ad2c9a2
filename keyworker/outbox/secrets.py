"""Destination secrets (bearer tokens, SFTP passwords or keys, SMTP passwords) sealed inside the
encrypted database with one more layer: AES-256-GCM under a key derived by HKDF-SHA256 from the
unit's database key. A copied row, a log line or a debug dump never shows a usable secret, and the
destination's id is bound in as associated data so a sealed secret cannot be moved to another
destination. Only the delivery worker and "Test connection" unseal; nothing shows one again."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

_VERSION = b"\x01"
_INFO = b"keyworker outbox destination secrets v1"


class SecretUnreadable(Exception):
    """The sealed secret does not open with this unit's key (damaged, or from another unit)."""


def _key(book: Casebook) -> bytes:
    return derived_key(book._key)


def derived_key(unit_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(unit_key)


def reseal_all(conn: Any, old_key: bytes, new_key: bytes) -> int:
    """Every destination's secret sealed again under a new unit key, on a plain sqlcipher3
    connection inside the caller's transaction (the database being re-keyed:
    keyworker/sync/unit_key.py). A secret that does not open stays as it was (it did not open
    before either: the destination says "enter it again"). Returns how many were resealed."""
    old, new = AESGCM(derived_key(old_key)), AESGCM(derived_key(new_key))
    n = 0
    rows = conn.execute("SELECT id, secret FROM outbox_destinations WHERE secret IS NOT NULL").fetchall()
    for dest_id, sealed in rows:
        sealed = bytes(sealed)
        if sealed[:1] != _VERSION or len(sealed) < 1 + 12 + 16:
            continue
        try:
            plain = old.decrypt(sealed[1:13], sealed[13:], str(dest_id).encode())
        except InvalidTag:
            continue
        nonce = os.urandom(12)
        conn.execute("UPDATE outbox_destinations SET secret = ? WHERE id = ?",
                     (_VERSION + nonce + new.encrypt(nonce, plain, str(dest_id).encode()), dest_id))
        n += 1
    return n


def seal(book: Casebook, destination_id: str, secret: str) -> bytes:
    nonce = os.urandom(12)
    return _VERSION + nonce + AESGCM(_key(book)).encrypt(nonce, secret.encode(), destination_id.encode())


def unseal(book: Casebook, destination_id: str, sealed: bytes | None) -> str:
    """The secret in plain text, or "" when none was stored."""
    if not sealed:
        return ""
    if sealed[:1] != _VERSION or len(sealed) < 1 + 12 + 16:
        raise SecretUnreadable("The stored secret for this destination is damaged; enter it again.")
    try:
        return AESGCM(_key(book)).decrypt(sealed[1:13], sealed[13:], destination_id.encode()).decode()
    except InvalidTag as e:
        raise SecretUnreadable("The stored secret for this destination does not open with this "
                               "unit's key; enter it again.") from e
