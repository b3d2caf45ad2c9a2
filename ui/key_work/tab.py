"""The resident's "Key work" tab: the interventions of this stay in numbers (by type, first and
last dates, attendance), the pre-admission assessment carried over from the referral, and every
session and group the resident was on the register of, newest first, corrected ones kept and
marked. "Record session…" (Ctrl+Shift+K anywhere in the record), "Record group session…" and
"Correct…" are here; out-of-hours staff read it."""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_date, format_datetime
from keyworker.key_work import GroupEntry, InterventionSummary, SessionView
from keyworker.pre_admission import PreAdmissionView
from keyworker.residents import ResidentRecord
from keyworker.security.permissions import Permission
from ui.context import AppContext
from ui.errors import show_error
from ui.key_work.pre_admission_view import pre_admission_html
from ui.widgets.tables import list_over_detail, read_only_table

SHORTCUT = "Ctrl+Shift+K"


@dataclass(frozen=True)
class KeyWorkState:
    sessions: list[SessionView]
    groups: list[GroupEntry]
    summary: InterventionSummary | None
    pre_admission: PreAdmissionView | None


def load_state(book: Any, resident_id: str, admission_id: str | None) -> KeyWorkState:
    """Runs on the database thread: each read is audited by its service."""
    return KeyWorkState(book.key_work.for_resident(resident_id, include_superseded=True),
                        book.key_work.groups_for_resident(resident_id, include_superseded=True),
                        book.key_work.summary(admission_id) if admission_id else None,
                        book.pre_admission.for_resident(resident_id))


def summary_text(s: InterventionSummary | None) -> str:
    if s is None or not (s.attended or s.did_not_attend or s.cancelled or s.excused):
        return "No sessions recorded for this stay yet."
    first = "" if not (s.first_on and s.last_on) else (
        f" on {format_date(s.first_on)}" if s.first_on == s.last_on
        else f" from {format_date(s.first_on)} to {format_date(s.last_on)}")
    kinds = "; ".join(f"{t.label} {t.count}" for t in s.types)
    extra = ", ".join(p for p in (f"{s.cancelled} cancelled" if s.cancelled else "",
                                  f"{s.excused} excused from a group" if s.excused else "") if p)
    return (f"This stay: {s.attended} session{'s' if s.attended != 1 else ''} held{first}. {s.rate_text}"
            + (f"; {extra}" if extra else "") + "." + (f"\nBy type: {kinds}." if kinds else ""))


def session_html(v: SessionView) -> str:
    e = html.escape
    parts = [f"<h3>{e(v.title)}</h3>", f"<p>{e(v.when_text)}. Recorded by {e(v.recorded_by_name or '—')} "
             f"on {format_datetime(v.recorded_at)}.</p>"]
    if v.superseded:
        parts.append("<p><b>✎ Corrected later</b>: this is the session as first recorded; the correction is "
                     "listed above it.</p>")
    if v.supersedes_id and v.correction_reason:
        parts.append(f"<p><b>✎ A correction.</b> Why: {e(v.correction_reason)}</p>")
    if v.outcome_reason:
        parts.append(f"<p><b>Reason:</b> {e(v.outcome_reason)}</p>")
    if v.goals:
        parts.append("<p><b>Care plan goals worked on:</b></p><ul>" + "".join(
            f"<li>{e(g.goal)}" + (f" — {e(g.progress)}" if g.progress else "") + "</li>" for g in v.goals) + "</ul>")
    if v.notes:
        parts.append(f"<p><b>Notes:</b><br/>{e(v.notes).replace(chr(10), '<br/>')}</p>")
    if v.follow_ups:
        parts.append("<p><b>Follow-up actions:</b></p><ul>" + "".join(
            f"<li>{e(f.what)} — {e(f.who)}" + (f", by {format_date(f.by_when)}" if f.by_when else "") + "</li>"
            for f in v.follow_ups) + "</ul>")
    return "".join(parts)


def group_html(g: GroupEntry) -> str:
    e = html.escape
    parts = [f"<h3>{e(g.title_text)}</h3>",
             f"<p>{format_date(g.held_on)} {e(g.start_time)}, {g.duration_minutes} min. Facilitated by "
             f"{e(g.facilitators)}. Recorded by {e(g.recorded_by_name or '—')} on {format_datetime(g.recorded_at)}.</p>"]
    if g.superseded:
        parts.append("<p><b>✎ Corrected later</b>: the group's register was recorded again.</p>")
    if g.note:
        parts.append(f"<p><b>Note:</b> {e(g.note)}</p>")
    return "".join(parts)


