"""Getting back in with the unit's recovery key: open the unit with it, then set a new password
for an administrator, who then signs in normally (and is asked to change it again)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from keyworker.casebook import Casebook
from keyworker.clock import Clock
from keyworker.errors import KeyworkerError, ValidationError
from keyworker.security.accounts import AccountInfo
from keyworker.security.recovery import RecoverySession
from ui.errors import describe, show_error
from ui.tasks import SyncTaskRunner, TaskRunner
from ui.widgets.busy import busy_bar
from ui.widgets.form import add_row
from ui.widgets.password import NewPasswordFields
from ui.widgets.steps import StepStack


def _open_recovery(path: Path, key: str, clock: Clock | None) -> tuple[RecoverySession, list[AccountInfo]]:
    session = Casebook.open_with_recovery_key(path, key, clock=clock)
    return session, session.administrators()


class RecoveryDialog(QDialog):
    password_reset = Signal(str)

    def __init__(self, db_path: Path, tasks: TaskRunner | SyncTaskRunner, clock: Clock | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryDialog")
        self.setWindowTitle("Use the recovery key — Keyworker")
        self.db_path, self.tasks, self.clock = db_path, tasks, clock
        self.book: RecoverySession | None = None
        self.admins: list[AccountInfo] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 16)
        lay.setSpacing(12)
        title = QLabel("Use the recovery key")
        title.setObjectName("dialogTitle")
        lay.addWidget(title)
        self.step = QLabel()
        self.step.setObjectName("muted")
        lay.addWidget(self.step)
        self.pages = StepStack()
        lay.addWidget(self.pages)

        first = QWidget()
        f1 = QFormLayout(first)
        f1.setContentsMargins(0, 0, 0, 0)  # the dialog's margins only: fields line up with the buttons
        intro = QLabel("Enter the recovery key that was shown when the unit was set up "
                       "(eight groups of five letters and digits).")
        intro.setWordWrap(True)
        f1.addRow(intro)
        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("recoveryKeyEdit")
        self.key_edit.setPlaceholderText("XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX")
        self.key_edit.setMinimumWidth(self.key_edit.fontMetrics().horizontalAdvance("X" * 48))
        add_row(f1, "Recovery &key", self.key_edit)
        self.pages.addWidget(first)

        second = QWidget()
        f2 = QFormLayout(second)
        f2.setContentsMargins(0, 0, 0, 0)
        choose = QLabel("Choose the administrator account and give it a new password.")
        choose.setWordWrap(True)
        f2.addRow(choose)
        self.admin_combo = QComboBox()
        add_row(f2, "&Administrator", self.admin_combo)
        self.new = NewPasswordFields(self._user_inputs)
        add_row(f2, "&New password", self.new.password)
        f2.addRow("", self.new.meter)
        add_row(f2, "&Repeat new password", self.new.confirm)
        self.pages.addWidget(second)

        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        lay.addWidget(self.problem)
        self.busy = busy_bar("Working")
        lay.addWidget(self.busy)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("&Continue")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        lay.addSpacing(4)
        lay.addWidget(self.buttons)
        self._show_step(0)

    STEPS = ("Step 1 of 2: open the unit with its recovery key", "Step 2 of 2: set a new password")

    def _show_step(self, index: int) -> None:
        """Show one step, the dialog sized to it (no gap under the short first step)."""
        self.pages.setCurrentIndex(index)
        self.step.setText(self.STEPS[index])
        self._fit()

    def _fit(self) -> None:
        """Height to fit what is shown now (a step, a problem message), at the width the user sees:
        Qt's minimum size ignores how wrapped text grows, which clipped the intro."""
        if not self.isVisible():
            self.adjustSize()
            return
        width = max(self.width(), self.minimumSizeHint().width())
        lay = self.layout()
        height = lay.totalHeightForWidth(width) if lay.hasHeightForWidth() else lay.totalSizeHint().height()
        self.resize(width, max(height, lay.totalMinimumSize().height()))

    def _user_inputs(self) -> list[str]:
        a = self._chosen()
        return [a.username, *a.full_name.split()] if a else []

    def _chosen(self) -> AccountInfo | None:
        i = self.admin_combo.currentIndex()
        return self.admins[i] if 0 <= i < len(self.admins) else None

    def _problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(True)
        self._fit()

    def _run(self, fn, done) -> None:  # type: ignore[no-untyped-def]
        self.busy.setVisible(True)
        self.ok.setEnabled(False)

        def finish(result: object) -> None:
            self.busy.setVisible(False)
            self.ok.setEnabled(True)
            done(result)

        def failed(exc: BaseException) -> None:
            self.busy.setVisible(False)
            self.ok.setEnabled(True)
            if isinstance(exc, KeyworkerError):
                self._problem(describe(exc)[1] if isinstance(exc, ValidationError) else str(exc))
            else:
                show_error(self, exc)

        self.tasks.run(fn, finish, failed)

    def submit(self) -> None:
        self.problem.setVisible(False)
        if self.book is None:
            key, path, clock = self.key_edit.text(), self.db_path, self.clock
            if not key.strip():
                self._problem("Enter the recovery key.")
                return
            self._run(lambda: _open_recovery(path, key, clock), self._opened)
            return
        account = self._chosen()
        problem = self.new.problem() if account else "There is no active administrator account to reset."
        if problem:
            self._problem(problem)
            return
        assert account is not None
        book, pw = self.book, self.new.value()
        self._run(lambda: book.reset_password(account.id, pw), self._reset)

    def _opened(self, result: tuple[RecoverySession, list[AccountInfo]]) -> None:
        self.book, self.admins = result
        for a in self.admins:
            self.admin_combo.addItem(f"{a.full_name} ({a.username})")
        self._show_step(1)
        self.ok.setText("&Set password")
        self.new.password.setFocus()

    def _reset(self, account: AccountInfo) -> None:
        self._close_book()
        self.password_reset.emit(account.username)
        self.accept()

    def _close_book(self) -> None:
        if self.book is not None:
            book, self.book = self.book, None
            self.tasks.run(book.close)

    def reject(self) -> None:
        self._close_book()
        super().reject()
