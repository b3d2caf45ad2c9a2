"""The Outbox page: every letter and return waiting to leave the laptop, delivered, refused or
cancelled, with the chosen item's delivery attempts below the list. Seniors act on an item:
Retry now (Ctrl+R), Release from quarantine, Cancel… with a reason (Delete), Protect with a
password… (shown once). Anyone who sees the page may start a delivery pass ("Send now")."""
from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_datetime
from keyworker.outbox.service import (
    DESTINATION_OFF,
    NO_DESTINATION,
    STATUS_FILTERS,
    WHERE_TO_SET,
    AttemptView,
    OutboxItemView,
)
from keyworker.security.permissions import Permission
from ui.context import AppContext
from ui.word_search import WordSearchProxy
from ui.errors import show_error
from ui.widgets.row_model import RowsModel
from ui.widgets.tables import list_over_detail, read_only_table

FLEXIBLE = (3, 4, 7)  # recipient, destination, last error: they share the room the others leave
EMPTY = {"waiting": "Nothing is waiting to be sent.", "quarantined": "Nothing needs attention.",
         "delivered": "Nothing has been delivered yet.", "cancelled": "Nothing has been cancelled."}


def _who(v: OutboxItemView) -> str:
    """The recipient's name for the list (the role and address are in the detail below)."""
    return v.recipient.split(" <", 1)[0].split(" (", 1)[0]


