"""The resident's "Safeguarding" tab: the domestic abuse status (the current checklist's level in
words, incidents towards potential escalation), the MARAC prompt with "Record MARAC referral…" while
one is due, the checklist history, and the safeguarding and MARAC referrals with what raised each.
Night staff read it all; key workers and seniors record (the buttons say why they are greyed)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_date
from keyworker.errors import NotFound
from keyworker.security.permissions import Permission
from ui.context import AppContext
from ui.errors import show_error
from ui.incidents.words import checklist_words, escalation_words, grounds_words, link_options, raised_by_words
from ui.widgets.tables import read_only_table

READ_ONLY = "Your role reads safeguarding records; key workers and seniors record checklists and referrals."


@dataclass(frozen=True)
class SafeguardingState:
    status: Any
    checklists: list[Any]
    referrals: list[Any]
    links: list[tuple[str, str]]


def load_state(book: Any, resident_id: str) -> SafeguardingState:
    """Two reads: the safeguarding overview, and the current risk assessment a referral may name."""
    o = book.safeguarding.overview(resident_id)
    try:
        risk = book.risk.current(resident_id=resident_id)
    except NotFound:
        risk = None
    return SafeguardingState(o.status, list(o.checklists), list(o.referrals),
                             link_options(list(o.incidents), list(o.checklists), risk))


def ask_marac_now(parent: QWidget) -> bool:
    """After a high checklist: record the MARAC referral straight away? (Replaced in tests.)"""
    return QMessageBox.question(parent, "MARAC referral",
                                "This checklist shows a high risk: a MARAC referral is needed. Record it now?",
                                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                QMessageBox.StandardButton.Yes) == QMessageBox.StandardButton.Yes


def _table(name: str, accessible: str, headings: list[str], stretch: int) -> QTableWidget:
    t = QTableWidget(0, len(headings))
    t.setObjectName(name)
    t.setAccessibleName(accessible)
    t.setHorizontalHeaderLabels(headings)
    read_only_table(t)
    hh = t.horizontalHeader()
    hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    hh.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    t.setWordWrap(True)
    return t


def _heading(text: str) -> QLabel:
    lab = QLabel(text)
    lab.setObjectName("sectionTitle")
    return lab


class SafeguardingTab(QWidget):
    refresh_areas = ("safeguarding", "incidents")

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.state: SafeguardingState | None = None
        self.dialog: Any = None
        self.confirm_marac: Callable[[QWidget], bool] = ask_marac_now
        self.setObjectName("safeguardingTab")
        self.setAccessibleName("Safeguarding")
        self.can_record = ctx.book.actor.can(Permission.RECORD_SAFEGUARDING)

        self.status_label = QLabel("Loading…")
        self.status_label.setObjectName("daStatus")
        self.status_label.setWordWrap(True)
        self.checklist_button = QPushButton("&Complete checklist…")
        self.checklist_button.setAccessibleName("Complete a domestic abuse risk checklist")
        self.checklist_button.clicked.connect(self.complete_checklist)
        top = QHBoxLayout()
        top.addWidget(self.status_label, 1)
        top.addWidget(self.checklist_button, 0, Qt.AlignmentFlag.AlignTop)

        self.marac_box = QFrame()
        self.marac_box.setObjectName("maracPrompt")
        self.marac_box.setFrameShape(QFrame.Shape.StyledPanel)
        mb = QHBoxLayout(self.marac_box)
        self.marac_text = QLabel()
        self.marac_text.setObjectName("problem")
        self.marac_text.setWordWrap(True)
        f = self.marac_text.font()
        f.setBold(True)
        self.marac_text.setFont(f)
        self.marac_button = QPushButton("Record &MARAC referral…")
        self.marac_button.setAccessibleName("Record the MARAC referral")
        self.marac_button.clicked.connect(self.record_marac)
        mb.addWidget(self.marac_text, 1)
        mb.addWidget(self.marac_button)
        self.marac_box.hide()

        self.read_only_note = QLabel(READ_ONLY)
        self.read_only_note.setObjectName("muted")
        self.read_only_note.setWordWrap(True)
        self.read_only_note.setVisible(not self.can_record)

        self.checklists = _table("checklistsTable", "Domestic abuse checklists, newest first",
                                 ["Completed", "Result", "Reason for the level", "Recorded by"], 2)
        self.referrals = _table("referralsTable", "Safeguarding and MARAC referrals, newest first",
                                ["Date", "Referral to", "Agency", "Reference", "Raised by", "Outcome"], 4)
        self.referral_button = QPushButton("Record &referral…")
        self.referral_button.setAccessibleName("Record a safeguarding referral")
        self.referral_button.clicked.connect(lambda: self.record_referral())
        self.outcome_button = QPushButton("Record &outcome…")
        self.outcome_button.setAccessibleName("Record the outcome of the chosen referral")
        self.outcome_button.clicked.connect(self.record_outcome)
        ref_head = QHBoxLayout()
        ref_head.addWidget(_heading("Safeguarding and MARAC referrals"), 1)
        ref_head.addWidget(self.outcome_button)
        ref_head.addWidget(self.referral_button)
        for b in (self.checklist_button, self.marac_button, self.referral_button, self.outcome_button):
            b.setEnabled(self.can_record)
            if not self.can_record:
                b.setToolTip(READ_ONLY)
        self.referrals.currentCellChanged.connect(lambda *_a: self._update_outcome_button())

        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.marac_box)
        lay.addWidget(self.read_only_note)
        lay.addWidget(_heading("Domestic abuse risk checklists"))
        lay.addWidget(self.checklists, 1)
        lay.addLayout(ref_head)
        lay.addWidget(self.referrals, 1)
        self.refresh()

    # -- loading ------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid = self.ctx.book, self.resident_id
        self.ctx.tasks.run(lambda: load_state(book, rid), self._loaded, lambda e: show_error(self, e))

    def _loaded(self, state: SafeguardingState) -> None:
        self.state = state
        st = state.status
        lines = [f"Domestic abuse: {checklist_words(st.current)}, checklist of {format_date(st.current.completed_on)}"
                 if st.current is not None else "Domestic abuse: no checklist completed yet.",
                 escalation_words(st.escalation) + "."]
        if st.marac_referrals:
            m = st.marac_referrals[0]
            lines.append(f"Last MARAC referral: {format_date(m.referred_on)}"
                         + (f", reference {m.reference}" if m.reference else "") + ".")
        self.status_label.setText("\n".join(lines))
        self.status_label.setAccessibleName(" ".join(lines))
        self.marac_box.setVisible(st.marac_due)
        if st.marac_due:
            self.marac_text.setText("⚠ " + st.prompt_text)
        self._fill_checklists(state.checklists)
        self._fill_referrals(state)

    def _fill_checklists(self, rows: list[Any]) -> None:
        self.checklists.setRowCount(max(1, len(rows)))
        if not rows:
            self._placeholder(self.checklists, "No checklist completed yet.")
            return
        for r, c in enumerate(rows):
            cells = [format_date(c.completed_on), ("⚠ " if c.level == "high" else "") + checklist_words(c),
                     c.judgement_reason or "—", c.recorded_by_name or "—"]
            for col, text in enumerate(cells):
                self.checklists.setItem(r, col, QTableWidgetItem(text))
        self.checklists.resizeRowsToContents()

    def _fill_referrals(self, state: SafeguardingState) -> None:
        rows = state.referrals
        self.referrals.setRowCount(max(1, len(rows)))
        if not rows:
            self._placeholder(self.referrals, "No referrals recorded.")
            self._update_outcome_button()
            return
        for r, x in enumerate(rows):
            raised = raised_by_words(x, state.links)
            if x.grounds:
                raised += f" — grounds: {grounds_words(x.grounds)}"
            cells = [format_date(x.referred_on), x.kind_label, x.agency, x.reference or "—", raised,
                     x.outcome or "Awaited"]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, x.id)
                item.setToolTip(text)
                self.referrals.setItem(r, col, item)
        self.referrals.resizeRowsToContents()
        self.referrals.setCurrentCell(0, 0)
        self._update_outcome_button()

    def _placeholder(self, table: QTableWidget, text: str) -> None:
        item = QTableWidgetItem(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        table.setItem(0, 0, item)
        for col in range(1, table.columnCount()):
            table.setItem(0, col, QTableWidgetItem(""))

    def chosen_referral(self) -> Any | None:
        row = self.referrals.currentRow()
        rows = self.state.referrals if self.state else []
        return rows[row] if 0 <= row < len(rows) else None

    def _update_outcome_button(self) -> None:
        self.outcome_button.setEnabled(self.can_record and self.chosen_referral() is not None)

    # -- recording ----------------------------------------------------------------------------
    def complete_checklist(self) -> None:
        from ui.incidents.checklist import ChecklistDialog

        if not self.can_record:
            return
        dlg = ChecklistDialog(self, self.ctx, self.resident_id)
        dlg.accepted.connect(lambda: self._checklist_saved(dlg.result_value))
        self._open(dlg)

    def _checklist_saved(self, checklist: Any) -> None:
        # (the dialog's "safeguarding" change has reloaded the tab: refresh_areas)
        if checklist is not None and checklist.marac_prompted and self.confirm_marac(self):
            grounds = "visible_high" if checklist.visible_high else "judgement"
            self.record_referral(kind="marac", grounds=grounds, link=f"checklist:{checklist.id}")

    def record_marac(self) -> None:
        st = self.state.status if self.state else None
        if st is None or not self.can_record:
            return
        grounds = st.marac_grounds[0] if st.marac_grounds else None
        link = f"checklist:{st.current.id}" if st.current is not None and grounds != "escalation" else None
        self.record_referral(kind="marac", grounds=grounds, link=link)

    def record_referral(self, *, kind: str | None = None, grounds: str | None = None, link: str | None = None) -> None:
        from ui.incidents.referral import ReferralDialog

        if not self.can_record:
            return
        dlg = ReferralDialog(self, self.ctx, self.resident_id, self.state.links if self.state else [],
                             kind=kind, grounds=grounds, link=link)
        self._open(dlg)

    def record_outcome(self) -> None:
        from ui.incidents.referral import OutcomeDialog

        referral = self.chosen_referral()
        if referral is None or not self.can_record:
            return
        dlg = OutcomeDialog(self, self.ctx, referral)
        self._open(dlg)

    def _open(self, dlg: QWidget) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dlg
        dlg.open()  # type: ignore[attr-defined]
