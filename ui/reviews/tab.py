"""The resident's "Reviews" tab: when the next review is due (and which meeting it is), the reviews
held so far with what was recorded, and "Record review…"."""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker import review_schedule as rs
from keyworker.care_plans import CarePlanView
from keyworker.clock import format_date, format_datetime, local_today
from keyworker.errors import NotFound
from keyworker.plan_sections import GOAL_DOMAINS, GOAL_STATUSES
from keyworker.reviews import ATTENDEE_ROLES, INVITEE_ROLES, InvitationLetter, ReviewDue, ReviewView
from keyworker.security.permissions import Permission
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets.tables import list_over_detail, read_only_table


@dataclass(frozen=True)
class ReviewsState:
    plan: CarePlanView
    due: ReviewDue | None  # None once discharged
    history: list[ReviewView]


def load_state(book: Any, resident_id: str) -> ReviewsState:
    plan = book.care_plans.get(resident_id)
    try:
        due = book.reviews.next_for(plan.admission_id)
    except NotFound:
        due = None
    return ReviewsState(plan, due, book.reviews.history(plan.admission_id))


def due_text(due: ReviewDue | None) -> str:
    if due is None:
        return "No further reviews: the resident has been discharged."
    kind = f" — {due.kind_label}" + (" (the referrer must be invited)" if due.referrer_must_be_invited else "")
    if due.after_planned_end:  # the placement ends first: the discharge meeting comes instead
        kind += (f". That is after the planned end of the placement ({format_date(due.planned_end_on)}): "
                 "plan the discharge meeting instead.")
    if due.status == rs.OVERDUE:
        return (f"⚠ Next review overdue since {format_date(due.due_on)} (by {due.days_overdue} "
                f"day{'s' if due.days_overdue != 1 else ''}){kind}")
    if due.status == rs.DUE_TODAY:
        return f"● Next review due today ({format_date(due.due_on)}){kind}"
    return f"Next review due {format_date(due.due_on)}{kind}"


def referrer_cell(r: ReviewView) -> str:
    """The "Referrer invited" column: a flag stays visible until it is put right."""
    if r.referrer_invited:
        return "✓ Yes"
    if r.referrer_followup is not None:
        f = r.referrer_followup
        return (f"✓ Told since, {format_date(f.on)}" if f.action == "informed"
                else f"✓ Yes (recorded later)")
    if r.referrer_flag:
        return "⚠ Not invited: to put right"
    return "No"


def review_html(r: ReviewView, goals: dict[str, str]) -> str:
    e = html.escape
    parts = [f"<h3>{e(r.kind_label)} held {format_date(r.held_on)}</h3>",
             f"<p>Recorded by {e(r.recorded_by_name or '—')} on {format_datetime(r.recorded_at)}."]
    if r.plan_version_number:
        parts.append(f" The plan changed: version {r.plan_version_number}.")
    parts.append("</p>")
    parts.append("<p><b>Attended:</b> " + (", ".join(
        f"{e(a.name)} ({e(ATTENDEE_ROLES.get(a.role, a.role))}{', remotely' if a.remote else ''})"
        for a in r.attendees) or "—") + "</p>")
    parts.append("<p><b>Invited:</b> " + (", ".join(
        f"{e(i.name)} ({e(INVITEE_ROLES.get(i.role, i.role))}, {e(i.method)} on {format_date(i.invited_on)}, "
        f"{i.notice_days} days' notice)" for i in r.invitations) or "nobody recorded") + "</p>")
    if r.referrer_followup is not None:
        f = r.referrer_followup
        note = f" — {e(f.note)}" if f.note else ""
        parts.append(f"<p><b>✓ Put right:</b> {e(f.summary)}{note} (recorded by {e(f.recorded_by_name or '—')} "
                     f"on {format_datetime(f.recorded_at)}).</p>")
    elif r.referrer_flag:
        parts.append("<p><b>⚠ The referrer was not invited to this meeting (contract 4.1.5.7).</b> Use “Put "
                     "right…” to record that they were invited or have been told the outcome.</p>")
    if r.goal_progress:
        parts.append("<p><b>Goals:</b></p><ul>")
        for g in r.goal_progress:
            note = f" — {e(g.note)}" if g.note else ""
            parts.append(f"<li>{e(goals.get(g.goal_id, 'A goal no longer in the plan'))} "
                         f"<b>[{e(GOAL_STATUSES.get(g.status, g.status))}]</b>{note}</li>")
        parts.append("</ul>")
    parts.append(f"<p><b>The resident's view:</b><br/>{e(r.resident_view).replace(chr(10), '<br/>')}</p>")
    if r.summary:
        parts.append(f"<p><b>Summary:</b><br/>{e(r.summary).replace(chr(10), '<br/>')}</p>")
    reason = f" — {e(r.next_review_reason)}" if r.next_review_reason else ""
    parts.append(f"<p><b>Next review:</b> {format_date(r.next_review_on)}{reason}</p>")
    return "".join(parts)


