"""The delivery worker: takes what is due from the outbox and sends it, each item on its own
schedule, without ever holding the database while it talks to a server.

One run (`run_once`):
1. A short write: an item still `in_flight` whose lease has run out (the app or computer stopped
   mid-send) is put back to `pending` with an `OutboxAttempt` "lease_expired"; then each due item
   (pending, next attempt reached, a destination that is turned on), oldest first, is leased
   with a conditional UPDATE (only if it is still as it was read), so two workers (the app and a
   scheduled `outbox deliver`) never send the same item at once.
2. Outside any transaction: each leased item goes to its destination's transport (one transport
   per destination per run). A destination that cannot be reached is not tried again in the same
   run: its other items are released untouched, so one destination down costs one timeout.
3. A short write per item: delivered with the receipt; or back to pending with the next attempt
   (exponential backoff with full jitter, or at least the server's Retry-After, never more than
   `max_delay`); or quarantined with the server's words. Anything else a transport raises (bad
   settings, a secret that does not open, a bug) quarantines the item with plain words, never a
   traceback, and the run goes on. Every attempt writes an `OutboxAttempt` row and an audit entry,
   and the destination's last reached / unreachable time.

The idempotency key never changes, so a replay after a crash is not a second copy at the receiver.
No Qt here; `run(stop_event)` loops for a thread, `book.outbox.deliver_now()` runs once."""
from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select, update

from keyworker.db.outbox import OutboxAttempt, OutboxDestination, OutboxItem
from keyworker.outbox.factory import TRANSPORT_LABELS, transport_for
from keyworker.outbox.secrets import SecretUnreadable
from keyworker.outbox.transport import Delivery, PermanentFailure, Receipt, Transport, TransientFailure

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult
    from sqlalchemy.orm import Session

    from keyworker.casebook import Casebook

log = logging.getLogger(__name__)

NO_DESTINATION = "no destination set"
MIN_DELAY = 1.0  # seconds: a retry is never due again within the same run
LEASE_CHUNK = 50  # items leased together; the next chunk is leased when these are sent
DESTINATION_OFF = "destination turned off"
WORDS_LIMIT = 500  # characters of a server's words kept on an item and in the audit

# The words a transport uses when it did not reach the server at all (or the server could not be
# trusted): the destination is then offline. Any other answer, even a refusal, means it was reached.
_UNREACHABLE = ("could not connect", "could not reach", "could not be reached", "did not answer",
                "dropped", "closed the connection", "could not be found", "stopped answering",
                "connection to the sftp server failed", "could not talk to", "certificate",
                "identity has changed", "secure connection")

# Of those, the ones where no connection was made at all: the destination's other items are not
# tried again in the same run (one timeout per destination, not one per item).
_NOT_CONNECTED = ("could not connect", "could not reach", "could not be reached", "could not be found",
                  "did not answer")


