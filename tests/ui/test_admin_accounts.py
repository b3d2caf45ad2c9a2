"""An administrator adds accounts, disables and re-enables them, resets passwords and sets the idle lock."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from keyworker.casebook import Casebook
from keyworker.security.permissions import Role
from tests.conftest import STAFF_PW

NEW_PW = "Lantern-Orchard-Pebble-63"


def row_of(page, username: str) -> int:  # type: ignore[no-untyped-def]
    return [a.username for a in page.accounts].index(username)


def test_admin_adds_an_account(qtbot, admin_window, db_path, clock) -> None:  # type: ignore[no-untyped-def]
    page = admin_window.show_page("admin")
    assert page.table.rowCount() == 5
    dlg = page.add_account()
    qtbot.waitExposed(dlg)
    qtbot.keyClicks(dlg.name_edit, "Robin Newstarter")
    assert dlg.user_edit.text() == "robin.newstarter"
    dlg.role_combo.setCurrentIndex(dlg.role_combo.findData(Role.SENIOR.value))
    assert "referral decisions" in dlg.role_help.text()
    qtbot.keyClicks(dlg.password.password, NEW_PW)
    qtbot.keyClicks(dlg.password.confirm, NEW_PW)
    with qtbot.waitSignal(dlg.accepted):
        qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert page.table.rowCount() == 6
    r = row_of(page, "robin.newstarter")
    assert page.table.item(r, 2).text() == "Senior (manager)"
    assert page.table.item(r, 3).text() == "Active"
    assert page.selected() is not None and page.selected().username == "robin.newstarter"
    Casebook.open(db_path, "robin.newstarter", NEW_PW, clock=clock).close()


def test_add_account_refusal_keeps_dialog_open(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    page = admin_window.show_page("admin")
    dlg = page.add_account()
    dlg.name_edit.setText("Someone Else")
    dlg.user_edit.setText("worker")  # taken
    dlg.password.password.setText(NEW_PW)
    dlg.password.confirm.setText(NEW_PW)
    dlg.submit()
    assert dlg.isVisible() and "taken" in dlg.problem.text()
    assert page.table.rowCount() == 5
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    assert not dlg.isVisible()


def test_disable_and_enable_an_account(qtbot, admin_window, db_path, clock) -> None:  # type: ignore[no-untyped-def]
    page = admin_window.show_page("admin")
    page.table.selectRow(row_of(page, "worker2"))
    assert page.toggle_button.text() == "&Disable"
    box = page.toggle_disabled()
    assert isinstance(box, QMessageBox)
    disable = [b for b in box.buttons() if b.text() == "Disable"][0]
    disable.click()
    r = row_of(page, "worker2")
    assert page.table.item(r, 3).text() == "Disabled"
    assert page.toggle_button.text() == "&Enable…"
    dlg = page.toggle_disabled()
    dlg.new.password.setText(NEW_PW)
    dlg.new.confirm.setText(NEW_PW)
    dlg.submit()
    assert page.table.item(row_of(page, "worker2"), 3).text() == "Active"
    Casebook.open(db_path, "worker2", NEW_PW, clock=clock).close()


def test_cannot_disable_yourself(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    page = admin_window.show_page("admin")
    page.table.selectRow(row_of(page, "admin"))
    assert not page.toggle_button.isEnabled()
    assert page.reset_button.isEnabled()


def test_reset_password(qtbot, admin_window, db_path, clock) -> None:  # type: ignore[no-untyped-def]
    page = admin_window.show_page("admin")
    page.table.selectRow(row_of(page, "nights"))
    dlg = page.reset_password()
    dlg.new.password.setText("short")
    dlg.submit()
    assert "12 characters" in dlg.problem.text()
    dlg.new.password.setText(NEW_PW)
    dlg.new.confirm.setText(NEW_PW)
    dlg.submit()
    assert not dlg.isVisible()
    Casebook.open(db_path, "nights", NEW_PW, clock=clock).close()


def test_idle_minutes_setting(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    page = admin_window.show_page("admin")
    assert page.idle_spin.value() == 10
    page.idle_spin.setValue(4)
    page.idle_save.click()
    assert admin_window.ctx.book.settings.get("idle_lock_minutes") == 4
    assert admin_window.lock.watcher.timer.interval() == 4 * 60_000


def test_change_own_password_for_any_role(qtbot, main_window_for, db_path, clock) -> None:  # type: ignore[no-untyped-def]
    from ui.admin.password_dialog import ChangePasswordDialog

    w = main_window_for("worker")
    assert w.act_password.isEnabled()
    w.act_password.trigger()
    dlg = w.findChild(ChangePasswordDialog)
    assert dlg is not None and dlg.isVisible()
    dlg.old.setText("wrong-old-password")
    dlg.new.password.setText(NEW_PW)
    dlg.new.confirm.setText(NEW_PW)
    dlg.submit()
    assert "not correct" in dlg.problem.text() and dlg.isVisible()
    dlg.old.setText(STAFF_PW)
    dlg.submit()
    assert not dlg.isVisible()
    for box in QApplication.topLevelWidgets():
        if isinstance(box, QMessageBox):
            box.close()
    Casebook.open(db_path, "worker", NEW_PW, clock=clock).close()
