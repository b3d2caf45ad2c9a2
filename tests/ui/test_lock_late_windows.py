"""Windows that appear while the unit is locked: a resident's record, a dialog opened from it, any
other top-level window. Each starts covered (no resident data, no resident's name in the title) and
shows its content once someone signs in; `ctx.open_resident` while locked opens nothing."""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QWidget
from sqlalchemy import select

from keyworker.reference_data import consent_kinds
from keyworker.db.foundation import AuditEntry
from tests.conftest import STAFF_PW
from tests.ui.conftest import make_ctx
from tests.ui.test_resident_window import admit_resident
from ui.forms import Unsaved
from ui.resident.consents import ConsentDialog
from ui.resident.window import ResidentWindow, close_resident_windows, open_resident_window


def _views(book: Any, rid: str) -> int:
    with book._read() as s:
        return len(s.scalars(select(AuditEntry).where(AuditEntry.action == "resident.view",
                                                      AuditEntry.resident_id == rid)).all())


def _veiled(w: QWidget) -> bool:
    veil = w.findChild(QWidget, "lockVeil")
    return veil is not None and not veil.isHidden() and w.windowTitle() == "Keyworker — locked"


def _unveiled(w: QWidget) -> bool:
    return all(v.isHidden() for v in w.findChildren(QWidget, "lockVeil"))  # lifted ones await deleteLater


def test_resident_window_opened_while_locked_starts_covered_and_loads_after_sign_in(
        qtbot, main_window_for, book_factory) -> None:  # type: ignore[no-untyped-def]
    w = main_window_for("manager")
    ctx = w.ctx
    rid = admit_resident(ctx.book)
    auditor = book_factory("admin")
    w.lock.lock_now()
    views_before = _views(auditor, rid)
    win = open_resident_window(ctx, rid)  # e.g. a link followed as the idle lock fell
    win.confirm_unsaved = lambda _w: Unsaved.DISCARD
    qtbot.waitExposed(win)
    assert win.body.isHidden() and not win.cover.isHidden()
    assert _veiled(win) and "Lee" not in win.windowTitle()
    assert win.record is None and _views(auditor, rid) == views_before  # nothing was read
    w.lock.unlock("manager", STAFF_PW)
    assert not ctx.state.locked and not win.body.isHidden() and _unveiled(win)
    qtbot.waitUntil(lambda: win.record is not None)  # read once someone signed in
    assert win.header.reference.text() == "R-00001" and "Lee" in win.windowTitle()
    assert win.pages["overview"].consents.table.rowCount() == len(consent_kinds())  # one row per kind
    close_resident_windows(ctx)


def test_a_window_made_while_only_the_core_is_locked_starts_covered_and_locks_the_ui(
        qtbot, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    rid = admit_resident(manager_book)
    ctx = make_ctx(manager_book, tasks)
    manager_book.lock()  # the core locked first (the UI hears a moment later)
    win = ResidentWindow(ctx, rid)
    qtbot.addWidget(win)
    win.confirm_unsaved = lambda _w: Unsaved.DISCARD
    win.show()
    assert ctx.state.locked  # the UI caught up: every window hides, the lock screen asks
    assert win.body.isHidden() and not win.cover.isHidden() and win.record is None
    assert ctx.resident_windows == {}  # and no error box, no closing: it just waits
    manager_book.unlock("manager", STAFF_PW)
    ctx.state.set_locked(False)
    assert not win.body.isHidden() and win.record is not None


def test_open_resident_while_locked_opens_nothing(qtbot, main_window_for) -> None:  # type: ignore[no-untyped-def]
    w = main_window_for("manager")
    ctx = w.ctx
    rid = admit_resident(ctx.book)
    w.lock.lock_now()
    ctx.open_resident(rid)
    assert ctx.resident_windows == {}
    assert not [x for x in QApplication.topLevelWidgets() if isinstance(x, ResidentWindow) and x.isVisible()]


def test_open_resident_when_the_core_is_locked_locks_the_ui_instead(qtbot, main_window_for) -> None:  # type: ignore[no-untyped-def]
    w = main_window_for("manager")
    ctx = w.ctx
    rid = admit_resident(ctx.book)
    ctx.book.lock()
    ctx.open_resident(rid)
    assert ctx.resident_windows == {}
    assert ctx.state.locked and w.shell.currentWidget() is w.lock_screen


def test_dialog_opened_from_a_resident_window_while_locked_is_covered(qtbot, main_window_for) -> None:  # type: ignore[no-untyped-def]
    w = main_window_for("manager")
    ctx = w.ctx
    rid = admit_resident(ctx.book)
    ctx.open_resident(rid)
    win = ctx.resident_windows[rid]
    win.confirm_unsaved = lambda _w: Unsaved.DISCARD
    w.lock.lock_now()
    d = ConsentDialog(win, ctx, rid)  # e.g. opened by a task that finished after the lock
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD  # a child of the record window: closed with it
    assert "Lee" in d.windowTitle()  # it names the resident...
    d.show()
    assert _veiled(d) and "Lee" not in d.windowTitle()  # ...so the title is covered too
    assert d.content.isHidden() and not d.cover.isHidden() and not d.buttons.isEnabled()
    w.lock.unlock("manager", STAFF_PW)
    assert not d.content.isHidden() and "Lee" in d.windowTitle() and d.buttons.isEnabled()
    d.reject()
    close_resident_windows(ctx)


def test_any_top_level_window_shown_while_locked_is_veiled(qtbot, main_window_for) -> None:  # type: ignore[no-untyped-def]
    w = main_window_for("manager")
    w.lock.lock_now()
    other = QWidget()
    other.setWindowTitle("Resident — Pat Example")
    edit = QLineEdit("visible text", other)
    qtbot.addWidget(other)
    other.show()
    assert _veiled(other) and not edit.isEnabled()
    closed_early = QWidget()  # one shown and closed again while locked does not trip the unlock
    qtbot.addWidget(closed_early)
    closed_early.show()
    closed_early.close()
    w.lock.unlock("manager", STAFF_PW)
    assert other.windowTitle() == "Resident — Pat Example" and edit.isEnabled()
    assert _unveiled(other)
    shown_later = QWidget()  # and once unlocked, nothing is veiled any more
    qtbot.addWidget(shown_later)
    shown_later.show()
    assert shown_later.findChild(QWidget, "lockVeil") is None


def test_a_modal_dialog_shown_while_locked_does_not_block_sign_in(qtbot, main_window_for) -> None:  # type: ignore[no-untyped-def]
    w = main_window_for("manager")
    w.lock.lock_now()
    assert w.lock.unlock_dialog is None  # nothing modal at lock time: the lock screen signs in
    modal = QDialog(w)
    modal.setWindowTitle("Resident — Pat Example")
    qtbot.addWidget(modal)
    modal.setModal(True)
    modal.show()
    assert _veiled(modal)
    qtbot.waitUntil(lambda: w.lock.unlock_dialog is not None and w.lock.unlock_dialog.isVisible()
                    and QApplication.activeModalWidget() is w.lock.unlock_dialog)
    panel = w.lock.unlock_dialog.panel
    panel.password_edit.setText(STAFF_PW)
    panel.submitted.emit(panel.user_edit.text(), STAFF_PW)
    assert not w.ctx.state.locked and w.lock.unlock_dialog is None
    assert modal.isVisible() and modal.windowTitle() == "Resident — Pat Example"
    modal.reject()
