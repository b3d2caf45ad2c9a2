"""The login window: user name + password, opened off the UI thread (Argon2 takes ~0.4 s), with a
way in by the unit's recovery key when an administrator's password is forgotten."""
from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QPushButton, QVBoxLayout, QWidget

from keyworker.clock import Clock
from keyworker.errors import KeyworkerError, SignInThrottled
from keyworker.unit_name import unit_name_before_sign_in
from ui.errors import show_error
from ui.icons import app_icon
from ui.tasks import SyncTaskRunner, TaskRunner
from ui.widgets.sign_in import SignInPanel

if TYPE_CHECKING:  # imported when first needed: the login window shows without SQLAlchemy
    from keyworker.casebook import Casebook


def open_and_check(path: Path, username: str, password: str, clock: Clock | None) -> tuple[Casebook, bool]:
    """Runs on the database thread: unlock, open, and see whether the password must be changed."""
    from keyworker.casebook import Casebook

    book = Casebook.open(path, username, password, clock=clock)
    try:
        must_change = book.accounts.get(book.actor.id).must_change_password
    except KeyworkerError:
        must_change = False
    return book, must_change


def _hint_html(hint: str) -> str:
    """The hint as rich text, a password in it on a line of its own and never broken at a hyphen
    (the reader types it exactly as shown)."""
    before, sep, pw = hint.partition("Password: ")
    if not sep:
        return html.escape(hint)
    return f"{html.escape(before.strip())}<br>Password: <nobr><b>{html.escape(pw.strip())}</b></nobr>"


class LoginWindow(QWidget):
    """Emits `signed_in(book, must_change_password)` once the unit is open."""

    signed_in = Signal(object, bool)

    def __init__(self, db_path: Path, tasks: TaskRunner | SyncTaskRunner, *, username: str = "", hint: str = "",
                 clock: Clock | None = None, unit_label: str = "") -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.tasks = tasks
        self.clock = clock
        self.setObjectName("loginWindow")
        # The unit by its name (kept in the vault file, readable before sign-in), not its file.
        self.unit_name = unit_name_before_sign_in(self.db_path)
        self.setWindowTitle(f"Sign in to {self.unit_name} — Keyworker" if self.unit_name else "Sign in — Keyworker")
        self.setWindowIcon(app_icon())
        self.setAccessibleName(f"Sign in to {self.unit_name}" if self.unit_name else "Sign in to Keyworker")

        brand = QHBoxLayout()
        brand.setSpacing(14)
        logo = QLabel()
        side = max(56, round(self.fontMetrics().height() * 3.2))  # grows with the system font, as the name does
        logo.setPixmap(app_icon().pixmap(side, side))
        logo.setAccessibleName("Keyworker logo")
        brand.addWidget(logo)
        names = QVBoxLayout()
        name = QLabel("Keyworker")
        name.setObjectName("brandTitle")
        where = QLabel(self.unit_name or unit_label or f"Unit database: {self.db_path.name}")
        where.setObjectName("muted")
        where.setWordWrap(True)
        where.setAccessibleName("Unit")
        where.setToolTip(str(self.db_path))
        self.where = where
        names.addWidget(name)
        names.addWidget(where)
        brand.addLayout(names, 1)

        self.panel = SignInPanel("Sign in", "Records stay encrypted on this computer.")
        self.panel.user_edit.setText(username)
        self.panel.submitted.connect(self.sign_in)
        self.hint = QLabel(_hint_html(hint))
        self.hint.setTextFormat(Qt.TextFormat.RichText)
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint.setAccessibleName("Demo accounts")
        self.hint.setVisible(bool(hint))
        self.panel.extra.addWidget(self.hint)
        self.recovery_button = QPushButton("Forgotten password? Use the &recovery key…")
        self.recovery_button.setObjectName("link")
        self.recovery_button.setFlat(True)
        self.recovery_button.setAccessibleName("Use the recovery key")
        self.recovery_button.setAutoDefault(False)
        self.recovery_button.clicked.connect(self.use_recovery_key)
        self.panel.extra.addWidget(self.recovery_button, 0, Qt.AlignmentFlag.AlignLeft)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(40, 32, 40, 32)
        self._lay = lay
        lay.setSpacing(20)
        lay.addStretch(1)
        lay.addLayout(brand)
        lay.addWidget(self.panel)
        lay.addStretch(1)
        self.setTabOrder(self.panel.submit, self.recovery_button)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Quit), self, self.close)
        lay.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # never squash fields at large fonts
        fm = self.fontMetrics()
        self.resize(max(520, fm.averageCharWidth() * 60), max(560, fm.lineSpacing() * 30))
        self.book: Casebook | None = None

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        # Maximised, the logo and the panel stay together in the middle, not on the left edge.
        side = max(40, (self.width() - self.panel.maximumWidth()) // 2)
        if self._lay.contentsMargins().left() != side:
            self._lay.setContentsMargins(side, 32, side, 32)
        super().resizeEvent(event)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.panel.reset("")

    def sign_in(self, username: str, password: str) -> None:
        self.panel.set_busy(True)
        path, clock = self.db_path, self.clock
        self.tasks.run(lambda: open_and_check(path, username, password, clock), self._opened, self._failed)

    def _opened(self, result: tuple[Casebook, bool]) -> None:
        self.panel.set_busy(False)
        self.book, must_change = result
        self.signed_in.emit(self.book, must_change)

    def _failed(self, exc: BaseException) -> None:
        self.panel.set_busy(False)
        if isinstance(exc, SignInThrottled):
            self.panel.show_wait(exc.seconds)
        elif isinstance(exc, KeyworkerError):
            self.panel.show_problem(str(exc))
        else:
            self.panel.show_problem("Keyworker could not open the unit database.")
            show_error(self, exc)

    def use_recovery_key(self) -> None:
        from ui.recovery import RecoveryDialog

        dlg = RecoveryDialog(self.db_path, self.tasks, self.clock, self)
        dlg.password_reset.connect(self._after_recovery)
        dlg.open()
        self.recovery_dialog = dlg

    def _after_recovery(self, username: str) -> None:
        self.panel.reset(username)
        self.panel.subtitle.setText(f"The password for {username} was reset. Sign in with the new password.")
