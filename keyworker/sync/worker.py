"""The sync worker: a thread that runs one sync round (keyworker/sync/run.py) every minute and at
once on `wake()` (after a save, or "Sync now"), as the outbox's delivery worker does for the
outbox (keyworker/outbox/worker.py, ui/outbox_worker.py).

- The network waits on this thread; every database step goes through `db(fn)`, which the app
  passes as its one database thread (`ctx.tasks.call_on_db`), so the UI thread never waits on
  the hub and the database is used from one thread as everywhere else. Default: this thread.
- While the hub cannot be reached, the wait before the next try is exponential backoff with full
  jitter (a random wait between 0 and base * 2^failures, capped; never less than a second, and at
  least the hub's Retry-After), so a unit's laptops coming back at once do not arrive together.
- A refusal (this laptop removed, the hub's certificate changed) is not retried at once: the next
  try waits as long as the longest backoff; the words are in `last_error` and in `sync_state`.
- The app starts it only when the laptop is enrolled, and not when KEYWORKER_SYNC_WORKER is off
  (as KEYWORKER_OUTBOX_WORKER). `stop()` ends it after the step in progress.
No Qt here: `on_report(report)` and `on_error(error)` are called on this thread."""
from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from keyworker.errors import KeyworkerError, UnitLocked
from keyworker.sync.client import HubRefused, HubUnreachable
from keyworker.sync.hubconf import hub_config
from keyworker.sync.run import SyncReport, sync_once

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 60.0
MIN_DELAY = 1.0


def enabled_by_default() -> bool:
    return os.environ.get("KEYWORKER_SYNC_WORKER", "on").strip().lower() not in ("off", "0", "no", "false")


class SyncWorker(threading.Thread):
    def __init__(self, book: Casebook, *, db: Callable[[Callable[[], Any]], Any] | None = None,
                 interval: float = INTERVAL_SECONDS, base_delay: float = 5.0, max_delay: float = 900.0,
                 rng: random.Random | None = None, on_report: Callable[[SyncReport], Any] | None = None,
                 on_error: Callable[[BaseException], Any] | None = None) -> None:
        super().__init__(name="kw-sync", daemon=True)
        self._book = book
        self._db = db
        self.interval = float(interval)
        self.base_delay = float(base_delay)
        self.max_delay = float(max_delay)
        self._rng = rng or random.Random()
        self._on_report = on_report
        self._on_error = on_error
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.failures = 0
        self.rounds = 0
        self.last_report: SyncReport | None = None
        self.last_error: BaseException | None = None

    def backoff_seconds(self, failures: int, retry_after: float | None = None) -> float:
        cap = min(self.max_delay, self.base_delay * 2 ** max(0, failures - 1))
        wait = max(MIN_DELAY, self._rng.uniform(0, cap))
        return max(wait, retry_after or 0.0)

    def wake(self) -> None:
        """Sync now (or as soon as the round in progress ends)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run_round(self) -> float:
        """One round; returns how long to wait before the next."""
        book = self._book
        try:
            if hub_config(book._vault) is None:
                return self.interval
            report = sync_once(book, db=self._db)
        except HubUnreachable as e:
            self.failures += 1
            self.last_error = e
            self._tell_error(e)
            return self.backoff_seconds(self.failures, e.retry_after)
        except HubRefused as e:
            self.failures += 1
            self.last_error = e
            self._tell_error(e)
            return max(self.interval, self.max_delay)
        except UnitLocked:
            return self.interval
        except KeyworkerError as e:  # the file busy, the disk full: tried again later
            self.failures += 1
            self.last_error = e
            self._tell_error(e)
            return self.backoff_seconds(self.failures)
        except Exception as e:  # noqa: BLE001 - a thread must not die; the next round tries again
            log.warning("sync round failed: %s", type(e).__name__)
            self.failures += 1
            self.last_error = e
            self._tell_error(e)
            return self.backoff_seconds(self.failures)
        self.failures = 0
        self.last_error = None
        self.last_report = report
        self.rounds += 1
        if self._on_report is not None:
            try:
                self._on_report(report)
            except Exception:  # noqa: BLE001 - a listener's bug does not stop syncing
                log.exception("sync report listener failed")
        return self.interval

    def _tell_error(self, e: BaseException) -> None:
        if self._on_error is not None:
            try:
                self._on_error(e)
            except Exception:  # noqa: BLE001
                log.exception("sync error listener failed")

    def run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            wait = self.run_round()
            if self._stopping.is_set():
                break
            self._wake.wait(wait)


def start_if_enrolled(book: Casebook, **kwargs: Any) -> SyncWorker | None:
    """The app's way in: a started worker, or None when not enrolled or turned off."""
    if not enabled_by_default() or hub_config(book._vault) is None:
        return None
    worker = SyncWorker(book, **kwargs)
    worker.start()
    return worker
