"""Row editors of the review dialog: who attended, who was invited (and when, so the notice given
shows), and progress on each goal of the plan."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keyworker.care_plans import Goal
from keyworker.plan_sections import GOAL_DOMAINS, GOAL_STATUSES
from keyworker.reviews import (
    ATTENDEE_ROLES,
    INVITATION_METHODS,
    INVITEE_ROLES,
    REASONABLE_NOTICE_DAYS,
    Attendee,
    GoalProgress,
    Invitation,
)
from ui.forms.widgets import UkDateEdit


def _combo(choices: dict[str, str], name: str, value: str | None = None) -> QComboBox:
    c = QComboBox()
    c.setAccessibleName(name)
    for k, label in choices.items():
        c.addItem(label, k)
    if value is not None:
        c.setCurrentIndex(max(0, c.findData(value)))
    return c


class _RowList(QWidget):
    """A list of row widgets with an "Add" button; each row has its own "Remove" button."""

    value_changed = Signal()
    add_text = "Add"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[QWidget, dict[str, Any]]] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.box = QVBoxLayout()
        lay.addLayout(self.box)
        self.add_button = QPushButton(self.add_text)
        self.add_button.setAccessibleName(self.add_text)
        self.add_button.clicked.connect(lambda: self._focus(self.add_row()))
        bar = QHBoxLayout()
        bar.addWidget(self.add_button)
        bar.addStretch(1)
        lay.addLayout(bar)

    def _focus(self, parts: dict[str, Any]) -> None:
        parts["name"].setFocus()

    def _make(self, widgets: list[QWidget], parts: dict[str, Any], stretch: int = 0) -> dict[str, Any]:
        row = QWidget()
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        for i, w in enumerate(widgets):
            h.addWidget(w, 1 if i == stretch else 0)
        remove = QPushButton("Remove")
        remove.setAccessibleName("Remove this row")
        h.addWidget(remove)
        entry = (row, parts)
        remove.clicked.connect(lambda: self._remove(entry))
        self.rows.append(entry)
        self.box.addWidget(row)
        self.value_changed.emit()
        return parts

    def _remove(self, entry: tuple[QWidget, dict[str, Any]]) -> None:
        self.rows.remove(entry)
        self.box.removeWidget(entry[0])
        entry[0].deleteLater()
        self.value_changed.emit()

    def clear_rows(self) -> None:
        for entry in list(self.rows):
            self._remove(entry)

    def add_row(self, *args: Any) -> dict[str, Any]:
        raise NotImplementedError


class AttendeesEdit(_RowList):
    add_text = "Add attendee"

    def add_row(self, name: str = "", role: str = "other", remote: bool = False) -> dict[str, Any]:
        n = QLineEdit(name)
        n.setAccessibleName("Attendee name")
        n.setPlaceholderText("Name")
        r = _combo(ATTENDEE_ROLES, "Attendee role", role)
        rem = QCheckBox("By video/phone")
        rem.setAccessibleName("Joined by video or phone")
        rem.setChecked(remote)
        for sig in (n.textChanged, r.currentIndexChanged, rem.toggled):
            sig.connect(lambda *_: self.value_changed.emit())
        return self._make([n, r, rem], {"name": n, "role": r, "remote": rem})

    def value(self) -> list[Attendee]:
        return [Attendee(p["name"].text().strip(), p["role"].currentData(), p["remote"].isChecked())
                for _w, p in self.rows if p["name"].text().strip()]

    def set_value(self, attendees: Sequence[Attendee]) -> None:
        self.clear_rows()
        for a in attendees:
            self.add_row(a.name, a.role, a.remote)


class InvitationsEdit(_RowList):
    """Who was invited and when; the notice given (days before the meeting) shows beside each."""

    add_text = "Add invitation"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.held_on: date | None = None

    def add_row(self, name: str = "", role: str = "family", invited_on: date | None = None,
                method: str = "letter") -> dict[str, Any]:
        n = QLineEdit(name)
        n.setAccessibleName("Invited person's name")
        n.setPlaceholderText("Name")
        r = _combo(INVITEE_ROLES, "Who they are", role)
        when = UkDateEdit(invited_on or self.held_on or date.today())
        when.setAccessibleName("Invited on")
        how = QComboBox()
        how.setAccessibleName("How they were invited")
        how.addItems(list(INVITATION_METHODS))
        how.setCurrentIndex(max(0, how.findText(method)))
        notice = QLabel()
        notice.setMinimumWidth(150)
        parts = {"name": n, "role": r, "when": when, "how": how, "notice": notice}
        for sig in (n.textChanged, r.currentIndexChanged, when.dateChanged, how.currentIndexChanged):
            sig.connect(lambda *_: self.value_changed.emit())
        when.dateChanged.connect(lambda *_: self._update_notice(parts))
        r.currentIndexChanged.connect(lambda *_: self._update_notice(parts))
        self._make([n, r, QLabel("invited"), when, QLabel("by"), how, notice], parts)
        self._update_notice(parts)
        return parts

    def set_held_on(self, held_on: date | None) -> None:
        self.held_on = held_on
        for _w, p in self.rows:
            self._update_notice(p)

    def _update_notice(self, p: dict[str, Any]) -> None:
        when = p["when"].value()
        if self.held_on is None or when is None:
            p["notice"].setText("")
            return
        days = (self.held_on - when).days
        text = f"{days} day{'s' if days != 1 else ''} notice"
        if days < 0:
            text = "⚠ after the meeting"
        elif p["role"].currentData() in ("family", "carer") and days < REASONABLE_NOTICE_DAYS:
            text = f"⚠ only {text}"
        p["notice"].setText(text)
        p["notice"].setAccessibleName(text)

    def value(self) -> list[Invitation]:
        return [Invitation(p["name"].text().strip(), p["role"].currentData(), p["when"].value() or date.today(),
                           p["how"].currentText())
                for _w, p in self.rows if p["name"].text().strip()]

    def set_value(self, invitations: Sequence[Invitation]) -> None:
        self.clear_rows()
        for i in invitations:
            self.add_row(i.name, i.role, i.invited_on, i.method)

    def has_role(self, role: str) -> bool:
        return any(i.role == role for i in self.value())


class GoalProgressEdit(QWidget):
    """One row per goal of the plan: the goal, its status now, and a progress note."""

    value_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.rows: list[tuple[Goal, QComboBox, QLineEdit]] = []
        self.empty = QLabel("The plan has no goals yet.")
        self.empty.setObjectName("muted")
        self.grid.addWidget(self.empty, 0, 0)

    def set_goals(self, goals: Sequence[Goal]) -> None:
        self.empty.setVisible(not goals)
        for r, g in enumerate(goals, 1):
            text = QLabel(f"<b>{GOAL_DOMAINS.get(g.domain, g.domain)}</b>: {_html(g.goal)}")
            text.setWordWrap(True)
            status = QComboBox()
            status.setObjectName(f"goal_status_{r}")
            status.setAccessibleName(f"Goal {r} status")
            for k, label in GOAL_STATUSES.items():
                status.addItem(label, k)
            status.setCurrentIndex(max(0, status.findData(g.status)))
            note = QLineEdit()
            note.setObjectName(f"goal_note_{r}")
            note.setAccessibleName(f"Goal {r} progress note")
            note.setPlaceholderText("Progress since the last review")
            status.currentIndexChanged.connect(lambda *_: self.value_changed.emit())
            note.textChanged.connect(lambda *_: self.value_changed.emit())
            self.grid.addWidget(QLabel(f"{r}."), r, 0)
            self.grid.addWidget(text, r, 1)
            self.grid.addWidget(status, r, 2)
            self.grid.addWidget(note, r, 3)
            self.rows.append((g, status, note))
        self.grid.setColumnStretch(1, 2)
        self.grid.setColumnStretch(3, 3)

    def value(self) -> list[GoalProgress]:
        return [GoalProgress(g.id, s.currentData(), n.text().strip()) for g, s, n in self.rows]

    def set_value(self, progress: Sequence[GoalProgress]) -> None:
        by_id = {p.goal_id: p for p in progress}
        for g, s, n in self.rows:
            p = by_id.get(g.id)
            if p is not None:
                s.setCurrentIndex(max(0, s.findData(p.status)))
                n.setText(p.note)


def _html(text: str) -> str:
    import html

    return html.escape(text)
