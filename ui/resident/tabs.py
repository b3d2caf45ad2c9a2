"""The resident record's tabs and header items, registered by the areas that own them.

    register_resident_tab(key, title, factory(ctx, resident_id) -> QWidget, order)
    register_header_item(key, fetch(book, resident_id) -> HeaderItem | None, order)

A tab widget may offer any of these (all optional; the window checks with getattr):
  - `set_record(record: ResidentRecord)`: the window hands over the record it loaded, so a tab
    needs no second (audited) read of it; called again whenever the record changes.
  - `refresh()`: reload what the tab shows (called when its area's data changes elsewhere).
  - `refresh_areas`: the `data_changed` areas that should trigger `refresh()` (default: none).
  - `is_dirty() -> bool` and `save(then: Callable[[], None] | None = None)`: typed-but-unsaved
    work; Ctrl+S saves the current tab, and closing the window asks to save/discard/cancel.
Tabs are created the first time they are shown, so opening a record costs only its first tab.

Header items run `fetch` on the database thread; a key of "risk" fills the header's risk slot
(text plus a symbol, never colour alone) — until a risk area registers it the slot says so."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ui.context import AppContext

TabFactory = Callable[["AppContext", str], "QWidget"]


@dataclass(frozen=True)
class ResidentTab:
    key: str
    title: str
    factory: TabFactory
    order: int


@dataclass(frozen=True)
class HeaderItem:
    """One alert (or the risk level) in the header. `severity`: info / warning / danger.
    `symbol` carries the meaning without colour (e.g. "▲ High")."""

    text: str
    severity: str = "info"
    symbol: str = ""
    tooltip: str = ""
    # Clicking the chip runs `open(ctx, window)` (e.g. the sync conflicts flag opens them).
    open: Callable[[Any, Any], object] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class HeaderSource:
    key: str
    fetch: Callable[[Any, str], "HeaderItem | list[HeaderItem] | None"]
    order: int


@dataclass(frozen=True)
class ResidentAction:
    """A command of the record window (its toolbar, with a shortcut): `run(window)`, e.g. "Log incident…".
    Shown only to roles with `permission` (None: everyone who opens records)."""

    key: str
    text: str
    shortcut: str
    run: Callable[[Any], object]
    permission: Any = None
    tip: str = ""


_TABS: dict[str, ResidentTab] = {}
_ACTIONS: dict[str, ResidentAction] = {}
_HEADER: dict[str, HeaderSource] = {}


def register_resident_tab(key: str, title: str, factory: TabFactory, order: int = 100) -> None:
    """Add (or replace) a tab of the resident record. Lower `order` comes first; the built-in tabs
    use: overview 10, care_plan 20, reviews 30, risk 40, outcomes 50, medication 60, discharge 70,
    documents 80, history 90."""
    _TABS[key] = ResidentTab(key, title, factory, order)


def unregister_resident_tab(key: str) -> None:
    _TABS.pop(key, None)


def resident_tabs() -> list[ResidentTab]:
    return sorted(_TABS.values(), key=lambda t: (t.order, t.title))


def register_header_item(key: str, fetch: Callable[[Any, str], HeaderItem | list[HeaderItem] | None],
                         order: int = 100) -> None:
    """Add an alert source to the record's header. `fetch(book, resident_id)` runs off the UI thread."""
    _HEADER[key] = HeaderSource(key, fetch, order)


def unregister_header_item(key: str) -> None:
    _HEADER.pop(key, None)


def register_resident_action(key: str, text: str, shortcut: str, run: Callable[[Any], object],
                             permission: Any = None, tip: str = "") -> None:
    _ACTIONS[key] = ResidentAction(key, text, shortcut, run, permission, tip)


def resident_actions() -> list[ResidentAction]:
    return list(_ACTIONS.values())


def header_sources() -> list[HeaderSource]:
    return sorted(_HEADER.values(), key=lambda h: (h.order, h.key))


__all__ = ["ResidentTab", "ResidentAction", "register_resident_action", "resident_actions", "HeaderItem", "register_resident_tab", "unregister_resident_tab", "resident_tabs",
           "register_header_item", "unregister_header_item", "header_sources"]