class KeyWorkTab(QWidget):
    refresh_areas = ("key_work",)

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.admission_id: str | None = None
        self.state: KeyWorkState | None = None
        self.rows: list[SessionView | GroupEntry] = []
        self.setObjectName("keyWorkTab")
        self.setAccessibleName("Key work")
        can = ctx.book.actor.can(Permission.RECORD_KEY_WORK)
        self.summary = QLabel("Loading key work…")
        self.summary.setObjectName("keyWorkSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.record_button = QPushButton("Record &session…")
        self.record_button.setToolTip(SHORTCUT)
        self.record_button.setAccessibleName("Record a key-work session")
        self.record_button.clicked.connect(self.record_session)
        self.group_button = QPushButton("Record &group session…")
        self.group_button.setAccessibleName("Record a group session with its register")
        self.group_button.clicked.connect(self.record_group)
        self.correct_button = QPushButton("C&orrect…")
        self.correct_button.setAccessibleName("Correct the chosen session")
        self.correct_button.clicked.connect(self.correct)
        self.correct_button.setEnabled(False)
        for b in (self.record_button, self.group_button, self.correct_button):
            b.setVisible(can)  # out-of-hours staff read key work; the key worker records it
        top = QHBoxLayout()
        for b in (self.record_button, self.group_button, self.correct_button):
            top.addWidget(b)
        top.addStretch(1)
        self.pre_admission = QLabel()
        self.pre_admission.setObjectName("hint")
        self.pre_admission.setWordWrap(True)
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("keyWorkTable")
        self.table.setAccessibleName("Sessions and groups, newest first")
        self.table.setHorizontalHeaderLabels(["Date", "Time", "Session", "Outcome", "Recorded by"])
        read_only_table(self.table)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(lambda row, *_a: self._show_detail(row))
        self.detail, split, self.empty = list_over_detail(self.table, "keyWorkDetail", "The chosen session",
                                                          "No sessions or groups recorded yet.")
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.summary)
        lay.addWidget(self.pre_admission)
        lay.addWidget(self.empty)
        lay.addWidget(split, 1)
        self.refresh()

    def set_record(self, record: ResidentRecord) -> None:
        stay = record.current_admission or max(record.admissions, key=lambda a: a.admitted_on, default=None)
        changed = (stay.id if stay else None) != self.admission_id
        self.admission_id = stay.id if stay else None
        if changed:
            self.refresh()

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid, aid = self.ctx.book, self.resident_id, self.admission_id
        self.ctx.tasks.run(lambda: load_state(book, rid, aid), self._loaded, lambda e: show_error(self, e))

    def _loaded(self, state: KeyWorkState) -> None:
        self.state = state
        self.summary.setText(summary_text(state.summary))
        p = state.pre_admission
        self.pre_admission.setText(
            f"Pre-admission assessment: {format_date(p.assessed_on)}, {p.method_label.lower()}, by {p.assessed_by}"
            + (f". Not covered: {'; '.join(p.not_done).lower()}." if p.not_done else ".")
            if p else "No pre-admission assessment was recorded for this resident's referral.")
        entries: list[SessionView | GroupEntry] = [*state.sessions, *state.groups]
        entries.sort(key=lambda x: (x.held_on, x.start_time, x.recorded_at), reverse=True)
        self.rows = entries
        self.table.setRowCount(len(entries))
        for r, x in enumerate(entries):
            if isinstance(x, SessionView):
                what = x.kind_label + (f" ({x.intervention})" if x.intervention else "")
                outcome, superseded = x.outcome_label, x.superseded
                if x.supersedes_id:
                    outcome += " ✎ corrected"
            else:
                what, outcome, superseded = f"Group: {x.title}", x.attendance_label, x.superseded
            if superseded:
                outcome += " (replaced by a correction)"
            cells = [format_date(x.held_on), x.start_time, what, outcome, x.recorded_by_name]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if superseded:
                    f = item.font()
                    f.setStrikeOut(True)
                    item.setFont(f)
                self.table.setItem(r, c, item)
        self.empty.setVisible(not entries)
        if entries:
            self.table.setCurrentCell(0, 0)
            self._show_detail(0)
        else:
            self.detail.setHtml(pre_admission_html(p) if p else "")
            self.correct_button.setEnabled(False)

    def _show_detail(self, row: int) -> None:
        if not 0 <= row < len(self.rows):
            return
        x = self.rows[row]
        self.detail.setHtml(session_html(x) if isinstance(x, SessionView) else group_html(x))
        self.correct_button.setEnabled(isinstance(x, SessionView) and not x.superseded)

    def selected_session(self) -> SessionView | None:
        row = self.table.currentRow()
        x = self.rows[row] if 0 <= row < len(self.rows) else None
        return x if isinstance(x, SessionView) else None

    # -- actions ------------------------------------------------------------------------------
    def record_session(self) -> None:
        from ui.key_work.session_dialog import open_session_dialog

        open_session_dialog(self.ctx, self, self.resident_id)

    def record_group(self) -> None:
        from ui.key_work.group_dialog import open_group_dialog

        open_group_dialog(self.ctx, self, preselect=self.resident_id)

    def correct(self) -> None:
        from ui.key_work.session_dialog import open_session_dialog

        s = self.selected_session()
        if s is not None and not s.superseded:
            open_session_dialog(self.ctx, self, self.resident_id, s)


def record_from_window(window: QWidget) -> None:
    """"Record session…" from the record window's toolbar or Ctrl+Shift+K, on any tab."""
    from ui.key_work.session_dialog import open_session_dialog

    open_session_dialog(window.ctx, window, window.resident_id)  # type: ignore[attr-defined]


def _register() -> None:
    from ui.notes.actions import register_notes_action
    from ui.resident.tabs import register_resident_action, register_resident_tab
    from ui.key_work.session_dialog import open_session_dialog

    register_resident_tab("key_work", "Key work", KeyWorkTab, 35)
    register_resident_action("record_session", "Record &session…", SHORTCUT, record_from_window,
                             Permission.RECORD_KEY_WORK, "Record a key-work session with this resident")
    # The Notes tab's button; its shortcut is the record window's (one key, no ambiguity).
    register_notes_action("Record session…", "", open_session_dialog, Permission.RECORD_KEY_WORK)


_register()
