"""New note… and Correct… for a case note: category, the time it is about (default now), the text
and "for the next shift". Keyboard first: the cursor starts in the text, Tab moves on, Ctrl+S
saves. A correction shows the note it replaces and asks why."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLabel, QPlainTextEdit, QWidget

from keyworker.notes import CATEGORIES, NoteInput, NoteView, validate_note
from ui.forms import ChoiceCombo, FormDialog
from ui.forms.widgets import UkDateTimeEdit
from ui.notes.correcting import reason_problems

if TYPE_CHECKING:
    from ui.context import AppContext


def text_editor(height: int = 140) -> QPlainTextEdit:
    e = QPlainTextEdit()
    e.setTabChangesFocus(True)  # Tab leaves the text: the form is driven by keyboard
    e.setMinimumHeight(height)
    return e


class NoteDialog(FormDialog):
    data_area = "notes"
    min_width = 620

    def __init__(self, parent: QWidget | None, ctx: AppContext, resident_id: str,
                 correcting: NoteView | None = None) -> None:
        title = "Correct a note" if correcting else "New note"
        super().__init__(parent, ctx, title, save_text="&Save correction" if correcting else "&Save note")
        self.resident_id = resident_id
        self.correcting = correcting
        b = self.binder
        box = QGroupBox("Note")
        f = QFormLayout(box)
        if correcting is not None:
            was = QLabel(f"Replaces the note written by {correcting.written_by_name or 'a colleague'}: "
                         "it stays in the history, struck through.")
            was.setWordWrap(True)
            f.addRow(was)
        self.text = text_editor()
        self.text.setAccessibleName("Note")
        b.row(f, "text", "&Note", self.text, required=True)
        self.category = ChoiceCombo([(o.code, o.label) for o in CATEGORIES], blank=None)
        self.category.set_value("general")
        self.category.setAccessibleName("Category")
        b.row(f, "category", "&Category", self.category, required=True)
        self.next_shift = QCheckBox("For the ne&xt shift")
        self.next_shift.setAccessibleName("For the next shift")
        b.row(f, "for_next_shift", "", self.next_shift)
        self.about_at = UkDateTimeEdit(ctx.book.clock.now())
        self.about_at.setAccessibleName("Time the note is about")
        b.row(f, "about_at", "&Time it is about", self.about_at, required=True,
              hint="Now, or earlier if you are writing it up later.")
        if correcting is not None:
            self.reason = QPlainTextEdit()
            self.reason.setTabChangesFocus(True)
            self.reason.setFixedHeight(60)
            self.reason.setAccessibleName("Why it is being corrected")
            b.row(f, "correction_reason", "&Why it is corrected", self.reason, required=True)
            b.load({"text": correcting.text, "category": correcting.category, "about_at": correcting.about_at,
                    "for_next_shift": correcting.for_next_shift})
        self.content_layout.addWidget(box)
        self.finish_setup(require_change=correcting is not None)

    def first_focus(self) -> QWidget | None:
        return self.text

    def _input(self, values: dict[str, Any]) -> NoteInput:
        return NoteInput(self.resident_id, values["text"] or "", values["category"] or "general",
                         values["about_at"], bool(values["for_next_shift"]))

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        errors = dict(validate_note(self._input(values), now=self.ctx.book.clock.now())[1])
        errors.pop("resident_id", None)
        errors.update(reason_problems(values, self.correcting))
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        book, data = self.ctx.book, self._input(values)
        if self.correcting is not None:
            note_id, reason = self.correcting.id, values.get("correction_reason") or ""
            return lambda: book.notes.correct(note_id, data, reason)
        return lambda: book.notes.write(data)


def open_note_dialog(ctx: AppContext, parent: QWidget | None, resident_id: str,
                     correcting: NoteView | None = None) -> NoteView | None:
    dlg = NoteDialog(parent, ctx, resident_id, correcting)
    return dlg.result_value if dlg.exec() == FormDialog.DialogCode.Accepted.value else None
