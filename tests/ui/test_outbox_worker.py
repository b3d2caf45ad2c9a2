"""The app's background delivery: it sends what is queued without the UI thread waiting, tells the
app the outbox changed only when something did, and stops on lock and on close."""
from __future__ import annotations

import threading

from sqlalchemy import select

from keyworker.db.outbox import OutboxItem
from tests.fixtures.outbox_servers import TOKEN, add_destination, queue_items
from ui.context import AppContext
from ui.outbox_worker import OutboxWorker
from ui.tasks import TaskRunner


def statuses(book) -> list[str]:
    with book._read() as s:
        return list(s.scalars(select(OutboxItem.status).order_by(OutboxItem.created_at)))


def test_it_sends_off_the_ui_thread_and_says_the_outbox_changed(qtbot, book_factory, https_server, monkeypatch):
    book = book_factory("worker")
    tasks = TaskRunner()
    ctx = AppContext(book, tasks)
    dest = add_destination(book, "https", https_server.settings(), TOKEN)
    queue_items(book, dest, 3)
    sending_threads: set[str] = set()
    from keyworker.outbox import https as https_module

    real = https_module.HttpsTransport.deliver

    def spy(self, delivery):
        sending_threads.add(threading.current_thread().name)
        return real(self, delivery)
    monkeypatch.setattr(https_module.HttpsTransport, "deliver", spy)
    changed: list[str] = []
    ctx.state.data_changed.connect(changed.append)
    worker = OutboxWorker(ctx, interval_ms=60_000, enabled=True)
    try:
        with qtbot.waitSignal(worker.ran, timeout=20_000) as first:
            worker.start()
        assert first.args[0].delivered == 3
        assert statuses(book) == ["delivered"] * 3
        assert sending_threads == {"kw-outbox"}  # never the UI thread
        assert changed == ["outbox"]

        # Something queued: `data_changed("outbox")` runs it at once; a run that changes nothing
        # says nothing.
        queue_items(book, dest, 1)
        with qtbot.waitSignal(worker.ran, timeout=20_000) as second:
            ctx.state.data_changed.emit("outbox")
        assert second.args[0].delivered == 1
        changed.clear()
        with qtbot.waitSignal(worker.ran, timeout=20_000) as third:
            worker.run_now()
        assert third.args[0].delivered == 0 and changed == []
    finally:
        worker.stop()
        tasks.shutdown()


def test_it_stops_on_lock_and_starts_again_on_unlock(qtbot, book_factory):
    book = book_factory("worker")
    tasks = TaskRunner()
    ctx = AppContext(book, tasks)
    worker = OutboxWorker(ctx, enabled=True)
    try:
        with qtbot.waitSignal(worker.ran, timeout=20_000):
            worker.start()
        assert worker.running
        ctx.state.set_locked(True)
        assert not worker.running
        worker.run_now()
        assert not worker.busy  # nothing starts while locked
        with qtbot.waitSignal(worker.ran, timeout=20_000):
            ctx.state.set_locked(False)
        assert worker.running
    finally:
        worker.stop()
        tasks.shutdown()


def test_a_main_window_in_tests_starts_no_delivery(main_window_for):
    w = main_window_for("worker")
    assert not w.outbox_worker.enabled and not w.outbox_worker.running and not w.outbox_worker.busy
