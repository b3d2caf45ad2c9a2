"""Import runs as the service shows them, and undoing one: archiving in batches what it created."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from keyworker.db.base import UTCDateTime
from keyworker.db.imports import ImportRun


@dataclass(frozen=True)
class ImportRunView:
    id: str
    file_name: str
    started_at: datetime
    status: str  # running (or interrupted) / done / undone
    rows_done: int  # the last spreadsheet row committed
    rows_total: int
    residents: int
    referrals: int
    valid_only: bool


def run_view(r: ImportRun) -> ImportRunView:
    return ImportRunView(r.id, r.file_name, r.created_at, r.status, r.rows_done, r.rows_total, r.residents,
                         r.referrals, r.valid_only)


def archive_batch(s: Session, table: str, import_id: str, now: datetime, limit: int) -> int:
    """Archive up to `limit` not-yet-archived rows of `table` (residents or referrals) created by
    the import, with a resident's admissions; returns how many."""
    assert table in ("residents", "referrals")
    at = UTCDateTime().process_bind_param(now, None)
    ids = list(s.execute(text(f"SELECT id FROM {table} WHERE import_id = :i AND archived = 0 LIMIT :n"),
                         {"i": import_id, "n": limit}).scalars())
    if not ids:
        return 0
    params = {"at": at, **{f"p{k}": v for k, v in enumerate(ids)}}
    marks = ", ".join(f":p{k}" for k in range(len(ids)))
    s.execute(text(f"UPDATE {table} SET archived = 1, updated_at = :at WHERE id IN ({marks})"), params)
    if table == "residents":
        s.execute(text(f"UPDATE admissions SET archived = 1, updated_at = :at WHERE resident_id IN ({marks})"),
                  params)
    return len(ids)
