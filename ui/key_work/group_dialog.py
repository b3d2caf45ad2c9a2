"""The "Record group session…" dialog: the group once (title, type, date, time, length,
facilitators, notes) and its register, the residents staying in the unit that day, each marked
attended / did not attend / excused (or left off the register) by keyboard: Up and Down move
through the register, A, D, E and Space (leave off) mark the resident on the current row."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHeaderView, QLabel, QLineEdit, QSpinBox, QTableWidget, QTableWidgetItem, QWidget

from keyworker.clock import local_today, to_local
from keyworker.key_work import RegisterRow
from keyworker.key_work_input import ATTENDANCE_LABELS, SESSION_TYPES, Attendance, GroupInput
from ui.errors import show_error
from ui.forms.dialog import FormDialog
from ui.forms.widgets import ChoiceCombo, UkDateEdit
from ui.key_work.session_dialog import show_dialog
from ui.key_work.widgets import default_start, group_box, text_box
from ui.widgets.tables import read_only_table

if TYPE_CHECKING:
    from ui.context import AppContext

NOT_ON = "Not in this group"
KEYS = {Qt.Key.Key_A: "attended", Qt.Key.Key_D: "did_not_attend", Qt.Key.Key_E: "excused", Qt.Key.Key_Space: None}


class Register(QTableWidget):
    """Resident | Attendance | Note. `value()` -> the Attendance of each resident on the register."""

    value_changed = Signal()

    def __init__(self, residents: list[RegisterRow], parent: QWidget | None = None) -> None:
        super().__init__(len(residents), 2, parent)
        self.residents = residents
        self.marks: dict[str, str | None] = {r.resident_id: None for r in residents}
        self.setHorizontalHeaderLabels(["Resident", "Attendance"])
        read_only_table(self)
        self.setAccessibleName("Register: A attended, D did not attend, E excused, Space not in this group")
        hh = self.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for i, r in enumerate(residents):
            self.setItem(i, 0, QTableWidgetItem(f"{r.name} ({r.reference})"))
            self.setItem(i, 1, QTableWidgetItem(NOT_ON))
        rows = max(4, min(len(residents), 10))
        self.setMinimumHeight(self.horizontalHeader().sizeHint().height() + rows * self.verticalHeader().defaultSectionSize() + 4)
        if residents:
            self.setCurrentCell(0, 0)

    def mark(self, row: int, attendance: str | None) -> None:
        r = self.residents[row]
        self.marks[r.resident_id] = attendance
        self.item(row, 1).setText(ATTENDANCE_LABELS[attendance] if attendance else NOT_ON)
        self.value_changed.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = Qt.Key(event.key())
        row = self.currentRow()
        if key in KEYS and event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier) \
                and 0 <= row < len(self.residents):
            self.mark(row, KEYS[key])
            if row + 1 < len(self.residents):
                self.setCurrentCell(row + 1, 0)  # on to the next resident, as a register is called
            return
        super().keyPressEvent(event)

    def value(self) -> list[Attendance]:
        return [Attendance(r.resident_id, self.marks[r.resident_id] or "") for r in self.residents
                if self.marks[r.resident_id]]

    def set_value(self, value: list[Attendance] | None) -> None:
        wanted = {a.resident_id: a.attendance for a in value or []}
        for i, r in enumerate(self.residents):
            self.mark(i, wanted.get(r.resident_id))


class GroupDialog(FormDialog):
    data_area = "key_work"
    min_width = 640

    def __init__(self, parent: QWidget | None, ctx: AppContext, residents: list[RegisterRow],
                 preselect: str | None = None) -> None:
        super().__init__(parent, ctx, "Record group session", save_text="&Save group")
        b = self.binder
        now = to_local(ctx.book.clock.now())
        group, f = group_box("Group")
        b.row(f, "title", "&Title", _line(200, "Relapse prevention"), required=True)
        self.kind = ChoiceCombo([(o.code, o.label) for o in SESSION_TYPES], blank=None)
        self.kind.set_value("group")
        b.row(f, "kind", "T&ype", self.kind, required=True)
        b.row(f, "held_on", "&Date", UkDateEdit(local_today(ctx.book.clock)), required=True)
        b.row(f, "start_time", "S&tart time", _line(5, "14:30", default_start(now.hour, now.minute)), required=True)
        minutes = QSpinBox()
        minutes.setRange(1, 480)
        minutes.setValue(60)
        minutes.setSuffix(" minutes")
        b.row(f, "duration_minutes", "&Length", minutes, required=True)
        b.row(f, "facilitators", "&Facilitators", _line(400, "", ctx.book.actor.full_name), required=True)
        b.row(f, "notes", "&Notes", text_box(60))
        self.content_layout.addWidget(group)

        reg, f = group_box("Register")
        how = QLabel("Residents staying today. On a row press A (attended), D (did not attend), E (excused) or "
                     "Space (not in this group); the next row is chosen for you.")
        how.setObjectName("fieldHint")
        how.setWordWrap(True)
        f.addRow(how)
        self.register = Register(residents)
        f.addRow(b.add("register", self.register, "Register"))  # boxed: its message shows under it
        self.content_layout.addWidget(reg)
        if preselect is not None:
            for i, r in enumerate(residents):
                if r.resident_id == preselect:
                    self.register.setCurrentCell(i, 0)
        self.finish_setup()

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        if not values.get("register"):
            return {"register": "Mark at least one resident on the register."}
        return None

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        data = GroupInput(title=values["title"] or "", held_on=values["held_on"], start_time=values["start_time"],
                          duration_minutes=values["duration_minutes"], facilitators=values["facilitators"] or "",
                          register=values["register"], kind=values["kind"] or "group", notes=values["notes"])
        book = self.ctx.book
        return lambda: book.key_work.record_group(data)

    def changed_areas(self) -> tuple[str, ...]:
        return ("key_work", "notes")


def _line(max_len: int, placeholder: str, text: str = "") -> QLineEdit:
    e = QLineEdit(text)
    e.setMaxLength(max_len)
    e.setPlaceholderText(placeholder)
    return e


def open_group_dialog(ctx: AppContext, parent: QWidget | None, preselect: str | None = None) -> None:
    """Lists today's residents off the UI thread, then opens the dialog with its register."""
    book = ctx.book
    ctx.tasks.run(lambda: book.key_work.register_candidates(),
                  lambda rows: show_dialog(GroupDialog(parent, ctx, rows, preselect)),
                  lambda e: show_error(parent, e))


__all__ = ["GroupDialog", "Register", "open_group_dialog"]
