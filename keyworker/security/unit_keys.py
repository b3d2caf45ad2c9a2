"""The unit key's generations in the vault (docs/SYNC.md, "Rotating keys as built").

The unit key is the database key. After a rotation (keyworker/sync/unit_key.py) a unit has more
than one: generation 1 is the key it was made with, each rotation adds the next. The vault keeps,
under `"unit_key"`:

- `gen`: the generation the database file beside it is encrypted under (absent: 1). The vault's own
  secrets (the sync keys, the hub's token and this laptop's private key) are wrapped under that
  generation's key, as they always were under "the" unit key;
- `steps`: one entry per rotation this laptop knows, `from` N `to` N + 1, with `up` (key N + 1
  sealed under key N) and `down` (key N sealed under key N + 1): AES-256-GCM under an HKDF-SHA256
  key of the sealing key, the unit, both generations and the direction as associated data.

A key slot (an account's password, or the recovery key) says which generation it wraps (`gen`,
absent: 1). Signing in opens the slot and walks the steps to the file's generation (up or down),
so every caller of Vault.unlock still gets the key that opens the file. A slot of an older
generation is re-wrapped under the newest key at its owner's next sign-in (the password is known
only then); the steps up are what let an old slot reach the new key meanwhile, so they are kept
until no slot in this vault needs them (`drop_spent_steps`). Steps down are what let a slot already
re-wrapped under the new key (here, or on another laptop) open a file not yet re-keyed; they only
ever lead to older keys, which a removed laptop may hold anyway, so they stay."""
from __future__ import annotations

import base64
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keyworker.errors import VaultError

FIELD = "unit_key"
_INFO = b"keyworker unit key transition v1"
ACCOUNT = "account"


def file_gen(data: dict[str, Any]) -> int:
    entry = data.get(FIELD)
    gen = entry.get("gen") if isinstance(entry, dict) else None
    return gen if isinstance(gen, int) and gen >= 1 else 1


def steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    entry = data.get(FIELD)
    raw = entry.get("steps") if isinstance(entry, dict) else None
    return [dict(s) for s in raw if isinstance(s, dict)] if isinstance(raw, list) else []


def newest_gen(data: dict[str, Any]) -> int:
    return max([file_gen(data), *(int(s["to"]) for s in steps(data) if isinstance(s.get("to"), int))])


def slot_gen(slot: dict[str, Any]) -> int:
    gen = slot.get("gen")
    return gen if isinstance(gen, int) and gen >= 1 else 1


def _cipher(key: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key))


def _aad(unit_id: str, frm: int, to: int, direction: str) -> bytes:
    return f"keyworker-unit-key-step-v1|{unit_id}|{frm}|{to}|{direction}".encode()


def _seal(key: bytes, secret: bytes, aad: bytes) -> dict[str, str]:
    nonce = os.urandom(12)
    return {"nonce": base64.b64encode(nonce).decode(), "sealed": base64.b64encode(
        _cipher(key).encrypt(nonce, secret, aad)).decode()}


def _open(key: bytes, sealed: Any, aad: bytes) -> bytes:
    out = _cipher(key).decrypt(base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["sealed"]), aad)
    if len(out) != 32:
        raise ValueError("not a unit key")
    return out


def make_step(unit_id: str, old_key: bytes, old_gen: int, new_key: bytes, new_gen: int | None = None) -> dict[str, Any]:
    """A step from `old_gen` to `new_gen` (the next one unless said: a laptop whose wrap of a
    generation did not open steps over it to the next that did)."""
    new_gen = old_gen + 1 if new_gen is None else new_gen
    if new_gen <= old_gen:
        raise ValueError("a step goes to a later generation")
    return {"from": old_gen, "to": new_gen, "up": _seal(old_key, new_key, _aad(unit_id, old_gen, new_gen, "up")),
            "down": _seal(new_key, old_key, _aad(unit_id, old_gen, new_gen, "down"))}


def add_step(data: dict[str, Any], step: dict[str, Any]) -> bool:
    """Put `step` into vault data (inside Vault.update) unless it is there already. True if added."""
    entry = data.setdefault(FIELD, {"gen": file_gen(data), "steps": []})
    entry.setdefault("gen", 1)
    have = entry.setdefault("steps", [])
    if any(isinstance(s, dict) and s.get("to") == step["to"] for s in have):
        return False
    have.append(dict(step))
    have.sort(key=lambda s: int(s.get("to", 0)))
    return True


def _chain(data: dict[str, Any]) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
    """The steps by the generation they leave going up (`from`) and going down (`to`)."""
    ups: dict[int, dict[str, Any]] = {}
    downs: dict[int, dict[str, Any]] = {}
    for s in steps(data):
        if isinstance(s.get("from"), int) and isinstance(s.get("to"), int):
            ups[s["from"]] = s
            downs[s["to"]] = s
    return ups, downs


def walk(data: dict[str, Any], unit_id: str, key: bytes, from_gen: int, to_gen: int) -> bytes:
    """Generation `to_gen`'s key, from generation `from_gen`'s, by the vault's steps."""
    ups, downs = _chain(data)
    gen = from_gen
    try:
        while gen < to_gen:
            step = ups[gen]
            if int(step["to"]) > to_gen:
                raise KeyError(to_gen)
            key = _open(key, step["up"], _aad(unit_id, gen, int(step["to"]), "up"))
            gen = int(step["to"])
        while gen > to_gen:
            step = downs[gen]
            if int(step["from"]) < to_gen:
                raise KeyError(to_gen)
            key = _open(key, step["down"], _aad(unit_id, int(step["from"]), gen, "down"))
            gen = int(step["from"])
    except KeyError as e:
        raise VaultError(f"This laptop does not hold the unit's database key generation {to_gen}: sync it, or "
                         "sign in with another account.") from e
    except (InvalidTag, ValueError, TypeError) as e:
        raise VaultError("The key vault is damaged (a step between the unit's database keys cannot be read).") from e
    return key


def reachable(data: dict[str, Any], gen: int) -> bool:
    """Whether a slot of generation `gen` leads to the file's key here (the steps it needs exist)."""
    ups, downs = _chain(data)
    at, fg = gen, file_gen(data)
    while at < fg:
        step = ups.get(at)
        if step is None or "up" not in step:
            return False
        at = int(step["to"])
    while at > fg:
        step = downs.get(at)
        if step is None:
            return False
        at = int(step["from"])
    return at == fg


def behind(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The committed slots that still wrap an older generation than the newest."""
    newest = newest_gen(data)
    return [s for s in data.get("slots", []) if isinstance(s, dict) and not s.get("pending")
            and slot_gen(s) < newest]


def drop_spent_steps(data: dict[str, Any]) -> int:
    """Drop the steps up that no slot here needs any more: every slot wraps a generation at or
    above the step's `to`, and so does the file (inside Vault.update). The steps down are kept
    (see the module's docstring). Returns how many were dropped."""
    entry = data.get(FIELD)
    if not isinstance(entry, dict):
        return 0
    lowest = min([file_gen(data), *(slot_gen(s) for s in data.get("slots", []) if isinstance(s, dict))])
    n = 0
    for s in entry.get("steps", []):
        if isinstance(s, dict) and "up" in s and int(s.get("from", 0)) < lowest:
            s.pop("up")
            n += 1
    return n
