"""Enrolment codes: 25 Crockford base32 characters in five groups of five (`7K2QD-M9XH4-...`).

The first 8 characters name the code to the hub; the other 17 (85 bits) are a secret that never
reaches it. From the secret a laptop derives the verifier it presents when joining (the hub keeps
only the verifier's SHA-256) and the key that seals the enrolment bundle. The hub's `add-unit`
makes bootstrap codes with the same functions, so the laptop side imports them from here."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Crockford's alphabet: no I, L, O or U, so a code read aloud or copied by hand survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
NAME_CHARS = 8
SECRET_CHARS = 17
CODE_CHARS = NAME_CHARS + SECRET_CHARS
# What people mistype, mapped to what they meant (Crockford's decoding rules).
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


class CodeFormatError(ValueError):
    pass


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return "-".join(raw[i:i + 5] for i in range(0, CODE_CHARS, 5))


def normalise(code: str) -> str:
    """The 25 characters of a code as typed: case, spaces and dashes ignored, look-alikes mapped."""
    raw = "".join(code.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(raw) != CODE_CHARS or any(c not in ALPHABET for c in raw):
        raise CodeFormatError("An enrolment code is 25 letters and digits in five groups of five.")
    return raw


def code_name(code: str) -> str:
    """The part the hub sees."""
    return normalise(code)[:NAME_CHARS]


def _secret(code: str) -> bytes:
    return normalise(code)[NAME_CHARS:].encode("ascii")


def verifier(code: str) -> bytes:
    """What a joining laptop presents: an HMAC keyed by the secret, bound to the code's name."""
    raw = normalise(code)
    return hmac.new(_secret(code), b"keyworker-enrol-verifier-v1|" + raw[:NAME_CHARS].encode(), hashlib.sha256).digest()


def verifier_sha256(code: str) -> str:
    """What the enrolling laptop uploads, and all the hub keeps: hex SHA-256 of the verifier."""
    return hashlib.sha256(verifier(code)).hexdigest()


def bundle_key(code: str) -> bytes:
    """The 256-bit key that seals the enrolment bundle (HKDF-SHA256 from the secret)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=code_name(code).encode(),
                info=b"keyworker-enrol-bundle-v1").derive(_secret(code))
