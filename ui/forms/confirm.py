"""The question asked before a letter is kept when something about it needs a second look
(short notice for a meeting, a unit profile that lacks an address ...)."""
from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def ask_to_go_on(parent: QWidget, text: str, go_on: str = "Make the letter",
                 title: str = "Before the letter is made") -> bool:
    """Go on or go back (the default). Dialogs keep it as an attribute so tests can replace it."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.button(QMessageBox.StandardButton.Yes).setText(go_on)
    box.button(QMessageBox.StandardButton.No).setText("Go back")
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setAccessibleName(title)
    return box.exec() == QMessageBox.StandardButton.Yes
