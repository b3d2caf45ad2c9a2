"""The referral dialogs the inbox page opens: record a referral as it arrives
(`ReferralDialog.ask`), accept or decline it (`DecisionDialog.ask`, showing the decline letter),
and admit an accepted one (`AdmitDialog.ask`, which creates the resident record)."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QButtonGroup,
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QWidget,
)

from keyworker import reference_data as ref
from keyworker import working_days as wd
from keyworker.clock import format_date, format_datetime, local_today, to_local
from keyworker.errors import ValidationError
from keyworker.letters import incomplete_profile_warning
from keyworker.referrals import MAX_WEEKS, MIN_WEEKS, ReferralView, validate_admission
from keyworker.residents import ResidentRecord, validate_resident
from keyworker.security.permissions import Permission, Role
from ui.documents import show_pdf
from ui.forms.confirm import ask_to_go_on
from ui.forms import ChoiceCombo, FormDialog, OptionalDateEdit, UkDateEdit, UkDateTimeEdit
from ui.resident.fields import build_resident_fields

if TYPE_CHECKING:
    from ui.context import AppContext

RETURNING_REFERENCE = re.compile(r"^R?-?0*\d{1,6}$")
RESIDENT_FIELDS = frozenset(("given_name", "family_name", "preferred_name", "date_of_birth",
                             "nhs_number", "sex", "gender_identity", "ethnicity", "religion", "sexual_orientation",
                             "disability", "pregnancy", "marital_status", "nationality", "postcode", "district",
                             "gp_practice", "next_of_kin_name", "next_of_kin_relationship", "next_of_kin_phone",
                             "next_of_kin_address", "primary_substance", "primary_route", "other_substances"))


def _line(placeholder: str = "", max_len: int = 200) -> QLineEdit:
    e = QLineEdit()
    e.setMaxLength(max_len)
    e.setPlaceholderText(placeholder)
    return e


def _text(height: int = 110) -> QPlainTextEdit:
    t = QPlainTextEdit()
    t.setTabChangesFocus(True)
    t.setMinimumHeight(height)
    return t


def deadline_text(received_at: datetime) -> str:
    """'Decision due by Monday 12/01/2026 — 5 working days from Monday 05/01/2026.'"""
    counted = wd.counts_as_received_on(received_at)
    due = wd.decision_due(received_at)
    text = (f"Decision due by {due:%A} {format_date(due)} — {wd.DECISION_WORKING_DAYS} working days "
            f"from {counted:%A} {format_date(counted)}")
    if counted != to_local(received_at).date():
        text += " (received after 17:00, at a weekend or on a bank holiday: counts from the next working day)"
    return text + "."


class ReferralDialog(FormDialog):
    """Record a new referral, or open one (`referral=`) to read it and, while it waits for a
    decision or for admission, correct it (audited: the entry names the fields changed). A
    declined or admitted referral, or a role that only reads, opens read-only. From an opened
    referral, the next step (decide, admit) is one button away: `next_step` says which was chosen."""

    data_area = "referrals"

    def __init__(self, parent: QWidget | None, ctx: AppContext, referral: ReferralView | None = None) -> None:
        super().__init__(parent, ctx, "New referral" if referral is None else f"Referral — {referral.name}",
                         save_text="&Save referral" if referral is None else "&Save changes")
        self.referral = referral
        self.next_step: str | None = None
        actor = ctx.book.actor
        b = self.binder
        now = ctx.book.clock.now()

        if referral is not None:
            self.standing = QLabel(standing_text(referral))
            self.standing.setObjectName("problem" if referral.overdue else "hint")
            self.standing.setWordWrap(True)
            self.standing.setAccessibleName("Where the referral stands")
            self.standing.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.content_layout.addWidget(self.standing)

        # The person first: the time received is now, so typing starts with their name.
        person, f = _group("Person referred")
        b.row(f, "given_name", "&Given name", _line(max_len=100), required=True)
        b.row(f, "family_name", "&Family name", _line(max_len=100), required=True)
        b.row(f, "date_of_birth", "&Date of birth", OptionalDateEdit(default=date(now.year - 35, 1, 1)))

        arrived, f = _group("Received")
        self.received = UkDateTimeEdit(now)
        b.row(f, "received_at", "Date and time &received", self.received, required=True)
        self.deadline = QLabel()
        self.deadline.setObjectName("deadline")
        self.deadline.setWordWrap(True)
        self.deadline.setAccessibleName("Decision deadline")
        f.addRow("Decision deadline", self.deadline)
        b.row(f, "category", "Admission &category",
              ChoiceCombo([(o.code, o.label) for o in ref.admission_categories()], blank="Choose…"), required=True)

        referrer, f = _group("Referrer")
        b.row(f, "referrer_name", "Referrer's na&me", _line(), required=True)
        org = _line()
        org.setText("Lancashire County Council")
        b.row(f, "referrer_organisation", "Organisation", org)
        b.row(f, "referrer_email", "&Email", _line("name@lancashire.gov.uk"),
              hint="An email or a phone number is needed so the decision can reach the referrer.")
        b.row(f, "referrer_phone", "&Phone", _line("01772 123456", 20))
        address = _text(70)
        address.setMaximumHeight(address.fontMetrics().lineSpacing() * 5 + 14)  # five lines, not the spare height
        b.row(f, "referrer_address", "Postal address", address,
              hint="As it goes on the envelope, one line per line: letters to the referrer are addressed to it.")
        b.row(f, "referrer_reference", "Their &reference", _line(max_len=64))
        b.row(f, "community_treatment_provider", "Community &Treatment Provider", _line(), required=True)

        assess, f = _group("Assessment")
        b.row(f, "assessment_summary", "&Summary of the assessment", _text(), required=True)

        for g in (person, arrived, referrer, assess):
            self.content_layout.addWidget(g)
        self.received.dateTimeChanged.connect(self._update_deadline)
        if referral is not None:
            b.load({k: getattr(referral, k) for k in ("received_at", "category", "given_name", "family_name",
                                                      "date_of_birth", "referrer_name", "referrer_organisation",
                                                      "referrer_email", "referrer_phone", "referrer_address",
                                                      "referrer_reference", "community_treatment_provider", "assessment_summary")})
        self._update_deadline()
        self.read_only_reason = self._read_only_reason(referral, actor.can(Permission.RECORD_REFERRALS))
        if self.read_only_reason:
            for field in b.fields.values():
                _set_read_only(field.editor)
            self.save_button.hide()
            self.cancel_button.setText("Close")
            self.standing.setText(f"{self.standing.text()}\n{self.read_only_reason}")
        elif referral is not None and referral.status != "open":
            _set_read_only(self.received)  # the decision was timed from it
            self.received.setToolTip("The time received cannot be changed once the referral is decided.")
        self.next_button: QPushButton | None = None
        if referral is not None:
            self._add_next_step(referral)
        self.finish_setup(require_change=referral is not None)

    @staticmethod
    def _read_only_reason(referral: ReferralView | None, may_record: bool) -> str:
        if referral is None:
            return ""
        if referral.status == "declined":
            return "Declined: the decline letter gave these details, so they are kept as they were."
        if referral.status == "admitted":
            return "Admitted: the resident's record now holds their details; correct them there."
        return "" if may_record else "Your role can read referrals but not change them."

    def _add_next_step(self, referral: ReferralView) -> None:
        actor = self.ctx.book.actor
        if referral.status == "open" and actor.can(Permission.DECIDE_REFERRALS):
            step, text, tip = "decide", "Accept or decl&ine…", "Record the decision on this referral"
        elif referral.status == "accepted" and actor.can(Permission.ADMIT):
            step, text, tip = "admit", "Adm&it…", "Admit: creates the resident's record"
        else:
            return
        button = QPushButton(text)
        button.setAccessibleName(tip)
        button.setToolTip(tip)
        self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        button.clicked.connect(lambda: self._go_on(step))
        # Corrections are saved first: the next step works on the referral as recorded.
        self.binder.dirty_changed.connect(lambda dirty: button.setEnabled(not dirty))
        self.next_button = button

    def _go_on(self, step: str) -> None:
        if self.binder.is_dirty():
            return
        self.next_step = step
        self.done(QDialog.DialogCode.Rejected.value)

    def _update_deadline(self) -> None:
        self.deadline.setText(deadline_text(self.received.value()))

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        return self.ctx.book.referrals.validate(values)

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        book = self.ctx.book
        if self.referral is None:
            return lambda: book.referrals.record(values)
        baseline = self.binder._baseline  # noqa: SLF001 - only what the user changed is sent
        changes = {k: v for k, v in values.items() if baseline.get(k) != v}
        rid = self.referral.id
        return lambda: book.referrals.update(rid, changes)

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, referral: ReferralView | None = None) -> ReferralView | None:
        dlg = cls(parent, ctx, referral)
        return dlg.result_value if dlg.exec() == FormDialog.DialogCode.Accepted.value else None


def _set_read_only(editor: QWidget) -> None:
    """Readable, selectable, not editable (a disabled field greys its text out)."""
    if isinstance(editor, (QLineEdit, QPlainTextEdit, QAbstractSpinBox)):
        editor.setReadOnly(True)
        if isinstance(editor, QAbstractSpinBox):
            editor.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.NoButtons)
            if isinstance(editor, QDateTimeEdit):
                editor.setCalendarPopup(False)
    else:
        editor.setEnabled(False)


def late_text(r: ReferralView) -> str:
    """'This decision is 2 working days late (due 24/11/2026)', or '' when it is not late."""
    if not r.overdue or r.working_days_left is None:
        return ""
    n = -r.working_days_left
    return f"This decision is {n} working day{'s' if n != 1 else ''} late (due {format_date(r.decision_due_on)})"


def standing_text(r: ReferralView) -> str:
    """Where an opened referral stands, in a sentence."""
    if r.status == "open":
        if r.overdue:
            return f"Waiting for a decision. {late_text(r)}."
        if r.working_days_left == 0:
            return f"Waiting for a decision, due today ({format_date(r.decision_due_on)})."
        n = r.working_days_left or 0
        return (f"Waiting for a decision, due {format_date(r.decision_due_on)}: "
                f"{n} working day{'s' if n != 1 else ''} left.")
    decided = f" on {format_date(to_local(r.decided_at).date())}" if r.decided_at else ""
    timing = {True: ", within the 5 working days", False: ", after the 5 working days"}.get(
        r.decided_within_deadline, "") if r.decided_at else ""
    if r.status == "accepted":
        return f"Accepted{decided}{timing}; waiting for admission."
    if r.status == "declined":
        why = f" Reason: {r.decline_category_label}." if r.decline_category_label else ""
        return f"Declined{decided}{timing}.{why}"
    if r.status == "admitted":
        return f"Accepted{decided}{timing}, and admitted."
    return r.status.capitalize()


class DecisionChoice(QWidget):
    """Accept / Decline as two radio buttons. `value()` -> "accept" | "decline" | None."""

    value_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        h = QHBoxLayout(self)
        h.setContentsMargins(0, 0, 0, 0)
        self.accept_radio = QRadioButton("&Accept")
        self.decline_radio = QRadioButton("D&ecline")
        self.accept_radio.setAccessibleName("Accept the referral")
        self.decline_radio.setAccessibleName("Decline the referral")
        self.group = QButtonGroup(self)
        for r in (self.accept_radio, self.decline_radio):
            self.group.addButton(r)
            h.addWidget(r)
            r.toggled.connect(lambda _on: self.value_changed.emit())
        h.addStretch(1)

    def value(self) -> str | None:
        if self.accept_radio.isChecked():
            return "accept"
        if self.decline_radio.isChecked():
            return "decline"
        return None

    def set_value(self, value: str | None) -> None:
        self.group.setExclusive(False)
        self.accept_radio.setChecked(value == "accept")
        self.decline_radio.setChecked(value == "decline")
        self.group.setExclusive(True)


class DecisionDialog(FormDialog):
    """Accept or decline an open referral. Declining needs a reason category and the reasons in
    full. Either way the letter the core makes for the referrer (decline letter or acceptance
    confirmation) is then shown (preview, print, save), saying it waits in the outbox for them."""

    data_area = "referrals"
    save_text = "&Record decision"

    def __init__(self, parent: QWidget | None, ctx: AppContext, referral: ReferralView) -> None:
        super().__init__(parent, ctx, f"Decision — {referral.name}")
        self.referral = referral
        self.show_letter: Callable[[QWidget | None, AppContext, str, bytes | str], Any] = show_pdf
        self.letter_window: Any = None
        self._parent = parent
        b = self.binder
        # Said plainly before anything else: the referrer's letter will say so too.
        self.late_note = QLabel("⚠ " + late_text(referral) + "." if referral.overdue else "")
        self.late_note.setObjectName("problem")
        self.late_note.setWordWrap(True)
        self.late_note.setAccessibleName("Decision deadline")
        self.late_note.setVisible(referral.overdue)
        self.content_layout.addWidget(self.late_note)

        summary, f = _group("Referral")
        for label, text in _referral_summary(referral):
            value: QWidget
            if label == "Assessment":  # may be long: scrollable, selectable, read-only
                value = QPlainTextEdit(text)
                value.setReadOnly(True)
                value.setMaximumHeight(110)
                value.setTabChangesFocus(True)
            else:
                value = QLabel(text)
                value.setWordWrap(True)
                value.setTextInteractionFlags(value.textInteractionFlags() | Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(label)
            f.addRow(label, value)
        self.content_layout.addWidget(summary)
        from ui.key_work.pre_admission_view import PreAdmissionSummary

        self.pre_admission = PreAdmissionSummary(ctx, referral.id)  # read-only: done or not (4.1.3)
        self.content_layout.addWidget(self.pre_admission)

        decide, f = _group("Decision")
        self.choice = DecisionChoice()
        b.row(f, "decision", "Decision", self.choice, required=True, counts_as_change=False)
        self.category = ChoiceCombo([(o.code, o.label) for o in ref.decline_categories()], blank="Choose…")
        self.category_box = b.row(f, "category", "Reason &category *", self.category)
        self.reason = _text(130)
        self.reason.setPlaceholderText("The reasons in full: the referrer receives them in a letter.")
        self.reason_box = b.row(f, "reason", "Reasons (in &full) *", self.reason)
        self.decide_form = f
        self.content_layout.addWidget(decide)
        self.allowed = ctx.book.actor.can(Permission.DECIDE_REFERRALS)
        if not self.allowed:
            note = QLabel("Only a senior (manager) can accept or decline a referral.")
            note.setObjectName("fieldHint")
            self.content_layout.addWidget(note)
            decide.setEnabled(False)
        # The letter goes out on the unit profile: say before deciding if it lacks something.
        self.profile_missing: list[str] = []
        self.confirm_incomplete: Callable[[QWidget, str], bool] = ask_to_go_on
        self.profile_note = QLabel()
        self.profile_note.setObjectName("problem")
        self.profile_note.setWordWrap(True)
        self.profile_note.hide()
        self.content_layout.addWidget(self.profile_note)
        self.binder.changed.connect(self._update_visibility)
        self._update_visibility()
        self.finish_setup()
        self.resize(720, 700)
        book = ctx.book
        ctx.tasks.run(book.unit_profile.get, self._profile_loaded, lambda exc: None)

    def first_focus(self) -> QWidget | None:
        if not self.allowed:
            return None
        if self.choice.value() == "decline":
            return self.category
        return self.choice.accept_radio

    def _profile_loaded(self, profile: Any) -> None:
        self.profile_missing = list(profile.missing())
        self._update_visibility()

    def save(self) -> None:
        """Declining with an incomplete unit profile asks first: the letter would lack it."""
        if (not self._saving and self.choice.value() == "decline" and self.profile_missing
                and self.binder.is_valid()
                and not self.confirm_incomplete(self, incomplete_profile_warning(self.profile_missing)
                                                + "\n\nDecline and make the letter anyway?")):
            return
        super().save()

    def _update_visibility(self) -> None:
        declining = self.choice.value() == "decline"
        self.decide_form.setRowVisible(self.category_box, declining)
        self.decide_form.setRowVisible(self.reason_box, declining)
        if hasattr(self, "profile_note"):
            self.profile_note.setText("⚠ " + incomplete_profile_warning(self.profile_missing))
            self.profile_note.setVisible(declining and bool(self.profile_missing))
        self.save_button.setText("&Decline and make the letter" if declining else
                                 "&Accept referral" if self.choice.value() == "accept" else self.save_text)

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        if not self.allowed:
            return {"decision": "Only a senior (manager) can decide."}
        if values["decision"] != "decline":
            return None
        return self.ctx.book.referrals.validate_decline(values["category"], values["reason"])

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        book, rid = self.ctx.book, self.referral.id
        if values["decision"] == "accept":
            return lambda: book.referrals.accept(rid)
        category, reason = values["category"], values["reason"]
        return lambda: book.referrals.decline(rid, category, reason)

    def _saved(self, result: Any) -> None:
        super()._saved(result)
        if not isinstance(result, ReferralView):
            return
        # Either decision's letter is made, kept and queued for the referrer by the core: show it.
        if result.decline_letter_id:
            title, letter_id = f"Decline letter — {result.name}", result.decline_letter_id
        elif result.acceptance_letter_id:
            title, letter_id = f"Acceptance confirmation — {result.name}", result.acceptance_letter_id
        else:
            return
        self.letter_window = self.show_letter(self._parent, self.ctx, title, letter_id)
        if self.letter_window is not None and hasattr(self.letter_window, "set_note"):
            from ui.documents.outbox_note import queued_note

            self.letter_window.set_note(queued_note(result.referrer_name, result.referrer_email))
        self.ctx.state.data_changed.emit("outbox")

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, referral: ReferralView) -> ReferralView | None:
        dlg = cls(parent, ctx, referral)
        return dlg.result_value if dlg.exec() == FormDialog.DialogCode.Accepted.value else None


class AdmitDialog(FormDialog):
    """Admit an accepted referral: the admission (date, setting, strand, planned weeks, key worker,
    part-time) and the new resident's record, saved together or not at all."""

    save_text = "&Admit"
    data_area = "residents"

    def __init__(self, parent: QWidget | None, ctx: AppContext, referral: ReferralView) -> None:
        super().__init__(parent, ctx, f"Admit — {referral.name}")
        self.referral = referral
        self.today = local_today(ctx.book.clock)
        self.received_on = to_local(referral.received_at).date()
        b = self.binder

        adm, f = _group("Admission")
        b.row(f, "admitted_on", "Admission &date", UkDateEdit(self.today), required=True)
        b.row(f, "setting", "&Setting", ChoiceCombo([(o.code, o.label) for o in ref.settings()], blank="Choose…"),
              required=True)
        b.row(f, "strand", "S&trand", ChoiceCombo([(o.code, o.label) for o in ref.strands()], blank="Choose…"),
              required=True)
        weeks = QSpinBox()
        weeks.setRange(MIN_WEEKS, MAX_WEEKS)
        weeks.setValue(MIN_WEEKS)
        weeks.setSuffix(" weeks")
        b.row(f, "planned_weeks", "Planned &length", weeks, required=True,
              hint=f"Between {MIN_WEEKS} and {MAX_WEEKS} weeks.")
        self.key_worker = ChoiceCombo([], blank="Choose…")
        b.row(f, "key_worker_id", "Named &key worker", self.key_worker, required=True)
        self.part_time = QCheckBox("Attends part-time")
        b.row(f, "part_time", "Attendance", self.part_time)
        self.part_time_notes_box = b.row(f, "part_time_notes", "Part-time arrangements", _text(50))
        self.adm_form = f
        self.content_layout.addWidget(adm)

        back, f = _group("Returning resident")
        self.returning = _line("e.g. R-00042 — leave blank for someone new", 12)
        b.row(f, "returning_reference", "Earlier &reference", self.returning,
              hint="Someone who stayed before keeps their record: give their reference instead of a new record.")
        self.content_layout.addWidget(back)
        self.resident_boxes = build_resident_fields(b, today=self.today)
        for box in self.resident_boxes:
            self.content_layout.addWidget(box)
        b.load({"given_name": referral.given_name, "family_name": referral.family_name,
                "date_of_birth": referral.date_of_birth})
        self.binder.changed.connect(self._update_part_time)
        self._update_part_time()
        self.finish_setup()
        self._load_key_workers()

    def _load_key_workers(self) -> None:
        book = self.ctx.book
        self.ctx.tasks.run(lambda: book.accounts.list(include_disabled=False), self._show_key_workers)

    def _show_key_workers(self, accounts: list[Any]) -> None:
        clinical = [(a.id, a.full_name) for a in accounts if a.role in (Role.KEY_WORKER, Role.SENIOR)]
        self.key_worker.set_choices(clinical)
        me = self.ctx.book.actor
        if self.key_worker.value() is None and me.role in (Role.KEY_WORKER, Role.SENIOR):
            self.key_worker.set_value(me.id)
        self.binder.revalidate()

    def _update_part_time(self) -> None:
        self.adm_form.setRowVisible(self.part_time_notes_box, self.part_time.isChecked())
        returning = bool(self.returning.text().strip())
        for box in self.resident_boxes:  # a returning resident's record is not typed again
            box.setVisible(not returning)

    def _split(self, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        resident = {k: v for k, v in values.items() if k in RESIDENT_FIELDS}
        admission = {k: v for k, v in values.items() if k not in RESIDENT_FIELDS and k != "returning_reference"}
        if not admission.get("part_time"):
            admission["part_time_notes"] = None
        return admission, resident

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        admission, resident = self._split(values)
        _v, errors = validate_admission(admission, today=self.today, received_on=self.received_on)
        returning = values.get("returning_reference")
        if returning:
            if not RETURNING_REFERENCE.match(returning.strip().upper()):
                errors["returning_reference"] = "A reference looks like R-00042."
            return errors
        _r, rerrors = validate_resident(resident, admitted_on=admission.get("admitted_on"), today=self.today)
        return {**rerrors, **errors}

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        admission, resident = self._split(values)
        book, rid = self.ctx.book, self.referral.id
        returning = values.get("returning_reference")
        if not returning:
            return lambda: book.referrals.admit(rid, admission, resident)

        def admit_returning() -> Any:
            resident_id = book.residents.find_by_reference(returning)
            if resident_id is None:
                raise ValidationError({"returning_reference": f"No resident has the reference {returning}."})
            return book.referrals.admit(rid, admission, resident_id=resident_id)

        return admit_returning

    def changed_areas(self) -> tuple[str, ...]:
        return ("residents", "referrals")

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, referral: ReferralView) -> ResidentRecord | None:
        dlg = cls(parent, ctx, referral)
        return dlg.result_value if dlg.exec() == FormDialog.DialogCode.Accepted.value else None


