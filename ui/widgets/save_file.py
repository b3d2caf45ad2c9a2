"""The save-file question every "Save as…" asks: a suggested name in the home folder (or a
remembered one), one kind of file, and the right ending added when the user typed none."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

FILTERS = {".pdf": "PDF documents (*.pdf)", ".csv": "CSV spreadsheets (*.csv)"}


def choose_save_path(parent: QWidget, title: str, suggested: str, suffix: str,
                     folder: str | Path | None = None) -> str | None:
    """The path chosen, ending in `suffix` (".pdf", ".csv"), or None when cancelled."""
    start = Path(str(folder)) if folder else Path.home()
    path, _filter = QFileDialog.getSaveFileName(parent, title, str(start / suggested), FILTERS[suffix])
    if not path:
        return None
    return path if path.lower().endswith(suffix) else path + suffix
