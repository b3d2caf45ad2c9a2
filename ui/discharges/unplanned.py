"""The unplanned-discharge screen (issue 13): one dialog, fast, at night, by keyboard alone. Reached
from the resident's record (Ctrl+Shift+U, or "Unplanned discharge…" on its toolbar) and from the
caseload (the selected resident: Ctrl+Shift+U or the button). The type, when, what happened and
where they went; the night warning with its required reason; the overdose and homelessness
prompts (the CTP referral offered only when the resident consented at admission); and the second
person: a senior signs with their password now, or their phone agreement is recorded, or a senior
confirms later. The core does every check again and saves it all in one transaction."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)

from keyworker import discharge_reasons as dr
from keyworker.clock import LONDON
from keyworker.discharges import (
    UNPLANNED_TYPES,
    DischargeStart,
    DischargeView,
    UnplannedDischargeInput,
    at_night,
    is_freeze,
    validate_unplanned,
)
from keyworker.errors import ValidationError
from keyworker.security.permissions import Role
from ui.context import AppContext
from ui.errors import show_error
from ui.forms import ChoiceCombo, FormDialog, UkDateTimeEdit, to_qdate

SHORTCUT = "Ctrl+Shift+U"
CORE_FIELDS = ("type", "occurred_at", "circumstances", "destination", "reason_code", "night_reason",
               "overdose_risk", "naloxone_supplied", "harm_reduction_advice", "ctp_referral_made",
               "homelessness_risk", "council_name", "council_referral_made")
HOW = (("password", "A senior signs now with their own password"),
       ("phone", "A senior agreed by phone (they confirm later)"),
       ("later", "Not yet: a senior confirms later"))


def _box(name: str, placeholder: str, height: int = 64) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setObjectName(f"field_{name}")
    box.setTabChangesFocus(True)  # Tab moves on: a keyboard user is never trapped in a text box
    box.setPlaceholderText(placeholder)
    box.setFixedHeight(height)
    return box


def _time(hhmm: str) -> Any:
    from datetime import time

    h, m = hhmm.split(":")
    return time(int(h), int(m))


class UnplannedDischargeDialog(FormDialog):
    save_text = "&Record discharge"
    data_area = "discharges"
    min_width = 640

    def __init__(self, parent: QWidget | None, ctx: AppContext, start: DischargeStart,
                 seniors: list[tuple[str, str]]) -> None:
        super().__init__(parent, ctx, f"Unplanned discharge — {start.resident_name} ({start.reference})")
        self.setObjectName("unplannedDischargeDialog")
        self.start = start
        self.night = (_time(start.night_starts), _time(start.night_ends))
        now = ctx.book.clock.now().astimezone(LONDON).replace(second=0, microsecond=0)
        b = self.binder
        intro = QLabel("Two staff, including a senior manager, must agree an unplanned or disciplinary discharge. "
                       "A freeze keeps the stay open until the resident is reassessed.")
        intro.setWordWrap(True)
        from ui.sync.banner import SyncBanner  # "As of last sync HH:MM" when this laptop is behind (issue 17)

        self.sync_banner = SyncBanner(ctx)
        self.content_layout.addWidget(self.sync_banner)
        self.content_layout.addWidget(intro)
        form = QFormLayout()
        self.type = ChoiceCombo([(o.code, o.label) for o in UNPLANNED_TYPES], blank="Choose the type…")
        b.row(form, "type", "Type", self.type, required=True)
        self.occurred = UkDateTimeEdit(now)
        self.occurred.setMaximumDate(to_qdate(now.date()))
        b.row(form, "occurred_at", "Date and time", self.occurred, required=True,
              hint="dd/mm/yyyy hh:mm — when the resident left or was taken")
        self.night_warning = QLabel()
        self.night_warning.setObjectName("nightWarning")
        self.night_warning.setWordWrap(True)
        self.night_warning.setAccessibleName("Night warning")
        form.addRow("", self.night_warning)
        self.night_reason = _box("night_reason", "Why it could not wait until morning")
        b.row(form, "night_reason", "Why at night", self.night_reason)
        self.circumstances = _box("circumstances", "What happened, in order; for a disciplinary discharge, "
                                                   "the reasons given to the referring service", 96)
        b.row(form, "circumstances", "What happened", self.circumstances, required=True)
        self.destination = _box("destination", "Address, hospital, police station, or 'not known'", 48)
        b.row(form, "destination", "Where the resident went", self.destination)
        self.reason = ChoiceCombo([(r.code, r.label) for r in dr.offered("unplanned")],
                                  blank="As the type says (dropped out / withdrawn by provider)")
        b.row(form, "reason_code", "Discharge reason", self.reason)
        self.content_layout.addLayout(form)

        overdose = QGroupBox("Opiate overdose risk")
        of = QFormLayout(overdose)
        self.overdose = QCheckBox("At risk of &opiate overdose")
        b.row(of, "overdose_risk", "", self.overdose)
        self.naloxone = QCheckBox("&Naloxone supplied")
        b.row(of, "naloxone_supplied", "", self.naloxone)
        self.advice = QCheckBox("&Harm-reduction advice given")
        b.row(of, "harm_reduction_advice", "", self.advice)
        self.ctp = QCheckBox("Referred back to the &Community Treatment Provider")
        b.row(of, "ctp_referral_made", "", self.ctp)
        ctp_note = QLabel("The resident consented at admission to this referral." if start.ctp_consent else
                          "No consent at admission to a referral back to the Community Treatment Provider: "
                          "not offered.")
        ctp_note.setWordWrap(True)
        ctp_note.setObjectName("muted")
        of.addRow("", ctp_note)
        self.content_layout.addWidget(overdose)

        housing = QGroupBox("Homelessness risk")
        hf = QFormLayout(housing)
        self.homeless = QCheckBox("At risk of home&lessness")
        b.row(hf, "homelessness_risk", "", self.homeless)
        self.council = QLineEdit()
        self.council.setPlaceholderText(f"e.g. {start.district} council" if start.district else
                                        "The council of the resident's local connection")
        b.row(hf, "council_name", "District council", self.council,
              hint="Duty to refer (Homelessness Reduction Act 2017): usually where they lived before admission")
        self.council_done = QCheckBox("Referral to the council &made")
        b.row(hf, "council_referral_made", "", self.council_done)
        self.content_layout.addWidget(housing)

        self.senior_group = QGroupBox("Senior agreement")
        sf = QFormLayout(self.senior_group)
        self.how = ChoiceCombo(list(HOW), blank="How does a senior agree?")
        b.row(sf, "how", "Senior agreement", self.how)
        self.senior_username = QLineEdit()
        self.senior_username.setPlaceholderText("The senior's user name")
        b.row(sf, "senior_username", "Senior's user name", self.senior_username)
        self.senior_password = QLineEdit()
        self.senior_password.setEchoMode(QLineEdit.EchoMode.Password)
        b.row(sf, "senior_password", "Senior's password", self.senior_password, counts_as_change=False)
        self.phone_senior = ChoiceCombo(seniors, blank="Who agreed by phone?")
        b.row(sf, "phone_senior", "Senior who agreed", self.phone_senior)
        self.agreed_at = UkDateTimeEdit(now)
        b.row(sf, "agreed_at", "Time of the phone call", self.agreed_at)
        self.content_layout.addWidget(self.senior_group)

        for tick in (self.overdose, self.homeless):
            tick.toggled.connect(lambda _on: self._update())
        self.type.value_changed.connect(self._update)
        self.occurred.dateTimeChanged.connect(lambda _dt: self._update())
        self.how.value_changed.connect(self._update)
        self.finish_setup()
        self._update()

    # -- what shows --------------------------------------------------------------------------
    def is_night(self) -> bool:
        return at_night(self.occurred.value(), *self.night)

    def _update(self) -> None:
        kind = self.type.value() or ""
        freeze = is_freeze(kind)
        night = self.is_night() and not freeze
        self.night_warning.setText(
            f"⚠ Between {self.start.night_starts} and {self.start.night_ends}: discharge to the community at night "
            "must be avoided. Say below why it could not wait." if night else "")
        self.night_warning.setVisible(night)
        self.night_reason.setEnabled(night or bool(self.night_reason.toPlainText().strip()))
        groups: tuple[tuple[tuple[QWidget, ...], bool], ...] = (
            ((self.naloxone, self.advice), self.overdose.isChecked()),
            ((self.ctp,), self.overdose.isChecked() and bool(self.start.ctp_consent)),
            ((self.council, self.council_done), self.homeless.isChecked()),
            ((self.reason,), not freeze),
            ((self.senior_username, self.senior_password), self.how.value() == "password"),
            ((self.phone_senior, self.agreed_at), self.how.value() == "phone"),
        )
        for widgets, enabled in groups:
            for w in widgets:
                w.setEnabled(enabled)
        self.senior_group.setVisible(not freeze)
        self.binder.revalidate()

    def first_focus(self) -> QWidget | None:
        return self.type

    # -- the form's values -------------------------------------------------------------------
    def now(self) -> datetime:
        return self.ctx.book.clock.now()

    def core_values(self, values: dict[str, Any]) -> dict[str, Any]:
        core = {k: values.get(k) for k in CORE_FIELDS}
        if not self.overdose.isChecked():
            core.update(naloxone_supplied=False, harm_reduction_advice=False, ctp_referral_made=False)
        if not self.homeless.isChecked():
            core.update(council_name=None, council_referral_made=False)
        if is_freeze(core.get("type") or ""):
            core["reason_code"] = None
        return {**core, "resident_id": self.start.resident_id}

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        _clean, errors = validate_unplanned(self.core_values(values), now=self.now(), night=self.night,
                                            ctp_consent=self.start.ctp_consent)
        errors.pop("resident_id", None)
        if not is_freeze(values.get("type") or ""):
            how = values.get("how")
            if not how:
                errors["how"] = "Say how a senior agrees: now with their password, by phone, or later."
            elif how == "password":
                if not values.get("senior_username"):
                    errors["senior_username"] = "Type the senior's user name."
                if not values.get("senior_password"):
                    errors["senior_password"] = "The senior types their own password here."
            elif how == "phone" and not values.get("phone_senior"):
                errors["phone_senior"] = "Choose the senior who agreed by phone."
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        data = UnplannedDischargeInput(**self.core_values(values))
        book = self.ctx.book
        how = None if is_freeze(data.type) else values.get("how")
        username, password = values.get("senior_username") or "", values.get("senior_password") or ""
        senior, agreed = values.get("phone_senior"), values.get("agreed_at")

        def work() -> tuple[DischargeView, str]:
            view = book.discharges.record_unplanned(data)
            note = ""
            try:
                if how == "password":
                    view = book.discharges.confirm_by_password(view.id, username, password)
                elif how == "phone" and senior:
                    view = book.discharges.record_phone_agreement(view.id, senior, agreed)
            except ValidationError as e:  # the discharge is saved; the agreement can be given later
                note = " ".join(e.fields.values())
            return view, note

        return work

    def changed_areas(self) -> tuple[str, ...]:
        return ("discharges", "outbox", "residents")


def saved_text(view: DischargeView, note: str) -> str:
    """What the person reads once it is saved: the state, the deadline, what went to the outbox."""
    lines = [f"✓ {view.type_label} recorded. {view.state_label}.", view.due_text + "."]
    if view.outbox_items:
        lines.append(f"{view.outbox_items} item{'s' if view.outbox_items != 1 else ''} put in the outbox: the "
                     "out-of-hours summary and the risk analysis. Follow them up by phone.")
    lines += list(view.warnings)
    if note:
        lines.append(f"The senior's agreement was not recorded: {note} A senior can confirm it later.")
    return "\n".join(lines)


def open_unplanned_discharge(parent: QWidget, ctx: AppContext, resident_id: str,
                             on_saved: Callable[[Any], None] | None = None) -> None:
    """Read what the form needs off the UI thread, then open it."""
    book = ctx.book

    def fetch() -> tuple[DischargeStart, list[tuple[str, str]]]:
        start = book.discharges.start(resident_id)
        seniors = [(a.id, a.full_name) for a in book.accounts.list()
                   if a.role == Role.SENIOR and not a.disabled and a.id != book.actor.id]
        return start, seniors

    def show(result: tuple[DischargeStart, list[tuple[str, str]]]) -> None:
        start, seniors = result
        dlg = UnplannedDischargeDialog(parent, ctx, start, seniors)
        parent.setProperty("hasUnplannedDialog", True)
        setattr(parent, "unplanned_dialog", dlg)  # noqa: B010 - tests and the caller find it here

        def done() -> None:
            view, note = dlg.result_value
            if on_saved is not None:
                on_saved(dlg.result_value)
            else:
                box = QMessageBox(QMessageBox.Icon.Information, "Unplanned discharge recorded",
                                  saved_text(view, note), QMessageBox.StandardButton.Ok, parent)
                box.setObjectName("unplannedSaved")
                box.open()

        dlg.accepted.connect(done)
        dlg.open()

    ctx.tasks.run(fetch, show, lambda exc: show_error(parent, exc))


def from_window(window: Any) -> None:
    """The record window's "Unplanned discharge…" (Ctrl+Shift+U)."""
    open_unplanned_discharge(window, window.ctx, window.resident_id)


__all__ = ["UnplannedDischargeDialog", "open_unplanned_discharge", "from_window", "saved_text", "SHORTCUT"]
