"""Locking: Ctrl+L and idle time hide all resident data in every window; signing in again brings
everything back with typed text intact."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from tests.conftest import ADMIN_PW, STAFF_PW


def test_lock_now_hides_content_and_unlock_keeps_typed_text(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    w = admin_window
    page = w.show_page("admin")
    assert page is not None and w.content.isVisible()
    w.lock.watcher.timer.stop()
    # a field on a page, with some typing in it
    w.pages["admin"].idle_spin.setValue(25)
    assert w.act_lock.shortcut().toString() == "Ctrl+L"
    w.act_lock.trigger()
    assert w.ctx.state.locked and w.ctx.book.locked
    assert w.shell.currentWidget() is w.lock_screen
    assert not w.content.isVisible() and not page.isVisible()
    assert w.windowTitle() == "Keyworker — locked"
    assert not w.act_refresh.isEnabled() and not w.nav.isEnabled()
    assert "Locked" in w.status.lock_label.text()
    panel = w.lock_screen.panel
    assert panel.user_edit.text() == "admin"
    qtbot.keyClicks(panel.password_edit, ADMIN_PW)
    qtbot.keyClick(panel.password_edit, Qt.Key.Key_Return)
    assert not w.ctx.state.locked and not w.ctx.book.locked
    assert w.shell.currentWidget() is w.content and page.isVisible()
    assert w.pages["admin"].idle_spin.value() == 25  # kept, not rebuilt
    assert w.status.lock_label.text() == "Unlocked"


def test_wrong_password_on_lock_screen_stays_locked(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    w = admin_window
    w.lock.lock_now()
    w.lock.unlock("admin", "not-the-password")
    assert w.ctx.state.locked and w.ctx.book.locked
    assert w.lock_screen.panel.problem.text() == "The user name or password is not correct."
    assert w.shell.currentWidget() is w.lock_screen


def test_other_windows_are_veiled_and_keep_their_text(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    w = admin_window
    other = QWidget()
    other.setWindowTitle("Resident — Pat Example")
    edit = QLineEdit(other)
    qtbot.addWidget(other)
    other.show()
    qtbot.keyClicks(edit, "half-written note")
    w.lock.lock_now()
    assert other.windowTitle() == "Keyworker — locked"
    veil = other.findChild(QWidget, "lockVeil")
    assert veil is not None and veil.isVisible() and veil.geometry() == other.rect()
    assert not edit.isEnabled()
    w.lock.unlock("admin", ADMIN_PW)
    assert other.windowTitle() == "Resident — Pat Example"
    assert edit.isEnabled() and edit.text() == "half-written note"
    qtbot.waitUntil(lambda: other.findChild(QWidget, "lockVeil") is None)


def test_open_modal_dialog_keeps_text_and_unlock_dialog_appears(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    w = admin_window
    w.show_page("admin")
    dlg = w.pages["admin"].add_account()
    qtbot.waitExposed(dlg)
    qtbot.keyClicks(dlg.name_edit, "Robin Newstarter")
    w.lock.lock_now()
    assert dlg.isVisible() and not dlg.name_edit.isEnabled()
    unlock = w.lock.unlock_dialog
    assert unlock is not None and unlock.isVisible()
    unlock.panel.password_edit.setText(ADMIN_PW)
    unlock.panel.submit.click()
    assert not w.ctx.state.locked and w.lock.unlock_dialog is None
    assert dlg.isVisible() and dlg.name_edit.isEnabled() and dlg.name_edit.text() == "Robin Newstarter"
    dlg.reject()


def test_idle_time_locks(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    w = admin_window
    assert w.lock.watcher.timer.interval() == 10 * 60_000  # the default setting
    w.lock.watcher.set_minutes(0.002)
    with qtbot.waitSignal(w.ctx.state.locked_changed, timeout=3000):
        pass
    assert w.ctx.state.locked


def test_input_restarts_idle_timer(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    w = admin_window
    w.lock.watcher.timer.stop()
    qtbot.keyClick(w.nav, Qt.Key.Key_Down)
    assert w.lock.watcher.timer.isActive()


def test_idle_minutes_come_from_the_setting(qtbot, book_factory, main_window_for) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("admin")
    book.settings.set("idle_lock_minutes", 3)
    w = main_window_for("admin")
    assert w.lock.watcher.timer.interval() == 3 * 60_000


def test_another_user_can_unlock(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    w = admin_window
    w.lock.lock_now()
    with qtbot.waitSignal(w.ctx.state.actor_changed):
        w.lock.unlock("worker", STAFF_PW)
    assert w.ctx.book.actor.username == "worker"
    assert "Sam Worker" in w.status.user_label.text()
    admin_row = [i for i in range(w.nav.count()) if w.nav.item(i).text() == "Administration"][0]
    assert w.nav.item(admin_row).isHidden()
    assert QApplication.activeModalWidget() is None


def test_lock_and_unlock_with_the_real_task_runner(qtbot, book_factory, only_our_pages) -> None:  # type: ignore[no-untyped-def]
    from ui.context import AppContext
    from ui.main_window import MainWindow
    from ui.tasks import TaskRunner

    runner = TaskRunner()
    w = MainWindow(AppContext(book_factory("admin"), runner))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: not runner.busy)  # Today and the idle setting load off the UI thread
    w.lock.lock_now()
    assert w.ctx.state.locked  # hidden at once, before the database records it
    qtbot.waitUntil(lambda: w.ctx.book.locked)
    w.lock.unlock("admin", "wrong-password-here")
    assert w.lock_screen.panel.busy.isVisible()
    qtbot.waitUntil(lambda: w.lock_screen.panel.problem.isVisible())
    assert w.ctx.state.locked
    w.lock.unlock("admin", ADMIN_PW)
    qtbot.waitUntil(lambda: not w.ctx.state.locked)
    assert w.shell.currentWidget() is w.content
    w.lock.watcher.stop()
    runner.shutdown()