def _group(title: str) -> tuple[QGroupBox, QFormLayout]:
    box = QGroupBox(title)
    form = QFormLayout(box)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return box, form


def _referral_summary(r: ReferralView) -> list[tuple[str, str]]:
    if r.working_days_left is None:
        status = r.status.capitalize()
    elif r.overdue:
        n = -(r.working_days_left or 0)
        status = f"{format_date(r.decision_due_on)} — {n} working day{'s' if n != 1 else ''} late"
    elif r.working_days_left == 0:
        status = f"{format_date(r.decision_due_on)} — today"
    else:
        n = r.working_days_left
        status = f"{format_date(r.decision_due_on)} — {n} working day{'s' if n != 1 else ''} left"
    contact = ", ".join(p for p in (r.referrer_organisation, r.referrer_email, r.referrer_phone) if p)
    return [
        ("Name", r.name + (f" (born {format_date(r.date_of_birth)})" if r.date_of_birth else "")),
        ("Received", format_datetime(r.received_at)),
        ("Decision due", status),
        ("Category", r.category_label),
        ("Referrer", r.referrer_name + (f" — {contact}" if contact else "")),
        ("Community Treatment Provider", r.community_treatment_provider or ""),
        ("Assessment", r.assessment_summary or ""),
    ]


__all__ = ["ReferralDialog", "DecisionDialog", "AdmitDialog", "deadline_text"]
