"""The referrals list: by default those still to act on (waiting for a decision, due 5 working
days from receipt, or accepted and waiting for admission), soonest deadline first; a filter
(remembered) shows the declined, the admitted or all of them, and a search box finds a person or a
referrer as you type. Near or over the deadline is shown in words with an icon, never by colour
alone. Enter or a double-click opens the referral to read or correct it; the actions are New
referral, Open, Accept, Decline and Admit (the dialogs are in ui/referrals/dialogs.py). Also the
Today section "Referral decisions due"."""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, QSettings, Qt
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from keyworker import reference_data as ref
from keyworker.clock import format_date, format_datetime, to_local
from keyworker.security.permissions import Permission
from ui.context import AppContext
from ui.errors import show_error
from ui.forms import BusyBar, ChoiceCombo
from ui.today import TodayItem, register_today_section
from ui.widgets.row_model import RowsModel
from ui.widgets.tables import read_only_table

log = logging.getLogger("keyworker.ui")

try:  # the dialogs are another area's; without them the actions stay disabled
    from ui.referrals import dialogs
except ImportError as e:  # pragma: no cover - only while that area is missing
    log.warning("referral dialogs unavailable: %s", e)
    dialogs = None  # type: ignore[assignment]

Index = QModelIndex | QPersistentModelIndex
REFERRAL_ID_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("Received", "Name", "Referrer", "Category", "Decision due", "Status", "Assessed")
STATUS_COLUMN = 5
ASSESSED_COLUMN = 6  # pre-admission assessment recorded (keyworker.pre_admission)
ASSESSED_WIDTH, NAME_ROOM = 96, 130
DEADLINE_COLUMN = STATUS_COLUMN  # where the deadline is told (with its icon) while a decision waits
STATUS_TEXT = {"accepted": "Accepted, awaiting admission", "declined": "Declined", "admitted": "Admitted"}
# The list's filter (keys of keyworker.referrals.LIST_FILTERS), in the words of the Show box.
SHOW = (
    ("current", "Open: waiting for a decision or admission"),
    ("open", "Waiting for a decision"),
    ("accepted", "Accepted, waiting for admission"),
    ("declined", "Declined"),
    ("admitted", "Admitted"),
    ("all", "All referrals"),
)
SHOW_SETTING = "referrals/show"
HEADER_PAD = 28  # a heading's margins in the stylesheet


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


def status_text(r: Any) -> str:
    """The Status column: the deadline while a decision waits, else what was decided."""
    if r.status == "open":
        return deadline_text(r)
    return STATUS_TEXT.get(r.status, r.status.capitalize())


def status_tip(r: Any) -> str:
    if r.status == "open":
        return (f"Waiting for a decision, due by the end of {r.decision_due_on:%A} {format_date(r.decision_due_on)}: "
                "5 working days from receipt (weekends and bank holidays do not count).")
    when = f" on {format_date(to_local(r.decided_at).date())}" if getattr(r, "decided_at", None) else ""
    verdict = "Declined" if r.status == "declined" else "Accepted"
    timing = {True: ", within the 5 working days", False: ", after the 5 working days"}.get(
        r.decided_within_deadline, "")
    tail = {"accepted": "; waiting for admission.", "admitted": "; admitted."}.get(r.status, ".")
    return f"{verdict}{when}{timing}{tail}"


def referrer_tip(r: Any) -> str:
    """Who referred, from the list row; their contact details are in the opened referral."""
    parts = [r.referrer_name, r.referrer_organisation]
    return "\n".join(p for p in parts if p)


