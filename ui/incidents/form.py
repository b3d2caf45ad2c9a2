"""The "Log incident" dialog: when it happened (not in the future), the type, what happened, who
was involved, what was done, and whether the police or a safeguarding referral were involved (their
details only once ticked). Night staff log incidents too. Saving prompts a risk review (the core
does it, in the same transaction), and the dialog's caller says so."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLineEdit, QPlainTextEdit, QWidget

from keyworker.clock import LONDON
from keyworker.incidents import INCIDENT_TYPES, IncidentInput, validate_incident
from ui.context import AppContext
from ui.forms import ChoiceCombo, FormDialog, UkDateTimeEdit, to_qdate


def text_box(name: str, placeholder: str, height: int = 70) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setObjectName(f"field_{name}")
    box.setTabChangesFocus(True)  # Tab moves on: a keyboard user is never trapped in a text box
    box.setPlaceholderText(placeholder)
    box.setFixedHeight(height)
    return box


class IncidentDialog(FormDialog):
    save_text = "&Log incident"
    data_area = "incidents"

    def __init__(self, parent: QWidget | None, ctx: AppContext, resident_id: str,
                 admission_id: str | None = None) -> None:
        super().__init__(parent, ctx, "Log an incident")
        self.setObjectName("incidentDialog")
        self.resident_id = resident_id
        self.admission_id = admission_id
        now = ctx.book.clock.now().astimezone(LONDON).replace(second=0, microsecond=0)
        b = self.binder
        form = QFormLayout()
        self.occurred = UkDateTimeEdit(now)
        # The picker stops at now; typing a later time is still caught, at the field, by validate.
        self.occurred.setMaximumDate(to_qdate(now.date()))
        b.row(form, "occurred_at", "Date and time", self.occurred, required=True,
              hint="dd/mm/yyyy hh:mm — now, unless you are recording it later.")
        self.kind = ChoiceCombo([(o.code, o.label) for o in INCIDENT_TYPES], blank="Choose the type…")
        b.row(form, "kind", "Type of incident", self.kind, required=True)
        self.description = text_box("description", "What happened, in order, as factually as you can", 110)
        b.row(form, "description", "What happened", self.description, required=True)
        self.people = text_box("people_involved", "Residents, staff, visitors (names or roles)")
        b.row(form, "people_involved", "People involved", self.people)
        self.actions = text_box("actions_taken", "e.g. First aid given, observations every hour, manager called")
        b.row(form, "actions_taken", "Actions taken", self.actions)
        self.domestic_abuse = QCheckBox("This was &domestic abuse")
        self.domestic_abuse.setToolTip("Counts towards a MARAC referral on potential escalation "
                                       "(3 or more in 12 months).")
        b.row(form, "domestic_abuse", "", self.domestic_abuse)
        self.content_layout.addLayout(form)

        police = QGroupBox("Police")
        pf = QFormLayout(police)
        self.police = QCheckBox("&Police involved")
        b.row(pf, "police_involved", "", self.police)
        self.police_reference = QLineEdit()
        self.police_reference.setPlaceholderText("Incident or crime number, if given")
        self._dependent(pf, "police_reference", "Police reference", self.police_reference, self.police)
        self.content_layout.addWidget(police)

        safeguarding = QGroupBox("Safeguarding referral")
        sf = QFormLayout(safeguarding)
        self.safeguarding = QCheckBox("Safeguarding &referral made")
        b.row(sf, "safeguarding_referral", "", self.safeguarding)
        self.safeguarding_to = QLineEdit()
        self.safeguarding_to.setPlaceholderText("e.g. Lancashire adult safeguarding, children's social care")
        self._dependent(sf, "safeguarding_to", "Made to", self.safeguarding_to, self.safeguarding)
        self.safeguarding_reference = QLineEdit()
        self._dependent(sf, "safeguarding_reference", "Their reference", self.safeguarding_reference,
                        self.safeguarding)
        self.content_layout.addWidget(safeguarding)
        self.finish_setup()

    def _dependent(self, form: QFormLayout, name: str, label: str, edit: QLineEdit, tick: QCheckBox) -> None:
        """A detail that applies only once its box is ticked: greyed out until then. Unticking keeps
        what was typed (ticking again brings it back) but it is not saved while unticked."""
        edit.setEnabled(False)
        tick.toggled.connect(edit.setEnabled)
        self.binder.row(form, name, label, edit,
                        getter=lambda: (edit.text().strip() or None) if tick.isChecked() else None,
                        setter=lambda v: edit.setText("" if v is None else str(v)))
        tick.toggled.connect(lambda _on: self.binder.revalidate())

    def now(self) -> datetime:
        return self.ctx.book.clock.now()

    def values_for_core(self, values: dict[str, Any]) -> dict[str, Any]:
        return {**values, "resident_id": self.resident_id}

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        _clean, errors = validate_incident(self.values_for_core(values), now=self.now())
        errors.pop("resident_id", None)
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        data = IncidentInput(**self.values_for_core(values))
        book, aid = self.ctx.book, self.admission_id

        def work() -> tuple[Any, list[Any]]:
            view = book.incidents.record(data)
            return view, (book.risk.needs_review(aid) if aid else [])

        return work

    def changed_areas(self) -> tuple[str, ...]:
        return ("incidents", "safeguarding", "risk")


def risk_prompt_text(prompts: list[Any]) -> str:
    """What the record says once an incident is logged: the risk review the core has prompted."""
    if any(p.reason in ("incident", "relapse", "safeguarding") for p in prompts):
        return "✓ Incident logged. A risk review has been prompted: review the risk assessment on the Risk tab."
    return "✓ Incident logged."


__all__ = ["IncidentDialog", "risk_prompt_text"]
