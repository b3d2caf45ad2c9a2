"""What every window and page is given: the open casebook, the task runner and the app state."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from keyworker.casebook import Casebook
    from ui.tasks import SyncTaskRunner, TaskRunner

AREAS = ("residents", "referrals", "care_plans", "reviews", "accounts", "outbox", "settings")


class AppState(QObject):
    """Signals the whole app listens to. `data_changed(area)` after a write; `locked_changed(locked)`
    when the unit locks or unlocks; `actor_changed()` when a different user signs in."""

    locked_changed = Signal(bool)
    data_changed = Signal(str)
    actor_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.locked = False

    def set_locked(self, locked: bool) -> None:
        if locked != self.locked:
            self.locked = locked
            self.locked_changed.emit(locked)


class AppContext:
    """Passed to every page factory: `ctx.book`, `ctx.tasks`, `ctx.state`, `ctx.open_resident(id)`."""

    def __init__(self, book: Casebook, tasks: TaskRunner | SyncTaskRunner, state: AppState | None = None,
                 main_window: QWidget | None = None) -> None:
        self.book = book
        self.tasks = tasks
        self.state = state or AppState()
        self.main_window = main_window
        self.resident_windows: dict[str, Any] = {}

    @property
    def actor(self) -> Any:
        return self.book.actor

    def locked_now(self) -> bool:
        """Is the unit locked? For a window about to show something: the UI's state, or the core's own
        flag (`book.locked`) if the core is locked and the UI has not heard yet; then the UI is told,
        so every window hides and the lock screen asks for sign-in."""
        if not self.state.locked and bool(getattr(self.book, "locked", False)):
            self.state.set_locked(True)
        return self.state.locked

    def open_resident(self, resident_id: str, tab: str | None = None) -> None:
        """Open or raise the resident record window (ui.resident.window, written by the resident area),
        on the tab named (e.g. "care_plan", "reviews") if given.
        While the unit is locked nothing opens: the lock screen is all there is to see."""
        if self.locked_now():
            return
        try:
            module = importlib.import_module("ui.resident.window")
        except ModuleNotFoundError as e:
            if e.name not in ("ui.resident", "ui.resident.window"):
                raise
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.information(self.main_window, "Resident record",
                                    "The resident record window is coming in a later release.")
            return
        window = module.open_resident_window(self, resident_id)
        if tab is not None and callable(getattr(window, "show_tab", None)):
            window.show_tab(tab)