class ReferralsModel(RowsModel):
    """The rows the list shows, in the order the core gives them, loaded on the database thread."""

    headings = COLUMNS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        style = QApplication.style()
        self.warning_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.info_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)

    def set_items(self, items: list[Any]) -> None:
        self.beginResetModel()
        self.rows = list(items)
        self.endResetModel()

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def text(self, r: Any, column: int) -> str:
        return [
            format_date(r.received_at), r.name, r.referrer_name, r.category_label, format_date(r.decision_due_on),
            status_text(r), "✓ Yes" if r.pre_admission_done else "No",
        ][column]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows) or not 0 <= index.column() < len(COLUMNS):
            return None
        r, col = self.rows[index.row()], index.column()
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
            if col in (1, 2):  # elided when narrow: the tooltip has it whole
                return r.name if col == 1 else referrer_tip(r)
            if col == STATUS_COLUMN:
                return status_tip(r) + ("" if r.pre_admission_done else "\nNo pre-admission assessment yet.")
            if col == ASSESSED_COLUMN:
                return ("A pre-admission assessment is recorded." if r.pre_admission_done else
                        "No pre-admission assessment yet (contract 4.1.3): choose Pre-admission… to record it.")
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == STATUS_COLUMN:
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

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        # "Assessed" only where the names still fit whole; narrower, the count line and the
        # Status tooltip say which referrals have no pre-admission assessment yet.
        fixed = sum(self.columnWidth(c) for c in range(len(COLUMNS)) if c not in (1, 2, ASSESSED_COLUMN))
        self.setColumnHidden(ASSESSED_COLUMN, self.viewport().width() - fixed - ASSESSED_WIDTH < 2 * NAME_ROOM)


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
        note.setWordWrap(True)
        self.count = QLabel()
        self.count.setObjectName("muted")
        self.count.setAccessibleName("Referrals shown")
        self.count.setWordWrap(True)

        self.new_button = self._button("&New referral…", "Record a referral as it arrives", self.new_referral)
        self.open_button = self._button("&Open…", "Open the selected referral to read or correct it",
                                        self.open_referral)
        self.accept_button = self._button("&Accept…", "Accept the selected referral", lambda: self.decide("accept"))
        self.decline_button = self._button("D&ecline…", "Decline the selected referral with reasons in writing",
                                           lambda: self.decide("decline"))
        self.admit_button = self._button("A&dmit…", "Admit the selected accepted referral", self.admit)
        self.assess_button = self._button("&Pre-admission…",
                                          "Record or read the selected referral's pre-admission assessment",
                                          self.pre_admission)
        self.refresh_button = self._button("&Refresh", "Refresh the referrals", self.refresh)
        self.new_button.setObjectName("primary")

        self.show_box = ChoiceCombo(SHOW, blank=None)
        self.show_box.setAccessibleName("Show which referrals")
        self.show_box.setSizeAdjustPolicy(ChoiceCombo.SizeAdjustPolicy.AdjustToContents)
        saved = QSettings().value(SHOW_SETTING)
        self.show_box.set_value(saved if saved in dict(SHOW) else "current")
        self.show_box.value_changed.connect(self._show_changed)
        self.search = QLineEdit()
        self.search.setObjectName("referralSearch")
        self.search.setPlaceholderText("Name of the person or the referrer")
        self.search.setAccessibleName("Find a referral by name")
        self.search.setClearButtonEnabled(True)
        self.search.setMaxLength(100)
        self.search.textChanged.connect(lambda _t: self.refresh())
        show_label, find_label = QLabel("&Show"), QLabel("&Find")
        show_label.setBuddy(self.show_box)
        find_label.setBuddy(self.search)

        self.table = ReferralsTable(self)
        self.table.setObjectName("referralsTable")
        self.table.setAccessibleName("Referrals")
        self.table.setModel(self.model)
        read_only_table(self.table)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self._size_columns()
        self.table.doubleClicked.connect(lambda _i: self.default_action())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_actions())
        self.busy = BusyBar(self)  # shown only if a list takes over half a second

        buttons = QHBoxLayout()
        for b in (self.new_button, self.open_button, self.assess_button, self.accept_button, self.decline_button,
                  self.admit_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        filters = QHBoxLayout()
        filters.addWidget(show_label)
        filters.addWidget(self.show_box)
        filters.addSpacing(12)
        filters.addWidget(find_label)
        filters.addWidget(self.search, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(note)
        lay.addLayout(buttons)
        lay.addLayout(filters)
        lay.addWidget(self.count)
        lay.addWidget(self.busy)
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

    def _size_columns(self) -> None:
        """Dates, category and status get the width of their longest text; the names share the
        rest, so at 1024 px nothing needs a sideways scroll (a cut name has its tooltip)."""
        header = self.table.horizontalHeader()
        bold = QFont(header.font())
        bold.setBold(True)  # the stylesheet's headings are bold
        fm, hfm = self.table.fontMetrics(), QFontMetrics(bold)
        pad, icon = 20, self.table.iconSize().width() or 16

        def width(texts: list[str], column: int, extra: int = 0) -> int:
            return max(max(fm.horizontalAdvance(t) for t in texts) + extra + pad,
                       hfm.horizontalAdvance(COLUMNS[column]) + HEADER_PAD)

        statuses = ["Due soon: 1 working day left", "Overdue by 10 working days", *STATUS_TEXT.values()]
        fixed = {0: width(["00/00/0000"], 0), 3: width([o.label for o in ref.admission_categories()], 3),
                 4: width(["00/00/0000"], 4), STATUS_COLUMN: width(statuses, STATUS_COLUMN, icon + 4),
                 ASSESSED_COLUMN: ASSESSED_WIDTH}
        header.setStretchLastSection(False)
        for col in range(len(COLUMNS)):
            if col in fixed:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
                self.table.setColumnWidth(col, fixed[col])
            else:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)

    # -- data --------------------------------------------------------------------------------
    def _show_changed(self) -> None:
        QSettings().setValue(SHOW_SETTING, self.show_box.value())
        self.refresh()

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        self._generation += 1
        gen, book = self._generation, self.ctx.book
        show, text = self.show_box.value() or "current", self.search.text().strip() or None
        self.busy.start()
        self.ctx.tasks.run(lambda: book.referrals.list(show, text),
                           lambda items: self._loaded(gen, show, text, items), self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.busy.stop()
        show_error(self, exc)

    def _loaded(self, gen: int, show: str, text: str | None, items: list[Any]) -> None:
        if gen != self._generation:
            return
        self.busy.stop()
        keep = self.selected()
        self.model.set_items(items)
        self.count.setText(self._count_text(show, text, items))
        row = next((i for i, r in enumerate(self.model.rows) if keep is not None and r.id == keep.id),
                   0 if items else -1)
        if row >= 0:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._update_actions()

    @staticmethod
    def _count_text(show: str, text: str | None, items: list[Any]) -> str:
        matching = f" matching “{text}”" if text else ""
        if show == "current" and not text:
            waiting = sum(1 for r in items if r.status == "open")
            overdue = sum(1 for r in items if r.overdue)
            out = f"{waiting} waiting for a decision"
            if overdue:
                out += f" ({overdue} overdue)"
            out += f"; {len(items) - waiting} accepted, waiting for admission"
            unassessed = sum(1 for r in items if not r.pre_admission_done)
            return out + (f"; {unassessed} without a pre-admission assessment" if unassessed else "")
        if not items:
            return f"No referral{matching} here. Choose “All referrals” in Show to look through every one." \
                if show != "all" else f"No referral{matching}."
        label = dict(SHOW)[show].split(":")[0].lower()
        n = len(items)
        return f"{n} referral{'s' * (n != 1)}{matching} ({label})"

    def selected(self) -> Any:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= len(self.model.rows):
            return None
        return self.model.rows[index.row()]

    def _update_actions(self) -> None:
        actor, r = self.ctx.book.actor, self.selected()
        missing = "The referral dialogs are not available in this version." if dialogs is None else None

        def set_state(button: QPushButton, enabled: bool, why: str, ok_tip: str) -> None:
            button.setEnabled(missing is None and enabled)
            button.setToolTip(missing or (ok_tip if enabled else why))

        set_state(self.new_button, actor.can(Permission.RECORD_REFERRALS),
                  "Your role cannot record referrals.", "Record a referral as it arrives")
        set_state(self.open_button, r is not None, "Choose a referral to open.",
                  "Read the whole referral; correct it while it waits for a decision or admission (Enter)")
        can_decide = actor.can(Permission.DECIDE_REFERRALS)
        is_open = r is not None and r.status == "open"
        why = ("Only a senior (manager) can accept or decline a referral." if not can_decide else
               "Choose a referral waiting for a decision." if not is_open else "")
        set_state(self.accept_button, can_decide and is_open, why, "Accept the selected referral")
        set_state(self.decline_button, can_decide and is_open, why,
                  "Decline with reasons in writing: a letter to the referrer is made")
        set_state(self.assess_button, r is not None, "Choose a referral.",
                  "The pre-admission assessment (contract 4.1.3): record it, or read and correct it")
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

    def open_referral(self) -> None:
        """Enter, a double-click or Open: the whole referral, to read or correct."""
        r = self.selected()
        if dialogs is None or r is None:
            return
        self._open_referral(r, self._show_referral)

    def _show_referral(self, referral: Any) -> None:
        if dialogs is None or self.ctx.state.locked:
            return
        dlg = dialogs.ReferralDialog(self, self.ctx, referral)
        if dlg.exec() == dialogs.ReferralDialog.DialogCode.Accepted.value:
            self.refresh()
        elif dlg.next_step == "decide":
            self._decide(referral, "")
        elif dlg.next_step == "admit":
            self._admit(referral)

    def pre_admission(self) -> None:
        from ui.key_work.pre_admission_dialog import open_pre_admission

        r = self.selected()
        if r is not None and not self.ctx.state.locked:
            open_pre_admission(self.ctx, self, r.id, r.name, then=self.refresh)

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
        """Enter or double-click: open the selected referral."""
        self.open_referral()


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