class OutboxModel(RowsModel):
    headings = ("Status", "Kind", "Resident", "Recipient", "Destination", "Tries", "Next attempt", "Last error",
                "Receipt")

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        v: OutboxItemView = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return v.id
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 5:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        cells = (v.status_label, v.kind_label, v.reference or "—", _who(v), v.destination_name or "—",
                 str(v.attempts), format_datetime(v.next_attempt_at) or "—", (v.last_error or "").replace("\n", " "),
                 v.receipt or "")
        if role == Qt.ItemDataRole.ToolTipRole:
            return {3: v.recipient, 7: v.last_error, 8: v.receipt}.get(index.column()) or cells[index.column()]
        return cells[index.column()]

    def search_text(self, row: int) -> str:
        v: OutboxItemView = self.rows[row]
        return " ".join((v.title, v.status_label, v.kind_label, v.reference, v.recipient, v.destination_name,
                         v.last_error or "", v.receipt or "")).lower()

    def set_rows(self, rows: list[OutboxItemView]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()


class OutboxPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("outboxPage")
        self.setAccessibleName("Outbox")
        self.senior = ctx.book.actor.can(Permission.MANAGE_OUTBOX)
        title = QLabel("Outbox")
        title.setObjectName("pageTitle")
        self.subtitle = QLabel()
        self.subtitle.setObjectName("pageSubtitle")
        self.filter = QComboBox()
        self.filter.setObjectName("outboxFilter")
        self.filter.setAccessibleName("Show")
        for key, (words, _statuses) in STATUS_FILTERS.items():
            self.filter.addItem(words, key)
        self.filter.currentIndexChanged.connect(lambda _i: self.refresh())
        show = QLabel("S&how")
        show.setBuddy(self.filter)
        self.search = QLineEdit()
        self.search.setObjectName("outboxSearch")
        self.search.setPlaceholderText("Type a reference, recipient, kind or destination")
        self.search.setAccessibleName("Search the outbox")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(200)
        find = QLabel("&Search")
        find.setBuddy(self.search)
        self.send_button = QPushButton("Send &now")
        self.send_button.setObjectName("primary")
        self.send_button.setAccessibleName("Send now: try every waiting item that has a destination")
        self.send_button.setToolTip("Try every waiting item that has a destination, now")
        self.send_button.clicked.connect(self.send_now)
        bar = QHBoxLayout()
        bar.addWidget(show)
        bar.addWidget(self.filter)
        bar.addSpacing(12)
        bar.addWidget(find)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.send_button)

        self.notice = QLabel()
        self.notice.setObjectName("problem")
        self.notice.setWordWrap(True)
        self.notice.hide()

        self.model = OutboxModel(self)
        self.proxy = WordSearchProxy(lambda row: self.model.search_text(row), self)
        self.proxy.setSourceModel(self.model)
        self.search.textChanged.connect(self._search)
        self.search.returnPressed.connect(self._table_focus)
        from PySide6.QtWidgets import QTableView

        self.table = QTableView()
        self.table.setObjectName("outboxTable")
        self.table.setAccessibleName("Outbox items, newest first")
        self.table.setModel(self.proxy)
        read_only_table(self.table)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        # The short facts take what they need; the recipient, destination and error share the rest
        # (elided, with the full text as a tooltip and in the detail below).
        # Never narrower than its heading: when the window is too narrow the list scrolls sideways.
        hh = self.table.horizontalHeader()
        for col in (0, 1, 2, 5, 6, 8):
            hh.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        for col in FLEXIBLE:
            hh.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
        hh.setMinimumSectionSize(48)
        self.table.installEventFilter(self)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._selected())
        self.detail, self.split, self.empty = list_over_detail(
            self.table, "outboxDetail", "The chosen item and its delivery attempts", "")
        self.detail.setOpenLinks(False)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 1)
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.hide()

        self.retry_button = QPushButton("&Retry now")
        self.retry_button.setAccessibleName("Retry now (Ctrl+R)")
        self.retry_button.setToolTip("Try this item at the next delivery pass instead of waiting (Ctrl+R)")
        self.retry_button.clicked.connect(self.retry_now)
        self.release_button = QPushButton("Re&lease")
        self.release_button.setAccessibleName("Release from quarantine")
        self.release_button.setToolTip("Put an item the receiver refused back in line, once the problem is put right")
        self.release_button.clicked.connect(self.release)
        self.cancel_button = QPushButton("&Cancel…")
        self.cancel_button.setAccessibleName("Cancel sending this item (Delete)")
        self.cancel_button.setToolTip("Stop this item for good, with a reason (Delete)")
        self.cancel_button.clicked.connect(self.cancel)
        self.protect_button = QPushButton("&Protect with a password…")
        self.protect_button.setAccessibleName("Protect with a password")
        self.protect_button.setToolTip("Encrypt this PDF before it is emailed; the password is shown once")
        self.protect_button.clicked.connect(self.protect)
        actions = QHBoxLayout()
        for b in (self.retry_button, self.release_button, self.cancel_button, self.protect_button):
            actions.addWidget(b)
            b.setVisible(self.senior)
        actions.addStretch(1)
        self.act_retry = QAction("Retry now", self)
        self.act_retry.setShortcut(QKeySequence("Ctrl+R"))
        self.act_retry.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.act_retry.triggered.connect(self.retry_now)
        self.act_cancel = QAction("Cancel…", self.table)
        self.act_cancel.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.act_cancel.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.act_cancel.triggered.connect(self.cancel)
        if self.senior:
            self.addAction(self.act_retry)
            self.table.addAction(self.act_cancel)

        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(self.subtitle)
        lay.addLayout(bar)
        lay.addWidget(self.notice)
        lay.addWidget(self.split, 1)
        lay.addWidget(self.empty, 1)
        lay.addLayout(actions)
        self.setFocusProxy(self.search)
        self.rows: list[OutboxItemView] = []
        self._detail_for: str | None = None
        self.password_dialog: QWidget | None = None
        self.cancel_dialog: QWidget | None = None
        ctx.state.data_changed.connect(lambda area: self.refresh() if area == "outbox" else None)
        ctx.state.locked_changed.connect(self._locked)
        self._update_buttons()
        self.refresh()

    # -- what the main window calls --------------------------------------------------------------
    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def type_into_search(self, text: str) -> None:
        self.search.setFocus()
        self.search.insert(text)

    def show_filter(self, key: str) -> None:
        """Show one of STATUS_FILTERS ("waiting", "quarantined", ...)."""
        i = self.filter.findData(key)
        if i >= 0:
            self.filter.setCurrentIndex(i)

    # -- loading ---------------------------------------------------------------------------------
    def _status_key(self) -> str:
        return str(self.filter.currentData() or "waiting")

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, status = self.ctx.book, self._status_key()
        self.ctx.tasks.run(lambda: book.outbox.items(status=status), self._loaded, self._failed)

    def _locked(self, locked: bool) -> None:
        if locked:  # nothing of the list stays on screen or in memory behind the lock
            self.model.set_rows([])
            self._detail_for = None
            self.detail.clear()
        else:
            self.refresh()

    def _failed(self, exc: BaseException) -> None:
        show_error(self, exc)

    def _loaded(self, rows: list[OutboxItemView]) -> None:
        keep = self.current()
        self._detail_for = None  # the item may have changed: show it afresh
        self.rows = rows
        self.model.set_rows(rows)
        stuck = sum(1 for v in rows if v.status_label in (NO_DESTINATION, DESTINATION_OFF))
        if stuck:
            self.notice.setText(f"{stuck} item{' waits' if stuck == 1 else 's wait'} with no destination to go to. "
                                + WHERE_TO_SET)
        self.notice.setVisible(bool(stuck))
        self._search(self.search.text(), select=keep.id if keep else None)

    def _columns(self) -> None:
        """Only the columns that can say something in this view: no next attempt once nothing more
        will be tried, a receipt only for what was delivered."""
        key = self._status_key()
        self.table.setColumnHidden(6, key != "waiting")
        self.table.setColumnHidden(7, key == "delivered")
        self.table.setColumnHidden(8, key != "delivered")

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt override
        from PySide6.QtCore import QEvent

        if obj is self.table and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(obj, event)

    def _fit_columns(self) -> None:
        hh = self.table.horizontalHeader()
        shown = [c for c in FLEXIBLE if not self.table.isColumnHidden(c)]
        if not shown:
            return
        fixed = sum(hh.sectionSize(c) for c in range(self.model.columnCount())
                    if c not in FLEXIBLE and not self.table.isColumnHidden(c))
        room = max(0, self.table.viewport().width() - fixed) // len(shown)
        for c in shown:
            hh.resizeSection(c, max(room, hh.sectionSizeHint(c) + 8))

    def _search(self, text: str, select: str | None = None) -> None:
        self._columns()
        self.proxy.set_text(text)
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        words = self.filter.currentText().lower()
        self.subtitle.setText(f"{shown} item{'s' if shown != 1 else ''}" + (f" of {total}" if shown != total else "")
                              + f" · {words}")
        key = self._status_key()
        self.empty.setText("No items match the search." if total else EMPTY.get(key, "Nothing here."))
        self.empty.setVisible(shown == 0)
        self.split.setVisible(shown > 0)
        self._fit_columns()
        if shown:
            row = 0
            for r in range(shown):
                if select and self.proxy.data(self.proxy.index(r, 0), Qt.ItemDataRole.UserRole) == select:
                    row = r
            self.table.selectRow(row)
        self._selected()  # once per item shown: the same item again is not read (nor audited) twice

    def _table_focus(self) -> None:
        if self.proxy.rowCount():
            self.table.setFocus()

    # -- the chosen item -------------------------------------------------------------------------
    def current(self) -> OutboxItemView | None:
        idx = self.table.currentIndex()
        if not idx.isValid() or not self.proxy.rowCount():
            return None
        return self.model.rows[self.proxy.mapToSource(idx).row()]

    def _selected(self) -> None:
        v = self.current()
        self._update_buttons()
        if v is None:
            self._detail_for = None
            self.detail.clear()
            return
        if v.id == self._detail_for:
            return
        self._detail_for = v.id
        self.detail.setHtml(self._detail_html(v, None))
        book, item_id = self.ctx.book, v.id
        self.ctx.tasks.run(lambda: book.outbox.attempts(item_id), lambda rows: self._attempts(item_id, rows),
                           self._failed)

    def _attempts(self, item_id: str, rows: list[AttemptView]) -> None:
        v = self.current()
        if v is not None and v.id == item_id:
            self.detail.setHtml(self._detail_html(v, rows))

    @staticmethod
    def _detail_html(v: OutboxItemView, attempts: list[AttemptView] | None) -> str:
        e = html.escape
        facts = [("Status", v.status_label), ("Kind", v.kind_label), ("Resident", v.reference or "—"),
                 ("To", v.recipient), ("Destination", v.destination_name or "None set yet"),
                 ("Queued", format_datetime(v.created_at)), ("Tries", str(v.attempts))]
        if v.next_attempt_at:
            facts.append(("Next attempt", format_datetime(v.next_attempt_at)))
        if v.last_error:
            facts.append(("Last error", v.last_error))
        if v.delivered_at:
            facts.append(("Delivered", format_datetime(v.delivered_at)))
        if v.receipt:
            facts.append(("Receipt", v.receipt))
        if v.cancelled_reason:
            facts.append(("Cancelled because", v.cancelled_reason))
        if v.password_protect:
            facts.append(("Password", "Protected: the password was given by phone"))
        cell = "<td style='padding-right:10px;color:#5f6d75'>{}</td><td style='padding-right:28px'>{}</td>"
        pairs = [facts[i:i + 2] for i in range(0, len(facts), 2)]  # two facts a line: room for the attempts
        rows = "".join("<tr>" + "".join(cell.format(e(k), e(val)) for k, val in pair) + "</tr>" for pair in pairs)
        if attempts is None:
            tries = "<p style='color:#5f6d75'>Loading the delivery attempts…</p>"
        elif not attempts:
            tries = "<p style='color:#5f6d75'>No delivery attempt yet.</p>"
        else:
            tries = "<ul>" + "".join(f"<li>{e(a.text)}</li>" for a in attempts) + "</ul>"
        return f"<h3>{e(v.title)}</h3><table>{rows}</table><h4>Delivery attempts</h4>{tries}"

    def _update_buttons(self) -> None:
        v = self.current()
        self.retry_button.setEnabled(bool(v and v.can_retry))
        self.release_button.setEnabled(bool(v and v.can_release))
        self.cancel_button.setEnabled(bool(v and v.can_cancel))
        self.protect_button.setEnabled(bool(v and v.can_protect))
        self.act_retry.setEnabled(self.retry_button.isEnabled())
        self.act_cancel.setEnabled(self.cancel_button.isEnabled())

    # -- a senior's actions ----------------------------------------------------------------------
    def _act(self, work: Any) -> None:
        def done(_result: Any) -> None:
            self.ctx.state.data_changed.emit("outbox")

        self.ctx.tasks.run(work, done, self._failed)

    def retry_now(self) -> None:
        v = self.current()
        if not self.senior or v is None or not v.can_retry:
            return
        book, item_id = self.ctx.book, v.id
        self._act(lambda: book.outbox.retry_now(item_id))

    def release(self) -> None:
        v = self.current()
        if not self.senior or v is None or not v.can_release:
            return
        book, item_id = self.ctx.book, v.id
        self._act(lambda: book.outbox.release(item_id))

    def cancel(self) -> None:
        v = self.current()
        if not self.senior or v is None or not v.can_cancel:
            return
        from ui.outbox.cancel_dialog import CancelItemDialog

        dlg = CancelItemDialog(self.ctx, v, self)
        self.cancel_dialog = dlg
        dlg.open()

    # Asked before protecting; tests replace it.
    def confirm_protect(self, v: OutboxItemView) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, "Protect with a password",
                          f"Encrypt “{v.title}” with a new password now?\n\nThe password is shown once, for you "
                          "to give to the recipient by phone. It is not kept anywhere.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.button(QMessageBox.StandardButton.Yes).setText("Protect it")
        box.button(QMessageBox.StandardButton.No).setText("Go back")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    def protect(self) -> None:
        v = self.current()
        if not self.senior or v is None or not v.can_protect or not self.confirm_protect(v):
            return
        book, item_id, title = self.ctx.book, v.id, v.title

        def done(password: str) -> None:
            from ui.outbox.password_dialog import PasswordOnceDialog

            dlg = PasswordOnceDialog(password, title, self)
            self.password_dialog = dlg
            dlg.open()
            self.ctx.state.data_changed.emit("outbox")

        self.ctx.tasks.run(lambda: book.outbox.protect_with_password(item_id), done, self._failed)

    def send_now(self) -> None:
        """One delivery pass now. With the app's background sender running (ui/outbox_worker.py)
        it is asked to run at once: its network waits on its own thread and its database steps go
        to the one database thread. Without it (turned off), the pass runs as a database task."""
        self.send_button.setEnabled(False)
        self.send_button.setText("Sending…")

        def finished(_result: Any = None) -> None:
            self.send_button.setEnabled(True)
            self.send_button.setText("Send &now")
            self.ctx.state.data_changed.emit("outbox")

        worker = getattr(self.ctx.main_window, "outbox_worker", None)
        if worker is not None and worker.running:
            def ran(_report: Any) -> None:
                worker.ran.disconnect(ran)
                finished()

            worker.ran.connect(ran)
            worker.run_now()
            return

        def failed(exc: BaseException) -> None:
            finished()
            show_error(self, exc)

        book = self.ctx.book
        self.ctx.tasks.run(lambda: book.outbox.deliver_now(), finished, failed)


def _register() -> None:
    from ui.main_window import register_page

    register_page("outbox", "Outbox", OutboxPage, 60)


_register()
