"""The user name + password panel shared by the login window and the lock screen."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keyworker.errors import SignInThrottled
from ui.widgets.busy import busy_bar
from ui.widgets.password import PasswordEdit


class SignInPanel(QFrame):
    """Emits `submitted(username, password)`; the owner runs the sign-in off the UI thread and calls
    `set_busy`, `show_problem` or `reset`."""

    submitted = Signal(str, str)

    def __init__(self, title: str, subtitle: str = "", *, submit_text: str = "&Sign in",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signInPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        em = self.fontMetrics().averageCharWidth()  # scale with the system font size
        self.setMinimumWidth(max(380, em * 46))
        self.setMaximumWidth(max(520, em * 64))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(28, 24, 28, 24)
        lay.setSpacing(12)
        self.title = QLabel(title)
        self.title.setObjectName("dialogTitle")
        lay.addWidget(self.title)
        self.subtitle = QLabel(subtitle)
        self.subtitle.setObjectName("muted")
        self.subtitle.setWordWrap(True)
        self.subtitle.setVisible(bool(subtitle))
        lay.addWidget(self.subtitle)

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.setVerticalSpacing(6)
        self.user_edit = QLineEdit()
        self.user_edit.setObjectName("userEdit")
        self.user_edit.setAccessibleName("User name")
        self.user_edit.setMaxLength(32)
        self.password_edit = PasswordEdit()
        self.password_edit.setObjectName("passwordEdit")
        self.password_edit.setAccessibleName("Password")
        user_label = QLabel("&User name")
        user_label.setBuddy(self.user_edit)
        pw_label = QLabel("&Password")
        pw_label.setBuddy(self.password_edit)
        form.addRow(user_label, self.user_edit)
        form.addRow(pw_label, self.password_edit)
        lay.addLayout(form)

        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Sign-in problem")
        self.problem.setVisible(False)
        lay.addWidget(self.problem)

        self.busy = busy_bar("Signing in")
        lay.addWidget(self.busy)

        self.submit = QPushButton(submit_text)
        self.submit.setObjectName("primary")
        self.submit.setAccessibleName(submit_text.replace("&", ""))
        self.submit.setDefault(True)
        self.submit.setAutoDefault(True)
        self.submit.clicked.connect(self._submit)
        lay.addWidget(self.submit)
        self.extra = QVBoxLayout()
        self.extra.setSpacing(4)
        lay.addLayout(self.extra)

        self._wait = QTimer(self)
        self._wait.setInterval(1000)
        self._wait.timeout.connect(self._tick)
        self.wait_left = 0
        self.user_edit.textEdited.connect(lambda _t: self._end_wait(""))  # the wait is per user
        self.user_edit.returnPressed.connect(self._user_return)
        self.password_edit.returnPressed.connect(self._submit)
        self.setTabOrder(self.user_edit, self.password_edit)
        self.setTabOrder(self.password_edit, self.submit)

    def _user_return(self) -> None:
        if self.password_edit.text():
            self._submit()
        else:
            self.password_edit.setFocus()

    def _submit(self) -> None:
        if self.busy.isVisible() or self.wait_left > 0:
            return
        user = self.user_edit.text().strip()
        if not user:
            self.show_problem("Enter your user name.")
            self.user_edit.setFocus()
            return
        if not self.password_edit.text():
            self.show_problem("Enter your password.")
            self.password_edit.setFocus()
            return
        self.problem.setVisible(False)
        self.submitted.emit(user, self.password_edit.text())

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(True)
        self.problem.setAccessibleDescription(text)
        self.password_edit.clear()
        self.password_edit.setFocus()

    def show_wait(self, seconds: int) -> None:
        """After repeated failures the core makes this user wait: count down, then allow a new try."""
        self.wait_left = seconds
        self.submit.setEnabled(False)
        self.show_problem(str(SignInThrottled(seconds)))
        self._wait.start()

    def _tick(self) -> None:
        self.wait_left -= 1
        if self.wait_left <= 0:
            self._end_wait("You can try again now.")
        else:
            self.problem.setText(str(SignInThrottled(self.wait_left)))

    def _end_wait(self, text: str) -> None:
        if not self._wait.isActive() and self.wait_left <= 0:
            return
        self._wait.stop()
        self.wait_left = 0
        self.submit.setEnabled(True)
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        for w in (self.user_edit, self.password_edit):
            w.setEnabled(not busy)
        self.submit.setEnabled(not busy and self.wait_left <= 0)
        if not busy:
            self.password_edit.setFocus()

    def reset(self, username: str) -> None:
        self.problem.setVisible(False)
        self.password_edit.clear()
        if username:
            self.user_edit.setText(username)
        (self.password_edit if self.user_edit.text() else self.user_edit).setFocus(Qt.FocusReason.OtherFocusReason)
