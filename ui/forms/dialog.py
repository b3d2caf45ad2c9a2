"""The base of every data-entry dialog: a FormBinder, Save/Cancel with Ctrl+S and Esc, saving off
the UI thread with a busy indicator after half a second, errors from the core shown beside their
fields, and a save/discard/cancel question before typed work is thrown away."""
from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from keyworker.errors import ValidationError
from ui.errors import show_error
from ui.forms.binder import ErrorLabel, FormBinder

if TYPE_CHECKING:
    from ui.context import AppContext


class Unsaved(StrEnum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


def ask_unsaved(parent: QWidget | None, what: str = "your changes") -> Unsaved:
    """Save / Discard / Cancel. Replaced in tests by assigning `widget.confirm_unsaved`."""
    box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes", f"Save {what} before closing?",
                      QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                      | QMessageBox.StandardButton.Cancel, parent)
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    box.setAccessibleName("Unsaved changes")
    answer = box.exec()
    if answer == QMessageBox.StandardButton.Save:
        return Unsaved.SAVE
    if answer == QMessageBox.StandardButton.Discard:
        return Unsaved.DISCARD
    return Unsaved.CANCEL


class BusyBar(QProgressBar):
    """An indeterminate bar that appears only if the work takes longer than half a second."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 0)
        self.setTextVisible(False)
        self.setMaximumHeight(8)
        self.setAccessibleName("Working")
        self.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(500)
        self._timer.timeout.connect(self.show)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.hide()


class LockCover(QLabel):
    """What a window shows instead of its content while the unit is locked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Keyworker is locked. Sign in again to continue; nothing you typed is lost.", parent)
        self.setObjectName("lockCover")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.hide()


def fit_to_screen(w: QWidget) -> None:
    """A long form scrolls inside the dialog: keep its buttons on a 1024×768 screen."""
    screen = w.screen()
    if screen is not None:
        room = screen.availableGeometry()
        w.resize(min(w.width(), room.width() - 40), min(w.height(), room.height() - 60))


def focusable(editor: QWidget, window: QWidget) -> QWidget | None:
    """`editor` or, for a composite (radio buttons, a list), its first child that takes focus;
    None when it is hidden or disabled."""
    for w in (editor, *editor.findChildren(QWidget)):
        if w.focusPolicy() != Qt.FocusPolicy.NoFocus and w.isEnabled() and w.isVisibleTo(window):
            return w
    return None


def align_forms(root: QWidget) -> None:
    """Give every QFormLayout under `root` the same label column width, so fields line up
    across group boxes."""
    forms = [w.layout() for w in [root, *root.findChildren(QWidget)] if isinstance(w.layout(), QFormLayout)]
    labels: list[QWidget] = []
    for form in forms:
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if item is not None and item.widget() is not None:
                labels.append(item.widget())
    if not labels:
        return
    width = max(w.sizeHint().width() for w in labels)
    for w in labels:
        w.setMinimumWidth(width)


