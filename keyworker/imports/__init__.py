"""Bringing a caseload in from a spreadsheet:
`book.imports.residents(path_or_bytes, valid_only=False, dry_run=False, progress=None, encoding=None)
-> ImportReport`, where `progress(rows_done, total)` reports from the thread doing the work;
`book.imports.runs()`, `.resume(import_id, path)` and `.undo(import_id)` for interrupted and
unwanted imports."""

from __future__ import annotations

from keyworker.imports.residents import PROGRESS_EVERY, ImportProblem, ImportReport, ImportService, Progress
from keyworker.imports.runs import ImportRunView

__all__ = ["ImportService", "ImportReport", "ImportProblem", "ImportRunView", "Progress", "PROGRESS_EVERY"]
