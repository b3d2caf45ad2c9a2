"""Enrolment end to end (docs/SYNC.md, "Enrolment, revocation, keys").

- `bootstrap(book, hub_url, code, pin)`: the unit's first laptop joins with the bootstrap code
  `hub add-unit` printed, stores its enrolment and uploads the whole unit as a snapshot
  (keyworker/sync/snapshot.py).
- `make_code(book)`: on an enrolled laptop, an administrator's one-time code. The laptop first
  uploads a fresh snapshot of the unit, then builds
  the **enrolment bundle** (the unit id and key, the sync keys as wrapped in the vault, the
  vault's committed key slots, the unit's settings, the hub's address, unit and certificate pin as
  this laptop has them, and the hub seq this laptop has seen), seals it with AES-256-GCM under
  the code's bundle key (HKDF of the code's secret: keyworker/hub/codes.py, associated data the
  code's name) and uploads it with the verifier's SHA-256. The hub never sees the secret.
- `join(hub_url, code, db_path, pin, device_name=...)`: on a new laptop. The connection is pinned
  to the fingerprint the person typed (a wrong one fails before anything is sent); the hub checks
  the verifier, marks the code used and hands over a token and the bundle; the bundle must open
  with the code and name the same pin and unit, else the new laptop removes itself from the hub
  at once. Then a new unit database and vault are written from the bundle (every account signs
  in with its own password: the slots are the unit's own); the first sync loads the hub's
  snapshot and pulls the ops after it.
- `revoke(book, device_id)` and `laptops(book)`: Administration -> Laptops.

Each is an administrator's (MANAGE_LAPTOPS) and audited on this laptop's chain."""
from __future__ import annotations

import base64
import copy
import json
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker.errors import KeyworkerError, StorageError, ValidationError
from keyworker.hub import codes
from keyworker.security import unit_keys
from keyworker.security.permissions import Actor, Permission, Role
from keyworker.sync import slots, snapshot
from keyworker.sync.apply import last_seen, set_state
from keyworker.sync.client import HubClient, HubDevice, HubError, join as hub_join
from keyworker.sync.hubconf import (HubConfig, device_token, forget_hub_config, hub_config, normalise_pin,
                                    normalise_url, save_hub_config)
from keyworker.sync.oplog import clear_unsent_history
from keyworker.sync.run import NotEnrolled, Progress, SyncReport, client_for, sync_once
from keyworker.sync.snapshot import SnapshotError

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

BUNDLE_VERSION = 1
_BUNDLE_AAD = b"keyworker-enrol-bundle-v1|"
# The screens' permission when it is there (keyworker/security/permissions.py), else the accounts one:
# enrolling a laptop hands it every account's key slot.
MANAGE_LAPTOPS: Permission = getattr(Permission, "MANAGE_LAPTOPS", Permission.MANAGE_ACCOUNTS)
JOIN_ACTOR = Actor("enrolment", "enrolment", "Enrolment", Role.ADMIN)


class EnrolmentError(KeyworkerError):
    pass


@dataclass(frozen=True)
class EnrolmentCode:
    text: str
    expires_at: datetime

    @property
    def code(self) -> str:
        return self.text


def _code(text: str) -> str:
    try:
        return codes.normalise(text)
    except codes.CodeFormatError as e:
        raise ValidationError({"code": str(e)}) from None


def _pin(text: str) -> str:
    try:
        return normalise_pin(text)
    except ValueError as e:
        raise ValidationError({"cert_sha256": str(e)}) from None


def _url(text: str) -> str:
    try:
        return normalise_url(text)
    except ValueError as e:
        raise ValidationError({"hub": str(e)}) from None


