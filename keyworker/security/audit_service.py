"""Reading the audit trail (the History tab, `check`, the audit viewer: keyworker/security/audit_viewer.py)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from keyworker.clock import local_today
from keyworker.db.foundation import Account, AuditEntry
from keyworker.errors import ValidationError
from keyworker.input_types import typed_inputs
from keyworker.security import audit as chain
from keyworker.security import audit_viewer as viewer
from keyworker.security.audit_viewer import AuditFilter, AuditPage
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


@dataclass(frozen=True)
class LastBackup:
    at: datetime
    by: str  # full name, else user name
    file: str  # the backup's file name (where it was written is not recorded)


class AuditService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def verify(self) -> chain.ChainReport:
        # Open: only whether the chain is intact and how long it is, as `check` tells every user.
        with self._book._read() as s:
            return chain.verify(s)

    @typed_inputs
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

    # -- the audit viewer (seniors and administrators) ---------------------------------------------
    @typed_inputs(requires=Permission.VIEW_AUDIT)
    def search(self, where: AuditFilter, before: int | None = None, limit: int = viewer.PAGE) -> AuditPage:
        """Entries matching `where`, newest first, `limit` at a time; the next page starts `before`
        the last seq shown. The first page (no `before`) is audited as a look at the trail."""
        if not 1 <= limit <= viewer.MAX_PAGE:
            raise ValidationError({"limit": f"Ask for 1 to {viewer.MAX_PAGE} entries at a time."})
        viewer.check_filter(where, local_today(self._book.clock))
        clinical = self._book.actor.can(Permission.VIEW_RESIDENTS)
        with self._book._read() as s:
            conds = viewer.conditions(s, where, clinical)
            if conds is None:
                page = AuditPage((), False, 0 if before is None else None, resident_found=False)
            else:
                rows = viewer.entries(s, conds, before, limit + 1)
                page = AuditPage(tuple(viewer.lines(s, rows[:limit], clinical)), len(rows) > limit,
                                 viewer.count(s, conds) if before is None else None)
        if before is None:
            with self._book._write() as s:
                self._book._record(s, "audit.view", "audit", None,
                                   detail={**viewer.described(where), "rows": page.total})
        return page

    @typed_inputs(requires=Permission.VIEW_AUDIT)
    def export_csv(self, where: AuditFilter) -> bytes:
        """Every entry matching `where` as CSV (the viewer's columns); audited. The caller saves it
        with keyworker.reports.files.write_private (owner-only)."""
        viewer.check_filter(where, local_today(self._book.clock))
        clinical = self._book.actor.can(Permission.VIEW_RESIDENTS)

        def batches(s: Any, conds: Any) -> Any:
            before = None
            while True:
                rows = viewer.entries(s, conds, before, viewer.EXPORT_BATCH)
                if not rows:
                    return
                yield viewer.lines(s, rows, clinical)
                before = rows[-1].seq
                s.expunge_all()

        with self._book._read() as s:
            conds = viewer.conditions(s, where, clinical)
            content, n = viewer.csv_bytes(batches(s, conds) if conds is not None else [])
        with self._book._write() as s:
            self._book._record(s, "audit.export", "audit", None, detail={**viewer.described(where), "rows": n})
        return content

    @typed_inputs(requires=Permission.BACKUP)
    def last_backup(self) -> LastBackup | None:
        """When the unit was last backed up, by whom, to which file (the Backup tab); not a look at
        the trail: one entry of the unit's own, no person's record."""
        with self._book._read() as s:
            e = s.scalars(select(AuditEntry).where(AuditEntry.action == "backup")
                          .order_by(AuditEntry.seq.desc()).limit(1)).first()
            if e is None:
                return None
            name = s.scalar(select(Account.full_name).where(Account.id == e.actor_id)) if e.actor_id else None
            try:
                file = str(json.loads(e.detail or "{}").get("file") or "")
            except (ValueError, AttributeError):
                file = ""
            return LastBackup(e.at, (name or e.actor_name), file)
