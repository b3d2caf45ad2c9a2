"""The status bar's sync line as a user sees it: nothing on a laptop that has not joined a hub;
"Synced 2 min ago"; "Offline since 08:40"; "1 conflict waiting" (only those this user may
resolve), and a click on it opens Sync conflicts."""
from __future__ import annotations

import os

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

import ui.main_window as mw
from tests.ui.conftest import make_ctx
from tests.ui.sync_helpers import enrolled, sync_unit  # noqa: F401 - fixtures
from ui.status import StatusBar


def _bar(qtbot: QtBot, book, tasks) -> StatusBar:  # type: ignore[no-untyped-def]
    bar = StatusBar(make_ctx(book, tasks))
    qtbot.addWidget(bar)
    bar.show()
    return bar


def test_nothing_is_shown_until_the_laptop_joins_a_hub(qtbot: QtBot, worker_book, tasks) -> None:  # type: ignore[no-untyped-def]
    bar = _bar(qtbot, worker_book, tasks)
    assert not bar.sync_label.isVisible()
    assert bar.outbox_label.isVisible()


def test_synced_and_offline_in_words(qtbot: QtBot, worker_book, tasks, enrolled) -> None:  # type: ignore[no-untyped-def]
    bar = _bar(qtbot, worker_book, tasks)
    assert bar.sync_label.isVisible() and bar.sync_label.text() == "Not synced yet"
    enrolled.synced(worker_book, 2)
    bar.sync_label.poll()
    assert bar.sync_label.text() == "Synced 2 min ago"
    assert "hub.preston-house.example" in bar.sync_label.toolTip()
    enrolled.offline(worker_book, 20)  # 09:00 now: offline since 08:40
    bar.sync_label.poll()
    assert bar.sync_label.text() == "Offline since 08:40"
    assert "connection refused" in bar.sync_label.toolTip()
    assert "everything typed here is kept" in bar.sync_label.toolTip()


def test_conflicts_waiting_and_a_click_opens_them(qtbot: QtBot, sync_unit, enrolled, tasks,  # type: ignore[no-untyped-def]
                                                   shown_window, monkeypatch) -> None:
    monkeypatch.setattr(mw, "FEATURE_MODULES", ("ui.today", "ui.admin.page", "ui.sync"))
    sync_unit.postcode_conflict()
    book = sync_unit.books["A"]  # Lee's key worker
    enrolled.synced(book, 1)
    window = shown_window(make_ctx(book, tasks), (1024, 768))
    label = window.status.sync_label
    assert label.text() == "1 conflict waiting"
    assert "Last synced 05/01/2026 08:59" in label.toolTip() and "Click to open Sync conflicts" in label.toolTip()
    assert label.isVisible() and label.width() >= label.sizeHint().width()  # not cut off at 1024
    if os.environ.get("SYNC_SHOTS"):
        window.grab().save(os.path.join(os.environ["SYNC_SHOTS"], "status-bar-1024x768.png"))
    qtbot.mouseClick(label, Qt.MouseButton.LeftButton)
    assert window.current_key() == "sync_conflicts"
    other = sync_unit.books["C"]  # Jo Second: not Lee's key worker, so nothing of theirs waits
    enrolled.synced(other, 1)
    bar = _bar(qtbot, other, tasks)
    assert bar.sync_label.text() == "Synced 1 min ago"
    enrolled.offline(book, 5)  # offline: both are said
    window.status.sync_label.poll()
    assert label.text() == "Offline since 08:55 · 1 conflict"
