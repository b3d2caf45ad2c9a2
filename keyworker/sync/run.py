"""One sync round (`sync_once`): push what this laptop wrote, then pull and apply what the others
wrote, with the hub in keyworker/sync/client.py and the engine in oplog.py / apply.py.

The order of one round, and why nothing is lost or applied twice:

1. **Push**, in batches: one short write takes the batch (`pending_ops`, with this laptop's changed
   key slots published first: keyworker/sync/slots.py) and the audit chain's head; the network call
   holds no transaction; a second short write stores the hub's answer (`record_acks`). A laptop
   that dies between the two pushes the same ops again, and the hub answers the seqs it gave
   (its `UNIQUE (device_id, device_seq)`): nothing is stored twice.
2. **Pull**, page by page from `last_seen`: the page is fetched outside any transaction, then
   applied and `last_seen` advanced in one write (`apply_page`, idempotent), so a page cut short
   by a crash is applied again whole and an op already met is skipped.
3. The key slots other laptops changed are written to the vault.
4. `sync_state`: `last_synced_at` (ISO 8601 UTC) and no `offline_since` / `last_error` after a
   round that finished; `offline_since` (kept from the first failure) and `last_error` when the
   hub could not be reached; `last_error` when it refused. The error is raised again after it is
   recorded, so the caller (the worker, `sync now`) knows.

`db(fn)` runs each database step where the caller does its database work (the app's database
thread); by default, here. A lock per book keeps two rounds of one process from overlapping;
two processes may overlap safely (both steps above are idempotent).

Tests only: KEYWORKER_TEST_CRASH_AT=sync_pushed kills the process after the hub answered a push
and before the answer is stored (keyworker/security/slot_changes.crash_point)."""
from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import delete, func, select

from keyworker.db.sync import CONFLICTS_T, OPS_T, QUARANTINE_T, STATE_T
from keyworker.errors import KeyworkerError
from keyworker.outbox.queue import share_delivery
from keyworker.security import audit_anchor
from keyworker.security.slot_changes import crash_point
from keyworker.sync import slots, snapshot
from keyworker.sync.apply import apply_page, get_state, last_seen, set_state
from keyworker.sync.client import HubClient, HubError, HubRefused, HubUnreachable
from keyworker.sync.hubconf import HubConfig, device_token, hub_config
from keyworker.sync.oplog import OutgoingOp, pending_ops, record_acks
from keyworker.sync.rotate import keys_for_page, take_new_keys
from keyworker.sync.unit_key import take_unit_keys

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from keyworker.casebook import Casebook

T = TypeVar("T")
PUSH_BATCH = 1000           # ops per push (the hub takes up to 2,000)
PUSH_MAX_BYTES = 24 * 2**20  # payload bytes per push (the hub takes 64 MiB of JSON: base64 is 4/3)
PULL_PAGE = 1000            # the hub's most per page
HUB_WENT_BACK = ("The hub has fewer changes than this laptop has already seen (it may have been restored "
                 "from an old backup): ask your administrator before syncing again")
Progress = Callable[[int, int], None]


class NotEnrolled(KeyworkerError):
    def __init__(self) -> None:
        super().__init__("This laptop is not enrolled with a unit hub: an administrator enrols it with "
                         "`main.py sync join` (or `sync bootstrap` for the unit's first laptop).")


class EnrolledElsewhere(KeyworkerError):
    def __init__(self) -> None:
        super().__init__("This unit file was enrolled with the hub on another laptop (its device id differs): "
                         "enrol this laptop with a code of its own; copying a unit file does not enrol it.")


@dataclass(frozen=True)
class SyncReport:
    pushed: int          # this laptop's ops the hub now holds (answered in this round)
    pulled: int          # other laptops' ops applied or held in quarantine in this round
    conflicts_new: int   # open conflicts that were not open before the round
    quarantined: int     # ops held back in this round
    at: datetime


_locks: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def _round_lock(book: Casebook) -> threading.Lock:
    with _locks_guard:
        lock = _locks.get(book)
        if lock is None:
            lock = _locks[book] = threading.Lock()
        return lock


def _here(fn: Callable[[], T]) -> T:
    return fn()


