"""The pre-admission assessment of a referral (contract 4.1.3), opened from the Referrals page:
date, by whom, how, the four domains with notes, motivation and readiness, potential outcomes,
the contract's minimum as tick boxes, and any safeguarding concern with whom it was reported to.
An assessment already recorded opens to be corrected (with a reason; the first stays in the
history); a role that only reads sees it read-only."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from keyworker.clock import local_today
from keyworker.pre_admission import CHECKLIST, DOMAINS, METHODS, DomainNote, PreAdmissionInput, PreAdmissionView
from keyworker.security.permissions import Permission
from ui.errors import show_error
from ui.forms.dialog import FormDialog
from ui.forms.widgets import ChoiceCombo, UkDateEdit
from ui.key_work.session_dialog import show_dialog
from ui.key_work.widgets import group_box, text_box

if TYPE_CHECKING:
    from ui.context import AppContext


class Checklist(QWidget):
    """The contract's minimum as tick boxes; `value()` -> the keys ticked."""

    value_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        for key, label in CHECKLIST.items():
            box = QCheckBox(label)
            box.setAccessibleName(label)
            box.toggled.connect(lambda _on: self.value_changed.emit())
            lay.addWidget(box)
            self.boxes[key] = box

    def value(self) -> list[str]:
        return [k for k, b in self.boxes.items() if b.isChecked()]

    def set_value(self, value: list[str] | tuple[str, ...] | None) -> None:
        for k, b in self.boxes.items():
            b.setChecked(k in (value or ()))


class PreAdmissionDialog(FormDialog):
    data_area = "referrals"
    min_width = 660

    def __init__(self, parent: QWidget | None, ctx: AppContext, referral_id: str, person: str,
                 current: PreAdmissionView | None = None) -> None:
        self.read_only = not ctx.book.actor.can(Permission.RECORD_KEY_WORK)
        title = f"Pre-admission assessment — {person}"
        super().__init__(parent, ctx, title, save_text="&Save correction" if current else "&Save assessment")
        self.referral_id = referral_id
        self.current = current
        b = self.binder
        if current is not None and not self.read_only:
            fix, f = group_box("Correction")
            reason = QLineEdit()
            reason.setMaxLength(1000)
            b.row(f, "correction_reason", "&Why is it being corrected?", reason, required=True,
                  hint="The assessment as first recorded stays in the history.")
            self.content_layout.addWidget(fix)

        when, f = group_box("Assessment")
        b.row(f, "assessed_on", "&Date", UkDateEdit(local_today(ctx.book.clock)), required=True)
        by = QLineEdit(ctx.book.actor.full_name)
        by.setMaxLength(200)
        b.row(f, "assessed_by", "Assessed &by", by, required=True)
        b.row(f, "method", "&How", ChoiceCombo([(o.code, o.label) for o in METHODS], blank="Choose…"), required=True)
        self.content_layout.addWidget(when)

        domains, f = group_box("Domains assessed")
        hint = QLabel("Write what was found in each domain assessed; leave a domain blank if it was not.")
        hint.setObjectName("fieldHint")
        hint.setWordWrap(True)
        f.addRow(hint)
        for key, label in DOMAINS.items():
            b.row(f, f"domain_{key}", label, text_box(46))
        self.content_layout.addWidget(domains)

        ready, f = group_box("Motivation and outcomes")
        b.row(f, "motivation", "&Motivation and readiness", text_box(60), required=True)
        b.row(f, "outcomes", "Potential treatment &outcomes", text_box(46))
        self.content_layout.addWidget(ready)

        minimum, f = group_box("The contract's minimum (4.1.3)")
        self.checklist = Checklist()
        f.addRow(b.add("checklist", self.checklist, "Checklist"))
        self.content_layout.addWidget(minimum)

        sg, f = group_box("Safeguarding")
        b.row(f, "safeguarding_concern", "Concern &raised", text_box(46))
        to = QLineEdit()
        to.setMaxLength(200)
        b.row(f, "safeguarding_reported_to", "Reported &to", to)
        self.content_layout.addWidget(sg)

        if current is not None:
            notes = {k: n for k, _label, n in current.domains}
            b.load({"assessed_on": current.assessed_on, "assessed_by": current.assessed_by, "method": current.method,
                    **{f"domain_{k}": notes.get(k) for k in DOMAINS}, "motivation": current.motivation,
                    "outcomes": current.outcomes, "checklist": list(current.checklist),
                    "safeguarding_concern": current.safeguarding_concern,
                    "safeguarding_reported_to": current.safeguarding_reported_to})
        if self.read_only:
            self.content.setEnabled(False)
            self.save_button.hide()
            self.cancel_button.setText("Close")
            note = QLabel("Your role reads pre-admission assessments; a key worker or senior records them.")
            note.setObjectName("fieldHint")
            self.content_layout.insertWidget(0, note)
        self.finish_setup(require_change=current is not None)

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        errors = {}
        if not any(values.get(f"domain_{k}") for k in DOMAINS):
            errors["domain_physical"] = "Write what was assessed in at least one domain."
        if values.get("safeguarding_concern") and not values.get("safeguarding_reported_to"):
            errors["safeguarding_reported_to"] = "Say to whom the safeguarding concern was reported."
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        data = PreAdmissionInput(
            referral_id=self.referral_id, assessed_on=values["assessed_on"], method=values["method"] or "",
            domains=[DomainNote(k, values[f"domain_{k}"]) for k in DOMAINS if values.get(f"domain_{k}")],
            motivation=values["motivation"] or "", assessed_by=values["assessed_by"], outcomes=values["outcomes"],
            checklist=values["checklist"], safeguarding_concern=values["safeguarding_concern"],
            safeguarding_reported_to=values["safeguarding_reported_to"])
        book = self.ctx.book
        if self.current is not None:
            aid, why = self.current.id, values.get("correction_reason") or ""
            return lambda: book.pre_admission.correct(aid, data, why)
        return lambda: book.pre_admission.record(data)


def open_pre_admission(ctx: AppContext, parent: QWidget | None, referral_id: str, person: str,
                       then: Callable[[], None] | None = None) -> None:
    """Reads the referral's assessment (if any) off the UI thread, then opens the dialog."""
    book = ctx.book

    def opened(current: PreAdmissionView | None) -> None:
        dialog = PreAdmissionDialog(parent, ctx, referral_id, person, current)
        if then is not None:
            dialog.accepted.connect(then)
        show_dialog(dialog)

    ctx.tasks.run(lambda: book.pre_admission.for_referral(referral_id), opened, lambda e: show_error(parent, e))
