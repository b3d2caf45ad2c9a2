"""The Today page: what this user must do now. Each area contributes a section through
`register_today_section(key, title, fetch, order)`, where `fetch(book)` or `fetch(book, scope)`
returns `list[TodayItem]`; `scope` is "mine" (the signed-in user's residents) or "unit" (a senior's
view of the whole unit). Each item says what activating it opens: a resident (on a tab), or any
place through `open(ctx, parent)`."""
from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QRect, QSignalBlocker, QSize, Qt
from PySide6.QtGui import QFontMetrics, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_date, local_today
from keyworker.security.permissions import Permission, Role
from ui import user_settings
from ui.context import AppContext
from ui.first_steps import FirstStepsBox, show_page
from ui.first_steps import hidden_for as first_steps_hidden

log = logging.getLogger("keyworker.ui")

MAX_VISIBLE_ROWS = 8  # longer lists scroll; the page stays a summary
MINE, UNIT = "mine", "unit"  # the scope a section's fetch is asked for


@dataclass(frozen=True)
class TodayItem:
    """One row. Activating it runs `open(ctx, parent)` if given, else opens the resident's record
    (on the `tab` named, e.g. "care_plan" or "reviews"). `open` runs on the UI thread."""

    text: str
    resident_id: str | None = None
    due: date | None = None
    overdue: bool = False
    tab: str | None = None
    open: Callable[[AppContext, QWidget], object] | None = None


@dataclass(frozen=True)
class TodaySection:
    key: str
    title: str
    fetch: Callable[..., list[TodayItem]]
    order: int
    permission: Permission | None = Permission.VIEW_RESIDENTS  # shown only to roles with it
    roles: frozenset[Role] | None = None  # and, if given, only to these roles
    scoped: bool = False  # fetch(book, scope): follows the page's Mine/Unit switch

    def visible_to(self, actor: Any) -> bool:
        return (self.permission is None or actor.can(self.permission)) and (
            self.roles is None or actor.role in self.roles)

    def run(self, book: Any, scope: str) -> list[TodayItem]:
        return list(self.fetch(book, scope) if self.scoped else self.fetch(book))


_SECTIONS: dict[str, TodaySection] = {}


def _takes_scope(fetch: Callable[..., Any]) -> bool:
    """Does `fetch` take a second positional argument (the scope)? `fetch(book)` keeps working."""
    try:
        params = list(inspect.signature(fetch).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


def register_today_section(key: str, title: str, fetch: Callable[..., list[TodayItem]], order: int = 100,
                           permission: Permission | None = Permission.VIEW_RESIDENTS,
                           roles: frozenset[Role] | None = None) -> None:
    """Add (or replace) a section of the Today page. `fetch(book)` or `fetch(book, scope)` runs on the
    database thread; one that takes `scope` ("mine" or "unit") follows the page's Mine/Unit switch.
    Sections are about residents unless they say otherwise: `permission` is what a role needs to see
    it; `roles`, if given, limits it further (e.g. the night list to out-of-hours staff)."""
    _SECTIONS[key] = TodaySection(key, title, fetch, order, permission, roles, _takes_scope(fetch))


def today_sections() -> list[TodaySection]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.title))


def item_label(item: TodayItem) -> str:
    """The item's words with its due date. An overdue item with no date says so only in the
    row's "⚠ Overdue:" prefix (`shown_label`): its text already says by how much."""
    if item.due is None:
        return item.text
    return f"{item.text} — " + (f"overdue since {format_date(item.due)}" if item.overdue
                                else f"due {format_date(item.due)}")


def shown_label(item: TodayItem) -> str:
    """What the Today list shows for an item: overdue ones start with a warning."""
    return ("⚠ Overdue: " if item.overdue else "") + item_label(item)


def sees_whole_unit(actor: Any) -> bool:
    """Seniors (who allocate the caseload) may switch Today to the whole unit; key workers see theirs."""
    return bool(actor.can(Permission.ASSIGN_KEY_WORKERS))


