"""While the unit is locked the menu bar is hidden (its titles and entries are part of what the lock
covers) and its shortcuts do nothing; signing in again brings both back."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.conftest import ADMIN_PW


def _press(qtbot, w, key: Qt.Key, mod: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:  # type: ignore[no-untyped-def]
    target = QApplication.focusWidget() or w
    qtbot.keyClick(target, key, mod)


def test_menu_bar_hidden_and_its_shortcuts_dead_while_locked(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    w = admin_window
    w.activateWindow()
    qtbot.waitActive(w)
    assert w.menuBar().isVisible()
    w.show_page("today")
    w.act_lock.trigger()
    assert w.ctx.state.locked
    assert not w.menuBar().isVisible()
    assert not w.toolbar.isVisible()
    # Ctrl+<n> would go to Administration, F1 would list the shortcuts: neither happens while locked.
    to_admin = w.page_actions["admin"].shortcut()[0]
    assert to_admin.keyboardModifiers() == Qt.KeyboardModifier.ControlModifier
    _press(qtbot, w, to_admin.key(), Qt.KeyboardModifier.ControlModifier)
    _press(qtbot, w, Qt.Key.Key_F1)
    assert w.current_key() == "today"
    assert not [b for b in QApplication.topLevelWidgets() if isinstance(b, QMessageBox) and b.isVisible()]
    assert w.shell.currentWidget() is w.lock_screen

    w.lock.unlock("admin", ADMIN_PW)
    assert not w.ctx.state.locked
    assert w.menuBar().isVisible() and w.toolbar.isVisible()
    w.nav.setFocus()
    _press(qtbot, w, to_admin.key(), Qt.KeyboardModifier.ControlModifier)
    assert w.current_key() == "admin"  # the shortcuts work again
