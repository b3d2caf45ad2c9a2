"""The Today page's "First steps" for a new unit (keyworker/first_steps.py says which are done):
add staff, set the unit profile, import the caseload, record a referral. Each step is a button that
opens the place it is done, and is ticked once the database shows it done; the box goes when all are."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from keyworker.first_steps import FirstSteps
from keyworker.security.permissions import Permission
from ui import user_settings
from ui.context import AppContext

HIDDEN_KEY = "today/first_steps_hidden"


def show_page(ctx: AppContext, key: str) -> QWidget | None:
    """Switch the main window to a page (None if this user may not see it)."""
    show = getattr(ctx.main_window, "show_page", None)
    return show(key) if callable(show) else None  # type: ignore[no-any-return]


def _add_staff(ctx: AppContext) -> None:
    page = show_page(ctx, "admin")
    if page is not None:
        page.tabs.setCurrentIndex(0)  # type: ignore[attr-defined]
        page.add_account()  # type: ignore[attr-defined]


def _unit_profile(ctx: AppContext) -> None:
    page = show_page(ctx, "admin")
    if page is not None:
        page.tabs.setCurrentWidget(page.unit_screen)  # type: ignore[attr-defined]
        page.unit_screen.setFocus()  # type: ignore[attr-defined]


def _import(ctx: AppContext) -> None:
    action = getattr(ctx.main_window, "act_import", None)
    if action is not None:
        action.trigger()


def _new_referral(ctx: AppContext) -> None:
    page = show_page(ctx, "referrals")
    if page is not None:
        page.new_referral()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Step:
    key: str
    done: Callable[[FirstSteps], bool]
    text: str
    button: str
    permission: Permission
    go: Callable[[AppContext], None]
    who: str  # who takes the step, for a user whose role cannot


STEPS = (
    Step("staff", lambda s: s.staff_added, "Add your staff: an account for each key worker, senior and night worker.",
         "Add &staff…", Permission.MANAGE_ACCOUNTS, _add_staff, "An administrator adds staff accounts."),
    Step("profile", lambda s: s.profile_set,
         "Set the unit profile: the name, address, phone and secure email every letter prints.",
         "Unit &profile…", Permission.EDIT_UNIT_PROFILE, _unit_profile, "An administrator or senior sets it."),
    Step("import", lambda s: s.caseload_started, "Bring in your current residents from a spreadsheet (CSV).",
         "&Import residents…", Permission.IMPORT, _import, "An administrator or senior imports the caseload."),
    Step("referral", lambda s: s.referral_recorded, "Record a referral as it arrives: the 5-working-day "
         "decision clock starts then.", "New &referral…", Permission.RECORD_REFERRALS, _new_referral,
         "A senior or key worker records referrals (Referrals page)."),
)


def hidden_for(book: object) -> bool:
    """Has this user hidden the first steps on this unit?"""
    return str(user_settings.load(book, HIDDEN_KEY, "")).lower() in ("true", "1")


class FirstStepsBox(QFrame):
    dismissed = Signal()

    def __init__(self, ctx: AppContext, steps: FirstSteps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("firstSteps")
        self.setAccessibleName("First steps")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QVBoxLayout(self)
        title = QLabel("First steps")
        title.setObjectName("sectionTitle")
        self.hide_button = QPushButton("&Hide these steps")
        self.hide_button.setAccessibleName("Hide the first steps")
        self.hide_button.setToolTip("Stop showing the first steps to you on this unit")
        self.hide_button.clicked.connect(self._hide_for_good)
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(self.hide_button)
        lay.addLayout(head)
        intro = QLabel("Set the unit up in this order. Each step is ticked once it is done.")
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setColumnStretch(1, 1)
        lay.addLayout(grid)
        self.buttons: dict[str, QPushButton] = {}
        self.done: dict[str, bool] = {}
        actor = ctx.book.actor
        for row, step in enumerate(STEPS):
            done = step.done(steps)
            self.done[step.key] = done
            mark = QLabel("✓ Done" if done else f"{row + 1}.")
            mark.setObjectName("stepDone" if done else "stepNumber")
            text = QLabel(step.text if actor.can(step.permission) or done else f"{step.text} {step.who}")
            text.setWordWrap(True)
            text.setAccessibleName(("Done: " if done else "To do: ") + text.text())
            grid.addWidget(mark, row, 0)
            grid.addWidget(text, row, 1)
            if actor.can(step.permission):
                b = QPushButton(step.button)
                b.setObjectName("stepButton" if done else "primary")
                b.setAccessibleName(step.button.replace("&", "").rstrip("…"))
                b.clicked.connect(lambda _c=False, go=step.go: go(ctx))
                self.buttons[step.key] = b
                grid.addWidget(b, row, 2)


    def _hide_for_good(self) -> None:
        user_settings.save(self.ctx.book, HIDDEN_KEY, True)
        self.dismissed.emit()


__all__ = ["FirstStepsBox", "STEPS", "hidden_for", "show_page"]
