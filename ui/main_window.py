"""The main window shell: navigation on the left, the chosen page on the right, menus, toolbar and
status bar. Areas add their pages with `register_page(key, title, factory(ctx) -> QWidget, order)`."""
from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from keyworker.security.permissions import Permission
from ui.context import AppContext


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    factory: Callable[[AppContext], QWidget]
    order: int


# Pages in the order of the resident's journey (docs/ARCHITECTURE.md), by the order each area
# registers: today 10, caseload 20, referrals 30, reviews_due 40, discharges 50, outbox 60,
# reports 70, admin 80.
_PAGES: dict[str, PageSpec] = {}

# Edit menu entries act on the focused text field (None is a separator).
_EDIT_ACTIONS: list[tuple[str, str, QKeySequence.StandardKey] | None] = [
    ("&Undo", "undo", QKeySequence.StandardKey.Undo), ("&Redo", "redo", QKeySequence.StandardKey.Redo), None,
    ("Cu&t", "cut", QKeySequence.StandardKey.Cut), ("&Copy", "copy", QKeySequence.StandardKey.Copy),
    ("&Paste", "paste", QKeySequence.StandardKey.Paste),
    ("Select &all", "selectAll", QKeySequence.StandardKey.SelectAll), None,
]

FEATURE_MODULES = ("ui.today", "ui.admin.page", "ui.caseload.page", "ui.referrals.page", "ui.reviews.page",
                   "ui.care_plans", "ui.resident.window", "ui.reports.page", "ui.risk",
                   "ui.incidents", "ui.key_work",
                   "ui.notes", "ui.outbox.page",
                   "ui.discharges",
                   "ui.outcomes",
                   "ui.reports.ndtms",
                   "ui.sync")


def register_page(key: str, title: str, factory: Callable[[AppContext], QWidget], order: int = 100) -> None:
    """Add or replace a page of the main window. `factory(ctx)` is called the first time it is shown."""
    _PAGES[key] = PageSpec(key, title, factory, order)


def page_specs() -> list[PageSpec]:
    """The pages built so far, in navigation order. An area still to come (discharges, outbox) is
    listed once its module registers a page, never as a "coming later" page a user could click into."""
    return sorted(_PAGES.values(), key=lambda p: (p.order, p.title))


def load_feature_modules() -> None:
    """Import the areas' UI modules so they register their pages; a missing module is simply skipped."""
    for name in FEATURE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name is None or not (name == e.name or name.startswith(e.name + ".")):
                raise


# What a page needs to be shown (docs/PERMISSIONS.md); the services refuse the rest anyway.
PAGE_PERMISSIONS: dict[str, Permission] = {
    "caseload": Permission.VIEW_RESIDENTS, "referrals": Permission.VIEW_RESIDENTS,
    "reviews_due": Permission.VIEW_RESIDENTS, "discharges": Permission.VIEW_RESIDENTS,
    "outbox": Permission.VIEW_OUTBOX, "reports": Permission.VIEW_REPORTS,
    "admin": Permission.EDIT_UNIT_PROFILE,  # seniors see its Unit tab only (ui/admin/page.py)
    "incidents": Permission.VIEW_UNIT_INCIDENTS,
    "ndtms": Permission.MAKE_NDTMS_RETURN,
    "sync_conflicts": Permission.RESOLVE_SYNC_CONFLICTS,
}


