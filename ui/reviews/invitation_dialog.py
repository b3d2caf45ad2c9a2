"""Produce an invitation letter to a review meeting: the key worker sets which meeting, its date,
time and place (the unit's address by default, or video / telephone details) and who is invited
(the referrer by default) before the letter is made. Too little notice, or a unit profile that
lacks what a letter carries, is asked about before the letter is kept."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTimeEdit,
    QWidget,
)

from keyworker import letters
from keyworker import review_schedule as rs
from keyworker.care_plans import CarePlanView
from keyworker.clock import local_today
from keyworker.reviews import INVITEE_ROLES, InvitationLetter
from ui.context import AppContext
from ui.forms import FormDialog, UkDateEdit, to_qdate
from ui.forms.confirm import ask_to_go_on

AT_UNIT, VIDEO, PHONE, ELSEWHERE = "unit", "video", "phone", "elsewhere"
PLACES = {AT_UNIT: "At the unit", VIDEO: "By video call", PHONE: "By telephone", ELSEWHERE: "Somewhere else"}
_DETAILS_HINT = {AT_UNIT: "The unit's address (from the unit profile); add the room if it helps.",
                 VIDEO: "The link, or how the link will be sent",
                 PHONE: "The number to call, or who calls whom",
                 ELSEWHERE: "The address of the meeting place"}


def offer_sending(letter_window: Any, ctx: AppContext, letter: InvitationLetter) -> None:
    """Put a "Send by the outbox" button on the invitation's window: the letter is kept in the
    resident's documents and waits in the outbox for the person invited (the referrer's email from
    the referral). Sending it again adds nothing."""
    if letter_window is None or not hasattr(letter_window, "offer_send"):
        return
    from ui.documents.outbox_note import queued_note

    reviews = ctx.book.reviews
    letter_window.offer_send(
        "Send by the &outbox", lambda: reviews.send_invitation(letter),
        lambda sent: queued_note(sent.recipient_name, sent.recipient_email, no_destination=sent.no_destination,
                                 created=sent.created))


def default_meeting_on(today: date, due_on: date | None) -> date:
    """The review's due date when it leaves a week's notice, else a week from today."""
    earliest = today + timedelta(days=letters.MEETING_NOTICE_DAYS)
    return due_on if due_on is not None and due_on >= earliest else earliest


class InvitationDialog(FormDialog):
    save_text = "&Make the invitation letter"
    data_area = "reviews"

    def __init__(self, parent: QWidget | None, ctx: AppContext, plan: CarePlanView, *, kind: str,
                 meeting_on: date) -> None:
        title = f"Invitation to a review meeting — {plan.resident_name} ({plan.reference})"
        super().__init__(parent, ctx, title)
        self.setWindowTitle(title)  # not the resident's name twice when opened from their record
        self.setAccessibleName(title)
        self.setObjectName("invitationDialog")
        self.plan = plan
        self.today = local_today(ctx.book.clock)
        self.confirm: Callable[[QWidget, str], bool] = ask_to_go_on
        self.unit_address = ""
        self.missing: list[str] = []
        b = self.binder

        meeting = QGroupBox("The meeting")
        form = QFormLayout(meeting)
        self.kind = QComboBox()
        for key, label in rs.KIND_LABELS.items():
            self.kind.addItem(label, key)
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        b.row(form, "kind", "Which meeting", self.kind)
        self.meeting_on = UkDateEdit(meeting_on)
        self.meeting_on.setMinimumDate(to_qdate(self.today))
        b.row(form, "meeting_on", "Date", self.meeting_on, required=True)
        self.meeting_time = QTimeEdit(QTime(10, 30))
        self.meeting_time.setDisplayFormat("HH:mm")
        b.row(form, "meeting_time", "Time", self.meeting_time,
              getter=lambda: self.meeting_time.time().toString("HH:mm"),
              setter=lambda v: self.meeting_time.setTime(QTime.fromString(v, "HH:mm")))
        self.place = QComboBox()
        for key, label in PLACES.items():
            self.place.addItem(label, key)
        b.row(form, "place", "Where", self.place)
        self.details = QPlainTextEdit()
        self.details.setTabChangesFocus(True)
        self.details.setFixedHeight(80)
        b.row(form, "details", "Place or joining details", self.details)
        self.notice = QLabel()
        self.notice.setObjectName("problem")
        self.notice.setWordWrap(True)
        form.addRow(self.notice)
        self.content_layout.addWidget(meeting)

        who = QGroupBox("Who is invited")
        wf = QFormLayout(who)
        self.role = QComboBox()
        for key, label in INVITEE_ROLES.items():
            self.role.addItem(label, key)
        self.role.setCurrentIndex(self.role.findData("referrer"))
        b.row(wf, "invitee_role", "Invited as", self.role)
        self.invitee_name = QLineEdit()
        self.invitee_name.setPlaceholderText("Blank: the referrer on the referral")
        b.row(wf, "invitee_name", "Name", self.invitee_name)
        self.invitee_address = QPlainTextEdit()
        self.invitee_address.setTabChangesFocus(True)
        self.invitee_address.setFixedHeight(70)
        self.invitee_address.setPlaceholderText(
            "Blank for the referrer: their address (or email) on the referral")
        b.row(wf, "invitee_address", "Address", self.invitee_address)
        self.content_layout.addWidget(who)

        self.profile_note = QLabel()
        self.profile_note.setObjectName("problem")
        self.profile_note.setWordWrap(True)
        self.profile_note.hide()
        self.content_layout.addWidget(self.profile_note)

        self.place.currentIndexChanged.connect(self._place_changed)
        self.meeting_on.dateChanged.connect(self._update_notice)
        self._update_notice()
        self.finish_setup()
        book = ctx.book
        ctx.tasks.run(book.unit_profile.get, self._profile_loaded, lambda exc: None)

    # -- behaviour ------------------------------------------------------------------------------
    def _profile_loaded(self, profile: Any) -> None:
        self.unit_address = letters.unit_address(profile)
        self.missing = list(profile.missing())
        self.profile_note.setText("⚠ " + letters.incomplete_profile_warning(self.missing))
        self.profile_note.setVisible(bool(self.missing))
        self._place_changed()
        self.binder.mark_saved()

    def _place_changed(self) -> None:
        place = self.place.currentData()
        self.details.setPlaceholderText(_DETAILS_HINT[place])
        current = self.details.toPlainText().strip()
        if place == AT_UNIT and (not current or current == self.unit_address):
            self.details.setPlainText(self.unit_address)
        elif place != AT_UNIT and current == self.unit_address:
            self.details.clear()

    def _update_notice(self) -> None:
        meeting_on = self.meeting_on.value()
        text = letters.notice_warning(meeting_on, self.today) if meeting_on else ""
        self.notice.setText(f"⚠ {text}" if text else "")
        self.notice.setVisible(bool(text))

    def venue(self, values: dict[str, Any]) -> str:
        place, details = values["place"], values["details"] or ""
        if place in (AT_UNIT, ELSEWHERE):
            return details  # at the unit and blank: the core uses the unit's address
        return f"{PLACES[place]}\n{details}".strip()

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        errors: dict[str, str] = {}
        meeting_on = values.get("meeting_on")
        if meeting_on is not None and meeting_on < self.today:
            errors["meeting_on"] = "The meeting date has passed."
        if values.get("place") != AT_UNIT and not values.get("details"):
            remote = values.get("place") in (VIDEO, PHONE)
            errors["details"] = ("Give the joining details (link or number)." if remote
                                 else "Give the address of the meeting place.")
        if values.get("invitee_role") != "referrer" and not values.get("invitee_name"):
            errors["invitee_name"] = "Give the name of the person invited."
        return errors

    def save(self) -> None:
        """Ask first when the notice is short or the profile incomplete: the letter is kept."""
        if self._saving or self.ctx.state.locked:
            return
        values = self.binder.values()
        if self.binder.is_valid():
            concerns = [c for c in (letters.notice_warning(values["meeting_on"], self.today),
                                    letters.incomplete_profile_warning(self.missing)) if c]
            if concerns and not self.confirm(self, "\n\n".join(concerns) + "\n\nMake the letter anyway?"):
                return
        super().save()

    def operation(self, values: dict[str, Any]) -> Callable[[], InvitationLetter]:
        reviews, adm = self.ctx.book.reviews, self.plan.admission_id
        kwargs = {"kind": values["kind"], "meeting_time": values["meeting_time"] or "",
                  "venue": self.venue(values),
                  "invitee_name": values["invitee_name"], "invitee_role": values["invitee_role"],
                  "invitee_address": values["invitee_address"] or ""}
        meeting_on = values["meeting_on"]
        return lambda: reviews.invitation_letter(adm, meeting_on, **kwargs)
