"""The referrals inbox: open referrals waiting for a decision (5 working days from receipt) and
accepted ones waiting for admission, soonest deadline first. Near or over the deadline is shown in
words with an icon, never by colour alone. Actions: New referral, Accept, Decline, Admit (the
dialogs are in ui/referrals/dialogs.py). Also the Today section "Referral decisions due"."""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_date, format_datetime
from keyworker.security.permissions import Permission
from ui.context import AppContext
from ui.errors import show_error
from ui.today import TodayItem, register_today_section
from ui.widgets.tables import read_only_table

log = logging.getLogger("keyworker.ui")

try:  # the dialogs are another area's; without them the actions stay disabled
    from ui.referrals import dialogs
except ImportError as e:  # pragma: no cover - only while that area is missing
    log.warning("referral dialogs unavailable: %s", e)
    dialogs = None  # type: ignore[assignment]

Index = QModelIndex | QPersistentModelIndex
REFERRAL_ID_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("Received", "Name", "Referrer", "Category", "Decision due", "Working days left", "Status")
DEADLINE_COLUMN = 5
STATUS_TEXT = {"open": "Awaiting decision", "accepted": "Accepted — awaiting admission"}


def deadline_text(r: Any) -> str:
    """'Overdue by 2 working days', 'Due today', 'Due soon: 1 working day left', '4 working days left'."""
    left = r.working_days_left
    if left is None:
        if r.status == "open":
            return ""
        return {True: "Decided in time", False: "Decided late"}.get(r.decided_within_deadline, "Decided")
    if left < 0:
        return f"Overdue by {-left} working day{'s' * (left != -1)}"
    if left == 0:
        return "Due today"
    text = f"{left} working day{'s' * (left != 1)} left"
    return f"Due soon: {text}" if r.near_deadline else text


def referrer_tip(r: Any) -> str:
    """Who referred, from the list row; their contact details are in the opened referral."""
    parts = [r.referrer_name, r.referrer_organisation]
    return "\n".join(p for p in parts if p)


