"""The follow-ups block at the bottom of the resident's Discharge tab (issue 13, 4.1.8): each 3- or
6-month follow-up with its status, and under it every try at reaching the person (how, when,
reached or not, by whom, what happened). Read off the UI thread; recording is on the Discharges &
follow-ups page. Shown only when the resident has follow-ups."""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from keyworker.clock import format_date, format_datetime
from ui.context import AppContext
from ui.errors import show_error

HEADINGS = ["Follow-up", "Due", "Status", "Tries, or what happened"]


class FollowUpsSection(QWidget):
    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.views: list[Any] = []
        self.setObjectName("followUpsSection")
        self.heading = QLabel("Follow-ups")
        self.heading.setObjectName("sectionTitle")
        self.tree = QTreeWidget()
        self.tree.setObjectName("followUpsTree")
        self.tree.setAccessibleName("The resident's follow-ups and the tries at reaching them")
        self.tree.setHeaderLabels(HEADINGS)
        self.tree.setRootIsDecorated(True)
        self.tree.setAlternatingRowColors(True)
        hh = self.tree.header()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setStretchLastSection(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 8, 0, 0)
        lay.addWidget(self.heading)
        lay.addWidget(self.tree)
        self.hide()

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid = self.ctx.book, self.resident_id
        self.ctx.tasks.run(lambda: book.follow_ups.for_resident(rid), self.show_views, self._failed)

    def _failed(self, exc: BaseException) -> None:
        show_error(self, exc)

    def show_views(self, views: list[Any]) -> None:
        self.views = views
        self.tree.clear()
        open_ = sum(1 for v in views if v.open)
        self.heading.setText(f"Follow-ups ({len(views)}, {open_} still open)" if views else "Follow-ups")
        for v in views:
            status = v.status_label + (f": {v.outcome_label}" if v.outcome else "")
            if v.open and v.overdue:
                status = "⚠ Overdue"
            elif not v.open:
                status += f" ({format_date(v.completed_on)})"
            tries = f"{len(v.attempts)} tr{'y' if len(v.attempts) == 1 else 'ies'}" + (f" — {v.note}" if v.note else "")
            top = QTreeWidgetItem([v.label, format_date(v.due_on), status, tries])
            for a in v.attempts:
                said = " — ".join(x for x in (a.note, f"by {a.by_name}" if a.by_name else "") if x)
                top.addChild(QTreeWidgetItem([f"{a.method_label} {format_datetime(a.at)}", "",
                                              "Reached" if a.reached else "Not reached", said]))
            self.tree.addTopLevelItem(top)
        self.tree.expandAll()
        rows = len(views) + sum(len(v.attempts) for v in views)
        self.tree.setFixedHeight(self.tree.header().sizeHint().height()
                                 + max(1, min(rows, 8)) * (self.tree.fontMetrics().height() + 10) + 6)
        self.setVisible(bool(views))


__all__ = ["FollowUpsSection"]
