"""Key slots move between laptops (docs/SYNC.md, "What moves": accounts and their key slots).

A slot is the unit key wrapped under one account's password (Argon2id, keyworker/security/vault.py)
and lives in the vault beside the database, not in a table, so the op-log's listener never sees a
password change. The sync round does it instead:

- `publish(session, vault)`, in the write that takes the ops to push: every committed slot whose
  id differs from the one the op-log knows (`sync_state` "vault_slots": slot key -> slot id) becomes
  an op of entity type `vault_slots` (entity id UUIDv5 of "kind:username", the whole slot in the
  sealed payload), and a slot gone from the vault an op with no slot. The slot is already wrapped
  under a password; the op seals it again under the sync key, so the hub sees neither.
- `apply_to_vault(book)`, after the pulled pages are committed: for each slot key, the latest op in
  hub order stands (the same on every laptop). It is written to the vault unless this laptop has a
  change of its own to that slot not yet pushed (the local change wins locally and, once pushed,
  everywhere: the same rule as fields). `key_slot.<username>` in settings follows, as an account
  change would leave it (keyworker/security/slot_changes.py).

A crash between the commit and the vault write leaves nothing to repair: the next round writes it."""
from __future__ import annotations

import copy
import json
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from keyworker.db.sync import OPS_T
from keyworker.ids import new_id
from keyworker.security import unit_keys
from keyworker.security.slot_changes import SETTING_PREFIX
from keyworker.security.vault import ACCOUNT, Vault
from keyworker.sync import codec
from keyworker.sync.apply import NAMESPACE, get_state, set_state
from keyworker.sync.keys import Keyring
from keyworker.sync.oplog import KEYRING, VAULT_SLOTS, next_seq

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from keyworker.casebook import Casebook

STATE_KEY = "vault_slots"


def slot_key(slot: dict[str, Any]) -> str:
    return f"{slot.get('kind')}:{slot.get('username')}"


def entity_id(key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"vault-slot|{key}"))


def committed_slots(vault: Vault) -> dict[str, dict[str, Any]]:
    """The vault's slots in use (not pending), from the current file, by slot key."""
    slots = vault.update(lambda data: copy.deepcopy([s for s in data["slots"] if not s.get("pending")]))
    return {slot_key(s): s for s in slots}


def known(session: Session) -> dict[str, str | None]:
    return dict(json.loads(get_state(session, STATE_KEY, "{}") or "{}"))


def remember(session: Session, ids: dict[str, str | None]) -> None:
    set_state(session, STATE_KEY, codec.dumps(ids))


def publish(session: Session, vault: Vault) -> int:
    """Ops for the slots changed on this laptop since the op-log last knew them. Returns how many."""
    ctx = session.info["ctx"]
    keyring: Keyring = session.info[KEYRING]
    have = known(session)
    current = committed_slots(vault)
    changed: list[tuple[str, dict[str, Any] | None]] = []
    for key, slot in sorted(current.items()):
        if have.get(key) != slot.get("id"):
            changed.append((key, slot))
    for key, slot_id in sorted(have.items()):
        if slot_id is not None and key not in current:
            changed.append((key, None))
    if not changed:
        return 0
    seq = next_seq(session, ctx.device_id, len(changed))
    now = ctx.clock.now()
    rows = []
    for key, published in changed:
        seq += 1
        op_id = new_id()
        eid = entity_id(key)
        kind = "update" if key in have else "insert"
        plain = codec.pack({"by": ctx.actor_id, "k": kind, "f": {"key": key, "slot": published}})
        epoch, sealed = keyring.seal(op_id, VAULT_SLOTS, eid, plain)
        rows.append({"op_id": op_id, "device_id": ctx.device_id, "device_seq": seq, "entity_type": VAULT_SLOTS,
                     "entity_id": eid, "kind": kind, "base_seq": None if kind == "insert" else 0,
                     "key_epoch": epoch, "payload": sealed, "created_at": now, "unit_seq": None,
                     "acknowledged": False})
        have[key] = None if published is None else str(published["id"])
    session.connection().execute(insert(OPS_T), rows)
    remember(session, have)
    return len(rows)


def _wanted(session: Session, keyring: Keyring, me: str) -> dict[str, dict[str, Any] | None]:
    """Slot key -> the slot the latest op in hub order gives it, for the keys with no open own op."""
    t = OPS_T
    rows = session.connection().execute(
        select(t.c.op_id, t.c.entity_id, t.c.payload, t.c.unit_seq, t.c.acknowledged, t.c.device_id)
        .where(t.c.entity_type == VAULT_SLOTS).order_by(t.c.unit_seq)).all()
    open_own = {r.entity_id for r in rows if r.device_id == me and not r.acknowledged}
    out: dict[str, dict[str, Any] | None] = {}
    for r in rows:
        if not r.acknowledged or r.unit_seq is None or r.entity_id in open_own:
            continue
        data = codec.unpack(keyring.open(None, r.op_id, VAULT_SLOTS, r.entity_id, r.payload))
        out[str(data["f"]["key"])] = data["f"]["slot"]
    return out


def apply_to_vault(book: Casebook, db: Any = None) -> int:
    """Write the slots other laptops changed into this laptop's vault. Returns how many changed."""
    run = db or (lambda fn: fn())
    vault = book._vault

    def read() -> tuple[dict[str, dict[str, Any] | None], dict[str, str | None]]:
        with book._read() as s:
            return _wanted(s, book._sync_keyring(), book.device_id), known(s)

    wanted, have = run(read)
    if not wanted:
        return 0
    changes: dict[str, str | None] = {}

    def change(data: dict[str, Any]) -> None:
        slots = data["slots"]
        for key, slot in wanted.items():
            here = next((s for s in slots if slot_key(s) == key and not s.get("pending")), None)
            here_id = None if here is None else here.get("id")
            want_id = None if slot is None else slot.get("id")
            if here_id == want_id:
                if have.get(key) != want_id:
                    changes[key] = want_id
                continue
            if here_id != have.get(key):
                continue  # changed here and not yet published: it wins here, and is pushed next
            if slot is not None and not unit_keys.reachable(data, unit_keys.slot_gen(slot)):
                continue  # a unit key generation this laptop does not hold yet: the next round, after it
            data["slots"] = slots = [s for s in slots if slot_key(s) != key or s.get("pending")]
            if slot is not None:
                slots.append(dict(slot))
            changes[key] = want_id

    vault.update(change)
    if not changes:
        return 0
    vault.update(unit_keys.drop_spent_steps)

    def record() -> None:
        from keyworker.settings import set_setting

        with book._write() as s:
            ids = known(s)
            ids.update(changes)
            remember(s, ids)
            for key, slot_id in changes.items():
                kind, _, username = key.partition(":")
                if kind == ACCOUNT and slot_id is not None:
                    set_setting(s, SETTING_PREFIX + username, slot_id)

    run(record)
    return len(changes)
