"""Reading the audit trail (the History tab, `check`)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from keyworker.db.foundation import Account, AuditEntry
from keyworker.security import audit as chain
from keyworker.security.permissions import Permission

if TYPE_CHECKING:
    from keyworker.casebook import Casebook


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    actor_name: str
    action: str
    entity: str
    entity_id: str | None
    resident_id: str | None
    detail: dict[str, Any]
    actor_full_name: str = ""  # the account's full name as it is now ("" for the recovery key or a removed account)


class AuditService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def verify(self) -> chain.ChainReport:
        # Open: only whether the chain is intact and how long it is, as `check` tells every user.
        with self._book._read() as s:
            return chain.verify(s)

    def recent(self, limit: int = 200, resident_id: str | None = None,
               action_prefix: str | None = None) -> list[AuditRow]:
        """Latest first. A resident's own history is open to clinical staff; the whole trail needs VIEW_AUDIT."""
        if resident_id is None:
            self._book.require(Permission.VIEW_AUDIT)
        else:
            self._book.require(Permission.VIEW_RESIDENTS)
        with self._book._read() as s:
            q = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
            if resident_id is not None:
                q = q.where(AuditEntry.resident_id == resident_id)
            if action_prefix:
                q = q.where(AuditEntry.action.startswith(action_prefix))
            entries = list(s.scalars(q))
            ids = {e.actor_id for e in entries if e.actor_id}
            names: dict[str, str] = {i: n for i, n in s.execute(
                select(Account.id, Account.full_name).where(Account.id.in_(ids)))} if ids else {}
            return [AuditRow(e.seq, e.at, e.actor_name, e.action, e.entity, e.entity_id, e.resident_id,
                             json.loads(e.detail or "{}"), names.get(e.actor_id or "", ""))
                    for e in entries]