@dataclass(frozen=True)
class ItemOutcome:
    """What happened to one item in a run, in words a key worker reads."""

    item_id: str
    kind: str
    title: str
    outcome: str  # delivered / retrying / quarantined / skipped / lease_expired
    words: str
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class RunReport:
    delivered: int = 0
    retrying: int = 0
    quarantined: int = 0
    skipped: int = 0  # waiting but not tried: no destination set, destination turned off, or busy elsewhere
    lease_expired: int = 0  # found in flight after a crash, put back to be sent again
    items: tuple[ItemOutcome, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the run changed anything a person would see on the Outbox page."""
        return bool(self.delivered or self.retrying or self.quarantined or self.lease_expired)

    def summary(self) -> str:
        parts = [f"{self.delivered} delivered", f"{self.retrying} to try again", f"{self.quarantined} quarantined",
                 f"{self.skipped} waiting without a destination or turned off"]
        if self.lease_expired:
            parts.append(f"{self.lease_expired} interrupted earlier and sent again")
        return "Outbox: " + ", ".join(parts) + "."


@dataclass
class _Leased:
    id: str
    kind: str
    title: str
    destination_id: str
    attempts: int
    started_at: datetime
    resident_id: str | None


@dataclass
class _Result:
    item: _Leased
    dest: OutboxDestination
    at: datetime
    receipt: Receipt | None
    error: BaseException | None


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=lambda: {"delivered": 0, "retrying": 0, "quarantined": 0,
                                                           "skipped": 0, "lease_expired": 0})
    items: list[ItemOutcome] = field(default_factory=list)

    def add(self, outcome: ItemOutcome) -> None:
        self.counts[outcome.outcome] += 1
        self.items.append(outcome)

    def report(self) -> RunReport:
        return RunReport(items=tuple(self.items), **self.counts)


def default_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def reached(exc: BaseException) -> bool:
    """True when the failure came from the server's own answer (a refusal, a 5xx, a 4.x.x reply)."""
    text = str(exc).lower()
    return not any(w in text for w in _UNREACHABLE)


def _changed(s: Session, statement: Any) -> int:
    """Run a conditional UPDATE; how many rows it changed (0: someone else got there first)."""
    result: CursorResult[Any] = s.execute(statement.execution_options(synchronize_session=False))  # type: ignore[assignment]
    return int(result.rowcount)


def _clip(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= WORDS_LIMIT else text[: WORDS_LIMIT - 1] + "…"


def plain_error(exc: BaseException) -> str:
    """Words for a failure that is not a delivery failure: never a traceback or internal code."""
    if isinstance(exc, SecretUnreadable):
        return f"The destination's saved password or token could not be opened: {exc} Nothing was sent."
    if isinstance(exc, ValueError):
        return f"The destination's settings are not usable: {exc} Nothing was sent; correct the destination."
    return ("Something went wrong inside Keyworker while sending this item, so it was stopped and "
            "nothing more will be tried until a senior releases it.")


class DeliveryWorker:
    """`run_once(limit=None) -> RunReport` sends what is due once; `run(stop_event)` repeats it
    until the event is set. Safe to run in two processes at once on the same unit file."""

    def __init__(self, book: Casebook, worker_id: str | None = None, lease_seconds: float = 120,
                 base_delay: float = 30, max_delay: float = 6 * 3600, rng: random.Random | None = None, *,
                 db: Callable[[Callable[[], Any]], Any] | None = None,
                 stop: threading.Event | None = None, batch_size: int = 20, batch_seconds: float = 1.0) -> None:
        """`db(fn)` runs each short database step where the caller does its database work and
        returns its result (the app passes its database thread, so the network is on this thread
        and the database stays on one; default: here). `stop`, once set, ends a run between items:
        the items not yet sent are given back untouched. Results are written `batch_size` at a time
        (or after `batch_seconds`), each with its attempt, audit entry and item update: a crash
        before a batch is written only means those items are sent again, with the same keys."""
        self._book = book
        self._db: Callable[[Callable[[], Any]], Any] = db or (lambda fn: fn())
        self._stop = stop
        self._batch_size = max(1, batch_size)
        self._batch_seconds = batch_seconds
        self._results: list[_Result] = []
        self._batch_started = 0.0
        self.worker_id = worker_id or default_worker_id()
        self.lease = timedelta(seconds=lease_seconds)
        self.base_delay = float(base_delay)
        self.max_delay = float(max_delay)
        self._rng = rng or random.Random()

    # -- scheduling ------------------------------------------------------------------------------
    def backoff_seconds(self, attempts: int, retry_after: float | None = None) -> float:
        """Full jitter: a random wait up to base * 2**(attempts-1) (capped), but at least a second
        (never again in the same run); at least Retry-After when the server gave one; never more
        than max_delay."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(0, attempts - 1))
        wait = max(MIN_DELAY, self._rng.uniform(0, ceiling))
        if retry_after is not None and retry_after > 0:
            wait = max(wait, float(retry_after))
        return min(self.max_delay, wait)

    # -- one run ---------------------------------------------------------------------------------
    def run_once(self, limit: int | None = None) -> RunReport:
        """Send what is due now, at most `limit` items. Items are leased a chunk at a time, and an
        item is only sent while at least half its lease is left, so a slow destination never lets
        a lease run out mid-send (which would let another worker send the same item at once)."""
        tally = _Tally()
        # One transport per destination per run (per kind of document for email: its recipients).
        transports: dict[tuple[str, str | None], Transport | BaseException] = {}
        down: dict[str, str] = {}  # destination id -> why it could not be reached in this run
        self._results = []
        left = limit
        first = True
        try:
            while left is None or left > 0:
                chunk = LEASE_CHUNK if left is None else min(LEASE_CHUNK, left)
                leased, destinations = self._db(partial(self._lease, chunk, tally, set(down), first))
                first = False
                if not leased:
                    break
                if left is not None:
                    left -= len(leased)
                self._send_all(leased, destinations, transports, down, tally)
                if self._stop is not None and self._stop.is_set():
                    break
        finally:
            for built in transports.values():
                closer = getattr(built, "close", None)
                if callable(closer) and not isinstance(built, BaseException):
                    try:
                        closer()
                    except Exception:  # noqa: BLE001 - closing a connection after the run changes nothing
                        pass
        self._flush(tally)
        return tally.report()

    def _send_all(self, leased: list[_Leased], destinations: dict[str, OutboxDestination],
                  transports: dict[tuple[str, str | None], Transport | BaseException], down: dict[str, str],
                  tally: _Tally) -> None:
        since = time.monotonic()
        for n, item in enumerate(leased):
            dest = destinations[item.destination_id]
            if self._stop is not None and self._stop.is_set():
                self._flush(tally)
                self._db(partial(self._release, item, "the app was closing or locking", tally))
                continue
            if n and time.monotonic() - since > self.lease.total_seconds() / 2:
                self._flush(tally)  # half the lease is gone: give the rest back and lease them afresh
                self._db(partial(self._release, item, "its turn came too late in this run", tally, quiet=True))
                continue
            if item.destination_id in down:
                self._db(partial(self._release, item, down[item.destination_id], tally))
                continue
            key = (item.destination_id, item.kind if dest.transport == "smtp" else None)
            if key not in transports:
                try:
                    transports[key] = transport_for(self._book, dest, key[1])
                except Exception as exc:  # noqa: BLE001 - bad settings or secret: quarantine, go on
                    transports[key] = exc
            transport = transports[key]
            if isinstance(transport, BaseException):
                self._finish(item, dest, tally, error=transport)
                continue
            try:
                delivery = self._db(partial(self._delivery, item.id))
                receipt = transport.deliver(delivery)
            except TransientFailure as exc:
                self._finish(item, dest, tally, error=exc)
                if any(w in str(exc).lower() for w in _NOT_CONNECTED):
                    down[item.destination_id] = _clip(str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - one bad item never blocks the rest
                if not isinstance(exc, PermanentFailure):
                    log.warning("outbox item %s: %s while sending", item.id, type(exc).__name__)
                self._finish(item, dest, tally, error=exc)
                continue
            self._finish(item, dest, tally, receipt=receipt)

    def run(self, stop_event: threading.Event, idle_seconds: float = 30,
            on_report: Any = None) -> None:
        """Run, then wait `idle_seconds` (or until `stop_event`), until `stop_event` is set. A run
        that fails (the unit locked, the disk full) is logged by kind only and tried again later."""
        while not stop_event.is_set():
            try:
                report = self.run_once()
            except Exception as exc:  # noqa: BLE001 - a thread must not die; the next run tries again
                log.warning("outbox delivery run failed: %s", type(exc).__name__)
            else:
                if on_report is not None:
                    on_report(report)
            stop_event.wait(idle_seconds)

    # -- phase 1: lease --------------------------------------------------------------------------
    def _lease(self, limit: int | None, tally: _Tally, down: set[str] | None = None,
               count_skipped: bool = True) -> tuple[list[_Leased], dict[str, OutboxDestination]]:
        book = self._book
        now = book.clock.now()
        leased: list[_Leased] = []
        with book._write() as s:
            self._expire_leases(s, now, tally)
            dests = {d.id: d for d in s.scalars(select(OutboxDestination)
                                                .where(OutboxDestination.archived.is_(False)))}
            on = [d_id for d_id, d in dests.items() if d.enabled]
            ready = [d_id for d_id in on if d_id not in (down or ())]
            due = (select(OutboxItem.id, OutboxItem.kind, OutboxItem.title, OutboxItem.destination_id,
                          OutboxItem.attempts, OutboxItem.resident_id, OutboxItem.next_attempt_at)
                   .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now,
                          OutboxItem.archived.is_(False), OutboxItem.destination_id.in_(ready))
                   .order_by(OutboxItem.next_attempt_at, OutboxItem.created_at, OutboxItem.id))
            if limit is not None:
                due = due.limit(limit)
            for row in s.execute(due).all():
                done = _changed(s,
                    update(OutboxItem)
                    .where(OutboxItem.id == row.id, OutboxItem.status == "pending",
                           OutboxItem.attempts == row.attempts, OutboxItem.next_attempt_at == row.next_attempt_at)
                    .values(status="in_flight", lease_until=now + self.lease, leased_by=self.worker_id,
                            attempts=OutboxItem.attempts + 1, last_attempt_at=now, updated_at=now))
                if done != 1:
                    tally.add(ItemOutcome(row.id, row.kind, row.title, "skipped", "being sent by another worker"))
                    continue
                leased.append(_Leased(row.id, row.kind, row.title, row.destination_id, row.attempts + 1, now,
                                      row.resident_id))
            # Waiting and due, but with nowhere to go: counted, not loaded.
            for item_id, kind, title, dest_id in s.execute(
                    select(OutboxItem.id, OutboxItem.kind, OutboxItem.title, OutboxItem.destination_id)
                    .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now,
                           OutboxItem.archived.is_(False),
                           or_(OutboxItem.destination_id.is_(None), OutboxItem.destination_id.not_in(on)))
                    .order_by(OutboxItem.created_at)) if count_skipped else ():
                tally.add(ItemOutcome(item_id, kind, title, "skipped",
                                      NO_DESTINATION if dest_id is None or dest_id not in dests else DESTINATION_OFF))
            for d in dests.values():
                s.expunge(d)
        return leased, dests

    def _expire_leases(self, s: Session, now: datetime, tally: _Tally) -> None:
        """An item still in flight after its lease: the worker that had it stopped mid-send."""
        stale = s.execute(select(OutboxItem.id, OutboxItem.kind, OutboxItem.title, OutboxItem.lease_until,
                                 OutboxItem.last_attempt_at, OutboxItem.leased_by, OutboxItem.resident_id,
                                 OutboxItem.attempts)
                          .where(OutboxItem.status == "in_flight", OutboxItem.lease_until < now,
                                 OutboxItem.archived.is_(False))
                          .order_by(OutboxItem.lease_until)).all()
        for row in stale:
            done = _changed(s, update(OutboxItem)
                            .where(OutboxItem.id == row.id, OutboxItem.status == "in_flight",
                                   OutboxItem.lease_until == row.lease_until)
                            .values(status="pending", lease_until=None, leased_by=None, next_attempt_at=now,
                                    updated_at=now))
            if done != 1:
                continue
            words = ("An earlier attempt was interrupted before it finished (the app or computer stopped). "
                     "It is sent again with the same key, so the receiver does not keep a second copy.")
            s.add(OutboxAttempt(item_id=row.id, started_at=row.last_attempt_at or now, finished_at=now,
                                outcome="lease_expired", message=words))
            self._book._record(s, "outbox.lease_expired", "outbox_item", row.id, resident_id=row.resident_id,
                               detail={"kind": row.kind, "title": row.title, "attempt": row.attempts})
            tally.add(ItemOutcome(row.id, row.kind, row.title, "lease_expired", words, now))

    # -- phase 2: deliver (no transaction held) ---------------------------------------------------
    def _delivery(self, item_id: str) -> Delivery:
        with self._book._read() as s:
            i = s.get(OutboxItem, item_id)
            if i is None:  # pragma: no cover - rows are never deleted
                raise LookupError("the item is no longer in the outbox")
            return Delivery(item_id=i.id, idempotency_key=i.idempotency_key, kind=i.kind, title=i.title,
                            filename=i.filename, mime_type=i.mime_type, payload=i.payload, sha256=i.sha256,
                            recipient_name=i.recipient_name, recipient_email=i.recipient_email,
                            recipient_role=i.recipient_role)

    # -- phase 3: record ---------------------------------------------------------------------------
    def _mine(self, item: _Leased) -> Any:
        return and_(OutboxItem.id == item.id, OutboxItem.status == "in_flight", OutboxItem.leased_by == self.worker_id)

    def _finish(self, item: _Leased, dest: OutboxDestination, tally: _Tally, *, receipt: Receipt | None = None,
                error: BaseException | None = None) -> None:
        """Keep the result for the next batch write; write the batch when it is full or old."""
        if not self._results:
            self._batch_started = time.monotonic()
        self._results.append(_Result(item, dest, self._book.clock.now(), receipt, error))
        if len(self._results) >= self._batch_size or time.monotonic() - self._batch_started >= self._batch_seconds:
            self._flush(tally)

    def _flush(self, tally: _Tally) -> None:
        if not self._results:
            return
        batch, self._results = self._results, []
        outcomes = self._db(partial(self._write_results, batch))
        for outcome in outcomes:
            tally.add(outcome)

    def _write_results(self, batch: list[_Result]) -> list[ItemOutcome]:
        """One short transaction for a batch of results."""
        with self._book._write() as s:
            return [self._write_result(s, r) for r in batch]

    def _write_result(self, s: Session, r: _Result) -> ItemOutcome:
        item, dest, now, receipt, error = r.item, r.dest, r.at, r.receipt, r.error
        where = dest.name or TRANSPORT_LABELS.get(dest.transport, dest.transport)
        base = {"kind": item.kind, "title": item.title, "destination": where, "attempt": item.attempts}
        if receipt is not None:
            words = _clip(receipt.detail or f"Received by {where}.")
            values: dict[str, Any] = {"status": "delivered", "receipt": receipt.receipt_id[:200],
                                      "delivered_at": now, "last_error": None}
            outcome, attempt_outcome, next_at = "delivered", "delivered", None
            online: bool | None = True
        elif isinstance(error, TransientFailure):
            words = _clip(str(error))
            wait = self.backoff_seconds(item.attempts, error.retry_after)
            next_at = now + timedelta(seconds=wait)
            values = {"status": "pending", "next_attempt_at": next_at, "last_error": words}
            outcome, attempt_outcome = "retrying", "transient"
            online = reached(error)
        else:
            assert error is not None
            if isinstance(error, PermanentFailure):
                words = _clip(str(error))
                online = reached(error)
            else:
                words = plain_error(error)
                online = None  # nothing was said to the server
            values = {"status": "quarantined", "last_error": words}
            outcome, attempt_outcome, next_at = "quarantined", "permanent", None
        values.update(lease_until=None, leased_by=None, updated_at=now)
        mine = _changed(s, update(OutboxItem).where(self._mine(item)).values(**values)) == 1
        s.add(OutboxAttempt(item_id=item.id, started_at=item.started_at, finished_at=now,
                            outcome=attempt_outcome, message=words,
                            receipt=receipt.receipt_id[:200] if receipt is not None else None))
        if not mine:  # our lease ran out and someone else has the item now: only the attempt is kept
            words = f"{words} (this attempt finished after its time ran out; another attempt took over)"
        if outcome == "delivered":
            self._book._record(s, "outbox.deliver", "outbox_item", item.id, resident_id=item.resident_id,
                               detail={**base, "receipt": receipt.receipt_id[:200] if receipt else None})
        elif outcome == "retrying":
            self._book._record(s, "outbox.retry_scheduled", "outbox_item", item.id,
                               resident_id=item.resident_id,
                               detail={**base, "message": words,
                                       "next_attempt_at": next_at.isoformat() if next_at else None})
        else:
            self._book._record(s, "outbox.quarantine", "outbox_item", item.id, resident_id=item.resident_id,
                               detail={**base, "message": words})
        self._mark_destination(s, dest.id, online, words, now)
        return ItemOutcome(item.id, item.kind, item.title, outcome, words, next_at)

    def _release(self, item: _Leased, why: str, tally: _Tally, quiet: bool = False) -> None:
        """Not tried: its destination could not be reached a moment ago in this run. The lease and
        the attempt count are given back, and it waits for the next run."""
        now = self._book.clock.now()
        words = f"Not tried in this run: {why}"
        with self._book._write() as s:
            _changed(s, update(OutboxItem).where(self._mine(item))
                     .values(status="pending", lease_until=None, leased_by=None,
                             attempts=func.max(OutboxItem.attempts - 1, 0), updated_at=now))
        if not quiet:
            tally.add(ItemOutcome(item.id, item.kind, item.title, "skipped", words))

    @staticmethod
    def _mark_destination(s: Session, dest_id: str, online: bool | None, words: str, now: datetime) -> None:
        if online is None:
            return
        values: dict[str, Any] = {"last_reached_at": now} if online else \
            {"last_unreachable_at": now, "last_unreachable_error": words}
        _changed(s, update(OutboxDestination).where(OutboxDestination.id == dest_id)
                 .values(**values, updated_at=now))
