"""Record a review of the care plan (contract 4.1.5.4–4.1.5.7): when it was held and which meeting
it was (mid-way and pre-discharge marked), who attended, who was invited and the notice they had,
progress on each goal, changes to the plan (a new plan version), the resident's own view and the
next review date (14 days later unless a reason is recorded)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keyworker import review_schedule as rs
from keyworker.care_plans import CarePlanView
from keyworker.clock import format_date, local_today
from keyworker.reviews import REFERRER_WARNING, InvitationLetter, ReviewDue, ReviewInput
from keyworker.security.permissions import Permission
from ui.care_plans.goals import GoalsEditor
from ui.context import AppContext
from ui.forms import FormDialog, UkDateEdit, to_qdate
from ui.forms.confirm import ask_to_go_on
from ui.reviews.people import AttendeesEdit, GoalProgressEdit, InvitationsEdit

_KIND_MARK = {rs.REGULAR: "", rs.MIDWAY: "★ Mid-way review", rs.PRE_DISCHARGE: "★ Pre-discharge planning meeting"}


def _text(name: str, height: int = 80) -> QPlainTextEdit:
    ed = QPlainTextEdit()
    ed.setAccessibleName(name)
    ed.setTabChangesFocus(True)
    ed.setFixedHeight(height)
    return ed


class ReviewDialog(FormDialog):
    save_text = "&Record review"
    data_area = "reviews"
    min_width = 860

    def __init__(self, parent: QWidget | None, ctx: AppContext, plan: CarePlanView, due: ReviewDue | None) -> None:
        title = f"Record a review — {plan.resident_name} ({plan.reference})"
        super().__init__(parent, ctx, title)
        self.setWindowTitle(title)  # not the resident's name twice when opened from their record
        self.setAccessibleName(title)
        self.setObjectName("reviewDialog")
        self.plan = plan
        self.due = due
        self.today = local_today(ctx.book.clock)
        self.letter_dialog: QWidget | None = None
        self.invitation_dialog: QWidget | None = None
        # Asked before a mid-way or pre-discharge meeting is recorded without the referrer invited.
        self.confirm_referrer: Callable[[QWidget, str], bool] = lambda w, text: ask_to_go_on(
            w, text, "Record it flagged", "Before the review is recorded")
        self._checking = False
        self.planned_end = rs.planned_end(plan.admitted_on, plan.planned_weeks)
        self._next_touched = False
        b = self.binder
        lay = self.content_layout

        if due is not None:
            when = (f"overdue since {format_date(due.due_on)}" if due.status == rs.OVERDUE
                    else f"due {format_date(due.due_on)}")
            intro = QLabel(f"This review was {when}. Reviews are held at least every 14 days (4.1.5.4).")
            intro.setWordWrap(True)
            lay.addWidget(intro)

        # -- the meeting --------------------------------------------------------------------------
        meeting = QGroupBox("The meeting")
        form = QFormLayout(meeting)
        self.held_on = UkDateEdit(self.today)
        self.held_on.setMaximumDate(self.held_on.date())
        self.held_on.setMinimumDate(to_qdate(plan.admitted_on))
        b.row(form, "held_on", "Date held", self.held_on, required=True)
        self.kind = QComboBox()
        for key, label in rs.KIND_LABELS.items():
            self.kind.addItem(label, key)
        self.kind.setCurrentIndex(max(0, self.kind.findData(due.kind if due else rs.REGULAR)))
        b.row(form, "kind", "Which meeting", self.kind)
        self.kind_note = QLabel()
        self.kind_note.setObjectName("kindNote")
        self.kind_note.setWordWrap(True)
        form.addRow(self.kind_note)
        lay.addWidget(meeting)

        # -- people -----------------------------------------------------------------------------
        people = QGroupBox("Who attended")
        pl = QVBoxLayout(people)
        self.attendees = AttendeesEdit()
        self.attendees.add_row(plan.resident_name, "resident")
        if plan.key_worker_name:
            self.attendees.add_row(plan.key_worker_name, "key_worker")
        pl.addWidget(b.add("attendees", self.attendees, "Who attended", required=True))
        lay.addWidget(people)

        invited = QGroupBox("Who was invited")
        il = QVBoxLayout(invited)
        hint = QLabel("Family and carers (where the resident agrees) with reasonable notice (4.1.5.5); "
                      "the referrer routinely, and always to the mid-way and pre-discharge meetings (4.1.5.6–7).")
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        il.addWidget(hint)
        self.invitations = InvitationsEdit()
        self.invitations.set_held_on(self.today)
        il.addWidget(b.add("invitations", self.invitations, "Who was invited"))
        self.referrer_warning = QFrame()
        self.referrer_warning.setObjectName("referrerWarning")
        rw = QHBoxLayout(self.referrer_warning)
        self.referrer_text = QLabel()
        self.referrer_text.setObjectName("problem")
        self.referrer_text.setWordWrap(True)
        self.letter_button = QPushButton("Produce invitation &letter…")
        self.letter_button.setAccessibleName("Produce the referrer's invitation letter")
        self.letter_button.clicked.connect(self.produce_letter)
        self.add_referrer_button = QPushButton("Record referrer invited")
        self.add_referrer_button.setAccessibleName("Add the referrer to who was invited")
        self.add_referrer_button.clicked.connect(lambda: self.invitations.add_row("", "referrer", self.today)["name"]
                                                 .setFocus())
        rw.addWidget(self.referrer_text, 1)
        rw.addWidget(self.add_referrer_button)
        rw.addWidget(self.letter_button)
        il.addWidget(self.referrer_warning)
        # A made letter is good news, shown as such (not in the warning above).
        self.letter_status = QLabel()
        self.letter_status.setObjectName("hint")
        self.letter_status.setWordWrap(True)
        self.letter_status.hide()
        il.addWidget(self.letter_status)
        lay.addWidget(invited)

        # -- goals and plan changes ---------------------------------------------------------------
        goals = QGroupBox("Progress on each goal")
        gl = QVBoxLayout(goals)
        self.progress = GoalProgressEdit()
        self.progress.set_goals(plan.content.goals if plan.plan_id else [])
        gl.addWidget(b.add("goal_progress", self.progress, "Progress on each goal"))
        lay.addWidget(goals)

        changes = QGroupBox("Changes to the plan")
        cl = QVBoxLayout(changes)
        self.plan_note = QLabel()
        self.plan_note.setWordWrap(True)
        self.plan_note.setObjectName("muted")
        cl.addWidget(self.plan_note)
        self.notes_to_plan = QCheckBox("Add the progress notes to the goals in the plan")
        self.notes_to_plan.setChecked(True)
        b.add("notes_to_plan", self.notes_to_plan, "Add progress notes to the plan", boxed=False)
        cl.addWidget(self.notes_to_plan)
        cl.addWidget(QLabel("New goals agreed at this review:"))
        self.new_goals = GoalsEditor()
        self.new_goals.empty.setText("No new goals. Use “Add goal” for a goal agreed at this review.")
        cl.addWidget(b.add("new_goals", self.new_goals, "New goals"))
        cform = QFormLayout()
        self.change_reason = QLineEdit()
        self.change_reason.setPlaceholderText("e.g. Housing goal achieved; new goal on volunteering")
        b.row(cform, "change_reason", "What changed and why", self.change_reason)
        cl.addLayout(cform)
        lay.addWidget(changes)
        # Changing the plan needs the care-plan permission (night staff record reviews only).
        self.can_change = can_change = plan.complete and ctx.book.actor.can(Permission.EDIT_CARE_PLANS)
        for w in (self.notes_to_plan, self.new_goals, self.change_reason):
            w.setEnabled(can_change)
        if not plan.plan_id:
            self.plan_note.setText("This resident has no care plan yet: write it on the Care plan tab.")
        elif not plan.complete:
            self.plan_note.setText("The plan is still a draft: goal progress is recorded here, but changes to "
                                   "the plan are made on the Care plan tab until it is complete.")
        elif not can_change:
            self.plan_note.setText("Your role records reviews but does not change care plans: goal progress "
                                   "is recorded with the review; the key worker updates the plan.")
        else:
            self.plan_note.setText(f"Any change here — a goal's status, progress notes, new goals — makes version "
                                   f"{(plan.version.number if plan.version else 0) + 1} of the plan. Other sections "
                                   "are changed on the Care plan tab (“Save as new version”).")

        # -- the resident's view and the next review ------------------------------------------------
        view = QGroupBox("The resident's view and what was agreed")
        vf = QFormLayout(view)
        self.resident_view = _text("The resident's own view")
        self.resident_view.setPlaceholderText("In the resident's words, or that they chose not to give a view")
        b.row(vf, "resident_view", "Resident's own view", self.resident_view, required=True)
        self.summary = _text("Summary of the review")
        b.row(vf, "summary", "Summary", self.summary)
        lay.addWidget(view)

        nxt = QGroupBox("Next review")
        nf = QFormLayout(nxt)
        self.next_on = UkDateEdit(self.today + timedelta(days=rs.REVIEW_INTERVAL_DAYS))
        b.row(nf, "next_review_on", "Next review on", self.next_on, required=True,
              hint="At most 14 days later; a later date needs a reason.")
        # After the placement's planned end there is no next review: the discharge meeting comes instead.
        self.end_note = QFrame()
        self.end_note.setObjectName("afterPlannedEnd")
        el = QHBoxLayout(self.end_note)
        el.setContentsMargins(0, 0, 0, 0)
        self.end_text = QLabel()
        self.end_text.setObjectName("problem")
        self.end_text.setWordWrap(True)
        self.use_end_button = QPushButton(f"Use {format_date(self.planned_end)}")
        self.use_end_button.setAccessibleName("Set the next date to the planned end, for the discharge meeting")
        self.use_end_button.clicked.connect(lambda: self.next_on.set_value(self.planned_end))
        el.addWidget(self.end_text, 1)
        el.addWidget(self.use_end_button)
        nf.addRow(self.end_note)
        self.next_reason = _text("Reason the next review is more than 14 days away", 60)
        self.next_reason_box = b.row(nf, "next_review_reason", "Why later than 14 days", self.next_reason)
        self.next_reason_label = nf.labelForField(self.next_reason_box)
        lay.addWidget(nxt)

        self.held_on.dateChanged.connect(self._held_changed)
        self.next_on.dateChanged.connect(self._next_changed)
        self.kind.currentIndexChanged.connect(self._update_referrer)
        self.invitations.value_changed.connect(self._update_referrer)
        self._update_reason_visible()
        self._update_referrer()
        self.resize(max(self.width(), 860), self.height())  # before finish_setup, which fits it to the screen
        self.finish_setup()

    # -- behaviour ---------------------------------------------------------------------------------
    def _held_changed(self) -> None:
        held = self.held_on.value()
        self.invitations.set_held_on(held)
        if held is not None and not self._next_touched:
            self.next_on.blockSignals(True)
            self.next_on.set_value(held + timedelta(days=rs.REVIEW_INTERVAL_DAYS))
            self.next_on.blockSignals(False)
            self.binder.revalidate()
        self._update_reason_visible()

    def _next_changed(self) -> None:
        self._next_touched = True
        self._update_reason_visible()

    def reason_needed(self) -> bool:
        held, nxt = self.held_on.value(), self.next_on.value()
        return held is not None and nxt is not None and nxt > rs.latest_next_review(held)

    def _update_reason_visible(self) -> None:
        needed = self.reason_needed()
        self.next_reason_box.setVisible(needed)
        if self.next_reason_label is not None:
            self.next_reason_label.setVisible(needed)
        self._update_end_note()

    def _update_end_note(self) -> None:
        held, nxt, end = self.held_on.value(), self.next_on.value(), self.planned_end
        after = nxt is not None and rs.after_planned_end(nxt, self.plan.admitted_on, self.plan.planned_weeks)
        self.end_note.setVisible(after)
        if not after:
            return
        can_use = held is not None and end > held
        self.use_end_button.setVisible(can_use)
        self.end_text.setText(
            f"⚠ {format_date(nxt)} is after the planned end of the placement ({format_date(end)}). "
            + (f"Plan the discharge meeting for {format_date(end)} instead." if can_use else
               "The planned end has passed: plan the discharge meeting, or record the longer stay first."))

    def referrer_missing(self) -> bool:
        return self.kind.currentData() in rs.REFERRER_KINDS and not self.invitations.has_role("referrer")

    def _update_referrer(self) -> None:
        kind = self.kind.currentData()
        mark = _KIND_MARK.get(kind, "")
        self.kind_note.setText(f"{mark}: the referrer must be invited (contract 4.1.5.7)." if mark else "")
        missing = self.referrer_missing()
        self.referrer_warning.setVisible(missing)
        if missing:
            self.referrer_text.setText(f"⚠ The referrer is not recorded as invited to this "
                                       f"{rs.KIND_LABELS[kind].lower()}. Record their invitation, or produce the "
                                       "invitation letter now.")

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        errors: dict[str, str] = {}
        held, nxt = values.get("held_on"), values.get("next_review_on")
        if held is not None and nxt is not None:
            if nxt <= held:
                errors["next_review_on"] = "The next review must be after this one."
            elif nxt > rs.latest_next_review(held) and not values.get("next_review_reason"):
                errors["next_review_reason"] = (f"The next review is more than {rs.REVIEW_INTERVAL_DAYS} days away: "
                                                "record the reason.")
        if held is not None and held > self.today:
            errors["held_on"] = "The review must already have been held."
        if not values.get("attendees"):
            errors["attendees"] = "Record who attended."
        return errors

    def review_input(self, values: dict[str, Any]) -> ReviewInput:
        plan = self.plan
        progress = values["goal_progress"] if plan.plan_id else []
        plan_changes = None
        notes = [p for p in progress if p.note]
        new_goals = values["new_goals"] or []
        if self.can_change and ((values["notes_to_plan"] and notes) or new_goals):
            content = plan.content.copy()
            held = values["held_on"]
            if values["notes_to_plan"]:
                for p in notes:
                    g = content.goal(p.goal_id)
                    if g is not None:
                        line = f"{format_date(held)} (review): {p.note}"
                        g.progress_notes = f"{g.progress_notes}\n{line}".strip()
            content.goals.extend(new_goals)
            plan_changes = content
        kind = values["kind"]
        return ReviewInput(
            admission_id=plan.admission_id, held_on=values["held_on"], next_review_on=values["next_review_on"],
            resident_view=values["resident_view"] or "", attendees=values["attendees"],
            invitations=values["invitations"] or [], goal_progress=progress, summary=values["summary"] or "",
            next_review_reason=(values["next_review_reason"] or "") if self.reason_needed() else "",
            kind=kind, plan_changes=plan_changes, change_reason=values["change_reason"] or "",
            apply_goal_status=self.can_change)

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        data = self.review_input(values)
        reviews = self.ctx.book.reviews
        return lambda: reviews.record(data)

    def save(self) -> None:
        """A mid-way or pre-discharge meeting without the referrer invited asks first (the core
        decides, counting an invitation letter sent): recorded anyway, the review stays flagged."""
        if self._saving or self._checking or self.ctx.state.locked:
            return
        self.binder.reveal_all()
        if not self.binder.is_valid():
            super().save()  # shows what is missing
            return
        data = self.review_input(self.binder.values())
        if data.kind not in rs.REFERRER_KINDS:
            super().save()
            return
        self._checking = True
        reviews = self.ctx.book.reviews
        self.ctx.tasks.run(lambda: reviews.preview(data), self._previewed, self._preview_failed)

    def _previewed(self, result: tuple[str, list[str]]) -> None:
        self._checking = False
        kind, warnings = result
        if any(w.startswith(REFERRER_WARNING) for w in warnings):
            label = rs.KIND_LABELS[kind].lower()
            if not self.confirm_referrer(self, (
                    f"The referrer is not recorded as invited to this {label}: the contract asks that they "
                    "always are (4.1.5.7).\n\nRecorded like this, the review is flagged, on its Reviews tab and "
                    "on Today, until you record that they were invited or have been told the outcome.\n\n"
                    "Record the review anyway?")):
                self.add_referrer_button.setFocus()
                if self._scroll is not None:
                    self._scroll.ensureWidgetVisible(self.add_referrer_button)
                return
        super().save()

    def _preview_failed(self, exc: BaseException) -> None:
        self._checking = False
        self._failed(exc)

    def changed_areas(self) -> tuple[str, ...]:
        return ("reviews", "care_plans")

    # -- the referrer's invitation letter ----------------------------------------------------------------
    def produce_letter(self) -> None:
        """Set the meeting's date, time and place in the invitation dialog, then show the letter."""
        from ui.reviews.invitation_dialog import InvitationDialog, default_meeting_on

        dlg = InvitationDialog(self, self.ctx, self.plan, kind=self.kind.currentData(),
                               meeting_on=default_meeting_on(self.today, self.due.due_on if self.due else None))
        dlg.accepted.connect(lambda: self._letter_made(dlg.result_value))
        self.invitation_dialog = dlg
        dlg.open()

    def _letter_made(self, result: InvitationLetter | None) -> None:
        if result is None:
            return
        from ui.documents import show_pdf

        self.letter_produced = result.document
        self.letter_status.setText("✓ Invitation letter made. Printed, saved or sent by the outbox, it is "
                                   "kept in the resident's documents. Record the invitation above once it is sent."
                                   + "".join(f"\n⚠ {w}" for w in result.warnings))
        self.letter_status.show()
        self.letter_dialog = show_pdf(self, self.ctx, result.document.title, result.document)  # kept when printed
        from ui.reviews.invitation_dialog import offer_sending

        offer_sending(self.letter_dialog, self.ctx, result)  # or sent by the outbox, kept then

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Enter in a field must not record the review
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.save_button.hasFocus():
            return
        super().keyPressEvent(event)
