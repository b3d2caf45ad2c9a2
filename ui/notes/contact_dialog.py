"""Log contact… and Correct… for the contacts log: with whom (kind and name), how, who made
contact, when, and a summary. The resident's consents are checked as soon as the party is
chosen, so the refusal ("Jo has not consented to contact with family: see Consents") shows
before anything is typed; a safeguarding contact is the exception and asks for its reason."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLineEdit, QPlainTextEdit, QWidget

from keyworker.contact_consent import PARTY_KINDS
from keyworker.contacts import DIRECTIONS, METHODS, ContactInput, ContactView, validate_contact
from ui.forms import ChoiceCombo, FormDialog
from ui.forms.binder import ErrorLabel
from ui.forms.widgets import UkDateTimeEdit
from ui.notes.correcting import reason_problems
from ui.notes.note_dialog import text_editor

if TYPE_CHECKING:
    from ui.context import AppContext


class ContactDialog(FormDialog):
    data_area = "notes"
    min_width = 640

    def __init__(self, parent: QWidget | None, ctx: AppContext, resident_id: str,
                 correcting: ContactView | None = None) -> None:
        super().__init__(parent, ctx, "Correct a contact" if correcting else "Log contact",
                         save_text="&Save correction" if correcting else "&Log contact")
        self.resident_id = resident_id
        self.correcting = correcting
        self.refusal = ""
        b = self.binder
        box = QGroupBox("Contact")
        f = QFormLayout(box)
        self.party = ChoiceCombo([(o.code, o.label) for o in PARTY_KINDS], blank="Choose…")
        self.party.setAccessibleName("Contact with")
        b.row(f, "party_kind", "Contact &with", self.party, required=True)
        self.consent = ErrorLabel(self)  # the consent check's answer, beside the party
        f.addRow("", self.consent)
        self.name = QLineEdit()
        self.name.setAccessibleName("Name")
        b.row(f, "with_name", "&Name", self.name, required=True, hint="Who: “Ann Lee (mother)”, “Dr Shah”.")
        self.method = ChoiceCombo([(o.code, o.label) for o in METHODS], blank="Choose…")
        self.method.setAccessibleName("How")
        b.row(f, "method", "&How", self.method, required=True)
        self.direction = ChoiceCombo([(o.code, o.label) for o in DIRECTIONS], blank=None)
        self.direction.set_value("out")
        self.direction.setAccessibleName("Who made contact")
        b.row(f, "direction", "Who made c&ontact", self.direction, required=True)
        self.at = UkDateTimeEdit(ctx.book.clock.now())
        self.at.setAccessibleName("Date and time")
        b.row(f, "at", "&Date and time", self.at, required=True)
        self.summary = text_editor(110)
        self.summary.setAccessibleName("Summary")
        b.row(f, "summary", "&Summary", self.summary, required=True)
        self.safeguarding = QCheckBox("Safeguarding contact (made without the resident's consent)")
        self.safeguarding.setAccessibleName("Safeguarding contact")
        b.row(f, "safeguarding", "", self.safeguarding)
        self.sg_reason = QPlainTextEdit()
        self.sg_reason.setTabChangesFocus(True)
        self.sg_reason.setFixedHeight(60)
        self.sg_reason.setAccessibleName("Safeguarding reason")
        self.sg_box = b.row(f, "safeguarding_reason", "Safeguarding &reason", self.sg_reason)
        if correcting is not None:
            self.reason = QPlainTextEdit()
            self.reason.setTabChangesFocus(True)
            self.reason.setFixedHeight(60)
            self.reason.setAccessibleName("Why it is being corrected")
            b.row(f, "correction_reason", "Why it is &corrected", self.reason, required=True)
            b.load({"party_kind": correcting.party_kind, "with_name": correcting.with_name,
                    "method": correcting.method, "direction": correcting.direction, "at": correcting.at,
                    "summary": correcting.summary, "safeguarding": correcting.safeguarding,
                    "safeguarding_reason": correcting.safeguarding_reason})
        self.form = f
        self.content_layout.addWidget(box)
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(250)  # the name is typed: check once it settles
        self._check_timer.timeout.connect(self._check_consent)
        self.party.value_changed.connect(self._check_consent)
        self.name.textChanged.connect(lambda _t: self._check_timer.start())
        self.safeguarding.toggled.connect(self._show_reason)
        self._show_reason()
        self.finish_setup(require_change=correcting is not None)

    def _show_reason(self) -> None:
        self.form.setRowVisible(self.sg_box, self.safeguarding.isChecked())
        self._show_refusal()

    def _check_consent(self) -> None:
        kind = self.party.value()
        if kind is None:
            self.refusal = ""
            self._show_refusal()
            return
        book, rid, name = self.ctx.book, self.resident_id, self.name.text()

        def done(message: str) -> None:
            self.refusal = message
            self._show_refusal()

        self.ctx.tasks.run(lambda: book.contacts.check_consent(rid, kind, name), done)

    def _show_refusal(self) -> None:
        if self.refusal and not self.safeguarding.isChecked():
            self.consent.set_message(self.refusal + " A safeguarding contact may still be logged, with its reason.")
        else:
            self.consent.set_message(None)

    def _input(self, values: dict[str, Any]) -> ContactInput:
        return ContactInput(self.resident_id, values["party_kind"] or "", values["with_name"] or "",
                            values["method"] or "", values["summary"] or "", values["at"],
                            values["direction"] or "out", bool(values["safeguarding"]),
                            values["safeguarding_reason"] if values["safeguarding"] else None)

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        errors = dict(validate_contact(self._input(values), now=self.ctx.book.clock.now())[1])
        errors.pop("resident_id", None)
        errors.update(reason_problems(values, self.correcting))
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        book, data = self.ctx.book, self._input(values)
        if self.correcting is not None:
            cid, reason = self.correcting.id, values.get("correction_reason") or ""
            return lambda: book.contacts.correct(cid, data, reason)
        return lambda: book.contacts.log(data)


def open_contact_dialog(ctx: AppContext, parent: QWidget | None, resident_id: str,
                        correcting: ContactView | None = None) -> ContactView | None:
    dlg = ContactDialog(parent, ctx, resident_id, correcting)
    return dlg.result_value if dlg.exec() == FormDialog.DialogCode.Accepted.value else None



