"""The "Plan discharge" screen (issue 13's planned half): a form over the resident's discharge plan
(`book.discharge_plans`): the planning meeting (date, who came, whether the referrer was invited:
the warning shows as soon as the box is unticked), the planned date, route and reason, aftercare,
goals achieved, recommendations and medication on discharge. "Save draft" keeps what was typed;
closing with unsaved changes asks first. "Preview letter" opens the letter (DRAFT until signed) in
the document viewer. The key worker completes the discharge (with a confirmation and the date the
resident left); a senior, someone else, signs and the letter goes to the resident, the referrer and
the Authority through the outbox. Reached from the Discharge tab and the record's actions."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_date, format_datetime, to_local
from keyworker.discharge_plans import (
    Aftercare,
    Attendee,
    DischargePlanInput,
    DischargePlanView,
    reason_options,
    route_options,
)
from keyworker.errors import ValidationError
from keyworker.security.permissions import Permission
from ui.context import AppContext
from ui.errors import show_error
from ui.forms import ChoiceCombo
from ui.forms.dialog import Unsaved, ask_unsaved
from ui.forms.widgets import OptionalDateEdit, UkDateEdit

SHORTCUT = "Ctrl+Shift+D"


def _box(name: str, placeholder: str, height: int = 64) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setObjectName(f"field_{name}")
    box.setAccessibleName(placeholder)
    box.setTabChangesFocus(True)
    box.setPlaceholderText(placeholder)
    box.setFixedHeight(height)
    return box


def _line(name: str, placeholder: str) -> QLineEdit:
    e = QLineEdit()
    e.setObjectName(f"field_{name}")
    e.setPlaceholderText(placeholder)
    e.setAccessibleName(placeholder)
    return e


class CompleteDialog(QDialog):
    """The confirmation before the stay ends: the date the resident left, and what happens next."""

    def __init__(self, parent: QWidget | None, name: str, default: date) -> None:
        super().__init__(parent)
        self.setObjectName("completeDischargeDialog")
        self.setWindowTitle("Complete the discharge")
        lay = QVBoxLayout(self)
        text = QLabel(f"This ends {name}'s stay. A senior manager then signs the discharge letter and it is sent "
                      "to the resident, the referrer and the Authority. The 3- and 6-month follow-ups are "
                      "scheduled for a completed programme.")
        text.setWordWrap(True)
        lay.addWidget(text)
        form = QFormLayout()
        self.day = UkDateEdit(default)
        self.day.setObjectName("field_discharged_on")
        form.addRow("Date the resident left", self.day)
        lay.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("Complete discharge", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)


def _ask_complete(parent: QWidget, name: str, default: date) -> date | None:
    dlg = CompleteDialog(parent, name, default)
    return dlg.day.value() if dlg.exec() == QDialog.DialogCode.Accepted else None


class PlannedDischargeDialog(QDialog):
    def __init__(self, parent: QWidget | None, ctx: AppContext, view: DischargePlanView) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view = view
        self.dirty = False
        self._loading = False
        self._busy = False
        # Replaced in tests: the unsaved-changes question and the completion confirmation.
        self.confirm_unsaved: Callable[[QWidget], Unsaved] = lambda w: ask_unsaved(w, "the discharge plan")
        self.ask_complete: Callable[[QWidget, str, date], date | None] = _ask_complete
        self.open_viewer: Callable[[bytes], Any] = self._open_viewer
        self.setObjectName("plannedDischargeDialog")
        self.setWindowTitle(f"Plan discharge: {view.resident_name} ({view.reference})")
        self.setAccessibleName("Plan discharge")
        self.resize(900, 760)
        actor = ctx.book.actor
        self._can_edit = actor.can(Permission.EDIT_CARE_PLANS)
        self._can_sign = actor.can(Permission.CONFIRM_DISCHARGES)

        outer = QVBoxLayout(self)
        self.state_label = QLabel()
        self.state_label.setObjectName("planState")
        self.state_label.setWordWrap(True)
        # Wrapped labels keep the height their text needs; the form below scrolls instead.
        self.state_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        outer.addWidget(self.state_label)
        self.warning = QLabel()
        self.warning.setObjectName("referrerWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b42318; font-weight: bold;")
        outer.addWidget(self.warning)

        body = QWidget()
        form_lay = QVBoxLayout(body)
        meeting = QGroupBox("Discharge planning meeting")
        mf = QFormLayout(meeting)
        self.meeting_on = OptionalDateEdit(default=to_local(ctx.book.clock.now()).date())
        self.meeting_on.setObjectName("field_meeting_on")
        self.meeting_on.setAccessibleName("Meeting date")
        mf.addRow("Meeting &date", self.meeting_on)
        self.attendees = QTableWidget(0, 2)
        self.attendees.setObjectName("field_attendees")
        self.attendees.setAccessibleName("Who attended: name and role")
        self.attendees.setHorizontalHeaderLabels(["Name", "Role"])
        self.attendees.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.attendees.setMaximumHeight(130)
        self.attendees.setTabKeyNavigation(False)
        att_buttons = QHBoxLayout()
        self.add_person = QPushButton("&Add person")
        self.remove_person = QPushButton("Remove person")
        att_buttons.addWidget(self.add_person)
        att_buttons.addWidget(self.remove_person)
        att_buttons.addStretch(1)
        att = QVBoxLayout()
        att.addWidget(self.attendees)
        att.addLayout(att_buttons)
        mf.addRow("Who attended", att)
        self.referrer_invited = QCheckBox("The referrer was invited" + (f" ({view.referrer_name})"
                                                                          if view.referrer_name else ""))
        self.referrer_invited.setObjectName("field_referrer_invited")
        mf.addRow("", self.referrer_invited)
        form_lay.addWidget(meeting)

        leaving = QGroupBox("Leaving")
        lf = QFormLayout(leaving)
        self.planned_date = OptionalDateEdit(default=to_local(ctx.book.clock.now()).date())
        self.planned_date.setObjectName("field_planned_date")
        self.planned_date.setAccessibleName("Planned discharge date")
        lf.addRow("&Planned discharge date", self.planned_date)
        self.route = ChoiceCombo([(o.code, o.label) for o in route_options()], blank="Choose the route")
        self.route.setObjectName("field_route")
        self.route.setAccessibleName("Route")
        lf.addRow("&Route", self.route)
        self.route_other = _line("route_other", "Describe the route")
        lf.addRow("Route described", self.route_other)
        self.reason = ChoiceCombo([(r.code, r.label) for r in reason_options()], blank="Choose the discharge reason")
        self.reason.setObjectName("field_reason_code")
        self.reason.setAccessibleName("Discharge reason")
        lf.addRow("Discharge r&eason", self.reason)
        form_lay.addWidget(leaving)

        after = QGroupBox("Aftercare")
        af = QFormLayout(after)
        self.mutual_aid = _box("mutual_aid", "Mutual aid groups, one a line (e.g. SMART Recovery, Tuesdays)")
        af.addRow("&Mutual aid groups", self.mutual_aid)
        self.ctp = _line("ctp", "Community Treatment Provider and the first appointment")
        af.addRow("Community Treatment Provider", self.ctp)
        self.housing = _line("housing", "Where they will live")
        af.addRow("Housing", self.housing)
        self.housing_referral = QCheckBox("Referral to housing options made")
        self.housing_referral.setObjectName("field_housing_referral_made")
        self.home_visits = QCheckBox("Home visits made")
        self.home_visits.setObjectName("field_home_visits_made")
        checks = QHBoxLayout()
        checks.addWidget(self.housing_referral)
        checks.addWidget(self.home_visits)
        checks.addStretch(1)
        af.addRow("", checks)
        self.gp = _line("gp", "GP practice and any appointment")
        af.addRow("GP", self.gp)
        self.other = _line("other", "Anything else arranged")
        af.addRow("Other", self.other)
        form_lay.addWidget(after)

        letter = QGroupBox("For the letter")
        tf = QFormLayout(letter)
        self.goals = _box("goals_achieved", "Goals achieved during the stay", 80)
        tf.addRow("&Goals achieved", self.goals)
        self.recommendations = _box("recommendations", "Recommendations for the future", 80)
        tf.addRow("Recommendations", self.recommendations)
        self.medication = _box("medication_on_discharge", "Medication on discharge", 64)
        tf.addRow("Medication on discharge", self.medication)
        self.med_hint = QLabel("Filled in from the current medication list: check it before saving.")
        self.med_hint.setObjectName("hint")
        tf.addRow("", self.med_hint)
        form_lay.addWidget(letter)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        self.missing = QLabel()
        self.missing.setObjectName("planMissing")
        self.missing.setWordWrap(True)
        outer.addWidget(self.missing)
        self.status = QLabel()
        self.status.setObjectName("planStatus")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.missing.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        outer.addWidget(self.status)

        row = QHBoxLayout()
        self.save_button = QPushButton("&Save draft")
        self.save_button.setToolTip("Ctrl+S")
        self.preview_button = QPushButton("Pre&view letter…")
        self.complete_button = QPushButton("&Complete discharge…")
        self.sign_button = QPushButton("Sign and se&nd")
        self.sign_button.setToolTip("As the senior manager: sign the letter and send it to the resident, the "
                                    "referrer and the Authority")
        self.close_button = QPushButton("Close")
        for b in (self.save_button, self.preview_button, self.complete_button, self.sign_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.close_button)
        outer.addLayout(row)

        self.save_button.clicked.connect(lambda: self.save())
        self.preview_button.clicked.connect(self.preview)
        self.complete_button.clicked.connect(self.complete)
        self.sign_button.clicked.connect(self.sign)
        self.close_button.clicked.connect(self.reject)
        self.add_person.clicked.connect(lambda: self._add_attendee("", ""))
        self.remove_person.clicked.connect(self._remove_attendee)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, lambda: self.save())
        for w in (self.meeting_on, self.planned_date):
            w.dateChanged.connect(lambda _d: self._changed())
        for c in (self.route, self.reason):
            c.value_changed.connect(self._changed)
        for e in (self.route_other, self.ctp, self.housing, self.gp, self.other):
            e.textChanged.connect(lambda _t: self._changed())
        for box in (self.mutual_aid, self.goals, self.recommendations, self.medication):
            box.textChanged.connect(self._changed)
        for cb in (self.referrer_invited, self.housing_referral, self.home_visits):
            cb.toggled.connect(lambda _on: self._changed())
        self.attendees.itemChanged.connect(lambda _i: self._changed())
        self._fill(view)

    # -- the form <-> the view ----------------------------------------------------------------------
    def _add_attendee(self, name: str, role: str) -> None:
        r = self.attendees.rowCount()
        self.attendees.insertRow(r)
        self.attendees.setItem(r, 0, QTableWidgetItem(name))
        self.attendees.setItem(r, 1, QTableWidgetItem(role))
        if not self._loading:
            self.attendees.setCurrentCell(r, 0)
            self.attendees.setFocus()
            self._changed()

    def _remove_attendee(self) -> None:
        r = self.attendees.currentRow()
        if r >= 0:
            self.attendees.removeRow(r)
            self._changed()

    def _fill(self, v: DischargePlanView) -> None:
        self._loading = True
        self.view = v
        self.meeting_on.set_value(v.meeting_on)
        self.attendees.setRowCount(0)
        for a in v.attendees:
            self._add_attendee(a.name, a.role)
        self.referrer_invited.setChecked(v.referrer_invited)
        self.planned_date.set_value(v.planned_date)
        self.route.set_value(v.route)
        self.route_other.setText(v.route_other)
        self.reason.set_value(v.reason_code)
        self.mutual_aid.setPlainText("\n".join(v.aftercare.mutual_aid))
        self.ctp.setText(v.aftercare.ctp)
        self.housing.setText(v.aftercare.housing)
        self.housing_referral.setChecked(v.aftercare.housing_referral_made)
        self.home_visits.setChecked(v.aftercare.home_visits_made)
        self.gp.setText(v.aftercare.gp)
        self.other.setText(v.aftercare.other)
        self.goals.setPlainText(v.goals_achieved)
        self.recommendations.setPlainText(v.recommendations)
        self.medication.setPlainText(v.medication_on_discharge)
        self._loading = False
        self.dirty = False
        self._update()

    def values(self) -> DischargePlanInput:
        people = []
        for r in range(self.attendees.rowCount()):
            name, role = (self.attendees.item(r, c) for c in (0, 1))
            people.append(Attendee(name.text() if name else "", role.text() if role else ""))
        return DischargePlanInput(
            resident_id=self.view.resident_id, meeting_on=self.meeting_on.value(), attendees=tuple(people),
            referrer_invited=self.referrer_invited.isChecked(), planned_date=self.planned_date.value(),
            route=self.route.value(), route_other=self.route_other.text(), reason_code=self.reason.value(),
            aftercare=Aftercare(tuple(ln.strip() for ln in self.mutual_aid.toPlainText().splitlines() if ln.strip()),
                                self.ctp.text(), self.housing.text(), self.housing_referral.isChecked(),
                                self.home_visits.isChecked(), self.gp.text(), self.other.text()),
            goals_achieved=self.goals.toPlainText(), recommendations=self.recommendations.toPlainText(),
            medication_on_discharge=self.medication.toPlainText())

    def _changed(self) -> None:
        if self._loading:
            return
        self.dirty = True
        self._update()

    def _update(self) -> None:
        v = self.view
        editable = self._can_edit and not v.completed
        self.warning.setText("⚠ The referrer was not invited to the discharge planning meeting."
                             if not self.referrer_invited.isChecked() else "")
        self.warning.setVisible(not self.referrer_invited.isChecked())
        self.route_other.setEnabled(editable and self.route.value() == "other")
        self.med_hint.setVisible(v.medication_prefilled and not self.dirty)
        for w in (self.meeting_on, self.attendees, self.add_person, self.remove_person, self.referrer_invited,
                  self.planned_date, self.route, self.reason, self.mutual_aid, self.ctp, self.housing,
                  self.housing_referral, self.home_visits, self.gp, self.other, self.goals, self.recommendations,
                  self.medication):
            w.setEnabled(editable)
        self.save_button.setEnabled(editable and not self._busy)
        self.complete_button.setVisible(self._can_edit)
        self.complete_button.setEnabled(editable and not self._busy)
        self.sign_button.setVisible(self._can_sign)
        self.sign_button.setEnabled(self._can_sign and v.awaiting_senior and not self._busy)
        self.preview_button.setEnabled(not self._busy)
        if v.signed:
            state = (f"Discharged on {format_date(v.discharged_on)}. Signed by {v.senior_signed_name} on "
                     f"{format_datetime(v.senior_signed_at)}; the letter is in the outbox"
                     f" ({v.letters_queued} copies).")
            if v.not_sent:
                state += " Could not be sent yet: " + "; ".join(v.not_sent) + "."
        elif v.completed:
            state = (f"Discharged on {format_date(v.discharged_on)} by {v.key_worker_signed_name}. Awaiting a "
                     "senior manager's signature before the letter is sent.")
        else:
            state = "Draft: the stay goes on until the discharge is completed." + (
                " Unsaved changes." if self.dirty else "")
        if v.follow_ups:
            state += " Follow-ups: " + " and ".join(format_date(d) for d in v.follow_ups) + "."
        self.state_label.setText(state)
        self.missing.setText("" if v.completed or not v.missing else
                             "The letter still needs: " + ", ".join(v.missing) + ".")

    def _said(self, text: str) -> None:
        self.status.setText(text)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self._update()
        if isinstance(exc, ValidationError):
            self._said("⚠ " + " ".join(exc.fields.values()))
        else:
            show_error(self, exc)

    # -- actions -------------------------------------------------------------------------------------
    def save(self, then: Callable[[], Any] | None = None) -> None:
        if not self._can_edit or self.view.completed:
            return
        data, book = self.values(), self.ctx.book
        self._busy = True
        self._update()

        def done(v: DischargePlanView) -> None:
            self._busy = False
            self._fill(v)
            self._said("✓ Draft saved.")
            self.ctx.state.data_changed.emit("discharges")
            if then is not None:
                then()

        self.ctx.tasks.run(lambda: book.discharge_plans.save(data), done, self._failed)

    def preview(self) -> None:
        book, rid = self.ctx.book, self.view.resident_id

        def show() -> None:
            self.ctx.tasks.run(lambda: book.discharge_plans.preview_letter(rid), self.open_viewer, self._failed)

        # The letter shows what is saved: save what was typed first.
        self.save(show) if self.dirty else show()

    def _open_viewer(self, pdf: bytes) -> Any:
        from ui.documents.viewer import PdfDialog

        title = "Discharge letter" + ("" if self.view.signed else " (draft)")
        dlg = PdfDialog(self, self.ctx, f"{title}: {self.view.resident_name}", pdf)
        self.viewer = dlg
        dlg.open()
        return dlg

    def complete(self) -> None:
        if not self._can_edit or self.view.completed:
            return
        if self.dirty:
            self.save(self.complete)
            return
        if self.view.missing:
            self._said("⚠ Before the discharge can be completed the letter needs " + ", ".join(self.view.missing)
                       + ".")
            return
        today = to_local(self.ctx.book.clock.now()).date()
        planned = self.view.planned_date
        day = self.ask_complete(self, self.view.resident_name, planned if planned and planned <= today else today)
        if day is None:
            return
        book, rid = self.ctx.book, self.view.resident_id
        self._busy = True
        self._update()

        def done(result: Any) -> None:
            self._busy = False
            self._fill(result.plan)
            self._said(f"✓ Discharge completed ({result.type_label}). A senior manager now signs the letter.")
            for area in ("discharges", "residents", "outbox"):
                self.ctx.state.data_changed.emit(area)

        self.ctx.tasks.run(lambda: book.discharge_plans.complete(rid, day), done, self._failed)

    def sign(self) -> None:
        if not self._can_sign or not self.view.awaiting_senior:
            return
        book, rid = self.ctx.book, self.view.resident_id
        self._busy = True
        self._update()

        def done(v: DischargePlanView) -> None:
            self._busy = False
            self._fill(v)
            self._said(f"✓ Signed. The discharge letter is in the outbox for {v.letters_queued} recipients"
                       + (" (who could not be sent to yet is listed above)." if v.not_sent else "."))
            for area in ("discharges", "outbox"):
                self.ctx.state.data_changed.emit(area)

        self.ctx.tasks.run(lambda: book.discharge_plans.sign(rid), done, self._failed)

    # -- never lose what was typed ----------------------------------------------------------------------
    def reject(self) -> None:
        """Esc, Close and the window's close button all come here (QDialog's close calls reject)."""
        if self.dirty and self._can_edit and not self.view.completed:
            answer = self.confirm_unsaved(self)
            if answer == Unsaved.CANCEL:
                return
            if answer == Unsaved.SAVE:
                # Closed once saved (a failed save leaves it open with the message).
                self.save(lambda: QTimer.singleShot(0, self.reject))
                return
            self.dirty = False
        super().reject()


def open_planned_discharge(parent: QWidget, ctx: AppContext, resident_id: str) -> None:
    """Read the plan off the UI thread, then open the screen."""
    book = ctx.book

    def show(view: DischargePlanView) -> None:
        old = getattr(parent, "planned_dialog", None)
        if isinstance(old, PlannedDischargeDialog) and not old.isVisible():
            old.deleteLater()
        dlg = PlannedDischargeDialog(parent, ctx, view)
        setattr(parent, "planned_dialog", dlg)  # noqa: B010 - tests and the caller find it here
        dlg.open()

    def failed(exc: BaseException) -> None:
        show_error(parent, exc)

    ctx.tasks.run(lambda: book.discharge_plans.plan(resident_id), show, failed)


def from_window(window: Any) -> None:
    """The record window's "Plan discharge…" (Ctrl+Shift+D)."""
    open_planned_discharge(window, window.ctx, window.resident_id)


__all__ = ["CompleteDialog", "PlannedDischargeDialog", "SHORTCUT", "from_window", "open_planned_discharge"]