class ReviewsTab(QWidget):
    refresh_areas = ("reviews",)

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.state: ReviewsState | None = None
        self.dialog: Any = None
        self.setObjectName("reviewsTab")
        self.setAccessibleName("Reviews")
        self.due_label = QLabel("Loading reviews…")
        self.due_label.setObjectName("nextReview")
        self.due_label.setWordWrap(True)
        self.record_button = QPushButton("&Record review…")
        self.record_button.setAccessibleName("Record a review")
        self.record_button.clicked.connect(self.record_review)
        self.record_button.setEnabled(False)
        self.invite_button = QPushButton("&Invitation letter…")
        self.invite_button.setAccessibleName("Make an invitation letter to the next review meeting")
        self.invite_button.clicked.connect(self.invite)
        self.invite_button.setEnabled(False)
        self.letter_dialog: Any = None
        top = QHBoxLayout()
        top.addWidget(self.due_label, 1)
        top.addWidget(self.invite_button)
        top.addWidget(self.record_button)
        self.letter_status = QLabel()  # a made letter is good news: shown as a hint, not a problem
        self.letter_status.setObjectName("hint")
        self.letter_status.setWordWrap(True)
        self.letter_status.hide()
        self.warnings = QLabel()
        self.warnings.setObjectName("problem")
        self.warnings.setWordWrap(True)
        self.warnings.hide()
        # Meetings held without the referrer invited: shown until put right.
        self.flag_box = QFrame()
        self.flag_box.setObjectName("referrerFlag")
        fl = QHBoxLayout(self.flag_box)
        fl.setContentsMargins(0, 0, 0, 0)
        self.flag_text = QLabel()
        self.flag_text.setObjectName("problem")
        self.flag_text.setWordWrap(True)
        self.put_right_button = QPushButton("&Put right…")
        self.put_right_button.setAccessibleName("Record that the referrer was invited or has been told")
        self.put_right_button.clicked.connect(self.put_right)
        fl.addWidget(self.flag_text, 1)
        fl.addWidget(self.put_right_button)
        self.flag_box.hide()
        self.table = QTableWidget(0, 6)
        self.table.setObjectName("reviewsTable")
        self.table.setAccessibleName("Reviews held, newest first")
        self.table.setHorizontalHeaderLabels(["Held", "Meeting", "Attended", "Referrer invited", "Next review",
                                              "Plan"])
        read_only_table(self.table)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(self._show_detail)
        self.detail, split, self.empty = list_over_detail(self.table, "reviewDetail", "The chosen review",
                                                          "No reviews yet.")
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.letter_status)
        lay.addWidget(self.warnings)
        lay.addWidget(self.flag_box)
        lay.addWidget(self.empty)
        lay.addWidget(split, 1)
        self.refresh()

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid = self.ctx.book, self.resident_id
        self.ctx.tasks.run(lambda: load_state(book, rid), self._loaded, self._failed)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, NotFound):
            self.due_label.setText("This resident has no admission yet, so no reviews are due.")
            return
        show_error(self, exc)

    def _loaded(self, state: ReviewsState) -> None:
        self.state = state
        self.due_label.setText(due_text(state.due))
        self.due_label.setAccessibleName(self.due_label.text())
        can = self.ctx.book.actor.can(Permission.RECORD_REVIEWS)
        self.record_button.setEnabled(can and state.due is not None)
        self.invite_button.setEnabled(can and state.due is not None)
        if not can:  # out-of-hours staff read the reviews; the key worker holds them in the day
            self.record_button.setToolTip("Your role reads reviews but does not record them.")
        self.table.setRowCount(len(state.history))
        for r, rv in enumerate(state.history):
            cells = [format_date(rv.held_on), ("★ " if rv.kind in rs.REFERRER_KINDS else "") + rv.kind_label, ", ".join(a.name for a in rv.attendees),
                     referrer_cell(rv),
                     format_date(rv.next_review_on) + (" (reason recorded)" if rv.next_review_reason else ""),
                     f"Version {rv.plan_version_number}" if rv.plan_version_number else "—"]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, rv.id)
                self.table.setItem(r, c, item)
        self.empty.setVisible(not state.history)
        self._show_flags(state, can)
        if state.history:
            self.table.setCurrentCell(0, 0)
            self._show_detail(0)
        else:
            self.detail.clear()

    def flagged(self) -> list[ReviewView]:
        return [r for r in (self.state.history if self.state else []) if r.referrer_flag]

    def _show_flags(self, state: ReviewsState, can: bool) -> None:
        flagged = self.flagged()
        self.flag_box.setVisible(bool(flagged))
        if not flagged:
            return
        meetings = " and ".join(f"the {r.kind_label.lower()} of {format_date(r.held_on)}" for r in flagged)
        self.flag_text.setText(f"⚠ The referrer was not invited to {meetings} (contract 4.1.5.7). Record that "
                               "they were invited, or that they have been told the outcome.")
        self.put_right_button.setEnabled(can)
        self.put_right_button.setToolTip("" if can else "Your role reads reviews but does not record them.")

    def put_right(self) -> None:
        """Record how the oldest flagged meeting was put right (each in turn, if there are more)."""
        from ui.reviews.referrer_dialog import ReferrerFollowUpDialog

        flagged = self.flagged()
        if not flagged or not self.put_right_button.isEnabled():
            return
        review = flagged[-1]  # history is newest first: the oldest first
        row = next(i for i, r in enumerate(self.state.history if self.state else []) if r.id == review.id)
        self.table.setCurrentCell(row, 0)
        dlg = ReferrerFollowUpDialog(self, self.ctx, review)
        dlg.accepted.connect(self.refresh)
        self.dialog = dlg
        dlg.open()

    def _show_detail(self, row: int, *_: int) -> None:
        if self.state is None or not 0 <= row < len(self.state.history):
            return
        goals = {g.id: f"{GOAL_DOMAINS.get(g.domain, g.domain)}: {g.goal}" for g in self.state.plan.content.goals}
        self.detail.setHtml(review_html(self.state.history[row], goals))

    def record_review(self) -> None:
        """Reload first: the dialog builds plan changes on the plan's current version."""
        if self.state is None or not self.record_button.isEnabled():
            return
        book, rid = self.ctx.book, self.resident_id

        def open_dialog(state: ReviewsState) -> None:
            self._loaded(state)
            if state.due is not None:
                self._open_dialog(state)

        self.ctx.tasks.run(lambda: load_state(book, rid), open_dialog, self._failed)

    def _open_dialog(self, state: ReviewsState) -> None:
        from ui.reviews.review_dialog import ReviewDialog

        if self.dialog is not None:
            self.dialog.deleteLater()
        dlg = ReviewDialog(self, self.ctx, state.plan, state.due)
        dlg.accepted.connect(lambda: self._recorded(dlg.result_value))
        self.dialog = dlg
        dlg.open()

    def invite(self) -> None:
        """Set the next meeting's date, time and place, then make and show the invitation letter."""
        from ui.reviews.invitation_dialog import InvitationDialog, default_meeting_on

        state = self.state
        if state is None or state.due is None or not self.invite_button.isEnabled():
            return
        today = local_today(self.ctx.book.clock)
        dlg = InvitationDialog(self, self.ctx, state.plan, kind=state.due.kind,
                               meeting_on=default_meeting_on(today, state.due.due_on))
        dlg.accepted.connect(lambda: self._invited(dlg.result_value))
        self.dialog = dlg
        dlg.open()

    def _invited(self, result: InvitationLetter | None) -> None:
        if result is None:
            return
        from ui.documents import show_pdf

        text = ("✓ Invitation letter made. Printed, saved or sent by the outbox, it is kept in the resident's "
                "documents. "
                "Record the invitation on the review.")
        self.letter_status.setText(text + "".join(f"\n⚠ {w}" for w in result.warnings))
        self.letter_status.show()
        self.letter_dialog = show_pdf(self, self.ctx, result.document.title, result.document)  # kept when printed
        from ui.reviews.invitation_dialog import offer_sending

        offer_sending(self.letter_dialog, self.ctx, result)  # or sent by the outbox, kept then

    def _recorded(self, review: ReviewView | None) -> None:
        if review is not None and review.warnings:
            self.warnings.setText("⚠ Recorded, with things to follow up:\n• " + "\n• ".join(review.warnings))
            self.warnings.show()
        else:
            self.warnings.hide()
        self.refresh()


def _register() -> None:
    from ui.resident.tabs import register_resident_tab

    register_resident_tab("reviews", "Reviews", ReviewsTab, 30)


_register()
