"""The resident's timeline: notes, contacts, key-work sessions and incidents on one list (the Notes
tab). Each area registers a source at import (`register_timeline_source`); `book.notes.timeline`
merges them newest first inside one audited read. No Qt."""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from keyworker.clock import LONDON


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # the source's key: "note", "contact", "session", "incident"
    record_id: str
    resident_id: str
    at: datetime  # UTC aware: the time the entry is about
    title: str  # one line for a person ("Handover note", "Phone call with family: Ann Lee")
    text: str  # the body shown under the title
    by_name: str  # who wrote it
    superseded: bool  # a correction replaced it: shown struck through, with `correction`
    correction: str = ""  # on a superseded entry: why it was corrected; on a correction: its reason
    supersedes_id: str | None = None  # on a correction: the entry it replaced
    flagged: bool = False  # a note for the next shift not yet acknowledged


# fetch(session, resident_id, date_from, date_to) -> entries; dates are the unit's days, both included.
Fetch = Callable[[Session, str, "date | None", "date | None"], list[TimelineEntry]]
# fetch_ids(session, resident_id, record_ids) -> only those entries of the resident (search hits).
FetchIds = Callable[[Session, str, Collection[str]], list[TimelineEntry]]
# fetch_page(session, resident_id, date_from, date_to, limit, before) -> (at most `limit` entries
# older than `before` = (at, record_id), newest first; how many in all; how many older than `before`).
FetchPage = Callable[[Session, str, "date | None", "date | None", int, "tuple[datetime, str] | None"],
                     tuple[list[TimelineEntry], int, int]]


@dataclass(frozen=True)
class TimelineSource:
    kind: str
    label: str  # plural words for the filter ("Notes", "Contacts", "Key-work sessions", "Incidents")
    fetch: Fetch
    fetch_ids: FetchIds | None = None  # None: `merge_ids` fetches all and keeps the ids asked for
    fetch_page: FetchPage | None = None  # None: `page` fetches all (a source with few entries)


_SOURCES: dict[str, TimelineSource] = {}


def register_timeline_source(kind: str, label: str, fetch: Fetch, fetch_ids: FetchIds | None = None,
                             fetch_page: FetchPage | None = None) -> None:
    """Add (or replace, on re-import) a source. Call at import of the area's service module.
    `fetch_ids` (optional): the entries with those record ids only, so a search reads its hits
    and not the whole timeline; `fetch_page` (optional, for a source with thousands of entries):
    only the newest `limit` older than a point, and the counts."""
    _SOURCES[kind] = TimelineSource(kind, label, fetch, fetch_ids, fetch_page)


def sources() -> list[TimelineSource]:
    return list(_SOURCES.values())


def day_bounds(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """The unit's days as UTC instants: [start of date_from, start of the day after date_to)."""
    low = datetime.combine(date_from, time(), LONDON) if date_from else None
    high = datetime.combine(date_to + timedelta(days=1), time(), LONDON) if date_to else None
    return low, high


def merge(session: Session, resident_id: str, kinds: Iterable[str], date_from: date | None,
          date_to: date | None) -> list[TimelineEntry]:
    """Every chosen source's entries (no kinds: all), newest first. Checks nothing: the caller did."""
    wanted = set(kinds)
    out: list[TimelineEntry] = []
    for src in _SOURCES.values():
        if not wanted or src.kind in wanted:
            out.extend(src.fetch(session, resident_id, date_from, date_to))
    out.sort(key=lambda e: (e.at, e.record_id), reverse=True)
    return out


def page(session: Session, resident_id: str, kinds: Iterable[str], date_from: date | None,
         date_to: date | None, limit: int, before: tuple[datetime, str] | None) -> tuple[list[TimelineEntry], int, int]:
    """The newest `limit` entries older than `before` of the chosen sources (no kinds: all), how
    many entries there are in all, and how many come after this page. A source with `fetch_page`
    reads its page alone; the page of the whole is within the union of the sources' pages."""
    wanted = set(kinds)
    out: list[TimelineEntry] = []
    total = older = 0
    for src in _SOURCES.values():
        if wanted and src.kind not in wanted:
            continue
        if src.fetch_page is not None:
            got, n_all, n_older = src.fetch_page(session, resident_id, date_from, date_to, limit, before)
            out.extend(got)
            total += n_all
            older += n_older
        else:
            got = src.fetch(session, resident_id, date_from, date_to)
            total += len(got)
            if before is not None:
                got = [e for e in got if (e.at, e.record_id) < before]
            older += len(got)
            out.extend(got)
    out.sort(key=lambda e: (e.at, e.record_id), reverse=True)
    return out[:limit], total, older - min(limit, len(out))


def merge_ids(session: Session, resident_id: str, hits: Iterable[tuple[str, str]], kinds: Iterable[str],
              date_from: date | None, date_to: date | None) -> list[TimelineEntry]:
    """Only the entries named by `hits` ((kind, record_id), e.g. from the search index) of the
    chosen kinds (none: all) and days, newest first: each source reads those records alone."""
    wanted = set(kinds)
    by_kind: dict[str, set[str]] = {}
    for kind, record_id in hits:
        if not wanted or kind in wanted:
            by_kind.setdefault(kind, set()).add(record_id)
    low, high = day_bounds(date_from, date_to)
    out: list[TimelineEntry] = []
    for kind, ids in by_kind.items():
        src = _SOURCES.get(kind)
        if src is None:
            continue
        if src.fetch_ids is None:
            out.extend(e for e in src.fetch(session, resident_id, date_from, date_to) if e.record_id in ids)
            continue
        out.extend(e for e in src.fetch_ids(session, resident_id, ids) if e.resident_id == resident_id
                   and (low is None or e.at >= low) and (high is None or e.at < high))
    out.sort(key=lambda e: (e.at, e.record_id), reverse=True)
    return out
