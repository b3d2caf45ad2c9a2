"""The risk assessment's versions: number, when, by whom, why and the level; choosing one shows it
as it was saved (read-only) with what changed from the one before; any two can be compared in words
(book.risk.diff). Keyboard: arrows choose a version, Alt+C compares, Esc closes."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_date, format_datetime
from keyworker.risk import RiskVersionInfo, RiskView
from ui.context import AppContext
from ui.errors import show_error
from ui.forms.dialog import fit_to_screen
from ui.risk.words import assessment_html, label_text
from ui.widgets.tables import read_only_table

COLUMNS = ["Version", "Saved", "By", "Why", "Level", "Review by"]


def changes_html(title: str, lines: list[str]) -> str:
    items = "".join(f"<li>{html.escape(x)}</li>" for x in lines) or "<li>Nothing changed.</li>"
    return f"<h3>{html.escape(title)}</h3><ul>{items}</ul>"


class RiskHistoryDialog(QDialog):
    def __init__(self, parent: QWidget | None, ctx: AppContext, current: RiskView) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.current = current
        self.versions: list[RiskVersionInfo] = []
        title = f"Risk assessment versions — {current.resident_name} ({current.reference})"
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("riskVersions")
        self.table.setAccessibleName("Versions of the risk assessment, newest first")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        read_only_table(self.table)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(lambda row, *_: self.show_version(row))
        self.detail = QTextBrowser()
        self.detail.setObjectName("riskVersion")
        self.detail.setAccessibleName("The chosen version, as it was saved (read only)")
        self.older = QComboBox()
        self.older.setAccessibleName("Compare from version")
        self.newer = QComboBox()
        self.newer.setAccessibleName("Compare to version")
        self.compare_button = QPushButton("&Compare")
        self.compare_button.setAccessibleName("Show what changed between the two versions")
        self.compare_button.clicked.connect(self.compare)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("What changed from"))
        bar.addWidget(self.older)
        bar.addWidget(QLabel("to"))
        bar.addWidget(self.newer)
        bar.addWidget(self.compare_button)
        bar.addStretch(1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setSizes([160, 420])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(split, 1)
        lay.addLayout(bar)
        lay.addWidget(buttons)
        self.resize(900, 680)
        fit_to_screen(self)
        book, aid = ctx.book, current.admission_id
        ctx.tasks.run(lambda: book.risk.history(aid), self._loaded, lambda exc: show_error(self, exc))

    def _loaded(self, versions: list[RiskVersionInfo]) -> None:
        self.versions = versions
        self.table.setRowCount(len(versions))
        for r, v in enumerate(versions):
            cells = [str(v.number), format_datetime(v.saved_at), v.saved_by or "—", v.reason or "First assessment",
                     label_text(v.overall_label), format_date(v.review_on)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        for combo in (self.older, self.newer):
            combo.clear()
            for v in versions:
                combo.addItem(f"Version {v.number}", v.version_id)
        self.newer.setCurrentIndex(0)
        self.older.setCurrentIndex(min(1, len(versions) - 1))
        self.compare_button.setEnabled(len(versions) > 1)
        if versions:
            self.table.setCurrentCell(0, 0)
            self.table.setFocus()

    def show_version(self, row: int) -> None:
        if not 0 <= row < len(self.versions):
            return
        v = self.versions[row]
        previous = self.versions[row + 1] if row + 1 < len(self.versions) else None
        book = self.ctx.book

        def load() -> tuple[RiskView, list[str] | None]:
            view = book.risk.version(v.version_id)
            return view, book.risk.diff(previous.version_id, v.version_id) if previous else None

        def show(result: tuple[RiskView, list[str] | None]) -> None:
            view, changes = result
            head = "" if changes is None else changes_html(
                f"What changed from version {previous.number if previous else ''}", changes)
            state = "the current version" if view.is_current else "an earlier version, read only"
            self.detail.setHtml(f"<h2>Version {view.number} ({state})</h2>{head}{assessment_html(view)}")

        self.ctx.tasks.run(load, show, lambda exc: show_error(self, exc))

    def compare(self) -> None:
        a, b = self.older.currentData(), self.newer.currentData()
        if not a or not b or a == b:
            self.detail.setHtml("<p>Choose two different versions to compare.</p>")
            return
        na, nb = self.older.currentText(), self.newer.currentText()
        numbers = {v.version_id: v.number for v in self.versions}
        if numbers.get(a, 0) > numbers.get(b, 0):  # always older → newer
            a, b, na, nb = b, a, nb, na
        book = self.ctx.book

        def show(lines: list[str]) -> None:
            self.detail.setHtml(changes_html(f"What changed from {na.lower()} to {nb.lower()}", lines))

        self.ctx.tasks.run(lambda: book.risk.diff(a, b), show, lambda exc: show_error(self, exc))

    def detail_text(self) -> str:
        return self.detail.toPlainText()
