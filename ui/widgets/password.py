"""Password entry: a line edit with a show/hide toggle, and a strength meter fed by
`keyworker.security.passwords.assess` (the same rules the core enforces)."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QProgressBar, QVBoxLayout, QWidget

from keyworker.security.passwords import MIN_LENGTH, Strength, assess


class PasswordEdit(QLineEdit):
    """A password line edit; Alt+V or the eye action shows what was typed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.setMaxLength(200)
        self.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.toggle = self.addAction(_eye_icon(), QLineEdit.ActionPosition.TrailingPosition)
        self.toggle.setCheckable(True)
        self.toggle.setToolTip("Show password")
        self.toggle.toggled.connect(self._toggled)

    def _toggled(self, shown: bool) -> None:
        self.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.toggle.setToolTip("Hide password" if shown else "Show password")


def _eye_icon():  # type: ignore[no-untyped-def]
    from ui.icons import icon

    return icon("eye")


class StrengthMeter(QWidget):
    """A bar (0–4) with a word and the reason a password is refused. Not colour alone: the word says it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        row = QHBoxLayout()
        self.bar = QProgressBar()
        self.bar.setObjectName("strengthBar")
        self.bar.setRange(0, 4)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(8)
        self.bar.setAccessibleName("Password strength")
        self.word = QLabel()
        self.word.setObjectName("strengthWord")
        self.word.setMinimumWidth(self.word.fontMetrics().horizontalAdvance("Very strong") + 8)
        row.addWidget(self.bar, 1)
        row.addWidget(self.word)
        lay.addLayout(row)
        self.hint = QLabel(f"At least {MIN_LENGTH} characters. A few unrelated words work well.")
        self.hint.setObjectName("muted")
        self.hint.setWordWrap(True)
        lay.addWidget(self.hint)
        self.show_strength(None)

    def show_strength(self, strength: Strength | None) -> None:
        if strength is None:
            self.bar.setValue(0)
            self.word.setText("")
            self.bar.setProperty("level", "none")
        else:
            self.bar.setValue(max(strength.score, 2) if strength.acceptable else 1)
            self.word.setText(strength.label if strength.acceptable else "Not accepted")
            self.bar.setProperty("level", "ok" if strength.acceptable else "weak")
            self.hint.setText(strength.problem or (strength.suggestions[0] if strength.suggestions
                                                    else "Good: this password is accepted."))
            self.bar.setAccessibleDescription(f"{self.word.text()}. {self.hint.text()}")
        self.bar.style().unpolish(self.bar)
        self.bar.style().polish(self.bar)


class NewPasswordFields(QWidget):
    """New password + confirmation + meter. `user_inputs()` gives the names a password must not contain."""

    changed = Signal()

    def __init__(self, user_inputs: Callable[[], list[str]] = list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.user_inputs = user_inputs
        self.password = PasswordEdit()
        self.password.setObjectName("newPassword")
        self.password.setAccessibleName("New password")
        self.confirm = PasswordEdit()
        self.confirm.setObjectName("confirmPassword")
        self.confirm.setAccessibleName("Repeat the new password")
        self.meter = StrengthMeter()
        self.password.textChanged.connect(self.update_strength)
        self.confirm.textChanged.connect(lambda _t: self.changed.emit())

    def update_strength(self) -> None:
        text = self.password.text()
        self.meter.show_strength(assess(text, self.user_inputs()) if text else None)
        self.changed.emit()

    def problem(self) -> str | None:
        """Why the fields cannot be submitted yet, or None."""
        weak = self.strength_problem()
        if weak:
            return weak
        if self.password.text() != self.confirm.text():
            return "The two passwords are different."
        return None

    def strength_problem(self) -> str | None:
        """Why the new password itself is refused, or None (the confirmation aside)."""
        return assess(self.password.text(), self.user_inputs()).problem

    def value(self) -> str:
        return self.password.text()
