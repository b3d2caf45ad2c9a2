"""The Today page: what this user must do now. Each area contributes a section through
`register_today_section(key, title, fetch(book) -> list[TodayItem], order)`."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_date, local_today
from keyworker.security.permissions import Permission
from ui.context import AppContext

log = logging.getLogger("keyworker.ui")

MAX_VISIBLE_ROWS = 8  # longer lists scroll; the page stays a summary


@dataclass(frozen=True)
class TodayItem:
    text: str
    resident_id: str | None = None
    due: date | None = None
    overdue: bool = False


@dataclass(frozen=True)
class TodaySection:
    key: str
    title: str
    fetch: Callable[[Any], list[TodayItem]]
    order: int
    permission: Permission | None = Permission.VIEW_RESIDENTS  # shown only to roles with it


_SECTIONS: dict[str, TodaySection] = {}


def register_today_section(key: str, title: str, fetch: Callable[[Any], list[TodayItem]], order: int = 100,
                           permission: Permission | None = Permission.VIEW_RESIDENTS) -> None:
    """Add (or replace) a section of the Today page. `fetch(book)` runs on the database thread.
    Sections are about residents unless they say otherwise: `permission` is what a role needs to see it."""
    _SECTIONS[key] = TodaySection(key, title, fetch, order, permission)


def today_sections() -> list[TodaySection]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.title))


def item_label(item: TodayItem) -> str:
    parts = [item.text]
    if item.due is not None:
        parts.append(f"overdue since {format_date(item.due)}" if item.overdue else f"due {format_date(item.due)}")
    elif item.overdue:
        parts.append("overdue")
    return " — ".join(parts)


def _fetch_all(book: Any, sections: list[TodaySection]) -> list[tuple[TodaySection, list[TodayItem] | None]]:
    out: list[tuple[TodaySection, list[TodayItem] | None]] = []
    for section in sections:
        try:
            out.append((section, list(section.fetch(book))))
        except Exception as exc:  # noqa: BLE001 - one broken section must not hide the others
            log.error("Today section %s failed: %s", section.key, type(exc).__name__)
            out.append((section, None))
    return out


class TodayPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("todayPage")
        self.setAccessibleName("Today")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel()
        self.heading.setObjectName("pageTitle")
        self.subheading = QLabel()
        self.subheading.setObjectName("pageSubtitle")
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setAccessibleName("Refresh Today")
        self.refresh_button.clicked.connect(self.refresh)
        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.heading)
        titles.addWidget(self.subheading)
        head.addLayout(titles, 1)
        head.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(head)
        scroll = QScrollArea()
        scroll.setObjectName("pageScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body = QWidget()
        self.body.setObjectName("pageScrollBody")
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 8, 0, 0)
        self.body_layout.setSpacing(16)
        scroll.setWidget(self.body)
        outer.addWidget(scroll, 1)
        self.lists: dict[str, QListWidget] = {}
        ctx.state.data_changed.connect(lambda _area: self.refresh())
        ctx.state.actor_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        actor = self.ctx.book.actor
        self.heading.setText(f"Today — {actor.full_name}")
        self.subheading.setText(local_today(self.ctx.book.clock).strftime("%A %d/%m/%Y"))
        sections = [s for s in today_sections() if s.permission is None or actor.can(s.permission)]
        book = self.ctx.book
        self.ctx.tasks.run(lambda: _fetch_all(book, sections), self._show)

    def _show(self, results: list[tuple[TodaySection, list[TodayItem] | None]]) -> None:
        while self.body_layout.count():
            w = self.body_layout.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.lists.clear()
        total = 0
        for section, items in results:
            title = QLabel(section.title if items is None else f"{section.title} ({len(items)})")
            title.setObjectName("sectionTitle")
            self.body_layout.addWidget(title)
            if items is None:
                self.body_layout.addWidget(QLabel("This section could not be loaded. Try Refresh."))
                continue
            if not items:
                empty = QLabel("Nothing due.")
                empty.setObjectName("muted")
                self.body_layout.addWidget(empty)
                continue
            total += len(items)
            self.body_layout.addWidget(self._list_for(section, items))
        if total == 0:
            calm = QLabel("Nothing needs your attention right now.")
            calm.setObjectName("emptyState")
            self.body_layout.insertWidget(0, calm)
        self.body_layout.addStretch(1)

    def _list_for(self, section: TodaySection, items: list[TodayItem]) -> QListWidget:
        lst = QListWidget()
        lst.setObjectName(f"today_{section.key}")
        lst.setAccessibleName(section.title)
        for it in items:
            row = QListWidgetItem(("⚠ Overdue: " if it.overdue else "") + item_label(it))
            row.setData(Qt.ItemDataRole.UserRole, it.resident_id)
            row.setData(Qt.ItemDataRole.AccessibleTextRole, ("Overdue. " if it.overdue else "") + item_label(it))
            if it.overdue:
                row.setData(Qt.ItemDataRole.UserRole + 1, "overdue")
                font = row.font()
                font.setBold(True)
                row.setFont(font)
            lst.addItem(row)
        lst.ensurePolished()  # so the row height includes the stylesheet's item padding
        visible = min(len(items), MAX_VISIBLE_ROWS)
        rows = sum(max(lst.sizeHintForRow(i), lst.fontMetrics().height() + 8) for i in range(visible))
        margins = lst.contentsMargins()
        lst.setFixedHeight(rows + margins.top() + margins.bottom() + 2 * lst.spacing() + 4)
        if len(items) <= MAX_VISIBLE_ROWS:  # everything fits: a scrollbar would only hide text
            lst.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lst.itemActivated.connect(self._open)
        self.lists[section.key] = lst
        return lst

    def _open(self, item: QListWidgetItem) -> None:
        resident_id = item.data(Qt.ItemDataRole.UserRole)
        if resident_id:
            self.ctx.open_resident(resident_id)


def accounts_not_yet_used(book: Any) -> list[TodayItem]:
    """For the administrator: accounts whose first password has not been changed yet."""
    return [TodayItem(f"{a.full_name} ({a.username}) · {a.role.label} · has not yet signed in to choose a password")
            for a in book.accounts.list(include_disabled=False) if a.must_change_password]


def _register() -> None:
    from ui.main_window import register_page

    register_page("today", "Today", TodayPage, 10)
    register_today_section("accounts_not_yet_used", "New accounts not yet signed in", accounts_not_yet_used, 5,
                           permission=Permission.MANAGE_ACCOUNTS)


_register()