def client_for(book: Casebook, *, timeout: float = 30.0) -> HubClient:
    """The book's hub connection, signed in with the token from its vault."""
    config = hub_config(book._vault)
    if config is None:
        raise NotEnrolled()
    if config.device_id != book.device_id:
        raise EnrolledElsewhere()
    return HubClient(config, device_token(book._vault, book._key), timeout=timeout)


def sync_once(book: Casebook, *, progress: Progress | None = None, db: Callable[[Callable[[], Any]], Any] | None = None,
              client: HubClient | None = None) -> SyncReport:
    run = db or _here
    with _round_lock(book):
        own = client is None
        hub = client_for(book) if client is None else client
        try:
            take_new_keys(book, hub, run)  # a rotated key first: what is written from now on is sealed with it
            take_unit_keys(book, hub)  # a new unit key: kept in the vault, the database re-keyed at the next open
            if run(partial(_snapshot_needed, book)):
                # A laptop that joined: the unit first. One progress bar for the whole first round:
                # the snapshot's rows, then the changes made since it.
                rows = snapshot.load(book, hub, progress=progress, db=run)
                progress = _after(progress, rows)
            before = run(partial(_open_conflicts, book))
            pushed = push_all(book, hub, progress=progress, db=run)
            pulled, held = pull_all(book, hub, progress=progress, db=run, pushed=pushed)
            slots.apply_to_vault(book, run)
            after = run(partial(_open_conflicts, book))
        except HubError as e:
            run(partial(_record_failure, book, e))
            raise
        finally:
            if own:
                hub.close()
        at = datetime.now(UTC)
        run(partial(_record_success, book, at))
        return SyncReport(pushed, pulled, len(after - before), held, at)


def _after(progress: Progress | None, done: int) -> Progress | None:
    """`progress` carried on past `done` steps already reported."""
    if progress is None or not done:
        return progress
    first = progress
    return lambda d, t: first(done + d, done + t)


def _snapshot_needed(book: Casebook) -> bool:
    with book._read() as s:
        return snapshot.needed(s)


# -- push --------------------------------------------------------------------------------------
def _take(book: Casebook, first: bool) -> tuple[list[OutgoingOp], tuple[int, str] | None, int]:
    with book._write() as s:
        if first:
            slots.publish(s, book._vault)
            share_delivery(s, book.clock.now())  # what this laptop's outbox did, onto the documents
        ops = pending_ops(s, PUSH_BATCH)
        head = audit_anchor.head(s)
        left = _pending_count(s) if first else 0
    return ops, None if head is None else (head.seq, head.hash), left


def _pending_count(s: Session) -> int:
    ctx = s.info["ctx"]
    t = OPS_T
    return int(s.connection().execute(select(func.count()).select_from(t).where(
        t.c.device_id == ctx.device_id, t.c.acknowledged == False, t.c.unit_seq.is_(None))).scalar() or 0)  # noqa: E712 - "= 0" uses the partial index


def _batches(ops: list[OutgoingOp]) -> list[list[OutgoingOp]]:
    out: list[list[OutgoingOp]] = [[]]
    size = 0
    for o in ops:
        if out[-1] and size + len(o.payload) > PUSH_MAX_BYTES:
            out.append([])
            size = 0
        out[-1].append(o)
        size += len(o.payload)
    return out


def _record_acks(book: Casebook, acks: list[tuple[str, int]], head: tuple[int, str] | None = None) -> None:
    with book._write() as s:
        record_acks(s, acks)
        if head is not None:
            set_state(s, "chain_head_sent", f"{head[0]}:{head[1]}")


def push_all(book: Casebook, hub: HubClient, *, progress: Progress | None = None,
             db: Callable[[Callable[[], Any]], Any] = _here) -> int:
    """Push every pending op; returns how many the hub answered."""
    done, total, first = 0, 0, True
    while True:
        ops, head, left = db(partial(_take, book, first))
        if first:
            total, first = left, False
        if not ops:
            if done == 0 and head is not None:
                _report_head(book, hub, head, db)
            return done
        for batch in _batches(ops):
            acks = hub.push(batch, head)
            crash_point("sync_pushed")
            db(partial(_record_acks, book, acks, head))
            done += len(batch)
            if progress is not None:
                progress(done, max(total, done))
        if len(ops) < PUSH_BATCH:
            return done


