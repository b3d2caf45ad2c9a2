"""Record the resident's agreement to their plan (4.1.4.3, 4.1.5.2): the date, and how — a signed
paper copy, verbally, or declined to sign with the reason."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from keyworker.plan_sections import AGREEMENT_METHODS
from ui.forms.widgets import UkDateEdit


@dataclass(frozen=True)
class Agreement:
    agreed_on: date
    method: str
    note: str | None


class AgreementDialog(QDialog):
    def __init__(self, today: date, version_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record the resident's agreement")
        self.setAccessibleName("Record the resident's agreement")
        self.on = UkDateEdit(today)
        self.on.setMaximumDate(self.on.date().addDays(0))
        self.on.setAccessibleName("Date of agreement")
        self.methods: dict[str, QRadioButton] = {}
        group = QButtonGroup(self)
        box = QVBoxLayout()
        for key, label in AGREEMENT_METHODS.items():
            b = QRadioButton(label)
            b.setAccessibleName(label)
            group.addButton(b)
            box.addWidget(b)
            self.methods[key] = b
            b.toggled.connect(self._update)
        self.reason_label = QLabel("Reason given for declining:")
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason for declining to sign")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(70)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form = QFormLayout()
        form.addRow(QLabel(f"Plan: {version_label}"))
        form.addRow("Date:", self.on)
        form.addRow("How:", box)
        form.addRow(self.reason_label, self.reason)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.problem)
        lay.addWidget(self.buttons)
        self._update()

    def method(self) -> str | None:
        for key, b in self.methods.items():
            if b.isChecked():
                return key
        return None

    def _update(self) -> None:
        declined = self.method() == "declined"
        self.reason_label.setVisible(declined)
        self.reason.setVisible(declined)

    def _accept(self) -> None:
        method = self.method()
        if method is None:
            self.problem.setText("⚠ Choose how the resident agreed (or that they declined to sign).")
        elif method == "declined" and not self.reason.toPlainText().strip():
            self.problem.setText("⚠ Write the reason the resident gave for declining to sign.")
            self.reason.setFocus()
        else:
            self.accept()
            return
        self.problem.show()

    def value(self) -> Agreement:
        method = self.method() or ""
        note = self.reason.toPlainText().strip() if method == "declined" else None
        return Agreement(self.on.value() or date.today(), method, note or None)

    @classmethod
    def ask(cls, today: date, version_label: str, parent: QWidget | None = None) -> Agreement | None:
        dlg = cls(today, version_label, parent)
        return dlg.value() if dlg.exec() == QDialog.DialogCode.Accepted else None
