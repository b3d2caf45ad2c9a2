"""Failed sign-in counters and the queue of failures waiting to be audited, as kept in the vault's
data (the database cannot be read before sign-in). Pure functions on that dict: the vault calls
them inside its locked read-modify-write, so parallel processes never lose an update.

Floods of made-up names are bounded without harming real accounts: counters of names that have
a key slot (and the recovery key's) are never evicted, and failures of unknown names beyond a
few are summarised as one count instead of pushing real failures out of the queue."""
from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from keyworker.ids import new_id

FREE_FAILURES = 5
MAX_DELAY_S = 300
RECOVERY_COUNTER = "#recovery"  # not a valid user name, so it cannot collide with an account
MAX_COUNTERS = 200  # counters kept for unknown names (real accounts' counters are always kept)
MAX_PENDING_REAL = 2000
MAX_PENDING_UNKNOWN = 50


def throttle_delay(failures: int) -> int:
    """Seconds to wait after `failures` failed sign-ins in a row: none for the first five, then
    30 s doubling to a cap of five minutes (a night worker must not be locked out for long)."""
    if failures < FREE_FAILURES:
        return 0
    return min(30 * 2 ** min(failures - FREE_FAILURES, 16), MAX_DELAY_S)


def _real_names(data: dict[str, Any]) -> set[str]:
    names = {s.get("username") for s in data["slots"] if isinstance(s, dict)}
    return {n for n in names if isinstance(n, str)} | {RECOVERY_COUNTER}


def read_counter(data: dict[str, Any], name: str, now: datetime) -> tuple[int, datetime | None, bool]:
    """(failures, time of the last one, damaged). A damaged entry counts as five failures just
    now: it must never switch throttling off for that user."""
    entry = data["throttle"].get(name)
    if entry is None:
        return 0, None, False
    try:
        failures = entry["failures"]
        if not isinstance(failures, int) or isinstance(failures, bool) or failures < 0:
            raise ValueError(failures)
        last = datetime.fromisoformat(entry["last"])
        if last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        return failures, last, False
    except (KeyError, TypeError, ValueError):
        return FREE_FAILURES, now, True


def failures(data: dict[str, Any], name: str, now: datetime) -> int:
    return read_counter(data, name, now)[0]


def reserve_attempt(data: dict[str, Any], name: str, now: datetime) -> int:
    """Count an attempt before the password is checked (so parallel guesses are all counted),
    unless the user must wait: then return the seconds left and count nothing."""
    count, last, damaged = read_counter(data, name, now)
    if damaged:
        data["throttle"][name] = {"failures": count, "last": now.isoformat()}
    wait = throttle_delay(count)
    if wait and last is not None:
        remaining = (last + timedelta(seconds=wait) - now).total_seconds()
        if remaining > 0:
            return math.ceil(remaining)
    data["throttle"][name] = {"failures": count + 1, "last": now.isoformat()}
    _evict_unknown(data)
    return 0


def clear(data: dict[str, Any], name: str) -> None:
    data["throttle"].pop(name, None)


def _evict_unknown(data: dict[str, Any]) -> None:
    throttle = data["throttle"]
    real = _real_names(data)
    unknown = [n for n in throttle if n not in real]
    if len(unknown) <= MAX_COUNTERS:
        return
    def last(n: str) -> str:
        entry = throttle[n]
        return str(entry.get("last", "")) if isinstance(entry, dict) else ""
    for n in sorted(unknown, key=last)[: len(unknown) - MAX_COUNTERS]:
        del throttle[n]


def queue_failure(data: dict[str, Any], name: str, at: datetime) -> None:
    """Remember a failed sign-in until the database is next opened (then it goes to the audit chain)."""
    if name in _real_names(data):
        real = _list(data, "pending_audit")
        real.append([at.isoformat(), name[:64], new_id()])
        del real[:-MAX_PENDING_REAL]
        return
    unknown = _list(data, "pending_unknown")
    if len(unknown) < MAX_PENDING_UNKNOWN:
        unknown.append([at.isoformat(), name[:64], new_id()])
        return
    more = data.get("pending_unknown_more")
    if not isinstance(more, dict) or not isinstance(more.get("count"), int):
        more = {"count": 0, "first": at.isoformat()}
    more["count"] += 1
    more["last"] = at.isoformat()
    data["pending_unknown_more"] = more


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        value = data[key] = []
    return value


def pending(data: dict[str, Any]) -> tuple[list[tuple[str, str, str]], dict[str, Any] | None]:
    """The queued failures ((at, name, id) each) and the summary of unknown names beyond the first few."""
    rows: list[tuple[str, str, str]] = []
    for key in ("pending_audit", "pending_unknown"):
        for row in data.get(key) or []:
            if isinstance(row, list) and len(row) >= 2:
                rows.append((str(row[0]), str(row[1]), str(row[2]) if len(row) > 2 else ""))
    more = data.get("pending_unknown_more")
    return rows, dict(more) if isinstance(more, dict) else None


def drop_pending(data: dict[str, Any], ids: set[str], more_count: int) -> None:
    """Forget the failures now in the audit chain (those queued meanwhile stay)."""
    for key in ("pending_audit", "pending_unknown"):
        rows = data.get(key)
        if isinstance(rows, list):
            data[key] = [r for r in rows if not (isinstance(r, list) and (len(r) < 3 or r[2] in ids))]
    more = data.get("pending_unknown_more")
    if isinstance(more, dict) and more_count:
        left = int(more.get("count", 0)) - more_count if isinstance(more.get("count"), int) else 0
        if left > 0:
            more["count"] = left
        else:
            data.pop("pending_unknown_more", None)


COUNTER_KEYS = ("throttle", "pending_audit", "pending_unknown", "pending_unknown_more")


def counters(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in COUNTER_KEYS if k in data}


def replace_counters(data: dict[str, Any], source: dict[str, Any]) -> None:
    for k in COUNTER_KEYS:
        data.pop(k, None)
    data.update(source)
    data.setdefault("throttle", {})
