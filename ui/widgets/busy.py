"""The thin indeterminate bar shown while a sign-in or a database step runs off the UI thread."""
from __future__ import annotations

from PySide6.QtWidgets import QProgressBar


def busy_bar(accessible_name: str) -> QProgressBar:
    bar = QProgressBar()
    bar.setObjectName("busy")
    bar.setRange(0, 0)
    bar.setTextVisible(False)
    bar.setMaximumHeight(6)
    bar.setAccessibleName(accessible_name)
    bar.setVisible(False)
    return bar
