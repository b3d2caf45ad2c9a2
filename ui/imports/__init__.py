"""File → Import: the CSV import dialog (`ImportDialog.ask(parent, ctx)`)."""
from __future__ import annotations

from ui.imports.dialog import ImportDialog, open_import_dialog

__all__ = ["ImportDialog", "open_import_dialog"]
