"""The Handover page: the unit's notes and incidents since a chosen time (default: the start of
the previous shift), notes flagged for the next shift first. Enter or double-click opens the
resident's Notes tab; "Acknowledge" clears a flag (who and when are kept)."""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from keyworker.notes import Handover, HandoverItem
from keyworker.security.permissions import Permission
from keyworker.shifts import current_shift
from ui.errors import show_error
from ui.forms import UkDateTimeEdit
from ui.forms.dialog import BusyBar
from ui.widgets.row_model import RowsModel
from ui.widgets.tables import read_only_table

if TYPE_CHECKING:
    from ui.context import AppContext

Index = QModelIndex | QPersistentModelIndex
FLAG = "⚑ For the next shift"
SINCE_CHOICES = (("previous", "The start of the previous shift"), ("current", "The start of this shift"),
                 ("day", "The last 24 hours"), ("chosen", "A time I choose"))


class HandoverModel(RowsModel):
    headings = ("Resident", "When", "What", "Written", "By")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        h: HandoverItem = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            # Name over reference and date over time: the narrow columns leave the note its width.
            return (f"{h.resident_name}\n{h.reference}", h.when_text.replace(" ", "\n", 1),
                    f"{FLAG}\n{h.title}" if h.flagged else h.title, h.text, h.by_name)[index.column()]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return (f"{h.resident_name} ({h.reference})", h.when_text,
                    f"{FLAG}, {h.title}" if h.flagged else h.title, h.text, h.by_name)[index.column()]
        if role == Qt.ItemDataRole.FontRole and h.flagged and index.column() == 2:
            from PySide6.QtGui import QFont

            f = QFont()
            f.setBold(True)
            return f
        return None


class HandoverPage(QWidget):
    refresh_areas = ("notes", "incidents")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.handover: Handover | None = None
        v = QVBoxLayout(self)
        title = QLabel("Handover")
        title.setObjectName("pageTitle")
        v.addWidget(title)
        row = QHBoxLayout()
        since_label = QLabel("&Since")
        self.since = QComboBox()
        for key, words in SINCE_CHOICES:
            self.since.addItem(words, key)
        self.since.setAccessibleName("Since")
        since_label.setBuddy(self.since)
        self.when = UkDateTimeEdit(ctx.book.clock.now() - timedelta(hours=12))
        self.when.setAccessibleName("Since this time")
        self.when.hide()  # shown for "A time I choose"
        self.show_button = QPushButton("S&how")
        self.show_button.clicked.connect(self.refresh)
        row.addWidget(since_label)
        row.addWidget(self.since)
        row.addWidget(self.when)
        row.addWidget(self.show_button)
        row.addStretch(1)
        self.ack = QPushButton("&Acknowledge")
        self.ack.setToolTip("Mark the selected note for the next shift as read and acted on")
        self.ack.setEnabled(False)
        self.ack.setVisible(ctx.book.actor.can(Permission.WRITE_NOTES))
        self.ack.clicked.connect(self.acknowledge)
        self.open_button = QPushButton("&Open record")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_current)
        row.addWidget(self.ack)
        row.addWidget(self.open_button)
        v.addLayout(row)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        v.addWidget(self.summary)
        self.busy = BusyBar(self)
        v.addWidget(self.busy)
        self.model = HandoverModel(self)
        self.table = QTableView()
        read_only_table(self.table)
        self.table.setModel(self.model)
        self.table.setWordWrap(True)
        self.table.setAccessibleName("Handover notes and incidents")
        header = self.table.horizontalHeader()
        for col in (0, 1, 2, 4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.activated.connect(lambda _i: self.open_current())
        self.table.selectionModel().currentChanged.connect(lambda *_a: self._update_buttons())
        v.addWidget(self.table, 1)
        self.since.currentIndexChanged.connect(self._since_changed)
        self.refresh()

    def _since_changed(self) -> None:
        chosen = self.since.currentData() == "chosen"
        self.when.setVisible(chosen)
        if chosen:
            self.when.setFocus()
        else:
            self.refresh()

    def _since_value(self) -> Any:
        key = self.since.currentData()
        now = self.ctx.book.clock.now()
        if key == "current":
            return current_shift(now).at  # the default shift times; the unit's own are in "previous"
        if key == "day":
            return now - timedelta(hours=24)
        if key == "chosen":
            return self.when.value()
        return None

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, since = self.ctx.book, self._since_value()
        self.busy.start()
        self.ctx.tasks.run(lambda: book.notes.handover(since), self._loaded, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.busy.stop()
        show_error(self, exc)

    def _loaded(self, h: Handover) -> None:
        self.busy.stop()
        self.handover = h
        self.model.beginResetModel()
        self.model.rows = list(h.items)
        self.model.endResetModel()
        flagged = sum(1 for i in h.items if i.flagged)
        n = len(h.items)
        self.summary.setText(f"Since {h.since_words}: {n} entr{'y' if n == 1 else 'ies'}"
                             + (f", {flagged} for the next shift (shown first)." if flagged else ".")
                             if n else f"Nothing written since {h.since_words}.")
        self._update_buttons()

    def current(self) -> HandoverItem | None:
        i = self.table.currentIndex()
        return self.model.rows[i.row()] if i.isValid() else None

    def _update_buttons(self) -> None:
        h = self.current()
        self.open_button.setEnabled(h is not None)
        self.ack.setEnabled(h is not None and h.flagged)

    def open_current(self) -> None:
        h = self.current()
        if h is not None:
            self.ctx.open_resident(h.resident_id, "notes")

    def acknowledge(self) -> None:
        h = self.current()
        if h is None or not h.flagged:
            return
        book = self.ctx.book

        def done(_v: Any) -> None:
            self.ctx.state.data_changed.emit("notes")
            self.refresh()

        self.ctx.tasks.run(lambda: book.notes.acknowledge(h.record_id), done, self._failed)
