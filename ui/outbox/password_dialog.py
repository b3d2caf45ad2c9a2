"""The password of a protected PDF, shown once: a Copy button and what to do with it. It is kept
nowhere: closing this dialog is the last time anyone sees it."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

ONCE = "Give this password to the recipient by phone. It will not be shown again."


class PasswordOnceDialog(QDialog):
    def __init__(self, password: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pdfPasswordDialog")
        self.setWindowTitle("Password for the letter")
        self.setModal(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 16)
        lay.setSpacing(12)
        head = QLabel(f"“{title}” is now protected with this password:")
        head.setWordWrap(True)
        self.password_label = QLabel(password)
        self.password_label.setObjectName("recoveryKey")  # the same large, clear type as the recovery key
        self.password_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.password_label.setAccessibleName("Password " + " ".join(password.split("-")))
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setAccessibleName("Copy the password")
        self.copy_button.clicked.connect(self._copy)
        row = QHBoxLayout()
        row.addWidget(self.password_label, 1)
        row.addWidget(self.copy_button)
        self.once = QLabel(ONCE)
        self.once.setWordWrap(True)
        self.once.setObjectName("sectionTitle")
        self.copied = QLabel("")
        self.copied.setObjectName("muted")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.close_button.setText("I have noted it — &close")
        self.close_button.setAccessibleName("Close: I have noted the password")
        buttons.rejected.connect(self.reject)
        lay.addWidget(head)
        lay.addLayout(row)
        lay.addWidget(self.once)
        lay.addWidget(self.copied)
        lay.addWidget(buttons)
        self.setMinimumWidth(480)
        self._password = password

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self._password)
        self.copied.setText("Copied. Paste it only where you note it for the phone call.")

    def done(self, r: int) -> None:  # noqa: D401 - Qt override: forget the password on close
        self._password = ""
        self.password_label.setText("")
        super().done(r)
