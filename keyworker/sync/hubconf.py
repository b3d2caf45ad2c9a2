"""Where this laptop keeps its enrolment with the unit hub: in the key vault beside the unit
database (`"hub"`), never in the database itself, because the vault is per laptop and a copied
database is not an enrolled laptop. The device token is a secret: it is wrapped with AES-256-GCM
under a key derived (HKDF-SHA256) from the unit key, as the outbox's destination secrets are, with
the unit id and device id bound in as associated data. `hub_config(vault)` is None when this
laptop is not enrolled."""
from __future__ import annotations

import base64
import os
import re
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keyworker.errors import VaultError
from keyworker.security.vault import Vault

_INFO = b"keyworker hub device token v1"
_KEY = "hub"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class HubConfig:
    url: str
    unit_id: str      # the hub's name for the unit (`hub add-unit --unit`)
    device_id: str    # this laptop's device id, as enrolled
    cert_sha256: str  # the hub's certificate pin: hex SHA-256 of its DER


def normalise_pin(text: str) -> str:
    """A certificate pin as typed: `openssl x509 -fingerprint -sha256` prints AB:CD:..., people
    type it in any case; what is kept is 64 lower-case hex digits."""
    pin = re.sub(r"[\s:]", "", text or "").lower()
    if not _HEX64.match(pin):
        raise ValueError("The hub's certificate fingerprint is 64 hex digits (SHA-256), as your "
                         "administrator gave it.")
    return pin


def normalise_url(url: str) -> str:
    url = (url or "").strip().rstrip("/")
    if not url.startswith("https://"):
        raise ValueError("The hub's address starts with https:// (the hub speaks only TLS).")
    return url


def _cipher(unit_key: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(unit_key))


def _aad(vault: Vault, device_id: str) -> bytes:
    return f"{vault.unit_id}|hub-token|{device_id}".encode()


def _read(vault: Vault) -> dict[str, Any] | None:
    entry = vault.update(lambda data: data.get(_KEY))  # under the lock, from the current file
    return dict(entry) if isinstance(entry, dict) else None


def hub_config(vault: Vault) -> HubConfig | None:
    entry = _read(vault)
    if entry is None:
        return None
    try:
        return HubConfig(str(entry["url"]), str(entry["unit_id"]), str(entry["device_id"]), str(entry["cert_sha256"]))
    except KeyError as e:
        raise VaultError(f"The key vault {vault.path.name} is damaged (the hub's settings cannot be read).") from e


def device_token(vault: Vault, unit_key: bytes) -> str:
    entry = _read(vault)
    if entry is None:
        raise VaultError("This laptop is not enrolled with a hub.")
    try:
        token = entry["token"]
        plain = _cipher(unit_key).decrypt(base64.b64decode(token["nonce"]), base64.b64decode(token["sealed"]),
                                          _aad(vault, str(entry["device_id"])))
    except (KeyError, TypeError, ValueError, InvalidTag) as e:
        raise VaultError(f"The key vault {vault.path.name} is damaged (the hub's sign-in cannot be read): "
                         "enrol this laptop again.") from e
    return plain.decode()


def device_private_key(vault: Vault, unit_key: bytes) -> bytes:
    """This laptop's X25519 private key, registered with the hub at enrolment (key rotation)."""
    entry = _read(vault)
    if entry is None:
        raise VaultError("This laptop is not enrolled with a hub.")
    if "x25519" not in entry:
        raise VaultError("This laptop's enrolment has no key of its own for the unit's key rotation: enrol it "
                         "again (remove it from the unit, then join with a new code).")
    try:
        sealed = entry["x25519"]
        plain = _cipher(unit_key).decrypt(base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["sealed"]),
                                          _aad(vault, str(entry["device_id"])) + b"|x25519")
    except (KeyError, TypeError, ValueError, InvalidTag) as e:
        raise VaultError(f"The key vault {vault.path.name} is damaged (this laptop's key for the unit's key "
                         "rotation cannot be read): enrol this laptop again.") from e
    return plain


def _seal(unit_key: bytes, vault: Vault, config: HubConfig, what: str, secret: bytes) -> dict[str, str]:
    nonce = os.urandom(12)
    aad = _aad(vault, config.device_id) + (b"" if what == "token" else f"|{what}".encode())
    return {"nonce": base64.b64encode(nonce).decode(),
            "sealed": base64.b64encode(_cipher(unit_key).encrypt(nonce, secret, aad)).decode()}


def save_hub_config(vault: Vault, unit_key: bytes, config: HubConfig, token: str, *,
                    private_key: bytes | None = None) -> None:
    """Enrol this laptop: the hub's address, unit, this device and the pin, and the token (and the
    device's X25519 private key, kept for key rotation) wrapped under the unit key."""
    entry: dict[str, Any] = {**asdict(config), "token": _seal(unit_key, vault, config, "token", token.encode())}
    if private_key is not None:
        entry["x25519"] = _seal(unit_key, vault, config, "x25519", private_key)
    vault.update(lambda data: data.__setitem__(_KEY, entry))


def forget_hub_config(vault: Vault) -> bool:
    """This laptop is no longer enrolled (its token is dropped). True if it was."""
    return bool(vault.update(lambda data: data.pop(_KEY, None) is not None))


def rewrap(data: dict[str, Any], unit_id: str, old_key: bytes, new_key: bytes) -> None:
    """The token and private key sealed again under a new unit key (inside Vault.update, when the
    database is re-keyed: keyworker/sync/unit_key.py). Raises VaultError if one does not open."""
    entry = data.get(_KEY)
    if not isinstance(entry, dict):
        return
    base = f"{unit_id}|hub-token|{entry.get('device_id')}".encode()
    for what, aad in (("token", base), ("x25519", base + b"|x25519")):
        sealed = entry.get(what)
        if sealed is None:
            continue
        try:
            plain = _cipher(old_key).decrypt(base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["sealed"]), aad)
        except (KeyError, TypeError, ValueError, InvalidTag) as e:
            raise VaultError("The key vault is damaged (the hub's sign-in cannot be read): enrol this laptop "
                             "again.") from e
        nonce = os.urandom(12)
        entry[what] = {"nonce": base64.b64encode(nonce).decode(),
                       "sealed": base64.b64encode(_cipher(new_key).encrypt(nonce, plain, aad)).decode()}