def _new_keypair() -> tuple[bytes, bytes]:
    private = X25519PrivateKey.generate()
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    return (private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
            private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


# -- the bundle --------------------------------------------------------------------------------
def seal_bundle(code: str, bundle: dict[str, Any]) -> bytes:
    nonce = os.urandom(12)
    raw = zlib.compress(json.dumps(bundle, sort_keys=True, separators=(",", ":")).encode(), 6)
    return b"\x01" + nonce + AESGCM(codes.bundle_key(code)).encrypt(
        nonce, raw, _BUNDLE_AAD + codes.code_name(code).encode())


def open_bundle(code: str, sealed: bytes) -> dict[str, Any]:
    try:
        if sealed[:1] != b"\x01" or len(sealed) < 1 + 12 + 16:
            raise ValueError("not a bundle")
        raw = AESGCM(codes.bundle_key(code)).decrypt(sealed[1:13], sealed[13:],
                                                     _BUNDLE_AAD + codes.code_name(code).encode())
        data = json.loads(zlib.decompress(raw))
        if not isinstance(data, dict) or data.get("v") != BUNDLE_VERSION:
            raise ValueError("not a bundle")
        return data
    except (InvalidTag, ValueError, zlib.error) as e:
        raise EnrolmentError("The enrolment bundle on the hub does not open with this code: make a new code on "
                             "an enrolled laptop.") from e


def build_bundle(book: Casebook, config: HubConfig) -> dict[str, Any]:
    from keyworker.db.foundation import Setting
    from keyworker.security.slot_changes import SETTING_PREFIX

    book._sync_keyring()  # the unit's first sync key exists before it is handed on
    with book._read() as s:
        settings = {k: v for k, v in s.execute(select(Setting.key, Setting.value))
                    if not k.startswith(SETTING_PREFIX)}
        seen = last_seen(s)
    vault = book._vault
    # The key the database (and so the snapshot's sealed settings and the sync keys here) is under,
    # and the steps to every newer generation this laptop holds (keyworker/security/unit_keys.py):
    # the new laptop is then where this one is, and re-keys at its first sign-in if this one has not.
    state = vault.update(lambda d: copy.deepcopy(d.get(unit_keys.FIELD)))
    return {"v": BUNDLE_VERSION, "unit_id": vault.unit_id, "unit_key": base64.b64encode(book._key).decode(),
            **({"unit_key_state": state} if state else {}),
            "sync_keys": vault.sync_keys(), "slots": list(slots.committed_slots(vault).values()),
            "settings": settings, "hub_url": config.url, "hub_unit_id": config.unit_id,
            "cert_sha256": config.cert_sha256, "start_seq": seen, "snapshot": True, "made_by": config.device_id,
            "made_at": datetime.now(UTC).isoformat()}


# -- on an enrolled laptop ------------------------------------------------------------------------
def make_code(book: Casebook, *, progress: Progress | None = None) -> EnrolmentCode:
    """The code, after a fresh copy of the unit is on the hub for the new laptop to load
    (keyworker/sync/snapshot.py: made here each time, so a damaged or old one never lingers)."""
    book.require(MANAGE_LAPTOPS)
    config = hub_config(book._vault)
    if config is None:
        raise NotEnrolled()
    code = codes.new_code()
    with client_for(book, timeout=120.0) as hub:
        # Its sync round first takes any new sync key epoch and unit key: the bundle must carry every
        # epoch (a new laptop has no wrap of the old ones) and the newest unit key.
        snapshot.publish(book, hub, progress=progress)
        bundle = build_bundle(book, config)
        newest = max((int(k["epoch"]) for k in bundle["sync_keys"]), default=None)
        unit_gen = book._vault.unit_key_gens()[1]
        expires = hub.create_code(codes.code_name(code), codes.verifier_sha256(code), seal_bundle(code, bundle),
                                  key_epoch=newest, unit_key_gen=unit_gen if unit_gen > 1 else None)
    with book._write() as s:
        book._record(s, "sync.enrol_code", "unit", book._vault.unit_id,
                     detail={"code": codes.code_name(code)[:5], "expires_at": expires.isoformat()})
    return EnrolmentCode(code, expires)


def laptops(book: Casebook) -> list[HubDevice]:
    book.require(MANAGE_LAPTOPS)
    with client_for(book) as hub:
        return hub.devices()


def revoke(book: Casebook, device_id: str) -> datetime | None:
    book.require(MANAGE_LAPTOPS)
    if device_id.strip().lower() == book.device_id.lower():
        raise ValidationError({"device_id": "This is the laptop you are using: remove it from another one."})
    with client_for(book) as hub:
        at = hub.revoke(device_id.strip())
    with book._write() as s:
        book._record(s, "sync.revoke", "device", device_id.strip(),
                     detail={"revoked_at": at.isoformat() if at else None})
    return at


# -- the unit's first laptop -----------------------------------------------------------------------
def _join_hub(url: str, pin: str, code: str, name: str, device_id: str) -> tuple[Any, bytes]:
    private, public = _new_keypair()
    joined = hub_join(url, pin, code_name=codes.code_name(code), verifier=codes.verifier(code),
                      public_key=public, name=name, device_id=device_id)
    return joined, private


def _leave(url: str, pin: str, joined: Any) -> None:
    """Undo a join that cannot be used: the new device removes itself (so the unit has no
    enrolled laptop it does not know about). Best effort."""
    try:
        with HubClient(HubConfig(url, joined.unit_id, joined.device_id, pin), joined.token) as hub:
            hub.revoke(joined.device_id)
    except HubError:
        pass


def bootstrap(book: Casebook, hub_url: str, code_text: str, cert_sha256: str, *, device_name: str | None = None,
              progress: Progress | None = None) -> SyncReport:
    """The unit's first laptop: enrol, then upload the unit as a snapshot (not as an op per row: a
    laptop that joins loads the snapshot). What the op-log held from before is history no other
    laptop needs, since the snapshot holds its result, so it is cleared in the same step."""
    book.require(MANAGE_LAPTOPS)
    url, code, pin = _url(hub_url), _code(code_text), _pin(cert_sha256)
    if hub_config(book._vault) is not None:
        raise EnrolmentError("This laptop is already enrolled with a hub.")
    joined, private = _join_hub(url, pin, code, device_name or _default_name(), book.device_id)
    if joined.bundle is not None:
        _leave(url, pin, joined)
        raise EnrolmentError("This is an enrolment code for a unit that already has laptops: use `sync join` on "
                             "a new laptop instead (this laptop was not enrolled).")
    config = HubConfig(url, joined.unit_id, joined.device_id, pin)
    save_hub_config(book._vault, book._key, config, joined.token, private_key=private)
    with book._write() as s:
        n = clear_unsent_history(s)
        book._record(s, "sync.bootstrap", "unit", book._vault.unit_id,
                     detail={"hub": url, "hub_unit": joined.unit_id, "ops_cleared": n})
    with client_for(book, timeout=120.0) as hub:
        report = sync_once(book, client=hub)  # the key slots, as ops
        snapshot.publish(book, hub, progress=progress)
    return report


def _default_name() -> str:
    import socket

    return (socket.gethostname() or "Laptop")[:100]


# -- a new laptop ----------------------------------------------------------------------------------
def join(hub_url: str, code_text: str, db_path: Path | str, cert_sha256_shown_to_user: str, *,
         device_name: str | None = None, progress: Progress | None = None, device_id: str | None = None,
         clock: Any = None, kdf: Any = None) -> Path:
    """Enrol this laptop with a code made on an enrolled one and write the unit to `db_path`."""
    from keyworker.clock import SystemClock
    from keyworker.device import device_id as default_device_id
    from keyworker.security.vault import DEFAULT_KDF, vault_path_for

    url, code, pin = _url(hub_url), _code(code_text), _pin(cert_sha256_shown_to_user)
    path = Path(db_path)
    vpath = vault_path_for(path)
    if path.exists() or vpath.exists():
        raise StorageError(f"{path} already exists: a laptop joins into a new file. Choose another --db.")
    if not path.parent.exists():
        try:
            path.parent.mkdir(parents=True)
        except OSError as e:
            raise StorageError(f"Cannot create the folder {path.parent}: {e.strerror}") from e
    device = device_id or default_device_id()
    joined, private = _join_hub(url, pin, code, device_name or _default_name(), device)
    if joined.bundle is None:
        _leave(url, pin, joined)
        raise EnrolmentError("This is a bootstrap code for a unit's first laptop: use `sync bootstrap` on the "
                             "laptop that holds the unit (this laptop was not enrolled).")
    try:
        bundle = open_bundle(code, joined.bundle)
    except EnrolmentError:
        _leave(url, pin, joined)
        raise
    if bundle.get("cert_sha256") != pin or bundle.get("hub_unit_id") != joined.unit_id:
        _leave(url, pin, joined)
        raise EnrolmentError("The hub's certificate is not the one the enrolling laptop knows: ask your "
                             "administrator (this laptop was not enrolled).")
    book = _write_unit(path, bundle, HubConfig(url, joined.unit_id, joined.device_id, pin), joined.token,
                       private, clock or SystemClock(), kdf or DEFAULT_KDF)
    discarded = False
    try:
        try:
            sync_once(book, progress=progress)
        except (HubError, SnapshotError) as e:
            with book._read() as s:
                loaded = not snapshot.needed(s)
            why = e.message if isinstance(e, HubError) else str(e)
            if not loaded:
                # Nobody can sign in to a unit without its accounts, which come with the snapshot:
                # all or nothing, so the laptop leaves the hub and its files go.
                book.close()
                discarded = True
                _leave(url, pin, joined)
                _remove_unit_files(path)
                raise EnrolmentError(f"The unit could not be copied to this laptop: {why}. Nothing was kept here "
                                     "and this laptop is not enrolled: ask your administrator for a new code and "
                                     "try again.") from e
            raise EnrolmentError(f"This laptop joined the unit ({path}), but its first sync stopped: {why}. "
                                 f"Finish it with `main.py sync now --db {path}` when the hub can be reached.") from e
        with book._read() as s:
            seen = last_seen(s)
        start = int(bundle.get("start_seq") or 0)
        if seen < start:
            raise EnrolmentError(f"The hub holds fewer changes ({seen}) than the laptop that made the code had "
                                 f"seen ({start}): ask your administrator before using this laptop.")
    finally:
        if not discarded:
            book.close()
    return path


def _write_unit(path: Path, bundle: dict[str, Any], config: HubConfig, token: str, private_key: bytes,
                clock: Any, kdf: Any) -> Casebook:
    """A new unit database and vault from the bundle, opened without a sign-in (the first pull
    brings the accounts; from then on people sign in with their own passwords)."""
    from keyworker.casebook import Casebook, UnitContext
    from keyworker.db import migrate
    from keyworker.db.engine import make_engine
    from keyworker.security import audit as audit_chain
    from keyworker.security.slot_changes import SETTING_PREFIX
    from keyworker.security.vault import ACCOUNT, FORMAT, VERSION, Vault, lock_path_for, vault_path_for
    from keyworker.settings import set_setting
    from keyworker.unit_files import UnitLock

    vpath = vault_path_for(path)
    try:
        key = base64.b64decode(bundle["unit_key"])
        slot_list = [dict(s) for s in bundle["slots"]]
        data = {"format": FORMAT, "version": VERSION, "unit_id": str(bundle["unit_id"]),
                "slots": copy.deepcopy(slot_list), "throttle": {}, "sync_keys": list(bundle["sync_keys"])}
        if isinstance(bundle.get("unit_key_state"), dict):
            data[unit_keys.FIELD] = copy.deepcopy(bundle["unit_key_state"])
        settings = dict(bundle.get("settings") or {})
    except (KeyError, TypeError, ValueError) as e:
        raise EnrolmentError("The enrolment bundle is incomplete: make a new code on an enrolled laptop.") from e
    created: list[Path] = []
    lock = None
    try:
        vault = Vault.from_data(vpath, data)
        vault.save()
        created.append(vpath)
        lock = UnitLock.shared(path)
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        created.append(path)
        engine = make_engine(path, key)
        migrate.upgrade(engine)
        with Session(engine) as s, s.begin():
            s.info["ctx"] = UnitContext(clock, None, config.device_id)
            for k, v in settings.items():
                set_setting(s, k, v)
            set_setting(s, "unit_id", vault.unit_id)
            for slot in slot_list:
                if slot.get("kind") == ACCOUNT:
                    set_setting(s, SETTING_PREFIX + str(slot["username"]), slot["id"])
            s.flush()
            slots.remember(s, {slots.slot_key(sl): str(sl["id"]) for sl in slot_list})
            if bundle.get("snapshot"):
                set_state(s, snapshot.NEEDED, "1")
            audit_chain.append(s, at=clock.now(), actor_id=None, actor_name=JOIN_ACTOR.username,
                               device_id=config.device_id, action="sync.join", entity="unit", entity_id=vault.unit_id,
                               detail={"hub": config.url, "hub_unit": config.unit_id})
        save_hub_config(vault, key, config, token, private_key=private_key)
        book = Casebook(path, engine, vault, key, JOIN_ACTOR, clock, config.device_id, kdf)
        book._unit_lock = lock
        return book
    except BaseException:
        if lock is not None:
            lock.release()
        _remove_unit_files(path, created)
        raise


def _remove_unit_files(path: Path, created: list[Path] | None = None) -> None:
    """A join's files, when the join is undone (its unit was never usable)."""
    from keyworker.security.vault import lock_path_for, vault_path_for

    vpath = vault_path_for(path)
    for p in (*(created if created is not None else (vpath, path)), Path(f"{path}-wal"), Path(f"{path}-shm"),
              lock_path_for(vpath), lock_path_for(path)):
        if p.exists():
            p.unlink()


__all__ = ["EnrolmentCode", "EnrolmentError", "bootstrap", "build_bundle", "join", "laptops", "make_code",
           "open_bundle", "revoke", "seal_bundle", "forget_hub_config", "device_token"]