def _fetch_all(book: Any, sections: list[TodaySection], scope: str,
               with_first_steps: bool) -> tuple[list[tuple[TodaySection, list[TodayItem] | None]], Any]:
    out: list[tuple[TodaySection, list[TodayItem] | None]] = []
    for section in sections:
        try:
            out.append((section, section.run(book, scope)))
        except Exception as exc:  # noqa: BLE001 - one broken section must not hide the others
            log.error("Today section %s failed: %s", section.key, type(exc).__name__)
            out.append((section, None))
    steps = None
    if with_first_steps:
        try:
            steps = book.first_steps.status()
        except Exception as exc:  # noqa: BLE001 - the page still shows its sections
            log.error("First steps failed: %s", type(exc).__name__)
    return out, steps


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
        # Mine / Unit: a senior's choice, remembered for them on this unit.
        self.scope_box = QWidget()
        self.scope_box.setObjectName("todayScope")
        scope_row = QHBoxLayout(self.scope_box)
        scope_row.setContentsMargins(0, 0, 12, 0)
        scope_row.addWidget(QLabel("Show:"))
        self.mine_button = QRadioButton("&My residents")
        self.mine_button.setAccessibleName("Show my residents only")
        self.unit_button = QRadioButton("Whole &unit")
        self.unit_button.setAccessibleName("Show the whole unit")
        self.scope_group = QButtonGroup(self)
        for b in (self.mine_button, self.unit_button):
            self.scope_group.addButton(b)
            scope_row.addWidget(b)
        self.unit_button.toggled.connect(self._scope_toggled)
        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.heading)
        titles.addWidget(self.subheading)
        head.addLayout(titles, 1)
        head.addWidget(self.scope_box, 0, Qt.AlignmentFlag.AlignTop)
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
        self.items: dict[str, list[TodayItem]] = {}
        self.first_steps: FirstStepsBox | None = None
        self.nothing_due: QLabel | None = None
        # A change anywhere may change Today, but a hidden page is read again only when it is shown:
        # on a large unit its sections take a second or two of the one database thread, which the
        # screen in use should not queue behind after every save.
        self._stale = False
        ctx.state.data_changed.connect(self._data_changed)
        ctx.state.actor_changed.connect(self._actor_changed)
        self._actor_changed()

    def _data_changed(self, _area: str) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()

    # -- scope ---------------------------------------------------------------------------------
    def scope(self) -> str:
        return UNIT if sees_whole_unit(self.ctx.book.actor) and self.unit_button.isChecked() else MINE

    def _actor_changed(self) -> None:
        senior = sees_whole_unit(self.ctx.book.actor)
        self.scope_box.setVisible(senior and any(s.scoped and s.visible_to(self.ctx.book.actor)
                                                  for s in today_sections()))
        chosen = user_settings.load(self.ctx.book, "today/scope", UNIT) if senior else MINE
        button = self.unit_button if chosen == UNIT else self.mine_button
        with QSignalBlocker(self.unit_button):
            button.setChecked(True)
        self.refresh()

    def _scope_toggled(self, _on: bool) -> None:
        user_settings.save(self.ctx.book, "today/scope", self.scope())
        self.refresh()

    # -- loading -------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        actor = self.ctx.book.actor
        scope = self.scope()
        self.heading.setText(f"Today — {actor.full_name}")
        day = local_today(self.ctx.book.clock).strftime("%A %d/%m/%Y")
        self.subheading.setText(f"{day} · the whole unit" if scope == UNIT else day)
        sections = [s for s in today_sections() if s.visible_to(actor)]
        book = self.ctx.book
        steps = actor.can(Permission.EDIT_UNIT_PROFILE) and not first_steps_hidden(book)
        self.ctx.tasks.run(lambda: _fetch_all(book, sections, scope, steps), self._show)

    def _show(self, answer: tuple[list[tuple[TodaySection, list[TodayItem] | None]], Any]) -> None:
        results, steps = answer
        while self.body_layout.count():
            w = self.body_layout.takeAt(0).widget()
            if w is not None:
                w.hide()  # at once: deleteLater waits for the event loop, and the new rows go in now
                w.deleteLater()
        self.lists.clear()
        self.items.clear()
        self.first_steps = None
        self.nothing_due = None
        if steps is not None and not steps.all_done:
            self.first_steps = FirstStepsBox(self.ctx, steps, self)
            self.first_steps.dismissed.connect(self.refresh)
            self.body_layout.addWidget(self.first_steps)
        total, empty = 0, []
        # The only list on the page (the night list, say) is shown whole: the page scrolls, not the list.
        alone = sum(1 for _s, items in results if items) == 1 and self.first_steps is None
        for section, items in results:
            if items is not None and not items:
                empty.append(section.title)  # listed once, below: not "Nothing due." under each title
                continue
            title = QLabel(section.title if items is None else f"{section.title} ({len(items)})")
            title.setObjectName("sectionTitle")
            self.body_layout.addWidget(title)
            if items is None:
                self.body_layout.addWidget(QLabel("This section could not be loaded. Try Refresh."))
                continue
            total += len(items)
            self.body_layout.addWidget(self._list_for(section, items, len(items) if alone else MAX_VISIBLE_ROWS))
        if total == 0 and self.first_steps is None:
            calm = QLabel("Nothing needs your attention right now.")
            calm.setObjectName("emptyState")
            self.body_layout.insertWidget(0, calm)
        if empty and self.first_steps is None:  # on a new unit the first steps are the work
            self.nothing_due = QLabel("Nothing due: " + ", ".join(empty) + ".")
            self.nothing_due.setObjectName("muted")
            self.nothing_due.setWordWrap(True)
            self.body_layout.addWidget(self.nothing_due)
        self.body_layout.addStretch(1)

    def _list_for(self, section: TodaySection, items: list[TodayItem], max_rows: int = MAX_VISIBLE_ROWS) -> QListWidget:
        lst = TodayList(max_rows)
        lst.setObjectName(f"today_{section.key}")
        lst.setAccessibleName(section.title)
        for it in items:
            row = QListWidgetItem(shown_label(it))
            row.setData(Qt.ItemDataRole.UserRole, it.resident_id)
            row.setData(Qt.ItemDataRole.AccessibleTextRole, ("Overdue. " if it.overdue else "") + item_label(it))
            row.setToolTip(shown_label(it) + ("\nPress Enter or double-click to open." if _opens(it) else ""))
            if it.overdue:
                row.setData(Qt.ItemDataRole.UserRole + 1, "overdue")
                font = row.font()
                font.setBold(True)
                row.setFont(font)
            lst.addItem(row)
        lst.relayout()
        lst.itemActivated.connect(lambda row, key=section.key: self._open(key, row))
        self.lists[section.key] = lst
        self.items[section.key] = list(items)
        return lst

    def _open(self, key: str, row: QListWidgetItem) -> None:
        """Activating a row opens what it names: its own `open`, else the resident (on its tab)."""
        lst, items = self.lists.get(key), self.items.get(key, [])
        index = lst.row(row) if lst is not None else -1
        if not 0 <= index < len(items):
            return
        item = items[index]
        if item.open is not None:
            item.open(self.ctx, self)
        elif item.resident_id and item.tab:
            self.ctx.open_resident(item.resident_id, tab=item.tab)
        elif item.resident_id:
            self.ctx.open_resident(item.resident_id)


