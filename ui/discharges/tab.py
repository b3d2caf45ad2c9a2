"""The resident's "Discharge" tab (issue 13): the latest discharge or freeze with its state and the
24-hour countdown, and the live notification checklist (who has been told, how, when, by whom,
what came of it; what is still outstanding). From here: record a notification, confirm as the
senior, make and send the complete discharge summary (complete_summary), resume a frozen stay after reassessment."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import LONDON, format_datetime
from keyworker.discharges import METHOD_LABELS, METHODS, PARTIES, ChecklistItem, DischargeView
from keyworker.security.permissions import Permission
from ui.context import AppContext
from ui.errors import show_error
from ui.forms import ChoiceCombo, FormDialog, UkDateTimeEdit
from ui.forms.confirm import ask_to_go_on
from ui.widgets.tables import read_only_table

HEADINGS = ["Who", "Status", "How", "When", "By", "Outcome or note"]
STATUS_WORDS = {"done": "✓ Told", "outstanding": "○ Still to do", "not_needed": "✓ Not needed",
                "not_allowed": "✕ No consent: do not tell"}


def _box(name: str, placeholder: str, height: int = 70) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setObjectName(f"field_{name}")
    box.setTabChangesFocus(True)
    box.setPlaceholderText(placeholder)
    box.setFixedHeight(height)
    return box


class NotificationDialog(FormDialog):
    save_text = "&Record"
    data_area = "discharges"

    def __init__(self, parent: QWidget | None, ctx: AppContext, discharge_id: str, party: str | None) -> None:
        super().__init__(parent, ctx, "Record a notification")
        self.setObjectName("notificationDialog")
        self.discharge_id = discharge_id
        now = ctx.book.clock.now().astimezone(LONDON).replace(second=0, microsecond=0)
        b = self.binder
        form = QFormLayout()
        self.party = ChoiceCombo([(o.code, o.label) for o in PARTIES], blank="Who was told?")
        if party:
            self.party.set_value(party)
        b.row(form, "party", "Who", self.party, required=True)
        self.method = ChoiceCombo([(o.code, o.label) for o in METHODS], blank="How?")
        b.row(form, "method", "How", self.method, required=True)
        self.at = UkDateTimeEdit(now)
        b.row(form, "at", "When", self.at, required=True)
        self.contact = QLineEdit()
        self.contact.setPlaceholderText("e.g. the duty social worker's name")
        b.row(form, "contact", "Whom you spoke or wrote to", self.contact)
        self.outcome = _box("outcome", "e.g. Spoke to the duty worker; they will visit tomorrow")
        b.row(form, "outcome", "Outcome", self.outcome, required=True)
        self.content_layout.addLayout(form)
        self.finish_setup()

    def first_focus(self) -> QWidget | None:
        return self.method if self.party.value() else self.party

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        errors = {}
        for key, words in (("party", "Choose who was told."), ("method", "Choose how."),
                           ("outcome", "Say what came of it.")):
            if not values.get(key):
                errors[key] = words
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        book, did = self.ctx.book, self.discharge_id
        return lambda: book.discharges.record_notification(did, values["party"], values["method"], values["at"],
                                                           values["outcome"], values.get("contact") or None)


class NoteDialog(FormDialog):
    """One text (resume after reassessment) or one time (the complete summary sent)."""

    data_area = "discharges"

    def __init__(self, parent: QWidget | None, ctx: AppContext, title: str, save_text: str,
                 run: Callable[[Any], Any], *, label: str, timed: bool) -> None:
        super().__init__(parent, ctx, title, save_text=save_text)
        self.run = run
        self.timed = timed
        form = QFormLayout()
        if timed:
            self.editor: QWidget = UkDateTimeEdit(ctx.book.clock.now().astimezone(LONDON).replace(second=0,
                                                                                                  microsecond=0))
        else:
            self.editor = _box("note", "What the reassessment found", 96)
        self.binder.row(form, "value", label, self.editor, required=True)
        self.content_layout.addLayout(form)
        self.finish_setup()

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        return {} if values.get("value") else {"value": "This is required."}

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        run, value = self.run, values["value"]
        return lambda: run(value)


class DischargeTab(QWidget):
    refresh_areas = ("discharges", "follow_ups", "residents")  # residents: the placement-at-risk box

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.discharge: DischargeView | None = None
        self.items: list[ChecklistItem] = []
        self.dialog: Any = None
        self.setObjectName("dischargeTab")
        self.setAccessibleName("Discharge")
        self.summary = QLabel()
        self.summary.setObjectName("dischargeSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard
                                             | Qt.TextInteractionFlag.TextSelectableByMouse)
        actor = ctx.book.actor
        self.notify_button = QPushButton("Record &notification…")
        self.notify_button.clicked.connect(self.record_notification)
        self.confirm_button = QPushButton("&Confirm as senior")
        self.confirm_button.setToolTip("Confirm this discharge as the second person, a senior manager")
        self.confirm_button.clicked.connect(self.confirm)
        self.sent_button = QPushButton("Complete &summary…")
        self.sent_button.clicked.connect(self.summary_sent)
        self.resume_button = QPushButton("&Resume after reassessment…")
        self.resume_button.clicked.connect(self.resume)
        self.plan_button = QPushButton("&Plan discharge…")
        self.plan_button.setToolTip("The discharge planning meeting, aftercare and the discharge letter (Ctrl+Shift+D)")
        self.plan_button.clicked.connect(self.plan_discharge)
        self._can_record = actor.can(Permission.RECORD_UNPLANNED_DISCHARGE)
        self._can_confirm = actor.can(Permission.CONFIRM_DISCHARGES)
        # Asked before the complete summary is made and sent (tests replace it).
        self.confirm_summary: Callable[[QWidget, str], bool] = lambda parent, text: ask_to_go_on(
            parent, text, "Make and send it", "The complete discharge summary")
        buttons = QHBoxLayout()
        for b in (self.notify_button, self.confirm_button, self.sent_button, self.resume_button, self.plan_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.status.hide()
        self.table = QTableWidget(0, len(HEADINGS))
        self.table.setObjectName("dischargeChecklist")
        self.table.setAccessibleName("Who has been told, and what is still outstanding")
        self.table.setHorizontalHeaderLabels(HEADINGS)
        read_only_table(self.table)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.record_notification())
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addLayout(buttons)
        lay.addWidget(self.status)
        lay.addWidget(self.table, 1)
        # -- placement at risk (Annex 3 step 12): raise, see and clear the flag ----------------------
        from ui.discharges.placement_risk import PlacementRiskBox

        self.placement_risk = PlacementRiskBox(ctx, resident_id, self)
        lay.addWidget(self.placement_risk)
        # -- follow-ups (P2): the resident's 3- and 6-month follow-ups with their tries -----------
        from ui.discharges.follow_ups_section import FollowUpsSection

        self.follow_ups = FollowUpsSection(ctx, resident_id, self)
        lay.addWidget(self.follow_ups)
        # -- end follow-ups ---------------------------------------------------------------------
        self._show(None, [])
        self.refresh()

    def set_record(self, record: Any) -> None:
        self.placement_risk.set_record(record)

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid = self.ctx.book, self.resident_id

        def load() -> tuple[DischargeView | None, list[ChecklistItem]]:
            views = book.discharges.for_resident(rid)
            latest = views[0] if views else None
            return latest, (book.discharges.checklist(latest.id) if latest else [])

        self.ctx.tasks.run(load, lambda r: self._show(*r), lambda exc: show_error(self, exc))
        self.follow_ups.refresh()  # follow-ups (P2)
        self.placement_risk.refresh()

    def _show(self, d: DischargeView | None, items: list[ChecklistItem]) -> None:
        self.discharge, self.items = d, items
        if d is None:
            self.summary.setText("No discharge recorded for this stay. Plan a discharge (Ctrl+Shift+D) or "
                                 "record an unplanned discharge (Ctrl+Shift+U).")
        else:
            who = ""
            if d.second_person_name:
                how = {"password": "signed with their password", "phone": "agreed by phone",
                       "signed_in": "confirmed signed in"}.get(d.second_how or "", "")
                who = f" Senior: {d.second_person_name} ({how})."
            outstanding = sum(1 for i in items if not i.done)
            self.summary.setText(f"{d.type_label} on {format_datetime(d.occurred_at)} — {d.state_label}.{who} "
                                 f"{d.due_text}. " + (f"{outstanding} still to tell." if outstanding else
                                                      "Everyone on the checklist has been told."))
        # A planned discharge is confirmed by the senior signing its letter (Plan discharge…), and
        # the letter is its summary: the out-of-hours buttons are not for it.
        unplanned = d is not None and d.path == "unplanned"
        self.notify_button.setEnabled(self._can_record and unplanned)
        self.confirm_button.setVisible(self._can_confirm)
        self.confirm_button.setEnabled(self._can_confirm and unplanned and d is not None
                                       and d.state == "awaiting_senior")
        self.sent_button.setEnabled(self._can_record and unplanned and d is not None and d.summary_sent_at is None)
        self.resume_button.setVisible(self._can_confirm)
        self.resume_button.setEnabled(self._can_confirm and d is not None and d.state == "frozen"
                                      and not d.ended_later)
        self.table.setRowCount(len(items))
        for r, i in enumerate(items):
            cells = [i.label, STATUS_WORDS.get(i.status, i.status), METHOD_LABELS.get(i.method or "", ""),
                     format_datetime(i.at), i.by_name or "",
                     " — ".join(x for x in (i.contact, i.outcome, i.note) if x)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, i.party)
                self.table.setItem(r, c, item)

    def _said(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()

    def _open(self, dlg: FormDialog, done: str) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dlg
        def accepted() -> None:
            self._said(done)
            self.refresh()

        dlg.accepted.connect(accepted)
        dlg.open()

    def record_notification(self) -> None:
        if self.discharge is None or not self._can_record:
            return
        row = self.table.currentRow()
        chosen = self.items[row].party if 0 <= row < len(self.items) else None
        party = chosen or next((i.party for i in self.items if i.status == "outstanding"), None)
        self._open(NotificationDialog(self, self.ctx, self.discharge.id, party), "✓ Notification recorded.")

    def confirm(self) -> None:
        d = self.discharge
        if d is None or not self._can_confirm or d.state != "awaiting_senior":
            return
        book = self.ctx.book

        def done(_v: Any) -> None:
            self._said("✓ Discharge confirmed by you as the senior manager.")
            self.ctx.state.data_changed.emit("discharges")

        def failed(exc: BaseException) -> None:
            from keyworker.errors import ValidationError

            if isinstance(exc, ValidationError):
                self._said("⚠ " + " ".join(exc.fields.values()))
            else:
                show_error(self, exc)

        self.ctx.tasks.run(lambda: book.discharges.confirm(d.id), done, failed)

    def summary_sent(self) -> None:
        """Make the complete discharge summary: filed, queued for the referrer and the Authority,
        and the 24-hour countdown stops (book.discharges.complete_summary)."""
        d = self.discharge
        if d is None or not self._can_record:
            return
        book = self.ctx.book
        if not self.confirm_summary(self, "Make the complete discharge summary from the record as it stands now, "
                                          "and send it to the referrer and the Authority's nominated person?"):
            return

        def done(v: DischargeView) -> None:
            self._said("✓ Complete summary made and queued to send." + "".join(f" ⚠ {w}" for w in v.warnings))
            self.ctx.state.data_changed.emit("outbox")
            self.ctx.state.data_changed.emit("discharges")
            self.refresh()

        def failed(exc: BaseException) -> None:
            from keyworker.errors import ValidationError

            if isinstance(exc, ValidationError):
                self._said("⚠ " + " ".join(exc.fields.values()))
            else:
                show_error(self, exc)

        self.ctx.tasks.run(lambda: book.discharges.complete_summary(d.id), done, failed)

    def plan_discharge(self) -> None:
        from ui.discharges.planned import open_planned_discharge

        open_planned_discharge(self, self.ctx, self.resident_id)

    def resume(self) -> None:
        d = self.discharge
        if d is None or not self._can_confirm or d.state != "frozen":
            return
        book = self.ctx.book
        self._open(NoteDialog(self, self.ctx, "Resume after reassessment", "&Resume",
                              lambda note: book.discharges.resume(d.id, note), label="The reassessment",
                              timed=False), "✓ Stay resumed: treatment goes on in the same admission.")


__all__ = ["DischargeTab", "NotificationDialog", "NoteDialog"]
