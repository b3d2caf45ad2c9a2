"""The plan's history: every version with who saved it, when and why; pick any two to see what
changed between them, section by section."""
from __future__ import annotations

from typing import Any

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
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_datetime
from keyworker.documents.store import Preview
from ui.care_plans.diff_view import DiffView
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets.tables import read_only_table


def version_label(v: Any) -> str:
    return f"Version {v.number} — {format_datetime(v.created_at)}"


class VersionHistory(QWidget):
    """Versions (newest first) and a diff between the two chosen in "Compare … with …"."""

    def __init__(self, ctx: AppContext, plan_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.plan_id = plan_id
        self.versions: list[Any] = []
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("versionsTable")
        self.table.setAccessibleName("Versions of the care plan, newest first")
        self.table.setHorizontalHeaderLabels(["Version", "Saved", "By", "Why it changed"])
        read_only_table(self.table)
        self.table.setWordWrap(True)
        hh = self.table.horizontalHeader()
        for c in range(3):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(self._row_chosen)

        self.older = QComboBox()
        self.older.setAccessibleName("Compare from version")
        self.newer = QComboBox()
        self.newer.setAccessibleName("Compare with version")
        self.older.currentIndexChanged.connect(self._compare)
        self.newer.currentIndexChanged.connect(self._compare)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Compare"))
        pick.addWidget(self.older, 1)
        pick.addWidget(QLabel("with"))
        pick.addWidget(self.newer, 1)
        self.diff = DiffView()
        self.diff.setObjectName("versionDiff")

        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addLayout(pick)
        bl.addWidget(self.diff, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(bottom)
        split.setStretchFactor(1, 2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(split)
        self.refresh()

    def refresh(self) -> None:
        book, plan_id = self.ctx.book, self.plan_id
        self.ctx.tasks.run(lambda: book.care_plans.versions(plan_id), self._show)

    def _show(self, versions: list[Any]) -> None:
        self.versions = list(versions)
        self.table.setRowCount(len(versions))
        for r, v in enumerate(versions):
            why = v.reason or ("First version" if v.number == 1 else "")
            if v.review_id:
                why = f"{why} (at a review)" if why else "Changed at a review"
            if not v.frozen:
                why = (why + " — draft, not yet complete").strip(" —")
            for c, text in enumerate([str(v.number), format_datetime(v.created_at), v.created_by_name or "—", why]):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, v.id)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        for combo in (self.older, self.newer):
            combo.blockSignals(True)
            combo.clear()
            for v in reversed(self.versions):
                combo.addItem(version_label(v), v.id)
            combo.blockSignals(False)
        n = len(self.versions)
        if n >= 2:
            self.older.setCurrentIndex(n - 2)
            self.newer.setCurrentIndex(n - 1)
            self._compare()
        else:
            self.diff.clear("There is only one version so far: nothing to compare yet.")

    def _row_chosen(self, row: int, *_: int) -> None:
        """Choosing a row compares that version with the one before it."""
        if row < 0 or row >= len(self.versions):
            return
        n = len(self.versions)
        idx = n - 1 - row  # the combos list oldest first
        if idx == 0:
            return
        self.older.blockSignals(True)
        self.older.setCurrentIndex(idx - 1)
        self.older.blockSignals(False)
        self.newer.setCurrentIndex(idx)
        self._compare()

    def compare(self, older_id: str, newer_id: str) -> None:
        self.older.blockSignals(True)
        self.older.setCurrentIndex(self.older.findData(older_id))
        self.older.blockSignals(False)
        self.newer.setCurrentIndex(self.newer.findData(newer_id))
        self._compare()

    def _compare(self) -> None:
        a, b = self.older.currentData(), self.newer.currentData()
        if not a or not b:
            return
        if a == b:
            self.diff.clear("Choose two different versions to see what changed.")
            return
        old_label, new_label = self.older.currentText(), self.newer.currentText()
        book = self.ctx.book
        self.ctx.tasks.run(lambda: book.care_plans.diff(a, b),
                           lambda changes: self.diff.set_changes(changes, old_label, new_label))


class VersionsDialog(QDialog):
    def __init__(self, ctx: AppContext, plan_id: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.plan_id = plan_id
        self.title = title
        self.pdf_dialog: QWidget | None = None
        self.setWindowTitle(f"Care plan history — {title}")
        self.setAccessibleName("Care plan history")
        self.history = VersionHistory(ctx, plan_id)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        self.print_button = QPushButton("&Print this version…")
        self.print_button.setAccessibleName("Preview, print or save the chosen version")
        self.print_button.clicked.connect(self.print_version)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        lay = QVBoxLayout(self)
        lay.addWidget(self.history, 1)
        lay.addWidget(buttons)
        self.resize(900, 680)

    def print_version(self) -> None:
        """The chosen row's version (the newest if none is chosen) as the resident's copy."""
        versions = self.history.versions
        if not versions:
            return
        row = self.history.table.currentRow()
        v = versions[row] if 0 <= row < len(versions) else versions[0]
        cp, plan_id, version_id = self.ctx.book.care_plans, self.plan_id, v.id
        title = f"Care plan — {self.title} — version {v.number}"

        def show(pdf: Preview) -> None:  # filed in Documents only when printed or saved
            from ui.documents import show_pdf

            self.pdf_dialog = show_pdf(self, self.ctx, title, pdf)

        self.ctx.tasks.run(lambda: cp.pdf(plan_id, version_id), show, lambda exc: show_error(self, exc))
