"""Locking: Ctrl+L or inactivity locks the unit. Every window hides what it shows (widgets are kept,
so typed text survives) until an authorised user signs in again. A window that appears while the
unit is locked (a task finishing, a timer) is covered as it is shown."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QVBoxLayout, QWidget
from shiboken6 import isValid

from keyworker.errors import KeyworkerError, SignInThrottled
from ui.context import AppContext
from ui.widgets.sign_in import SignInPanel

if TYPE_CHECKING:
    from ui.main_window import MainWindow

log = logging.getLogger("keyworker.ui")

INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
                QEvent.Type.TouchBegin, QEvent.Type.ShortcutOverride}
DEFAULT_IDLE_MINUTES = 10


class IdleWatcher(QObject):
    """An application event filter: any keyboard or mouse input restarts the idle timer."""

    idle = Signal()

    def __init__(self, minutes: float = DEFAULT_IDLE_MINUTES, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self.set_minutes(minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_minutes(self, minutes: float) -> None:
        self.timer.setInterval(max(1, int(minutes * 60_000)))
        self.timer.start()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in INPUT_EVENTS:
            self.timer.start()
        return False

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class Veil(QWidget):
    """Covers one top-level window while the unit is locked; what is underneath is disabled, not destroyed."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("lockVeil")
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        lay = QVBoxLayout(self)
        note = QLabel("Keyworker is locked.\nSign in again in the main window to continue.")
        note.setObjectName("veilText")
        note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(note)
        self.setAccessibleName("Locked")
        self.window_ = window
        self.title = window.windowTitle()
        self.disabled: list[QWidget] = []
        for child in window.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if child is not self and child.isEnabled() and not child.isWindow():
                child.setEnabled(False)
                self.disabled.append(child)
        window.setWindowTitle("Keyworker — locked")
        window.installEventFilter(self)
        self.setGeometry(window.rect())
        self.raise_()
        self.show()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.window_ and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.window_.rect())
        return False

    def lift(self) -> None:
        self.window_.removeEventFilter(self)
        for child in self.disabled:
            child.setEnabled(True)
        self.window_.setWindowTitle(self.title)
        self.hide()
        self.deleteLater()


class LockScreen(QWidget):
    """Shown in place of the main window's content while locked."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("lockScreen")
        self.setAccessibleName("Keyworker is locked")
        self.panel = SignInPanel("Keyworker is locked",
                                 "Resident information is hidden. Sign in to continue.", submit_text="&Unlock")
        from ui.icons import icon

        padlock = QLabel()
        padlock.setPixmap(icon("lock").pixmap(56, 56))
        padlock.setAccessibleName("Locked")
        lay = QVBoxLayout(self)
        lay.setSpacing(16)
        lay.addStretch(1)
        lay.addWidget(padlock, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addWidget(self.panel, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addStretch(2)


class UnlockDialog(QDialog):
    """When a modal dialog was open at lock time it blocks the main window, so sign-in happens here."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyworker — locked")
        self.setObjectName("unlockDialog")
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.panel = SignInPanel("Keyworker is locked", "Sign in to continue.", submit_text="&Unlock")
        QVBoxLayout(self).addWidget(self.panel)

    def reject(self) -> None:  # Esc must not skip the sign-in
        pass


