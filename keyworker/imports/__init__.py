"""Bringing a caseload in from a spreadsheet:
`book.imports.residents(path_or_bytes, valid_only=False, dry_run=False) -> ImportReport`."""

from __future__ import annotations

from keyworker.imports.residents import ImportProblem, ImportReport, ImportService

__all__ = ["ImportService", "ImportReport", "ImportProblem"]
