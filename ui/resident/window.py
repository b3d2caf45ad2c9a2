"""The resident record window: one per resident (opening it again raises it), a header (name,
reference, key worker, week N of M, risk level with a symbol, alerts) and the registered tabs.
The content hides while the unit is locked and comes back as it was, typed text included; a window
opened while the unit is locked starts hidden and loads the record once someone signs in."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QScrollArea, QTabWidget, QToolBar, QVBoxLayout, QWidget

from keyworker.residents import ResidentRecord
from ui.errors import show_error
from ui.forms.dialog import LockCover, Unsaved, ask_unsaved
from ui.resident.header import ResidentHeader, fetch_header_items
from ui.resident.tabs import ResidentTab, resident_actions, resident_tabs

if TYPE_CHECKING:
    from ui.context import AppContext

log = logging.getLogger("keyworker.ui")
HEADER_AREAS = ("risk", "incidents", "safeguarding", "sync")  # areas whose changes show in the header


class ResidentWindow(QWidget):
    def __init__(self, ctx: AppContext, resident_id: str) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.ctx = ctx
        self.resident_id = resident_id
        self.record: ResidentRecord | None = None
        self.confirm_unsaved: Callable[[QWidget], Unsaved] = ask_unsaved
        self._publishing = False
        self._closing_after_save = False
        self._stale = False  # a load was skipped while locked: load once unlocked
        self.setObjectName("residentWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Resident record — Keyworker")
        self._fit_to_screen(1120, 800)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 12)
        self.cover = LockCover(self)
        outer.addWidget(self.cover, 1)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        self.header = ResidentHeader()
        self.header.risk_activated.connect(lambda: self.show_tab("risk"))
        self.header.alert_activated.connect(lambda item: item.open(self.ctx, self))
        body.addWidget(self.header)
        self.toolbar = self._build_actions()
        if self.toolbar is not None:
            body.addWidget(self.toolbar)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("residentTabs")
        self.tabs.setAccessibleName("Resident record sections")
        self.tabs.setDocumentMode(True)
        body.addWidget(self.tabs, 1)
        outer.addWidget(self.body, 1)

        self.specs: list[ResidentTab] = resident_tabs()
        self.pages: dict[str, QWidget] = {}  # created tab widgets by key
        self._holders: list[QWidget] = []
        for spec in self.specs:
            holder = QWidget()
            holder.setObjectName(f"tab_{spec.key}")
            QVBoxLayout(holder).setContentsMargins(0, 6, 0, 0)
            self._holders.append(holder)
            self.tabs.addTab(holder, spec.title)
        self.tabs.currentChanged.connect(self._ensure_tab)

        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save_current)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.close)
        QShortcut(QKeySequence("Ctrl+W"), self, activated=self.close)
        QShortcut(QKeySequence.StandardKey.Refresh, self, activated=self.reload)
        ctx.state.locked_changed.connect(self._on_locked)
        ctx.state.data_changed.connect(self._on_data_changed)
        ctx.state.actor_changed.connect(self._on_actor_changed)
        self._on_locked(ctx.locked_now())  # opened while locked: covered before it is ever shown
        if self.specs:
            self._ensure_tab(0)
        self.reload()

    def _build_actions(self) -> QToolBar | None:
        """The areas' commands (e.g. "Log incident…", Ctrl+Shift+I), for the roles that may use them."""
        self.record_actions: dict[str, QAction] = {}
        specs = [a for a in resident_actions() if a.permission is None or self.ctx.book.actor.can(a.permission)]
        if not specs:
            return None
        bar = QToolBar("Record actions")
        bar.setObjectName("residentActions")
        bar.setAccessibleName("Record actions")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for spec in specs:
            act = QAction(spec.text, self)
            act.setShortcut(QKeySequence(spec.shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.setToolTip(f"{spec.tip or spec.text.replace('&', '').rstrip('…')} ({spec.shortcut})")
            act.triggered.connect(lambda _c=False, s=spec: None if self.ctx.state.locked else s.run(self))
            self.addAction(act)
            bar.addAction(act)
            self.record_actions[spec.key] = act
        return bar

    def _fit_to_screen(self, width: int, height: int) -> None:
        # On a 1024×768 laptop a 1120×800 window would open with its right edge and foot cut off.
        screen = self.screen()
        if screen is not None:
            avail = screen.availableGeometry()
            width, height = min(width, avail.width()), min(height, avail.height())
        self.resize(width, height)

    # -- tabs -------------------------------------------------------------------------------
    def _ensure_tab(self, index: int) -> QWidget | None:
        if index < 0 or index >= len(self.specs):
            return None
        spec = self.specs[index]
        page = self.pages.get(spec.key)
        if page is None:
            try:
                page = spec.factory(self.ctx, self.resident_id)
            except Exception as exc:  # noqa: BLE001 - one broken tab must not take the record down
                log.error("resident tab %s failed to open: %s", spec.key, type(exc).__name__)
                show_error(self, exc)
                return None
            page.setParent(self._holders[index])
            self._holders[index].layout().addWidget(page)
            self.pages[spec.key] = page
            if self.record is not None and hasattr(page, "set_record"):
                page.set_record(self.record)
        return page

    def show_tab(self, key: str) -> QWidget | None:
        """Switch to a tab by key (creating it); returns its widget."""
        for i, spec in enumerate(self.specs):
            if spec.key == key:
                self.tabs.setCurrentIndex(i)
                return self._ensure_tab(i)
        return None

    def focus_content(self) -> None:
        """Focus the first widget of the current tab a person can use (the first field of the
        Overview, the filter of History ...), not the tab bar: typing goes where it is read."""
        page = self.current_page()
        if page is None or not self.body.isVisible():
            return
        first = getattr(page, "focus_first", None)
        if callable(first) and first():
            return
        w = page.nextInFocusChain()
        while w is not page and page.isAncestorOf(w):
            if (w.isEnabled() and w.isVisibleTo(page) and w.focusPolicy() & Qt.FocusPolicy.TabFocus
                    and not w.focusProxy() and not isinstance(w, QScrollArea)):  # a frame, not content
                w.setFocus(Qt.FocusReason.OtherFocusReason)
                return
            w = w.nextInFocusChain()

    def current_page(self) -> QWidget | None:
        i = self.tabs.currentIndex()
        return self.pages.get(self.specs[i].key) if 0 <= i < len(self.specs) else None

    def dirty_pages(self) -> list[QWidget]:
        return [p for p in self.pages.values() if callable(getattr(p, "is_dirty", None)) and p.is_dirty()]

    # -- loading ----------------------------------------------------------------------------
    def reload(self) -> None:
        if self.ctx.state.locked:
            self._stale = True
            return
        book, rid = self.ctx.book, self.resident_id
        self.ctx.tasks.run(lambda: (book.residents.get(rid), fetch_header_items(book, rid)),
                           self._loaded, self._load_failed)

    def reload_header(self) -> None:
        """Only the header's items (the risk level, alerts): their area changed, not the record."""
        book, rid = self.ctx.book, self.resident_id
        self.ctx.tasks.run(lambda: fetch_header_items(book, rid), self.header.set_items, self._load_failed)

    def _loaded(self, result: tuple[ResidentRecord, list[Any]]) -> None:
        record, items = result
        self.header.set_items(items)
        self.set_record(record)

    def set_record(self, record: ResidentRecord) -> None:
        self.record = record
        self.header.set_record(record)
        self.setWindowTitle(f"{record.display_name} ({record.reference}) — Keyworker")
        self.setAccessibleName(f"Resident record: {record.display_name}, {record.reference}")
        for page in self.pages.values():
            if hasattr(page, "set_record"):
                page.set_record(record)

    def _load_failed(self, exc: BaseException) -> None:
        show_error(self, exc)
        if self.record is None:
            self.close()

    def publish(self, area: str, record: ResidentRecord | None = None) -> None:
        """A tab saved something: show the new record here, then tell the rest of the app,
        without reloading (and re-auditing) this window for its own change."""
        if record is not None:
            self.set_record(record)
        self._publishing = True
        try:
            self.ctx.state.data_changed.emit(area)
        finally:
            self._publishing = False

    def _on_data_changed(self, area: str) -> None:
        if self._publishing or self.ctx.state.locked:
            return
        if area in ("residents", "accounts"):
            self.reload()
        elif area in HEADER_AREAS:
            self.reload_header()
        for page in self.pages.values():
            if area in getattr(page, "refresh_areas", ()) and callable(getattr(page, "refresh", None)):
                page.refresh()

    def _on_actor_changed(self) -> None:
        """Someone else signed in: rebuild the tabs for their role (what they may change), unless
        there is unsaved work on them, which is never thrown away."""
        if self.dirty_pages():
            return
        for page in self.pages.values():
            page.setParent(None)
            page.deleteLater()
        self.pages.clear()
        self._ensure_tab(self.tabs.currentIndex())
        self.reload()

    # -- saving and closing -----------------------------------------------------------------
    def save_current(self) -> None:
        page = self.current_page()
        if page is not None and callable(getattr(page, "save", None)):
            page.save()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        dirty = self.dirty_pages()
        if dirty and not self._closing_after_save:
            if self.ctx.state.locked:  # never ask over the lock screen; keep the work
                event.ignore()
                return
            answer = self.confirm_unsaved(self)
            if answer == Unsaved.CANCEL:
                event.ignore()
                return
            if answer == Unsaved.SAVE:
                event.ignore()
                self._save_then_close(dirty)
                return
        self.ctx.resident_windows.pop(self.resident_id, None)
        super().closeEvent(event)

    def _save_then_close(self, pages: list[QWidget]) -> None:
        remaining = list(pages)

        def next_one() -> None:
            if not remaining:
                self._closing_after_save = True
                QTimer.singleShot(0, self.close)  # not from inside the closeEvent that asked
                return
            page = remaining.pop(0)
            page.save(then=lambda: next_one() if not page.is_dirty() else None)

        next_one()

    def _on_locked(self, locked: bool) -> None:
        # Hidden, never destroyed: what was typed is there again after unlocking.
        self.body.setVisible(not locked)
        self.cover.setVisible(locked)
        if not locked and self._stale:  # opened while locked: nothing was read yet
            self._stale = False
            self.reload()
            for page in self.pages.values():
                if callable(getattr(page, "refresh", None)):
                    page.refresh()


def open_resident_window(ctx: AppContext, resident_id: str) -> ResidentWindow:
    """Open the resident's record, or raise it if it is already open."""
    win = ctx.resident_windows.get(resident_id)
    if win is None:
        import ui.resident  # noqa: F401 - registers the built-in tabs

        win = ResidentWindow(ctx, resident_id)
        ctx.resident_windows[resident_id] = win
    win.show()
    if win.isMinimized():
        win.showNormal()
    win.raise_()
    win.activateWindow()
    win.focus_content()
    return win


def close_resident_windows(ctx: AppContext) -> bool:
    """Close every resident window (asking about unsaved work). False if the user kept one open."""
    for win in list(ctx.resident_windows.values()):
        if not win.close():
            return False
    return True


__all__ = ["ResidentWindow", "open_resident_window", "close_resident_windows"]
