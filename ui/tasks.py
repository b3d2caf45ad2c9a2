"""Background work for the UI (after Anki's taskman): database work runs on one worker thread,
PDFs and network on a small pool; callbacks always come back on the UI thread."""
from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class _Bridge(QObject):
    """Lives on the UI thread; a queued signal carries each finished task's callback home."""

    deliver = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.deliver.connect(self._run)

    @Slot(object)
    def _run(self, thunk: Callable[[], None]) -> None:
        thunk()


class TaskRunner(QObject):
    """`run(fn, on_done, on_error=None, *, pool=False)`: `fn()` runs off the UI thread; `on_done(result)`
    or `on_error(exc)` run on the UI thread. Without `on_error` the error goes to `ui.errors.show_error`."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kw-db")
        self._pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="kw-pool")
        self._bridge = _Bridge()
        self._pending = 0

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def run(self, fn: Callable[[], Any], on_done: Done | None = None, on_error: Failed | None = None,
            *, pool: bool = False) -> None:
        self._started()
        executor = self._pool if pool else self._db

        def work() -> None:
            try:
                result = fn()
            except BaseException as exc:  # noqa: BLE001 - every failure is reported on the UI thread
                err = exc
                self._post(lambda: self._finish(lambda: _fail(err, on_error)))
            else:
                self._post(lambda: self._finish(lambda: on_done(result) if on_done else None))

        executor.submit(work)

    def call_on_db(self, fn: Callable[[], Any]) -> Any:
        """From a background thread (never the UI thread): run `fn` on the database thread, wait,
        and return its result or raise its error. The outbox worker's short database steps go
        through here, so the database is still used from one thread while the network waits on
        another."""
        return self._db.submit(fn).result()

    def _post(self, thunk: Callable[[], None]) -> None:
        try:
            self._bridge.deliver.emit(thunk)
        except RuntimeError:  # the app is shutting down and the bridge is gone: nobody is waiting
            log.debug("task finished after shutdown")

    def _started(self) -> None:
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)

    def _finish(self, callback: Callable[[], None]) -> None:
        self._pending -= 1
        if self._pending == 0:
            self.busy_changed.emit(False)
        callback()

    def shutdown(self, wait: bool = True) -> None:
        """Let running database work finish (a half-written transaction is never abandoned)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._db.shutdown(wait=wait)


class SyncTaskRunner(QObject):
    """Runs tasks inline on the calling thread: for tests (Picard's FakeThreadPool)."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.calls = 0

    @property
    def busy(self) -> bool:
        return False

    def run(self, fn: Callable[[], Any], on_done: Done | None = None, on_error: Failed | None = None,
            *, pool: bool = False) -> None:
        self.calls += 1
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001
            _fail(exc, on_error)
            return
        if on_done is not None:
            on_done(result)

    def call_on_db(self, fn: Callable[[], Any]) -> Any:
        return fn()

    def shutdown(self, wait: bool = True) -> None:
        pass


def _fail(exc: BaseException, on_error: Failed | None) -> None:
    if on_error is not None:
        on_error(exc)
        return
    from ui.errors import show_error

    show_error(None, exc)
