"""An import of a spreadsheet: one row per run, so that it can be resumed after an interruption
and undone as a whole. Residents and referrals it created carry its id (`import_id`)."""
from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from keyworker.db.base import Base, Tracked

RUNNING, DONE, UNDONE = "running", "done", "undone"


class ImportRun(Tracked, Base):
    __tablename__ = "imports"
    file_name: Mapped[str] = mapped_column(String(255))
    # The same bytes are needed to resume: rows are skipped by number, duplicates by name or id.
    file_sha256: Mapped[str] = mapped_column(String(64))
    encoding: Mapped[str] = mapped_column(String(20))
    valid_only: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(10), index=True)  # running / done / undone
    # The last spreadsheet row whose batch is committed: a resume starts after it.
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int] = mapped_column(Integer)
    residents: Mapped[int] = mapped_column(Integer, default=0)
    referrals: Mapped[int] = mapped_column(Integer, default=0)
