"""The status bar's outbox line and online state, measured from the unit: how many wait and for how
long, how many need attention, online or offline from the destinations' last attempts (the reason
in the tooltip), "No destination set" with none; read off the UI thread, again after an outbox
change and every 30 seconds, never while locked; a click opens the Outbox page."""
from __future__ import annotations

from datetime import timedelta

from pytestqt.qtbot import QtBot
from sqlalchemy import event

import ui.main_window as mw
from tests.fixtures.outbox_items import add_destination, add_item
from tests.ui.conftest import make_ctx
from ui.status import POLL_MS, StatusBar
from ui.tasks import TaskRunner


def _bar(qtbot: QtBot, book, tasks) -> StatusBar:  # type: ignore[no-untyped-def]
    bar = StatusBar(make_ctx(book, tasks))
    qtbot.addWidget(bar)
    bar.show()
    return bar


def test_the_line_counts_waiting_age_and_attention(qtbot: QtBot, manager_book, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    bar = _bar(qtbot, manager_book, tasks)
    assert bar.outbox_label.text() == "Outbox: 0 waiting"
    assert bar.online_label.text() == "No destination set"
    assert "Administration → Destinations" in bar.online_label.toolTip()
    add_item(manager_book, "Oldest")
    clock.advance(minutes=130)
    dest = add_destination(manager_book, "Council secure email")
    add_item(manager_book, "Newer", destination_id=dest)
    add_item(manager_book, "Newest", destination_id=dest)
    add_item(manager_book, "Refused", status="quarantined", destination_id=dest)
    bar.ctx.state.data_changed.emit("outbox")  # after an outbox change, read again
    assert bar.outbox_label.text() == "Outbox: 3 waiting (oldest 2 h) · 1 needs attention"
    assert "with no destination" in bar.outbox_label.toolTip() and "Alder" not in bar.outbox_label.toolTip()
    assert bar.online_label.text() == "○ Not tried yet"  # a destination exists, nothing tried: not guessed


def test_online_and_offline_are_measured_from_the_destinations(qtbot: QtBot, manager_book, tasks,
                                                               clock) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    add_destination(manager_book, "Council secure email", reached=now - timedelta(hours=1),
                    unreachable=now - timedelta(minutes=2),
                    error="Could not connect to the mail server (connection refused)")
    bar = _bar(qtbot, manager_book, tasks)
    assert bar.online_label.text() == "● Offline"
    assert "Council secure email: Could not connect to the mail server (connection refused)" \
        in bar.online_label.toolTip()
    add_destination(manager_book, "Authority API", "https", reached=now)
    bar.poll()
    assert bar.online_label.text() == "● Online"


def test_polling_every_30_seconds_stops_while_locked(qtbot: QtBot, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    bar = _bar(qtbot, manager_book, tasks)
    assert bar.timer.isActive() and bar.timer.interval() == POLL_MS == 30_000
    bar.ctx.state.set_locked(True)
    assert not bar.timer.isActive()
    calls = tasks.calls
    bar.poll()
    bar.ctx.state.data_changed.emit("outbox")
    assert tasks.calls == calls  # nothing is read while locked
    add_item(manager_book, "While locked")
    bar.ctx.state.set_locked(False)
    assert bar.timer.isActive() and bar.outbox_label.text() == "Outbox: 1 waiting (oldest under 1 min)"


def test_it_reads_off_the_ui_thread(qtbot: QtBot, manager_book) -> None:  # type: ignore[no-untyped-def]
    import threading

    on_ui: list[str] = []

    def seen(_c, _cur, statement, *_a):  # type: ignore[no-untyped-def]
        if threading.current_thread() is threading.main_thread():
            on_ui.append(statement)

    add_item(manager_book, "Letter")
    runner = TaskRunner()
    for engine in (manager_book._engine, manager_book._read_engine):
        event.listen(engine, "before_cursor_execute", seen)
    try:
        bar = StatusBar(make_ctx(manager_book, runner))
        qtbot.addWidget(bar)
        qtbot.waitUntil(lambda: bar.outbox_label.text() == "Outbox: 1 waiting (oldest under 1 min)")
    finally:
        for engine in (manager_book._engine, manager_book._read_engine):
            event.remove(engine, "before_cursor_execute", seen)
        runner.shutdown()
    assert on_ui == []


def test_clicking_the_line_opens_the_outbox_page(qtbot: QtBot, book_factory, tasks, shown_window,
                                                 monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    monkeypatch.setattr(mw, "FEATURE_MODULES", ("ui.today", "ui.admin.page", "ui.outbox.page"))
    w = shown_window(make_ctx(book_factory("worker"), tasks))
    assert w.current_key() == "today"
    qtbot.mouseClick(w.status.outbox_label, Qt.MouseButton.LeftButton)
    assert w.current_key() == "outbox"
    admin = shown_window(make_ctx(book_factory("admin"), tasks))  # no Outbox page for the administrator
    assert admin.status.outbox_label.text() == "Outbox: 0 waiting"
    qtbot.mouseClick(admin.status.outbox_label, Qt.MouseButton.LeftButton)
    assert admin.current_key() == "today"
