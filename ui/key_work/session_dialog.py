"""The "Record session…" dialog: one key-work session or intervention with a resident, typed
by keyboard alone. The reason appears only when the session was not attended or was cancelled;
the goals come from the resident's current care plan, and progress typed against one goes into
the plan with the session. Opened with `session=` it corrects that session (a reason is asked
for; the original stays in the history)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QLabel, QLineEdit, QSpinBox, QWidget

from keyworker.clock import local_today, to_local
from keyworker.errors import KeyworkerError
from keyworker.key_work import SessionView
from keyworker.key_work_input import NEEDS_REASON, FollowUp, GoalWork, OUTCOMES, PSYCHOSOCIAL, REASON_NEEDED, SESSION_TYPES, SessionInput
from ui.errors import show_error
from ui.forms.dialog import FormDialog
from ui.forms.widgets import ChoiceCombo, EditableChoice, UkDateEdit
from ui.key_work.widgets import FollowUpList, GoalsPicker, default_start, group_box, text_box

if TYPE_CHECKING:
    from ui.context import AppContext

CHANGED_AREAS = ("key_work", "notes", "care_plans")


class SessionDialog(FormDialog):
    data_area = "key_work"
    min_width = 640

    def __init__(self, parent: QWidget | None, ctx: AppContext, resident_id: str,
                 goals: Sequence[tuple[str, str]] = (), session: SessionView | None = None) -> None:
        super().__init__(parent, ctx, "Correct session" if session else "Record session",
                         save_text="&Save correction" if session else "&Save session")
        self.resident_id = resident_id
        self.session = session
        b = self.binder
        now = to_local(ctx.book.clock.now())

        if session is not None:
            fix, f = group_box("Correction")
            note = QLabel("The session as first recorded stays in the history, with your reason.")
            note.setObjectName("fieldHint")
            note.setWordWrap(True)
            f.addRow(note)
            reason = QLineEdit()
            reason.setMaxLength(1000)
            b.row(f, "correction_reason", "&Why is it being corrected?", reason, required=True)
            self.content_layout.addWidget(fix)

        when, f = group_box("Session")
        b.row(f, "held_on", "&Date", UkDateEdit(local_today(ctx.book.clock)), required=True)
        start = QLineEdit(default_start(now.hour, now.minute))
        start.setMaxLength(5)
        start.setPlaceholderText("14:30")
        b.row(f, "start_time", "S&tart time", start, required=True, hint="24-hour clock, like 14:30.")
        minutes = QSpinBox()
        minutes.setRange(1, 480)
        minutes.setValue(45)
        minutes.setSuffix(" minutes")
        b.row(f, "duration_minutes", "&Length", minutes, required=True)
        self.kind = ChoiceCombo([(o.code, o.label) for o in SESSION_TYPES], blank="Choose…")
        b.row(f, "kind", "T&ype", self.kind, required=True)
        self.intervention = EditableChoice(PSYCHOSOCIAL, placeholder="Which intervention (optional)")
        b.row(f, "intervention", "&Intervention", self.intervention)
        self.outcome = ChoiceCombo([(o.code, o.label) for o in OUTCOMES], blank=None)
        self.outcome.set_value("attended")  # most sessions happen as planned
        b.row(f, "outcome", "&Outcome", self.outcome, required=True)
        self.reason = QLineEdit()
        self.reason.setMaxLength(2000)
        self.reason_box = b.row(f, "outcome_reason", "&Reason *", self.reason)
        self.reason_label = f.labelForField(self.reason_box)
        self.content_layout.addWidget(when)

        work, f = group_box("What was worked on")
        self.goals = GoalsPicker(goals)
        f.addRow("Care plan goals", b.add("goals", self.goals, "Care plan goals"))
        b.row(f, "notes", "&Notes", text_box())
        self.content_layout.addWidget(work)

        follow, f = group_box("Follow-up actions")
        self.follow_ups = FollowUpList(default_who=ctx.book.actor.full_name)
        f.addRow(b.add("follow_ups", self.follow_ups, "Follow-up actions"))
        self.content_layout.addWidget(follow)

        self.outcome.value_changed.connect(self._outcome_changed)
        if session is not None:
            b.load({"held_on": session.held_on, "start_time": session.start_time,
                    "duration_minutes": session.duration_minutes, "kind": session.kind,
                    "intervention": session.intervention, "outcome": session.outcome,
                    "outcome_reason": session.outcome_reason, "notes": session.notes,
                    # the goals as recorded: progress already in the plan is not added again
                    "goals": [GoalWork(g.goal_id, g.progress) for g in session.goals],
                    "follow_ups": [FollowUp(f.what, f.who, f.by_when) for f in session.follow_ups]})
        self._outcome_changed()
        self.finish_setup()

    def _outcome_changed(self) -> None:
        needed = self.outcome.value() in NEEDS_REASON
        self.reason_box.setVisible(needed)
        if self.reason_label is not None:
            self.reason_label.setVisible(needed)
        self.binder.revalidate()

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        errors = {}
        outcome = values.get("outcome")
        if outcome in NEEDS_REASON and not values.get("outcome_reason"):
            errors["outcome_reason"] = REASON_NEEDED[outcome]
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        data = SessionInput(
            resident_id=self.resident_id, held_on=values["held_on"], start_time=values["start_time"],
            duration_minutes=values["duration_minutes"], kind=values["kind"] or "", outcome=values["outcome"] or "",
            outcome_reason=values["outcome_reason"] if values.get("outcome") in NEEDS_REASON else None,
            intervention=values["intervention"], notes=values["notes"], goals=values["goals"],
            follow_ups=values["follow_ups"])
        book = self.ctx.book
        if self.session is not None:
            sid, why = self.session.id, values.get("correction_reason") or ""
            return lambda: book.key_work.correct(sid, data, why)
        return lambda: book.key_work.record(data)

    def changed_areas(self) -> tuple[str, ...]:
        return CHANGED_AREAS


_OPEN: set[QWidget] = set()  # dialogs shown without a parent are kept alive while open


def show_dialog(dialog: FormDialog) -> None:
    _OPEN.add(dialog)
    dialog.finished.connect(lambda _r: _OPEN.discard(dialog))
    dialog.destroyed.connect(lambda *_a: _OPEN.discard(dialog))
    dialog.setModal(True)
    dialog.show()


def open_dialogs() -> list[QWidget]:
    import shiboken6

    return [d for d in _OPEN if shiboken6.isValid(d)]  # one closed with its parent window is gone


def plan_goals(ctx: AppContext, resident_id: str) -> list[tuple[str, str]]:
    """(goal id, goal) of the resident's current plan: runs on the database thread."""
    try:
        plan = ctx.book.care_plans.get(resident_id)
    except KeyworkerError:
        return []  # no stay, no plan: the session is still recorded, without goals
    return [(g.id, g.goal) for g in plan.content.goals if g.goal.strip()]


def open_session_dialog(ctx: AppContext, parent: QWidget | None, resident_id: str,
                        session: SessionView | None = None) -> None:
    """"Record session…" for a resident (the Notes tab, the Key work tab, Ctrl+Shift+K in the
    record): reads the plan's goals off the UI thread, then opens the dialog."""
    def opened(goals: list[tuple[str, str]]) -> None:
        show_dialog(SessionDialog(parent, ctx, resident_id, goals, session))

    ctx.tasks.run(lambda: plan_goals(ctx, resident_id), opened, lambda e: show_error(parent, e))
