"""The Outbox page: the list by status with search as you type and the attempt history below it;
a senior cancels with a reason through the dialog, retries (Ctrl+R) and protects a PDF with a
password shown once; a key worker sees the list without the buttons. Screenshots at 1280×800 and
1024×768 (saved under KEYWORKER_SCREENSHOTS if set, else the test's folder)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

import ui.main_window as mw
from tests.fixtures.caseload import admit, last_audit
from tests.fixtures.outbox_items import add_destination, add_item
from tests.ui.conftest import make_ctx
from ui.outbox.page import OutboxPage
from ui.outbox.password_dialog import ONCE


def _page(qtbot: QtBot, book, tasks) -> OutboxPage:  # type: ignore[no-untyped-def]
    page = OutboxPage(make_ctx(book, tasks))
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)  # shortcuts (Ctrl+R, Delete) reach an active window only
    return page


def _titles(page: OutboxPage) -> list[str]:
    return [page.model.rows[page.proxy.mapToSource(page.proxy.index(r, 0)).row()].title
            for r in range(page.proxy.rowCount())]


def _select(page: OutboxPage, title: str) -> None:
    page.table.selectRow(_titles(page).index(title))
    assert page.current() is not None and page.current().title == title


def _audited(book, action: str):  # type: ignore[no-untyped-def]
    """The detail of the latest `action` among the last few entries (selecting an item audits too)."""
    return next((d for a, d in last_audit(book, 6) if a == action), None)


def _unit(book):  # type: ignore[no-untyped-def]
    rec = admit(book, given_name="Ana", family_name="Alder")
    email = add_destination(book, "Council secure email", reached=book.clock.now())
    add_item(book, "Review invitation for Ana", kind="review_invitation", resident_id=rec.id, destination_id=email,
             attempts=[("transient", "The mail server did not answer in time")])
    add_item(book, "Decline letter to Pat Fielding", destination_id=email)
    add_item(book, "Declined-referrals report", kind="declines_report",
             destination_id=add_destination(book, "Authority API", "https"),
             attempts=[("permanent", "The server refused the letter (403 Forbidden): token not valid")],
             status="quarantined", last_error="The server refused the letter (403 Forbidden): token not valid")
    add_item(book, "Care plan for the GP", kind="care_plan_share", status="delivered", destination_id=email,
             attempts=[("delivered", None)], receipt="250 2.0.0 Ok: queued as 4F2A1")
    return rec


def test_the_list_by_status_search_and_the_attempts_below(qtbot: QtBot, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    rec = _unit(manager_book)
    page = _page(qtbot, manager_book, tasks)
    assert page.filter.currentText() == "All waiting"
    assert sorted(_titles(page)) == ["Acceptance confirmation to Pat Fielding", "Decline letter to Pat Fielding",
                                     "Review invitation for Ana"]
    assert page.notice.isVisible() and "Administration → Destinations" in page.notice.text()  # the acceptance
    _select(page, "Review invitation for Ana")
    row = _titles(page).index("Review invitation for Ana")
    cells = [page.proxy.index(row, c).data() for c in range(page.model.columnCount())]
    assert cells[:6] == ["Waiting", "Review invitation", rec.reference, "Pat Fielding", "Council secure email", "1"]
    assert "Alder" not in " ".join(str(c) for c in cells)
    assert "The mail server did not answer in time" in page.detail.toPlainText()
    assert last_audit(manager_book)[0][0] == "outbox.history"
    qtbot.keyClicks(page.search, "review inv")
    assert _titles(page) == ["Review invitation for Ana"] and page.subtitle.text().startswith("1 item of 3")
    page.search.clear()
    page.show_filter("quarantined")
    assert _titles(page) == ["Declined-referrals report"]
    assert page.proxy.index(0, 0).data() == "Needs attention" and "403 Forbidden" in page.proxy.index(0, 7).data()
    page.show_filter("delivered")
    assert page.proxy.index(0, 8).data() == "250 2.0.0 Ok: queued as 4F2A1"
    page.show_filter("cancelled")
    assert page.empty.isVisible() and page.empty.text() == "Nothing has been cancelled."


def test_an_empty_outbox_says_so(qtbot: QtBot, worker_book, tasks) -> None:  # type: ignore[no-untyped-def]
    page = _page(qtbot, worker_book, tasks)
    assert page.empty.isVisible() and page.empty.text() == "Nothing is waiting to be sent."
    assert not page.notice.isVisible() and not page.table.isVisible()


def test_a_key_worker_sees_the_list_without_the_buttons(qtbot: QtBot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    _unit(book_factory("manager"))
    page = _page(qtbot, book_factory("worker"), tasks)
    assert len(_titles(page)) == 3
    for b in (page.retry_button, page.release_button, page.cancel_button, page.protect_button):
        assert not b.isVisible()
    assert page.send_button.isVisible()  # sending what is queued is anyone's to start
    page.cancel()
    assert page.cancel_dialog is None


def test_a_senior_cancels_with_a_reason_through_the_dialog(qtbot: QtBot, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    _unit(manager_book)
    page = _page(qtbot, manager_book, tasks)
    _select(page, "Decline letter to Pat Fielding")
    assert page.cancel_button.isEnabled() and not page.release_button.isEnabled()
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)  # Delete = Cancel…
    dlg = page.cancel_dialog
    assert dlg is not None and dlg.isVisible()
    qtbot.keyClicks(dlg.reason, "post")
    dlg.ok_button.click()
    assert dlg.isVisible() and "few words" in dlg.problem.text()
    dlg.reason.setPlainText("Sent by post instead, as the referrer asked")
    dlg.ok_button.click()
    assert not dlg.isVisible()
    assert "Decline letter to Pat Fielding" not in _titles(page)
    assert _audited(manager_book, "outbox.cancel") == {"title": "Decline letter to Pat Fielding",
                                                       "reason": "Sent by post instead, as the referrer asked"}
    page.show_filter("cancelled")
    assert _titles(page) == ["Decline letter to Pat Fielding"]
    assert "Sent by post instead, as the referrer asked" in page.detail.toPlainText()
    assert not page.cancel_button.isEnabled()


def test_retry_now_with_ctrl_r_and_release(qtbot: QtBot, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    _unit(manager_book)
    page = _page(qtbot, manager_book, tasks)
    _select(page, "Review invitation for Ana")
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert _audited(manager_book, "outbox.retry_now") == {"title": "Review invitation for Ana"}
    page.show_filter("quarantined")
    _select(page, "Declined-referrals report")
    assert page.release_button.isEnabled() and not page.retry_button.isEnabled()
    page.release_button.click()
    assert page.empty.isVisible() and page.empty.text() == "Nothing needs attention."
    page.show_filter("waiting")
    assert "Declined-referrals report" in _titles(page)


def test_the_password_is_shown_once_with_a_copy_button(qtbot: QtBot, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    _unit(manager_book)
    page = _page(qtbot, manager_book, tasks)
    _select(page, "Decline letter to Pat Fielding")
    assert page.protect_button.isEnabled()
    page.confirm_protect = lambda _v: True  # type: ignore[method-assign]
    page.protect_button.click()
    dlg = page.password_dialog
    assert dlg is not None and dlg.isVisible()
    password = dlg.password_label.text()
    assert len(password) == 19
    texts = [lab.text() for lab in dlg.findChildren(QLabel)]
    assert ONCE in texts and ONCE == "Give this password to the recipient by phone. It will not be shown again."
    dlg.copy_button.click()
    assert QGuiApplication.clipboard().text() == password
    QGuiApplication.clipboard().clear()
    dlg.close_button.click()
    assert not dlg.isVisible() and dlg.password_label.text() == ""
    # once: nothing on the page holds it, and the item cannot be protected again
    _select(page, "Decline letter to Pat Fielding")
    shown = " ".join([page.detail.toPlainText()] + [w.text() for w in page.findChildren(QLabel)])
    assert password not in shown and "Protected" in page.detail.toPlainText()
    assert not page.protect_button.isEnabled()
    _select(page, "Review invitation for Ana")
    page.confirm_protect = lambda _v: False  # type: ignore[method-assign]
    page.protect_button.click()
    assert page.password_dialog is dlg  # going back makes no new password


def _screens_dir(tmp_path: Path) -> Path:
    d = Path(os.environ.get("KEYWORKER_SCREENSHOTS") or tmp_path)
    d.mkdir(parents=True, exist_ok=True)
    return d


def _cut_off(root: QWidget) -> list[str]:
    """Buttons and labels narrower than their text (what a person would see clipped)."""
    out = []
    for w in root.findChildren(QWidget):
        if not w.isVisible():
            continue
        if isinstance(w, QAbstractButton) and w.width() < w.sizeHint().width() - 2:
            out.append(f"button {w.text()!r}: {w.width()} < {w.sizeHint().width()}")
        if isinstance(w, QLabel) and not w.wordWrap() and w.text() and w.width() < w.sizeHint().width() - 2:
            out.append(f"label {w.text()!r}: {w.width()} < {w.sizeHint().width()}")
    return out


@pytest.mark.parametrize("size", [(1280, 800), (1024, 768)], ids=["1280x800", "1024x768"])
def test_screenshots_have_nothing_cut_off(qtbot: QtBot, manager_book, tasks, shown_window, monkeypatch,
                                          tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(mw, "FEATURE_MODULES", ("ui.today", "ui.admin.page", "ui.outbox.page"))
    _unit(manager_book)
    w = shown_window(make_ctx(manager_book, tasks), size)
    page = w.go_to("outbox")
    assert isinstance(page, OutboxPage)
    _select(page, "Review invitation for Ana")
    QApplication.processEvents()
    w.grab().save(str(_screens_dir(tmp_path) / f"outbox-{size[0]}x{size[1]}.png"))
    assert _cut_off(page) == [] and _cut_off(w.status) == []
    page.show_filter("quarantined")
    QApplication.processEvents()
    w.grab().save(str(_screens_dir(tmp_path) / f"outbox-attention-{size[0]}x{size[1]}.png"))
    assert _cut_off(page) == []


def test_send_now_delivers_to_a_real_receiver_and_the_row_says_delivered(
        qtbot: QtBot, manager_book, tasks, https_server) -> None:  # type: ignore[no-untyped-def]
    from tests.fixtures import outbox_servers as srv

    dest = srv.add_destination(manager_book, "https", https_server.settings(), srv.TOKEN, name="County hub")
    [key] = srv.queue_items(manager_book, dest)
    page = _page(qtbot, manager_book, tasks)
    page.filter.setCurrentIndex(page.filter.findData("delivered"))
    assert _titles(page) == []
    qtbot.mouseClick(page.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.send_button.isEnabled())
    assert https_server.receiver.held(key) == 1
    qtbot.waitUntil(lambda: len(_titles(page)) == 1)
    assert page.current() is None or page.current().status_label == "Delivered"
