"""Reconcile the key vault with the accounts table on open, after a crash between a vault write
and its database commit (see keyworker.security.slot_changes for the order that makes every
leftover recognisable). Runs under the vault's lock, so pending slots of live processes are
never seen. Each repair is returned for one `vault.repair` audit entry."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from keyworker.db.foundation import Account, Setting
from keyworker.security.slot_changes import SETTING_PREFIX
from keyworker.security.vault import ACCOUNT, Vault


def reconcile(vault: Vault, engine: Engine) -> list[dict[str, str]]:
    with vault.locked():  # read the database under the lock: no account change is half done now
        with Session(engine) as s:
            accounts = {u: not (disabled or archived) for u, disabled, archived in
                        s.execute(select(Account.username, Account.disabled, Account.archived))}
            committed = {k[len(SETTING_PREFIX):]: v for k, v in s.execute(
                select(Setting.key, Setting.value).where(Setting.key.startswith(SETTING_PREFIX)))}
        return vault.update(lambda data: _repair(data, accounts, committed))


def _repair(data: dict[str, Any], active: dict[str, bool], committed: dict[str, str]) -> list[dict[str, str]]:
    repairs: list[dict[str, str]] = []
    for slot in list(data["slots"]):
        if slot.get("kind") != ACCOUNT:
            continue
        user, slot_id = str(slot.get("username")), slot.get("id")
        if slot.get("pending"):
            if active.get(user) and committed.get(user) == slot_id:
                data["slots"] = [s for s in data["slots"] if s is slot or not (
                    s.get("kind") == ACCOUNT and s.get("username") == user)]
                slot.pop("pending")
                repairs.append({"username": user, "repair": "new key slot of a saved change put in use"})
            else:
                data["slots"].remove(slot)
                repairs.append({"username": user, "repair": "key slot of an unsaved change dropped"})
        elif slot in data["slots"] and not active.get(user):
            data["slots"].remove(slot)
            why = "no such account" if user not in active else "account disabled or removed"
            repairs.append({"username": user, "repair": f"key slot removed ({why})"})
    return repairs


def accounts_without_slot(vault: Vault, session: Session) -> list[str]:
    """Enabled accounts whose password cannot open the unit (an administrator must reset it)."""
    users = session.scalars(select(Account.username).where(Account.disabled.is_(False),
                                                           Account.archived.is_(False)))
    vault.refresh()
    have = set(vault.usernames())
    return sorted(u for u in users if u not in have)