class ReferralsModel(QAbstractTableModel):
    """A small list (open and accepted referrals only), loaded whole on the database thread."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.items: list[Any] = []
        style = QApplication.style()
        self.warning_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.info_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)

    def set_items(self, items: list[Any]) -> None:
        """Waiting for a decision first (soonest deadline first), then accepted ones."""
        self.beginResetModel()
        self.items = sorted(items, key=lambda r: (r.status != "open", r.decision_due_on, r.received_at))
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS) and role in (
                Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return COLUMNS[section]
        return None

    def text(self, r: Any, column: int) -> str:
        return [
            format_date(r.received_at), r.name, r.referrer_name, r.category_label, format_date(r.decision_due_on),
            deadline_text(r), STATUS_TEXT.get(r.status, r.status.capitalize()),
        ][column]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.items) or not 0 <= index.column() < len(COLUMNS):
            return None
        r, col = self.items[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(r, col)
        if role == REFERRAL_ID_ROLE:
            return r.id
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{COLUMNS[col]}: {self.text(r, col) or 'none'}"
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 0:
                return (f"Received {format_datetime(r.received_at)}; counts as received on "
                        f"{format_date(r.counts_as_received_on)}")
            if col == 2:
                return referrer_tip(r)
            if col == DEADLINE_COLUMN and r.status == "open":
                return (f"The decision is due by the end of {r.decision_due_on:%A} {format_date(r.decision_due_on)}: "
                        "5 working days from receipt (weekends and bank holidays do not count).")
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == DEADLINE_COLUMN:
            if r.overdue or r.working_days_left == 0:
                return self.warning_icon
            if r.near_deadline:
                return self.info_icon
        return None


class ReferralsTable(QTableView):
    def __init__(self, page: ReferralsPage) -> None:
        super().__init__(page)
        self.page = page

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.page.default_action()
            return
        super().keyPressEvent(event)


class ReferralsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("referralsPage")
        self.setAccessibleName("Referrals")
        self.model = ReferralsModel(self)
        title = QLabel("Referrals")
        title.setObjectName("pageTitle")
        note = QLabel("A decision is due within 5 working days of receipt. Soonest deadline first.")
        note.setObjectName("muted")
        self.count = QLabel()
        self.count.setObjectName("muted")
        self.count.setAccessibleName("Referrals waiting")

        self.new_button = self._button("&New referral…", "Record a referral as it arrives", self.new_referral)
        self.accept_button = self._button("&Accept…", "Accept the selected referral", lambda: self.decide("accept"))
        self.decline_button = self._button("D&ecline…", "Decline the selected referral with reasons in writing",
                                           lambda: self.decide("decline"))
        self.admit_button = self._button("A&dmit…", "Admit the selected accepted referral", self.admit)
        self.refresh_button = self._button("&Refresh", "Refresh the referrals", self.refresh)
        self.new_button.setObjectName("primary")

        self.table = ReferralsTable(self)
        self.table.setObjectName("referralsTable")
        self.table.setAccessibleName("Referrals waiting for a decision or admission")
        self.table.setModel(self.model)
        read_only_table(self.table)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for i, w in enumerate((95, 175, 150, 85, 105, 225)):
            self.table.setColumnWidth(i, w)
        self.table.doubleClicked.connect(lambda _i: self.default_action())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_actions())

        buttons = QHBoxLayout()
        for b in (self.new_button, self.accept_button, self.decline_button, self.admit_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(note)
        lay.addLayout(buttons)
        lay.addWidget(self.count)
        lay.addWidget(self.table, 1)
        self.setFocusProxy(self.table)

        ctx.state.data_changed.connect(lambda area: self.refresh() if area in ("referrals", "residents") else None)
        ctx.state.actor_changed.connect(self.refresh)
        ctx.state.locked_changed.connect(lambda locked: None if locked else self.refresh())
        self._generation = 0
        self.refresh()

    def _button(self, text: str, name: str, slot: Any) -> QPushButton:
        b = QPushButton(text)
        b.setAccessibleName(name)
        b.clicked.connect(slot)
        return b

    # -- data --------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        self._generation += 1
        gen, book = self._generation, self.ctx.book
        self.ctx.tasks.run(lambda: book.referrals.list_open(include_accepted=True),
                           lambda items: self._loaded(gen, items), lambda exc: show_error(self, exc))

    def _loaded(self, gen: int, items: list[Any]) -> None:
        if gen != self._generation:
            return
        keep = self.selected()
        self.model.set_items(items)
        waiting = sum(1 for r in items if r.status == "open")
        overdue = sum(1 for r in items if r.overdue)
        text = f"{waiting} waiting for a decision"
        if overdue:
            text += f" ({overdue} overdue)"
        text += f"; {len(items) - waiting} accepted, waiting for admission"
        self.count.setText(text)
        row = next((i for i, r in enumerate(self.model.items) if keep is not None and r.id == keep.id),
                   0 if items else -1)
        if row >= 0:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._update_actions()

    def selected(self) -> Any:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= len(self.model.items):
            return None
        return self.model.items[index.row()]

    def _update_actions(self) -> None:
        actor, r = self.ctx.book.actor, self.selected()
        missing = "The referral dialogs are not available in this version." if dialogs is None else None

        def set_state(button: QPushButton, enabled: bool, why: str, ok_tip: str) -> None:
            button.setEnabled(missing is None and enabled)
            button.setToolTip(missing or (ok_tip if enabled else why))

        set_state(self.new_button, actor.can(Permission.RECORD_REFERRALS),
                  "Your role cannot record referrals.", "Record a referral as it arrives")
        can_decide = actor.can(Permission.DECIDE_REFERRALS)
        is_open = r is not None and r.status == "open"
        why = ("Only a senior (manager) can accept or decline a referral." if not can_decide else
               "Choose a referral waiting for a decision." if not is_open else "")
        set_state(self.accept_button, can_decide and is_open, why, "Accept the selected referral")
        set_state(self.decline_button, can_decide and is_open, why,
                  "Decline with reasons in writing: a letter to the referrer is made")
        can_admit = actor.can(Permission.ADMIT)
        accepted = r is not None and r.status == "accepted"
        set_state(self.admit_button, can_admit and accepted,
                  "Your role cannot admit residents." if not can_admit else "Choose an accepted referral to admit.",
                  "Admit the selected referral: creates the resident's record")

    # -- actions -----------------------------------------------------------------------------
    def new_referral(self) -> None:
        if dialogs is not None and dialogs.ReferralDialog.ask(self, self.ctx) is not None:
            self.refresh()

    def _open_referral(self, row: Any, then: Any) -> None:
        """The list row has only what the list shows: load the whole referral (audited as
        referral.view) on the database thread, then open its dialog."""
        book = self.ctx.book
        self.ctx.tasks.run(lambda: book.referrals.get(row.id), then, lambda exc: show_error(self, exc))

    def decide(self, choice: str) -> None:
        r = self.selected()
        if dialogs is None or r is None or r.status != "open":
            return
        self._open_referral(r, lambda full: self._decide(full, choice))

    def _decide(self, referral: Any, choice: str) -> None:
        if dialogs is None or self.ctx.state.locked:
            return
        dlg = dialogs.DecisionDialog(self, self.ctx, referral)
        dlg.choice.set_value(choice)
        if dlg.exec() == dialogs.DecisionDialog.DialogCode.Accepted.value:
            self.refresh()

    def admit(self) -> None:
        r = self.selected()
        if dialogs is None or r is None or r.status != "accepted":
            return
        self._open_referral(r, self._admit)

    def _admit(self, referral: Any) -> None:
        if dialogs is None or self.ctx.state.locked:
            return
        record = dialogs.AdmitDialog.ask(self, self.ctx, referral)
        if record is not None:
            self.refresh()
            rid = getattr(record, "id", None)
            if rid:
                self.ctx.open_resident(rid)

    def default_action(self) -> None:
        """Enter or double-click: the next step for the selected referral, if this user may take it."""
        if self.accept_button.isEnabled():
            self.decide("")
        elif self.admit_button.isEnabled():
            self.admit()


def decisions_due(book: Any) -> list[TodayItem]:
    """Today: open referrals for those who decide them, soonest deadline first."""
    if not book.actor.can(Permission.DECIDE_REFERRALS):
        return []
    items = []
    for r in book.referrals.list_open():
        left = r.working_days_left
        when = "" if left is None or left < 0 else " (today is the last day)" if left == 0 else (
            f" ({left} working day{'s' * (left != 1)} left)")
        items.append(TodayItem(text=f"Decide on the referral for {r.name} ({r.category_label}, from "
                                    f"{r.referrer_name}){when}",
                               resident_id=None, due=r.decision_due_on, overdue=r.overdue,
                               open=lambda ctx, parent, rid=r.id: open_decision(ctx, parent, rid)))
    return items


def open_decision(ctx: AppContext, parent: QWidget, referral_id: str) -> None:
    """A Today row: load the referral (audited as referral.view) off the UI thread and open its
    decision dialog; a decision recorded there refreshes every view of referrals."""
    if dialogs is None:
        return
    book = ctx.book

    def show(referral: Any) -> None:
        if dialogs is not None and not ctx.locked_now():
            dlg = dialogs.DecisionDialog(parent, ctx, referral)
            dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dlg.open()

    ctx.tasks.run(lambda: book.referrals.get(referral_id), show, lambda exc: show_error(parent, exc))


def _register() -> None:
    from ui.main_window import register_page

    register_page("referrals", "Referrals", ReferralsPage, 30)
    register_today_section("referral_decisions", "Referral decisions due", decisions_due, 20,
                           permission=Permission.DECIDE_REFERRALS)


_register()
