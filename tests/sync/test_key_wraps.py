"""A sync key wrapped for one laptop's X25519 key (keyworker/sync/rotate.py): only that laptop's
private key opens it, only with the same unit, epoch and device in the associated data, and any
altered byte makes it fail (ValueError, which a sync round turns into words)."""
from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from keyworker.sync.rotate import WRAP_BYTES, unwrap_key, wrap_key


def _pair() -> tuple[bytes, bytes]:
    k = X25519PrivateKey.generate()
    return (k.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
            k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def test_only_the_laptop_it_was_wrapped_for_opens_it() -> None:
    private, public = _pair()
    other, _ = _pair()
    key = os.urandom(32)
    aad = b"keyworker-sync-key-wrap-v1|hub-unit|unit|2|device"
    wrapped = wrap_key(public, key, aad)
    assert len(wrapped) == WRAP_BYTES == 92
    assert unwrap_key(private, wrapped, aad) == key
    assert wrap_key(public, key, aad) != wrapped  # a new ephemeral key and nonce each time
    with pytest.raises(ValueError):
        unwrap_key(other, wrapped, aad)
    for wrong in (b"keyworker-sync-key-wrap-v1|hub-unit|unit|3|device",
                  b"keyworker-sync-key-wrap-v1|hub-unit|unit|2|another"):
        with pytest.raises(ValueError):
            unwrap_key(private, wrapped, wrong)
    for i in (0, 40, 91):
        bad = bytearray(wrapped)
        bad[i] ^= 1
        with pytest.raises(ValueError):
            unwrap_key(private, bytes(bad), aad)
    with pytest.raises(ValueError):
        unwrap_key(private, wrapped[:-1], aad)
    with pytest.raises(ValueError):
        unwrap_key(private, bytes(32) + wrapped[32:], aad)  # a low-order point: no shared secret