def _page_visible(key: str, ctx: AppContext) -> bool:
    needed = PAGE_PERMISSIONS.get(key)
    return needed is None or ctx.book.actor.can(needed)


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        from ui.lock import LockController, LockScreen
        from ui.status import StatusBar

        self.ctx = ctx
        ctx.main_window = self
        self.setObjectName("mainWindow")
        self.setMinimumSize(QSize(900, 600))
        load_feature_modules()
        self.specs = page_specs()
        self.pages: dict[str, QWidget] = {}

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName("Navigation")
        self.nav.setAccessibleDescription("Choose a page: Today, Caseload, Referrals and more")
        self.nav.setFixedWidth(max(220, self.nav.fontMetrics().horizontalAdvance("Discharges & follow-ups") + 56))
        for spec in self.specs:
            item = QListWidgetItem(spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setSizeHint(QSize(0, self.nav.fontMetrics().height() + 16))
            self.nav.addItem(item)
        self.stack = QStackedWidget()
        self.stack.setObjectName("pageStack")
        content = QWidget()
        content.setObjectName("content")
        row = QHBoxLayout(content)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        page_frame = QWidget()
        page_frame.setObjectName("pageFrame")
        pf = QVBoxLayout(page_frame)
        pf.setContentsMargins(24, 20, 24, 16)
        pf.addWidget(self.stack)
        row.addWidget(page_frame, 1)
        self.content = content

        self.lock_screen = LockScreen(ctx)
        self.shell = QStackedWidget()
        self.shell.addWidget(content)
        self.shell.addWidget(self.lock_screen)
        self.setCentralWidget(self.shell)

        self.lock = LockController(ctx, self)
        self.status = StatusBar(ctx, self)
        self.setStatusBar(self.status)
        self._build_actions()
        self.nav.currentRowChanged.connect(self._show_row)
        self.nav.itemClicked.connect(lambda item: self.go_to(item.data(Qt.ItemDataRole.UserRole)))
        self.nav.itemActivated.connect(lambda item: self.go_to(item.data(Qt.ItemDataRole.UserRole)))
        self.nav.installEventFilter(self)
        ctx.state.locked_changed.connect(self._on_locked)
        ctx.state.actor_changed.connect(self._on_actor)
        self._on_actor()
        self._restore_state()
        self.show_page("today")
        self.nav.setFocus()  # keyboard users start in the navigation: Up/Down, then Tab into the page
        from ui.outbox_worker import OutboxWorker  # sends the outbox off the UI thread (issue 12)
        self.outbox_worker = OutboxWorker(ctx, self)
        self.outbox_worker.start()
        from ui.sync.worker import SyncWorkerHook  # pushes and pulls with the unit hub (issue 17)

        self.sync_worker = SyncWorkerHook(ctx, self)
        self.sync_worker.running.connect(self.act_sync.setVisible)
        self.sync_worker.syncing.connect(self.status.sync_label.show_syncing)
        self.sync_worker.start()

    # -- pages ---------------------------------------------------------------------------------
    def show_page(self, key: str) -> QWidget | None:
        for row in range(self.nav.count()):
            item = self.nav.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == key and not item.isHidden():
                self.nav.setCurrentRow(row)
                return self.pages.get(key)
        return None

    def go_to(self, key: str) -> QWidget | None:
        """A page chosen by shortcut, toolbar, click or Enter: keyboard focus goes into it (to its
        focus proxy, e.g. the caseload's search box), so typing lands there."""
        page = self.show_page(key)
        if page is not None and page.focusProxy() is not None:
            page.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return page

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Typing in the navigation goes to the page shown, if it takes typing (the caseload's search)."""
        if obj is self.nav and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            typed = getattr(self.stack.currentWidget(), "type_into_search", None)
            text = event.text()
            if callable(typed) and text and text.isprintable() and not text.isspace() and not event.modifiers() & (
                    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
                typed(text)
                return True
        return super().eventFilter(obj, event)

    def current_key(self) -> str | None:
        item = self.nav.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        spec = self.specs[row]
        page = self.pages.get(spec.key)
        if page is None:
            page = spec.factory(self.ctx)
            page.setObjectName(page.objectName() or f"page_{spec.key}")
            self.pages[spec.key] = page
            self.stack.addWidget(page)
        self.stack.setCurrentWidget(page)
        self._update_title()

    def _update_title(self) -> None:
        unit = getattr(self, "_unit_name", "") or "Keyworker"
        if self.ctx.state.locked:
            self.setWindowTitle("Keyworker — locked")
            return
        item = self.nav.currentItem()
        page = f"{item.text()} — " if item else ""
        self.setWindowTitle(f"{page}{unit} — Keyworker" if unit != "Keyworker" else f"{page}Keyworker")

    def set_unit_name(self, name: str) -> None:
        self._unit_name = name
        self._update_title()

    # -- actions -------------------------------------------------------------------------------
    def _action(self, text: str, slot: Callable[[], object], shortcut: QKeySequence | str | None = None,
                tip: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.setToolTip(tip or text.replace("&", "").rstrip("…"))
        act.setStatusTip(act.toolTip())
        act.triggered.connect(slot)
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        from ui.admin.password_dialog import ChangePasswordDialog

        mb = self.menuBar()
        self.act_lock = self._action("&Lock now", self.lock.lock_now, "Ctrl+L", "Lock Keyworker now (Ctrl+L)")
        self.act_password = self._action("Change my &password…", lambda: ChangePasswordDialog.run(self.ctx, self))
        self.act_quit = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_import = self._action("&Import residents from CSV…", self._import, "Ctrl+Shift+I",
                                       "Bring residents and open referrals in from a spreadsheet (CSV)")
        self.act_backup = self._action("&Back up now…", self._back_up, None,
                                       "Make an encrypted backup of the whole unit (Administration → Backup)")
        self.act_sync = self._action("S&ync now", self._sync_now, "Ctrl+Shift+Y",
                                     "Send this laptop's changes to the unit hub and bring in the other laptops' now")
        self.act_sync.setVisible(False)  # until the sync worker starts: only on a laptop that joined a hub
        file_menu = mb.addMenu("&File")
        file_menu.addAction(self.act_import)
        file_menu.addAction(self.act_backup)
        file_menu.addAction(self.act_sync)
        file_menu.addSeparator()
        file_menu.addActions([self.act_password, self.act_lock])
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)

        edit_menu = mb.addMenu("&Edit")
        for entry in _EDIT_ACTIONS:
            if entry is None:
                edit_menu.addSeparator()
                continue
            text, method, key = entry
            edit_menu.addAction(self._action(text, lambda _c=False, m=method: self._edit(m), key))
        self.act_find = self._action("&Find…", self._find, QKeySequence.StandardKey.Find)
        edit_menu.addAction(self.act_find)

        view_menu = mb.addMenu("&View")
        self.page_actions: dict[str, QAction] = {}
        for spec in self.specs:
            # Ctrl+1 … Ctrl+9 are numbered over the pages this user sees (_on_actor), as the list shows them.
            act = self._action(spec.title.replace("&", "&&"), lambda _checked=False, k=spec.key: self.go_to(k),
                               None)
            self.page_actions[spec.key] = act
            view_menu.addAction(act)
        view_menu.addSeparator()
        self.act_refresh = self._action("&Refresh", self._refresh, QKeySequence.StandardKey.Refresh)
        view_menu.addAction(self.act_refresh)

        resident_menu = self.resident_menu = mb.addMenu("&Resident")
        self.act_open_resident = self._action("&Open resident…", self._open_resident, "Ctrl+O",
                                              "Find a resident in the caseload")
        resident_menu.addAction(self.act_open_resident)

        help_menu = mb.addMenu("&Help")
        help_menu.addAction(self._action("&Keyboard shortcuts", self._shortcuts, "F1"))
        help_menu.addAction(self._action("&About Keyworker", self._about))

        tb = QToolBar("Main toolbar")
        tb.setObjectName("mainToolbar")
        tb.setAccessibleName("Main toolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for key in ("today", "caseload"):
            if key in self.page_actions:  # (a unit's build may leave an area out)
                tb.addAction(self.page_actions[key])
        tb.addAction(self.act_open_resident)
        tb.addSeparator()
        tb.addAction(self.act_refresh)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        tb.addWidget(spacer)
        tb.addAction(self.act_lock)
        self.addToolBar(tb)
        self.toolbar = tb
        self.locked_actions = [a for a in self.actions() if a not in (self.act_quit,)]

    def _edit(self, method: str) -> None:
        target = getattr(QApplication.focusWidget(), method, None)
        if callable(target):
            target()

    def _find(self) -> None:
        page = self.stack.currentWidget()
        focus_search = getattr(page, "focus_search", None)
        if callable(focus_search):
            focus_search()
        else:
            self.show_page("caseload")
            focus_search = getattr(self.stack.currentWidget(), "focus_search", None)
            if callable(focus_search):
                focus_search()

    def _import(self) -> None:
        from ui.imports.dialog import open_import_dialog

        open_import_dialog(self.ctx, self)

    def _back_up(self) -> None:
        page = self.show_page("admin")
        show_backup = getattr(page, "show_backup", None)
        if callable(show_backup):
            show_backup().back_up_now()

    def _open_resident(self) -> None:
        self.show_page("caseload")
        focus_search = getattr(self.stack.currentWidget(), "focus_search", None)
        if callable(focus_search):
            focus_search()

    def _refresh(self) -> None:
        refresh = getattr(self.stack.currentWidget(), "refresh", None)
        if callable(refresh):
            refresh()

    def _sync_now(self) -> None:
        if not self.sync_worker.sync_now():
            self.statusBar().showMessage("This laptop is not syncing with a unit hub just now.", 5000)

    def _shortcuts(self) -> None:
        rows = [("Ctrl+L", "Lock now"), ("Ctrl+1 … Ctrl+9", "Go to a page, in the list's order"), ("Ctrl+F", "Find"),
                ("Ctrl+O", "Open a resident"), ("F5", "Refresh"), ("Ctrl+Q", "Quit")]
        if self.act_sync.isVisible():
            rows.append(("Ctrl+Shift+Y", "Sync with the unit hub now"))
        QMessageBox.information(self, "Keyboard shortcuts", "\n".join(f"{k}\t{v}" for k, v in rows))

    def _about(self) -> None:
        QMessageBox.about(self, "About Keyworker",
                          "Keyworker 0.1\nCare plans, reviews and discharges for drug and alcohol "
                          "rehabilitation units.\nAll records stay encrypted on this computer.")

    # -- lock and sign-in ----------------------------------------------------------------------
    def _on_locked(self, locked: bool) -> None:
        self.shell.setCurrentWidget(self.lock_screen if locked else self.content)
        for act in self.locked_actions:
            act.setEnabled(not locked)
        self.nav.setEnabled(not locked)
        self.toolbar.setVisible(not locked)
        # Hidden, not only greyed: menu titles (Resident, page names) are part of what is covered.
        self.menuBar().setVisible(not locked)
        self._update_title()

    def _on_actor(self) -> None:
        shown = 0
        for row, spec in enumerate(self.specs):
            visible = _page_visible(spec.key, self.ctx)
            self.nav.item(row).setHidden(not visible)
            self.page_actions_visible(spec.key, visible)
            act = self.page_actions.get(spec.key)
            if act is not None:
                shown += visible
                act.setShortcut(QKeySequence(f"Ctrl+{shown}") if visible and shown <= 9 else QKeySequence())
        self.act_import.setVisible(self.ctx.book.actor.can(Permission.IMPORT))
        self.act_backup.setVisible(self.ctx.book.actor.can(Permission.BACKUP))
        reads_records = self.ctx.book.actor.can(Permission.VIEW_RESIDENTS)
        self.act_open_resident.setVisible(reads_records)
        self.resident_menu.menuAction().setVisible(reads_records)  # an empty menu is a dead end
        current = self.nav.currentItem()
        if current is not None and current.isHidden():
            self.show_page("today")

    def page_actions_visible(self, key: str, visible: bool) -> None:
        act = getattr(self, "page_actions", {}).get(key)
        if act is not None:
            act.setVisible(visible)

    # -- window state (QSettings, this module only) ---------------------------------------------
    def _restore_state(self) -> None:
        geo = QSettings().value("main/geometry")
        screen = QApplication.primaryScreen()
        if geo is not None and self.restoreGeometry(geo) and (
                screen is None or screen.availableGeometry().contains(self.frameGeometry().center())):
            return
        if screen is not None:  # first start, or the saved place is off every screen now
            avail = screen.availableGeometry()
            self.resize(min(1280, int(avail.width() * 0.9)), min(800, int(avail.height() * 0.9)))
            frame = self.frameGeometry()
            frame.moveCenter(avail.center())
            self.move(frame.topLeft())

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        resident = sys.modules.get("ui.resident.window")
        closer = getattr(resident, "close_resident_windows", None)
        if closer is not None and not self.ctx.state.locked and not closer(self.ctx):
            event.ignore()  # someone kept a record with unsaved work open
            return
        keeps_work = [p for p in self.pages.values() if hasattr(p, "confirm_close")]
        if not self.ctx.state.locked and not all(p.confirm_close() for p in keeps_work):
            event.ignore()  # a page (e.g. the unit profile) kept its unsaved work
            return
        self.lock.watcher.stop()
        self.outbox_worker.stop()
        self.sync_worker.stop()
        QSettings().setValue("main/geometry", self.saveGeometry())
        super().closeEvent(event)
