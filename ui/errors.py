"""The one place errors are shown (after Anki's show_exception), and the last-resort excepthook.
A person sees `str(error)` for the core's typed errors; for anything unexpected they see a plain
apology. No traceback ever reaches a dialog, and logs carry no resident data."""
from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from keyworker.errors import (
    AccountDisabled,
    AuthenticationFailed,
    KeyworkerError,
    NotFound,
    PermissionDenied,
    SignInThrottled,
    UnitLocked,
    ValidationError,
)

log = logging.getLogger("keyworker.ui")

UNEXPECTED = ("Keyworker hit an unexpected problem and could not finish that action. "
              "Nothing was half-saved: each change is saved whole or not at all. "
              "If it happens again, tell your administrator what you were doing.")

_FIELD_LABELS = {"full_name": "Full name", "username": "User name", "new_password": "New password",
                 "password": "Password", "role": "Role"}


def describe(exc: BaseException) -> tuple[str, str, QMessageBox.Icon]:
    """(title, text, icon) for an error, written for the person at the keyboard."""
    if isinstance(exc, ValidationError):
        lines = [f"{_FIELD_LABELS.get(k, k.replace('_', ' ').capitalize())}: {v}" if k else v
                 for k, v in exc.fields.items()]
        return "Please check", "\n".join(lines), QMessageBox.Icon.Warning
    if isinstance(exc, (AuthenticationFailed, SignInThrottled, AccountDisabled)):
        return "Cannot sign in", str(exc), QMessageBox.Icon.Warning
    if isinstance(exc, PermissionDenied):
        return "Not allowed", str(exc), QMessageBox.Icon.Information
    if isinstance(exc, UnitLocked):
        return "Locked", str(exc), QMessageBox.Icon.Information
    if isinstance(exc, NotFound):
        return "Not found", str(exc) or "That record no longer exists.", QMessageBox.Icon.Information
    if isinstance(exc, KeyworkerError):
        return "Keyworker", str(exc), QMessageBox.Icon.Warning
    return "Unexpected problem", UNEXPECTED, QMessageBox.Icon.Critical


def technical_summary(exc: BaseException) -> str:
    """Exception type and code locations only: the message and locals may hold resident data."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames[-6:]))
    return f"{type(exc).__module__}.{type(exc).__name__} at {where or 'unknown'}"


def show_error(parent: QWidget | None, exc: BaseException) -> QMessageBox | None:
    """Show `exc` to the user (non-blocking, window-modal). Unexpected errors are logged to stderr."""
    title, text, icon = describe(exc)
    if not isinstance(exc, KeyworkerError):
        log.error("unexpected error: %s", technical_summary(exc))
    if QApplication.instance() is None:
        return None
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorBox")
    box.setAccessibleName(title)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if parent is not None:
        box.setWindowModality(Qt.WindowModality.WindowModal)
    else:
        box.setWindowModality(Qt.WindowModality.ApplicationModal)
    _keep(box)
    box.show()
    return box


_OPEN: set[QMessageBox] = set()


def _keep(box: QMessageBox) -> None:
    """A parentless box is owned by Python: hold it until it is closed, or it vanishes at once."""
    _OPEN.add(box)
    box.finished.connect(lambda _r: _OPEN.discard(box))


def notify(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    """A non-blocking information message (so nothing waits on a nested event loop)."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("notifyBox")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _keep(box)
    box.open()
    return box


def install_excepthook() -> None:
    """Anything uncaught on the UI thread becomes a calm dialog instead of a crash."""

    def hook(etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(etype, KeyboardInterrupt):
            sys.__excepthook__(etype, value, tb)
            return
        value.__traceback__ = tb
        show_error(QApplication.activeWindow(), value)

    sys.excepthook = hook


def configure_logging() -> None:
    """Warnings and errors to stderr; nothing is written to disk."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("keyworker")
    if not root.handlers:
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
