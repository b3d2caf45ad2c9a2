"""Bringing a caseload in from a spreadsheet:
`book.imports.residents(path_or_bytes, valid_only=False, dry_run=False, progress=None) -> ImportReport`,
where `progress(rows_done, total)` reports from the thread doing the work."""

from __future__ import annotations

from keyworker.imports.residents import PROGRESS_EVERY, ImportProblem, ImportReport, ImportService, Progress

__all__ = ["ImportService", "ImportReport", "ImportProblem", "Progress", "PROGRESS_EVERY"]
