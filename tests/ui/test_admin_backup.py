"""Administration → Backup and File → Back up now: the administrator picks where (the unit's name
and the date suggested), the backup is made, owner-only, and the tab says where it went, how big
it is and when; a folder that does not exist is said in plain words; others have no such door."""
from __future__ import annotations

import stat
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from keyworker.backup import read_backup
from tests.fixtures.caseload import last_audit


def answer(tab, path: Path | None) -> list[str]:  # type: ignore[no-untyped-def]
    """Answer the tab's save dialog with `path`; returns the names it suggested."""
    asked: list[str] = []

    def choose(_parent, suggested: str) -> str | None:  # type: ignore[no-untyped-def]
        asked.append(suggested)
        return str(path) if path is not None else None

    tab.choose_path = choose
    return asked


def test_back_up_now_says_where_how_big_and_when(qtbot, admin_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = admin_window.show_page("admin")
    tab = page.show_backup()
    assert page.tabs.currentWidget() is tab and tab.isVisible()
    assert tab.last.text() == "This unit has not been backed up yet."
    target = tmp_path / "test-unit-2026-01-05.kwbackup"
    asked = answer(tab, target)
    tab.button.click()
    assert asked == ["test-unit-2026-01-05.kwbackup"]  # the unit and the day
    assert target.exists() and stat.S_IMODE(target.stat().st_mode) == 0o600
    text = tab.status.text()
    assert str(target) in text and "05/01/2026 09:00" in text and " KB" in text
    assert "copy it off this laptop" in text
    assert not tab.progress.isVisible() and tab.button.isEnabled()
    assert tab.last.text() == f"Last backup: 05/01/2026 09:00 (today) by Ada Admin, file {target.name}."
    header, _payload = read_backup(target)
    assert header.unit_id
    assert last_audit(admin_window.ctx.book)[0] == ("backup", {"file": target.name})


def test_file_menu_back_up_now_opens_the_backup_tab(qtbot, admin_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMenu

    file_menu = admin_window.menuBar().findChildren(QMenu)[0]
    assert file_menu.title() == "&File"
    assert admin_window.act_backup in file_menu.actions() and admin_window.act_backup.isVisible()
    page = admin_window.show_page("admin")
    asked = answer(page.backup_tab, None)  # the person cancels the dialog
    admin_window.show_page("today")
    admin_window.act_backup.trigger()
    assert admin_window.current_key() == "admin" and page.tabs.currentWidget() is page.backup_tab
    assert asked == ["test-unit-2026-01-05.kwbackup"]  # the dialog was offered
    assert page.backup_tab.status.text() == "" and not list(tmp_path.glob("*.kwbackup"))


def test_a_missing_folder_is_said_plainly(qtbot, admin_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tab = admin_window.show_page("admin").show_backup()
    answer(tab, tmp_path / "gone" / "unit.kwbackup")
    tab.button.click()
    box = tab.findChild(QMessageBox, "errorBox")
    assert box is not None and "does not exist" in box.text() and "Traceback" not in box.text()
    assert tab.status.text() == "The backup was not made. Nothing was changed."
    assert tab.button.isEnabled()
    box.close()


def test_only_who_may_back_up_sees_it(qtbot, main_window_for) -> None:  # type: ignore[no-untyped-def]
    w = main_window_for("manager")
    assert not w.act_backup.isVisible()
    page = w.show_page("admin")
    assert not page.tabs.isTabVisible(page.tabs.indexOf(page.backup_tab))
    assert not page.tabs.isTabVisible(page.tabs.indexOf(page.accounts_tab))
    assert page.tabs.isTabVisible(page.tabs.indexOf(page.audit_tab))
    for box in QApplication.topLevelWidgets():
        if isinstance(box, QMessageBox):
            box.close()
