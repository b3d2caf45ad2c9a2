"""Form helpers: a labelled form with a buddy per field, an inline problem label, and a task-backed
dialog base that stays open and shows the problem when the core refuses the input."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from keyworker.errors import KeyworkerError, ValidationError
from ui.context import AppContext
from ui.errors import describe, show_error
from ui.widgets.busy import busy_bar


def add_row(form: QFormLayout, label: str, field: QWidget, name: str | None = None) -> QLabel:
    lab = QLabel(label)
    lab.setBuddy(field)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    if not field.accessibleName():
        field.setAccessibleName(name or label.replace("&", "").rstrip(":"))
    form.addRow(lab, field)
    return lab


class TaskDialog(QDialog):
    """A dialog whose OK runs `work()` on the task runner; success accepts, a refusal stays open."""

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None, *, ok_text: str = "OK") -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(title)
        self.setModal(True)
        self.result_value: Any = None
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(24, 20, 24, 16)
        self.body.setSpacing(12)
        self.form = QFormLayout()
        self.form.setVerticalSpacing(8)
        self.form.setHorizontalSpacing(12)
        self.body.addLayout(self.form)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problem")
        self.problem.setVisible(False)
        self.body.addWidget(self.problem)
        self.busy = busy_bar("Working")
        self.body.addWidget(self.busy)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.ok_button.setAccessibleName(ok_text.replace("&", ""))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.body.addWidget(self.buttons)

    # subclasses: check() -> problem | None (fast, UI thread), work() -> result (task runner), area
    area = ""

    def check(self) -> str | None:
        return None

    def work(self) -> Any:
        raise NotImplementedError

    def submit(self) -> None:
        if self.busy.isVisible():
            return
        problem = self.check()
        if problem:
            self.show_problem(problem)
            return
        self.problem.setVisible(False)
        self._set_busy(True)
        work: Callable[[], Any] = self.work
        self.ctx.tasks.run(work, self._done, self._failed)

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.ok_button.setEnabled(not busy)

    def _done(self, result: Any) -> None:
        self._set_busy(False)
        self.result_value = result
        if self.area:
            self.ctx.state.data_changed.emit(self.area)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, KeyworkerError):
            self.show_problem(describe(exc)[1] if isinstance(exc, ValidationError) else str(exc))
        else:
            show_error(self, exc)

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(True)