class FormDialog(QDialog):
    """Subclasses build their fields into `self.form_layout` through `self.binder`, and implement
    `operation(values) -> callable` (runs on the database thread) and optionally `validate(values)`.
    `result_value` holds what the operation returned once the dialog is accepted."""

    save_text = "&Save"
    data_area = "residents"
    min_width = 600

    def __init__(self, parent: QWidget | None, ctx: AppContext, title: str, *, scroll: bool = True,
                 save_text: str | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        if save_text:
            self.save_text = save_text
        self.result_value: Any = None
        self.confirm_unsaved: Callable[[QWidget], Unsaved] = ask_unsaved
        # Opened from a resident's record: the title names them and shows their reference.
        record = getattr(parent.window(), "record", None) if parent is not None else None
        if record is not None and hasattr(record, "reference") and hasattr(record, "display_name"):
            title = f"{title} — {record.display_name} ({record.reference})"
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.binder = FormBinder(self.validate, self)
        self._saving = False
        self._require_change = False
        self._focused_once = False

        outer = QVBoxLayout(self)
        self.cover = LockCover(self)
        outer.addWidget(self.cover)
        self.content = QWidget()
        self.content_layout = QVBoxLayout(self.content)
        self.content_layout.setContentsMargins(0, 0, 0, 0)
        if scroll:
            area = QScrollArea()
            area.setWidgetResizable(True)
            area.setFrameShape(QScrollArea.Shape.NoFrame)
            area.setWidget(self.content)
            outer.addWidget(area, 1)
            self._scroll = area
        else:
            outer.addWidget(self.content, 1)
            self._scroll = None
        self.form_error = ErrorLabel(self)
        self.form_error.setObjectName("fieldError")
        self.binder.form_error = self.form_error
        outer.addWidget(self.form_error)
        self.busy = BusyBar(self)
        outer.addWidget(self.busy)

        self.status = QLabel()
        self.status.setObjectName("saveStatus")
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        self.buttons = QDialogButtonBox()
        self.save_button = QPushButton(self.save_text)
        self.save_button.setDefault(True)
        self.save_button.setAccessibleName(self.save_text.replace("&", ""))
        self.save_button.setToolTip("Ctrl+S")
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName("Cancel")
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        bottom.addWidget(self.buttons)
        outer.addLayout(bottom)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        ctx.state.locked_changed.connect(self._on_locked)
        if ctx.locked_now():  # opened while locked (a task finishing, a timer): covered from the start
            self._on_locked(True)

    def finish_setup(self, *, require_change: bool = False) -> None:
        """Call at the end of a subclass's __init__, once every field is bound."""
        self._require_change = require_change
        self.binder.bind_save(self.save_button, self.status, require_change=require_change)
        self.binder.mark_saved()
        self.content_layout.addStretch(1)  # spare height goes below the form, not into its fields
        align_forms(self.content)
        if self._scroll is not None:
            hint = self.content.sizeHint()
            self.resize(max(self.min_width, hint.width() + 60), min(780, hint.height() + 150))
        fit_to_screen(self)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._focused_once:  # the first time only: typing goes into the form, not its frame
            self._focused_once = True
            target = self.first_focus()
            if target is not None:
                target.setFocus(Qt.FocusReason.OtherFocusReason)
                if isinstance(target, QLineEdit) and target.text():
                    # A saved value must not sit selected, to be typed over by accident (the window's
                    # activation selects it after this event, hence the next turn of the event loop).
                    QTimer.singleShot(0, target, lambda: target.end(False))

    def first_focus(self) -> QWidget | None:
        """Where the cursor starts: the first field that can take it (subclasses may choose)."""
        for f in self.binder.fields.values():
            target = focusable(f.editor, self)
            if target is not None:
                return target
        return None

    # -- to implement -----------------------------------------------------------------------
    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        return None

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        raise NotImplementedError

    # -- saving -----------------------------------------------------------------------------
    def save(self) -> None:
        if self._saving or self.ctx.state.locked:
            return
        self.binder.reveal_all()
        if not self.binder.is_valid():
            self.binder.focus_first_error()
            return
        try:
            work = self.operation(self.binder.values())
        except ValidationError as e:
            self.binder.apply_errors(e.fields)
            return
        self._set_saving(True)
        self.ctx.tasks.run(work, self._saved, self._failed)

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.save_button.setEnabled(not saving and self.binder.save_allowed(require_change=self._require_change))
        self.cancel_button.setEnabled(not saving)
        if saving:
            self.status.setText("Saving…")
            self.busy.start()
        else:
            self.busy.stop()
            self.status.setText(self.binder.missing_summary(shown_only=True))

    def _saved(self, result: Any) -> None:
        self._set_saving(False)
        self.result_value = result
        self.binder.mark_saved()
        for area in self.changed_areas():
            self.ctx.state.data_changed.emit(area)
        self.accept()

    def changed_areas(self) -> tuple[str, ...]:
        return (self.data_area,)

    def _failed(self, exc: BaseException) -> None:
        self._set_saving(False)
        if isinstance(exc, ValidationError):
            self.binder.apply_errors(exc.fields)
        else:
            show_error(self, exc)

    # -- closing ----------------------------------------------------------------------------
    def reject(self) -> None:
        if self._saving:
            return
        if self.binder.is_dirty():
            answer = self.confirm_unsaved(self)
            if answer == Unsaved.CANCEL:
                return
            if answer == Unsaved.SAVE:
                self.save()
                return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.result() != QDialog.DialogCode.Accepted.value and (self._saving or self.binder.is_dirty()):
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)

    def _on_locked(self, locked: bool) -> None:
        self.content.setVisible(not locked)
        if self._scroll is not None:
            self._scroll.setVisible(not locked)
        self.buttons.setEnabled(not locked)
        self.cover.setVisible(locked)