def _head_sent(book: Casebook) -> str | None:
    with book._read() as s:
        return get_state(s, "chain_head_sent")


def _remember_head(book: Casebook, sent: str) -> None:
    with book._write() as s:
        set_state(s, "chain_head_sent", sent)


def _report_head(book: Casebook, hub: HubClient, head: tuple[int, str],
                 db: Callable[[Callable[[], Any]], Any]) -> None:
    """Nothing to push, but entries were added to the audit chain since the hub last heard of it
    (views are audited; they make no ops): an empty push tells the hub the head alone, so `check`
    has a recent entry to compare with (docs/SYNC.md, "Audit-chain heads")."""
    sent = f"{head[0]}:{head[1]}"
    if db(partial(_head_sent, book)) == sent:
        return
    hub.push([], head)
    db(partial(_remember_head, book, sent))


# -- pull --------------------------------------------------------------------------------------
def _seen(book: Casebook) -> int:
    with book._read() as s:
        return last_seen(s)


def _apply(book: Casebook, ops: list[Any]) -> Any:
    with book._write() as s:
        return apply_page(s, ops)


def pull_all(book: Casebook, hub: HubClient, *, progress: Progress | None = None,
             db: Callable[[Callable[[], Any]], Any] = _here, pushed: int = 0) -> tuple[int, int]:
    """Pull and apply every page after last_seen. Returns (applied, quarantined)."""
    start = after = db(partial(_seen, book))
    applied = held = 0
    while True:
        page = hub.pull(after, PULL_PAGE)
        if page.head < after:
            raise HubRefused(HUB_WENT_BACK)
        if not page.ops:
            return applied, held
        keys_for_page(book, hub, page.ops, db)  # a key rotated since the round began
        result = db(partial(_apply, book, page.ops))
        applied += result.applied
        held += result.quarantined
        after = max(after, result.last_seen)
        if progress is not None:
            progress(pushed + after - start, pushed + page.head - start)
        if not page.more:
            return applied, held


# -- state -------------------------------------------------------------------------------------
def _open_conflicts(book: Casebook) -> set[str]:
    t = CONFLICTS_T
    with book._read() as s:
        return set(s.execute(select(t.c.id).where(t.c.resolved_at.is_(None))).scalars())


def _clear(s: Session, *keys: str) -> None:
    s.connection().execute(delete(STATE_T).where(STATE_T.c.key.in_(keys)))  # hard-delete-ok: local sync state, never synced


def _record_success(book: Casebook, at: datetime) -> None:
    with book._write() as s:
        set_state(s, "last_synced_at", at.isoformat())
        _clear(s, "offline_since", "last_error")


def _record_failure(book: Casebook, error: HubError) -> None:
    try:
        with book._write() as s:
            if isinstance(error, HubUnreachable) and get_state(s, "offline_since") is None:
                set_state(s, "offline_since", datetime.now(UTC).isoformat())
            set_state(s, "last_error", error.message)
    except KeyworkerError:
        pass  # locked or closing: the error is raised to the caller all the same


# -- status ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyncStatus:
    enrolled: bool
    hub: str | None
    unit_id: str | None
    device_id: str
    last_synced_at: str | None
    offline_since: str | None
    last_error: str | None
    pending_ops: int
    conflicts_waiting: int
    quarantined: int


def sync_status(book: Casebook) -> SyncStatus:
    config: HubConfig | None = hub_config(book._vault)
    with book._read() as s:
        s.info["ctx"] = type("Ctx", (), {"device_id": book.device_id})()
        state = dict(s.execute(select(STATE_T.c.key, STATE_T.c.value)).tuples().all())
        pending = _pending_count(s)
        waiting = int(s.execute(select(func.count()).select_from(CONFLICTS_T)
                                .where(CONFLICTS_T.c.resolved_at.is_(None))).scalar() or 0)
        held = int(s.execute(select(func.count()).select_from(QUARANTINE_T)).scalar() or 0)
    return SyncStatus(config is not None, config.url if config else None, config.unit_id if config else None,
                      book.device_id, state.get("last_synced_at"), state.get("offline_since"),
                      state.get("last_error"), pending, waiting, held)
