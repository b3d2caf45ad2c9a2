"""Administration → Laptops as an administrator sees it: the enrolled laptops with when each last
synced; a hub that cannot be reached or that refuses, in words and never a traceback; the
enrolment code large, with its expiry and a Copy button; Revoke's confirmation saying what it
cannot do to the data already on that laptop. The hub is replaced at keyworker/sync/enrol.py's
doors (the transport's own tests talk to a real one)."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from keyworker.sync import enrol
from keyworker.sync.client import HubDevice, HubRefused, HubUnreachable
from tests.ui.conftest import make_ctx
from tests.ui.sync_helpers import enrolled  # noqa: F401 - fixture
from ui.sync.laptops import NOT_ENROLLED, CodeDialog, LaptopsScreen

SHOTS = os.environ.get("SYNC_SHOTS")


def _screen(qtbot: QtBot, book, tasks, size=(1024, 600)) -> LaptopsScreen:  # type: ignore[no-untyped-def]
    screen = LaptopsScreen(make_ctx(book, tasks))
    qtbot.addWidget(screen)
    screen.resize(*size)
    screen.show()
    qtbot.waitExposed(screen)
    return screen


@pytest.fixture
def hub(monkeypatch, admin_book):  # type: ignore[no-untyped-def]
    now = admin_book.clock.now()
    state = {"devices": [
        HubDevice(admin_book.device_id, "Office laptop", now - timedelta(days=30), now - timedelta(minutes=3), None),
        HubDevice("0196a000-0000-7000-8000-00000000000b", "Night office laptop", now - timedelta(days=20),
                  now - timedelta(days=9), None),
        HubDevice("0196a000-0000-7000-8000-00000000000c", "Old laptop", now - timedelta(days=90),
                  now - timedelta(days=60), now - timedelta(days=59))],
        "error": None, "revoked": []}

    def laptops(book):  # type: ignore[no-untyped-def]
        if state["error"]:
            raise state["error"]
        return state["devices"]

    def make_code(book):  # type: ignore[no-untyped-def]
        if state["error"]:
            raise state["error"]
        return enrol.EnrolmentCode("7KQ2M-9XH4D-PT3VA-6WRCE-J8N5F", book.clock.now() + timedelta(minutes=15))

    def revoke(book, device_id):  # type: ignore[no-untyped-def]
        state["revoked"].append(device_id)
        return book.clock.now()

    monkeypatch.setattr(enrol, "laptops", laptops)
    monkeypatch.setattr(enrol, "make_code", make_code)
    monkeypatch.setattr(enrol, "revoke", revoke)
    return state


def _cells(screen: LaptopsScreen) -> list[list[str]]:
    t = screen.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_a_laptop_that_has_not_joined_says_so(qtbot: QtBot, admin_book, tasks) -> None:  # type: ignore[no-untyped-def]
    screen = _screen(qtbot, admin_book, tasks)
    assert screen.intro.text() == NOT_ENROLLED
    assert not screen.table.isVisible() and not screen.code_button.isEnabled()
    assert not screen.problem.isVisible()


def test_the_enrolled_laptops_with_their_last_sync(qtbot: QtBot, admin_book, tasks, hub, enrolled) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    screen = _screen(qtbot, admin_book, tasks, (1280, 800))
    assert _cells(screen) == [
        ["Office laptop", "3 min ago", "06/12/2025 09:00", "This laptop"],
        ["Night office laptop", "on 27/12/2025", "16/12/2025 09:00", "⚠ Not synced for 9 days"],
        ["Old laptop", "on 06/11/2025", "07/10/2025 10:00", "Removed 07/11/2025 09:00"]]  # 10:00 in summer time
    if SHOTS:
        screen.grab().save(os.path.join(SHOTS, "laptops-1280x800.png"))
    screen.table.selectRow(0)
    assert not screen.revoke_button.isEnabled()  # not the laptop in use
    screen.table.selectRow(2)
    assert not screen.revoke_button.isEnabled()  # already removed


@pytest.mark.parametrize("error, words", [
    (HubUnreachable("Could not connect to hub.preston-house.example (connection refused)"),
     "The unit hub cannot be reached: Could not connect to hub.preston-house.example (connection refused). "
     "Nothing was changed."),
    (HubRefused("This laptop was removed from the unit", status=401),
     "The unit hub refused: This laptop was removed from the unit."),
])
def test_an_unreachable_or_refusing_hub_in_words(qtbot: QtBot, admin_book, tasks, hub, enrolled,  # type: ignore[no-untyped-def]  # noqa: F811
                                                 error, words) -> None:
    hub["error"] = error
    screen = _screen(qtbot, admin_book, tasks)
    assert screen.problem.isVisible() and screen.problem.text().startswith(words)
    assert "Traceback" not in screen.problem.text() and "Error" not in screen.problem.text()
    if SHOTS:
        screen.grab().save(os.path.join(SHOTS, f"laptops-{type(error).__name__}-1024.png"))
    screen.code_button.click()
    assert screen.problem.text().startswith(words)  # making a code says the same


def test_an_enrolment_code_is_shown_large_with_its_expiry(qtbot: QtBot, admin_book, tasks, hub, enrolled) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    screen = _screen(qtbot, admin_book, tasks)
    shown = []
    screen.show_code = shown.append
    qtbot.mouseClick(screen.code_button, Qt.MouseButton.LeftButton)
    (code,) = shown
    dlg = CodeDialog(code)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.code_label.text() == "7KQ2M-9XH4D-PT3VA-6WRCE-J8N5F"
    assert dlg.code_label.font().fixedPitch() or dlg.code_label.font().styleHint() == dlg.code_label.font().StyleHint.Monospace \
        or "mono" in dlg.code_label.font().family().lower()
    assert dlg.code_label.font().pointSizeF() > QApplication.font().pointSizeF() * 1.5
    assert dlg.expiry.text().startswith("Valid until 09:15 (15 minutes)")
    assert code.hub_url == "https://hub.preston-house.example:8443" or code.hub_url == ""
    dlg.copy_button.click()
    assert QApplication.clipboard().text() == "7KQ2M-9XH4D-PT3VA-6WRCE-J8N5F"
    if SHOTS:
        dlg.grab().save(os.path.join(SHOTS, "enrolment-code.png"))


def test_revoke_says_what_it_cannot_do_and_then_revokes(qtbot: QtBot, admin_book, tasks, hub, enrolled) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    screen = _screen(qtbot, admin_book, tasks)
    screen.table.selectRow(1)
    assert screen.revoke_button.isEnabled()
    asked = []
    screen.confirm_revoke = lambda _p, lp: asked.append(lp) or False
    screen.revoke_button.click()
    assert [lp.name for lp in asked] == ["Night office laptop"] and hub["revoked"] == []  # cancelled: nothing
    from ui.sync.laptops import REVOKE_WORDS

    words = REVOKE_WORDS.format(name="Night office laptop")
    assert "cannot reach into the laptop" in words and "readable by anyone" in words
    assert "reset the passwords" in words
    screen.confirm_revoke = lambda _p, lp: True
    offered = []
    screen.confirm_rotate = lambda _p, name: offered.append(name) or False  # tests/ui/test_sync_rotate_key.py
    screen.revoke_button.click()
    assert hub["revoked"] == ["0196a000-0000-7000-8000-00000000000b"]
    assert offered == ["Night office laptop"]  # rotating the key is offered straight away


def test_today_names_the_laptops_not_synced_for_7_days(qtbot: QtBot, admin_book, tasks, hub, enrolled,  # type: ignore[no-untyped-def]  # noqa: F811
                                                       shown_window, monkeypatch) -> None:
    import ui.main_window as mw
    from ui.sync.today import laptops_not_synced

    assert laptops_not_synced(admin_book) == []  # the hub never asked from here: nothing guessed
    _screen(qtbot, admin_book, tasks)  # Administration → Laptops read the list
    (item,) = laptops_not_synced(admin_book)  # not this laptop, not the removed one
    assert item.text == ("Night office laptop — not synced since 27/12/2025 (9 days; as the hub said "
                         "05/01/2026 09:00)")
    monkeypatch.setattr(mw, "FEATURE_MODULES", ("ui.today", "ui.admin.page", "ui.sync"))
    window = shown_window(make_ctx(admin_book, tasks), (1024, 768))
    if SHOTS:
        window.grab().save(os.path.join(SHOTS, "today-admin-1024x768.png"))
    item.open(window.ctx, window)
    if SHOTS:
        qtbot.wait(50)
        window.grab().save(os.path.join(SHOTS, "admin-laptops-1024x768.png"))
    assert window.current_key() == "admin" and window.pages["admin"].tabs.currentWidget() is \
        window.pages["admin"].laptops_tab
