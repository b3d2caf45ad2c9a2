"""The Documents tab: every document kept for the resident (letters, plans, summaries), newest
first, with what became of it in the outbox (not sent, waiting to send, sent when, needs
attention with the receiver's words in a tooltip, cancelled); open one to preview, print or save
it as PDF (each audited by the core)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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

from keyworker.audit_words import DOCUMENT_WORDS
from keyworker.clock import format_datetime
from keyworker.documents.store import DocumentInfo
from keyworker.outbox.queue import DeliveryState, not_sent
from ui.documents import show_pdf
from ui.widgets.tables import read_only_table

if TYPE_CHECKING:
    from ui.context import AppContext

def kind_label(kind: str) -> str:
    # One map of document kinds to words, shared with the History tab (keyworker/audit_words.py).
    return DOCUMENT_WORDS.get(kind, kind.replace("_", " ").capitalize())


def size_label(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


class DocumentsTab(QWidget):
    refresh_areas = ("residents", "care_plans", "reviews", "referrals", "outbox")
    DELIVERY_COLUMN = 4

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.docs: list[DocumentInfo] = []
        self.delivery: dict[str, DeliveryState] = {}
        self.viewer: Callable[..., Any] = show_pdf
        self.setObjectName("documentsTab")
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(("Title", "Kind", "Made", "Size", "Delivery"))
        self.table.setAccessibleName("Documents")
        read_only_table(self.table)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        v.addWidget(self.table, 1)
        self.empty = QLabel("No documents yet. A care plan, letter or resident summary is kept here once it is "
                            "printed, saved or sent (Print on the Care plan tab, Print summary on the Medication "
                            "tab); the Delivery column then says whether the outbox has sent it.")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        v.addWidget(self.empty)
        row = QHBoxLayout()
        self.open_button = QPushButton("&Open")
        self.print_button = QPushButton("&Print…")
        self.save_button = QPushButton("Save as P&DF…")
        for b, name in ((self.open_button, "Open document"), (self.print_button, "Print document"),
                        (self.save_button, "Save document as PDF")):
            b.setAccessibleName(name)
            row.addWidget(b)
        row.addStretch(1)
        v.addLayout(row)
        self.open_button.clicked.connect(lambda: self.open_selected())
        self.print_button.clicked.connect(lambda: self.open_selected("print"))
        self.save_button.clicked.connect(lambda: self.open_selected("save"))
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.refresh()

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid = self.ctx.book, self.resident_id
        self.ctx.tasks.run(lambda: (book.documents.list(resident_id=rid), book.documents.delivery(rid)),
                           self._loaded)

    def _loaded(self, result: tuple[list[DocumentInfo], dict[str, DeliveryState]]) -> None:
        docs, self.delivery = result
        self._show(docs)

    def delivery_of(self, doc: DocumentInfo) -> DeliveryState:
        return self.delivery.get(doc.id) or not_sent(doc.id)

    def _show(self, docs: list[DocumentInfo]) -> None:
        self.docs = docs
        self.table.setRowCount(len(docs))
        for i, d in enumerate(docs):
            state = self.delivery_of(d)
            for j, text in enumerate((d.title, kind_label(d.kind), format_datetime(d.created_at), size_label(d.size),
                                      state.label)):
                item = QTableWidgetItem(text)
                if j == self.DELIVERY_COLUMN:
                    item.setToolTip(state.detail or state.label)
                    item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, state.detail)
                    if state.state == "attention":
                        item.setText(f"⚠ {state.label}")
                self.table.setItem(i, j, item)
        self.table.setVisible(bool(docs))
        self.empty.setVisible(not docs)
        for b in (self.open_button, self.print_button, self.save_button):
            b.setVisible(bool(docs))  # nothing to open: no row of dead buttons
        if docs and self.table.currentRow() < 0:
            self.table.selectRow(0)
        self._update_buttons()

    def selected(self) -> DocumentInfo | None:
        row = self.table.currentRow()
        return self.docs[row] if 0 <= row < len(self.docs) else None

    def _update_buttons(self) -> None:
        has = self.selected() is not None
        for b in (self.open_button, self.print_button, self.save_button):
            b.setEnabled(has)

    def open_selected(self, then: str | None = None) -> Any:
        """Open the selected document's window; `then` = "print" or "save" starts that at once."""
        doc = self.selected()
        if doc is None:
            return None
        win = self.viewer(self.window(), self.ctx, doc.title, doc.id)
        if then == "print" and hasattr(win, "print_document"):
            win.print_document()
        elif then == "save" and hasattr(win, "save_document"):
            win.save_document()
        return win