class LockController(QObject):
    """Locks and unlocks the unit. Covering follows `ctx.state.locked_changed`, whoever locked: Ctrl+L,
    idle time, or a window that found the core already locked (`AppContext.locked_now`)."""

    def __init__(self, ctx: AppContext, window: MainWindow) -> None:
        super().__init__(window)
        self.ctx = ctx
        self.window = window
        self.veils: list[Veil] = []
        self.unlock_dialog: UnlockDialog | None = None
        self._watching_new_windows = False
        self.watcher = IdleWatcher(DEFAULT_IDLE_MINUTES, self)
        self.watcher.idle.connect(self.lock_now)
        window.lock_screen.panel.submitted.connect(self._unlock_from)
        ctx.state.data_changed.connect(self._on_data_changed)
        ctx.state.locked_changed.connect(self._on_locked_changed)
        self.load_idle_minutes()

    def load_idle_minutes(self) -> None:
        book = self.ctx.book
        self.ctx.tasks.run(lambda: book.settings.get("idle_lock_minutes"), self.watcher.set_minutes,
                           lambda exc: log.warning("idle_lock_minutes unreadable: %s", type(exc).__name__))

    def _on_data_changed(self, area: str) -> None:
        if area == "settings":
            self.load_idle_minutes()

    @property
    def locked(self) -> bool:
        return self.ctx.state.locked

    def lock_now(self) -> None:
        """Hide everything at once, then record the lock on the database thread."""
        if self.locked:
            return
        self.ctx.state.set_locked(True)  # covers every window (_on_locked_changed)
        book = self.ctx.book
        self.ctx.tasks.run(book.lock, None, lambda exc: log.warning("lock not recorded: %s", type(exc).__name__))

    def _on_locked_changed(self, locked: bool) -> None:
        if locked:
            self._cover()
        else:
            self._uncover()

    def _cover(self) -> None:
        modal = QApplication.activeModalWidget()
        for w in QApplication.topLevelWidgets():
            if w.isVisible() and self._needs_veil(w):
                self.veils.append(Veil(w))
        self.window.lock_screen.panel.reset(self.ctx.book.actor.username)
        if modal is not None:
            self._show_unlock_dialog()
        self.watcher.timer.stop()
        app = QApplication.instance()
        if app is not None and not self._watching_new_windows:
            app.installEventFilter(self)  # only while locked: windows shown from now on are covered too
            self._watching_new_windows = True

    def _needs_veil(self, w: QWidget) -> bool:
        return (w is not self.window and w is not self.unlock_dialog and w.isWindow()
                and w.windowType() not in (Qt.WindowType.Popup, Qt.WindowType.ToolTip)
                and not any(v.window_ is w for v in self.veils))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (event.type() == QEvent.Type.Show and self.locked and isinstance(obj, QWidget)
                and self.window.isVisible() and self._needs_veil(obj)):  # a closed main window guards nothing
            self.veils.append(Veil(obj))
            if obj.isModal():
                # A modal window shown now would block the lock screen: sign-in moves on top of it
                # once it is up (it is not yet in Qt's modal stack while its Show event runs).
                QTimer.singleShot(0, self, self._show_unlock_dialog)
        return False

    def _show_unlock_dialog(self) -> None:
        if not self.locked or not isValid(self.window):
            return
        if self.unlock_dialog is None:
            self.unlock_dialog = UnlockDialog(self.window)
            self.unlock_dialog.panel.submitted.connect(self._unlock_from)
            self.unlock_dialog.panel.reset(self.ctx.book.actor.username)
        elif self.unlock_dialog.isVisible():
            self.unlock_dialog.hide()  # shown again below: the newest modal window is the one that takes input
        self.unlock_dialog.show()
        self.unlock_dialog.raise_()
        self.unlock_dialog.activateWindow()

    def _unlock_from(self, username: str, password: str) -> None:
        panel = self.sender()
        assert isinstance(panel, SignInPanel)
        self.unlock(username, password, panel)

    def unlock(self, username: str, password: str, panel: SignInPanel | None = None) -> None:
        panel = panel or self.window.lock_screen.panel
        book = self.ctx.book
        before = book.actor.id
        panel.set_busy(True)

        def done(_actor: object) -> None:
            panel.set_busy(False)
            panel.reset("")
            self._lift(actor_changed=book.actor.id != before)

        def failed(exc: BaseException) -> None:
            panel.set_busy(False)
            if isinstance(exc, SignInThrottled):
                panel.show_wait(exc.seconds)
            elif isinstance(exc, KeyworkerError):
                panel.show_problem(str(exc))
            else:
                from ui.errors import show_error

                panel.show_problem("Could not sign in.")
                show_error(self.window, exc)

        self.ctx.tasks.run(lambda: book.unlock(username, password), done, failed)

    def _lift(self, actor_changed: bool) -> None:
        self._uncover()
        self.ctx.state.set_locked(False)
        if actor_changed:
            self.ctx.state.actor_changed.emit()
        self.watcher.timer.start()

    def _uncover(self) -> None:
        if self._watching_new_windows:
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
            self._watching_new_windows = False
        if self.unlock_dialog is not None:
            self.unlock_dialog.hide()
            self.unlock_dialog.deleteLater()
            self.unlock_dialog = None
        for veil in self.veils:
            if isValid(veil):  # its window may have been closed (and deleted) while locked
                veil.lift()
        self.veils.clear()