class TodayList(QListWidget):
    """A section's rows, wrapped to the page's width (never a sideways scrollbar over the text) and
    as tall as its first `max_rows` rows; longer lists scroll."""

    PADDING = (12 + 12, 8 + 4)  # the stylesheet's item padding (4px 6px) and the delegate's margins

    def __init__(self, max_rows: int = MAX_VISIBLE_ROWS) -> None:
        super().__init__()
        self.max_rows = max_rows
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._laid_out_for = -1

    def relayout(self) -> None:
        """Each row's height for its wrapped text at the current width; the list's height to match."""
        self.ensurePolished()
        if self.count() <= self.max_rows:  # everything fits: a scrollbar would only hide text
            self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scrollbar = self.verticalScrollBar().sizeHint().width() \
            if self.verticalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff else 0
        width = max(200, self.width() - 2 * self.frameWidth() - scrollbar)
        self._laid_out_for = self.width()
        heights = []
        for i in range(self.count()):
            item = self.item(i)
            fm = QFontMetrics(item.font())
            box = fm.boundingRect(QRect(0, 0, width - self.PADDING[0], 100000), int(Qt.TextFlag.TextWordWrap),
                                  item.text())
            h = max(box.height(), fm.height()) + self.PADDING[1]
            item.setSizeHint(QSize(width, h))
            heights.append(h)
        margins = self.contentsMargins()
        self.setFixedHeight(sum(heights[:self.max_rows]) + margins.top() + margins.bottom() + 2 * self.spacing() + 4)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if event.size().width() != self._laid_out_for:
            self.relayout()


def _opens(item: TodayItem) -> bool:
    return item.open is not None or bool(item.resident_id)


def accounts_not_yet_used(book: Any) -> list[TodayItem]:
    """For the administrator: accounts whose first password has not been changed yet. A row opens
    the account in Administration."""
    return [TodayItem(f"{a.full_name} ({a.username}) · {a.role.label} · has not yet signed in to choose a password",
                      open=lambda ctx, _parent, aid=a.id: open_account(ctx, aid))
            for a in book.accounts.list(include_disabled=False) if a.must_change_password]


def open_account(ctx: AppContext, account_id: str) -> None:
    page = show_page(ctx, "admin")
    if page is not None:
        page.tabs.setCurrentIndex(0)  # type: ignore[attr-defined]
        page.select(account_id)  # type: ignore[attr-defined]
        page.table.setFocus()  # type: ignore[attr-defined]


def _register() -> None:
    from ui.main_window import register_page

    register_page("today", "Today", TodayPage, 10)
    register_today_section("accounts_not_yet_used", "New accounts not yet signed in", accounts_not_yet_used, 5,
                           permission=Permission.MANAGE_ACCOUNTS)

_register()
