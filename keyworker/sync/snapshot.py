"""A unit snapshot: a new laptop's first sync without replaying every op (docs/SYNC.md, "Snapshots").

Replaying a whole unit op by op runs at about 2,000 ops a second on a laptop (the apply engine's
rules per op); a 20,000-resident unit is about a million ops. A snapshot moves the same end state
as plain rows, which SQLite writes at hundreds of thousands a second.

- `publish(book, hub)` on an enrolled laptop: one sync round first, then ONE read transaction (a
  consistent view, WAL) that checks that every op this laptop wrote has been met in hub order (none
  open, none beyond `last_seen`: its rows are then exactly what the ops up to `last_seen` give,
  as on every laptop) and streams, in chunks of about 4 MiB of JSON, zlib-compressed and sealed
  under the unit's current sync key (associated data: snapshot id and chunk number):
  - every synchronised table (`oplog.synced_tables`, less the columns that stay on a laptop);
  - the sync bookkeeping that makes later ops apply as on every other laptop: `sync_heads`,
    `sync_conflicts`, `sync_quarantine`, `sync_aliases` (the later of two care plans or risk
    assessments of a stay), and the op-log rows the rules and the conflict screens look up
    (inserts of residents and of care plan and risk versions, ops named by a field head or a
    conflict, and the key slots' ops; payloads only for the key slots);
  - the notes' full-text index (`note_search`, `note_search_rows`), so search works at once;
  - last, a manifest: the unit_seq it covers, the schema revision, the chunk count and the rows
    per table.
- `load(book, hub)` on a laptop that joined (`sync_state` says `snapshot_needed`): the newest
  complete snapshot on the hub, its manifest first (a snapshot of another schema is refused
  before anything is written), then every chunk into the empty unit in ONE write transaction
  (foreign keys checked at its commit), the row counts checked against the manifest, `last_seen`
  set to the snapshot's unit_seq. All or nothing: a load cut short leaves `snapshot_needed`, and
  the next round loads again (after a crash, the first sign-in runs that round: keyworker/casebook.py
  `_finish_join_if_needed`, since the accounts come with the snapshot). The pull then brings only
  the ops after it.

The hub stores the sealed bytes (keyworker/hub/snapshots.py) and cannot read them. A chunk that does
not open, a missing chunk or a count that differs stops the load with nothing written."""
from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import LargeBinary, Table, func, select

from keyworker.db.sync import ALIASES_T, CONFLICTS_T, HEADS_T, OPS_T, QUARANTINE_T
from keyworker.errors import DatabaseError, KeyworkerError
from keyworker.security.slot_changes import crash_point
from keyworker.sync.apply import ALL_FIELDS, RESIDENTS, VERSIONED, get_state, last_seen, set_state
from keyworker.sync.keys import Keyring, PayloadUnreadable
from keyworker.sync.oplog import LOCAL_COLUMNS, VAULT_SLOTS, synced_tables

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    from keyworker.casebook import Casebook
    from keyworker.sync.client import HubClient, HubSnapshot

FORMAT = 1
NEEDED = "snapshot_needed"   # sync_state: this laptop joined and loads a snapshot before its first pull
LOADED_AT_SEQ = "snapshot_seq"  # sync_state: the unit_seq of the snapshot it loaded (ops up to it are not in its log)
CHUNK_JSON_BYTES = 4 * 2**20  # about this much JSON per chunk before compression
FETCH_ROWS = 2000
ATTEMPTS = 3
_KIND = "snapshot"            # the entity type in a chunk's associated data (no table has this name)
Progress = Callable[[int, int], None]


class SnapshotError(KeyworkerError):
    pass


@dataclass(frozen=True)
class _Part:
    """One table of the snapshot: its name, the columns moved, how they are read, which are bytes."""

    name: str
    columns: tuple[str, ...]
    select: str
    binary: tuple[int, ...]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _part(table: Table, skip: frozenset[str] = frozenset()) -> _Part:
    cols = [c for c in table.columns if c.name not in skip]
    names = tuple(c.name for c in cols)
    return _Part(table.name, names, f"SELECT {', '.join(map(_q, names))} FROM {_q(table.name)}",
                 tuple(i for i, c in enumerate(cols) if isinstance(c.type, LargeBinary)))


def _oplog_part() -> _Part:
    names = tuple(c.name for c in OPS_T.columns)
    keep_payload = f"o.entity_type = '{VAULT_SLOTS}'"
    exprs = [f"CASE WHEN {keep_payload} THEN o.payload ELSE x'' END" if n == "payload" else
             f"CASE WHEN {keep_payload} THEN o.key_epoch ELSE -1 END" if n == "key_epoch" else
             "1" if n == "acknowledged" else f"o.{_q(n)}" for n in names]
    looked_up = ", ".join(f"'{t}'" for t in (RESIDENTS, *VERSIONED))
    where = (f"o.unit_seq IS NOT NULL AND ({keep_payload} "
             f"OR (o.kind = 'insert' AND o.entity_type IN ({looked_up})) "
             f"OR o.op_id IN (SELECT op_id FROM sync_heads WHERE field <> '{ALL_FIELDS}') "
             "OR o.op_id IN (SELECT op_a FROM sync_conflicts) OR o.op_id IN (SELECT op_b FROM sync_conflicts))")
    return _Part(OPS_T.name, names, f"SELECT {', '.join(exprs)} FROM sync_ops o WHERE {where}",
                 (names.index("payload"),))


def parts() -> list[_Part]:
    """What a snapshot holds, parents first (the load defers foreign keys all the same)."""
    out = [_part(t, LOCAL_COLUMNS.get(t.name, frozenset())) for t in synced_tables()]
    out += [_part(t) for t in (HEADS_T, CONFLICTS_T, QUARANTINE_T, ALIASES_T)]
    out.append(_oplog_part())
    out.append(_Part("note_search_rows", ("rowid", "kind", "record_id", "resident_id"),
                     "SELECT rowid, kind, record_id, resident_id FROM note_search_rows", ()))
    out.append(_Part("note_search", ("rowid", "body", "rtoken"), "SELECT rowid, body, rtoken FROM note_search", ()))
    return out


def _schema(conn: Connection) -> str:
    return str(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar())


def _seal(keyring: Keyring, sid: str, n: int, obj: Any) -> bytes:
    plain = zlib.compress(obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode(), 1)
    return keyring.seal(sid, _KIND, str(n), plain)[1]


def _open(keyring: Keyring, sid: str, n: int, sealed: bytes) -> Any:
    try:
        return json.loads(zlib.decompress(keyring.open(None, sid, _KIND, str(n), sealed)))
    except (PayloadUnreadable, zlib.error, ValueError) as e:
        raise SnapshotError(f"Part {n + 1} of the unit's copy on the hub does not open with this unit's keys "
                            f"({e}): nothing was written. Ask your administrator for a new enrolment code.") from e


# -- publish -----------------------------------------------------------------------------------
def _own_open(s: Session, me: str, seen: int) -> bool:
    t = OPS_T
    conn = s.connection()
    if conn.execute(select(t.c.op_id).where(t.c.device_id == me, t.c.acknowledged == False).limit(1)).first():  # noqa: E712 - "= 0" uses ix_sync_ops_open
        return True
    return conn.execute(select(t.c.op_id).where(t.c.device_id == me, t.c.unit_seq > seen).limit(1)).first() is not None


def _rows_total(conn: Connection, all_parts: list[_Part]) -> int:
    n = 0
    for p in all_parts:
        n += int(conn.exec_driver_sql(f"SELECT count(*) FROM ({p.select})").scalar() or 0)
    return n


def _chunks(conn: Connection, all_parts: list[_Part], counts: dict[str, int],
            on_rows: Callable[[int], None]) -> Iterator[bytes]:
    """The snapshot's data chunks as JSON bytes: {"t": table, "c": columns, "r": rows}."""
    for p in all_parts:
        head = json.dumps({"t": p.name, "c": p.columns}, separators=(",", ":"))[:-1] + ',"r":['
        pieces: list[str] = []
        size = 0
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr] # raw rows: JSON as stored
        cur.execute(p.select)
        counts[p.name] = 0
        while True:
            rows = cur.fetchmany(FETCH_ROWS)
            # Rows with bytes (a document's PDF) can be megabytes each: measured one by one, so a
            # chunk stays near the target however large its rows (the hub takes 16 MiB a chunk).
            for text_ in _row_texts(rows, p.binary) if p.binary else [json.dumps(rows, separators=(",", ":"),
                                                                                  ensure_ascii=False)]:
                if pieces and size + len(text_) > CHUNK_JSON_BYTES:
                    yield (head + ",".join(pieces) + "]}").encode()
                    pieces, size = [], 0
                if len(text_) > 2:
                    pieces.append(text_[1:-1])
                    size += len(text_)
            counts[p.name] += len(rows)
            on_rows(len(rows))
            if pieces and (size >= CHUNK_JSON_BYTES or not rows):
                yield (head + ",".join(pieces) + "]}").encode()
                pieces, size = [], 0
            if not rows:
                break


def _row_texts(rows: Sequence[Any], binary: tuple[int, ...]) -> Iterator[str]:
    """Each row as a one-row JSON array, its bytes columns in base64."""
    for row in rows:
        r = list(row)
        for i in binary:
            if r[i] is not None:
                r[i] = base64.b64encode(r[i]).decode("ascii")
        yield json.dumps([r], separators=(",", ":"), ensure_ascii=False)


def publish(book: Casebook, hub: HubClient, *, progress: Progress | None = None) -> int:
    """Sync, then upload a snapshot of the unit as this laptop has it. Returns its unit_seq."""
    from keyworker.sync.run import _round_lock, sync_once

    keyring = book._sync_keyring()
    for _ in range(ATTEMPTS):
        sync_once(book, client=hub)
        with _round_lock(book), book._read() as s:
            seen = last_seen(s)
            if _own_open(s, book.device_id, seen):
                continue  # a change was made since the round: sync it first
            conn = s.connection()
            all_parts = parts()
            total = _rows_total(conn, all_parts)
            done = 0

            def rows_read(k: int) -> None:
                nonlocal done
                done += k
                if progress is not None:
                    progress(done, max(total, done))

            sid = hub.snapshot_begin(seen)
            counts: dict[str, int] = {}
            n = 0
            for raw in _chunks(conn, all_parts, counts, rows_read):
                hub.snapshot_put(sid, n, _seal(keyring, sid, n, raw))
                n += 1
            manifest = {"manifest": {"format": FORMAT, "unit_seq": seen, "schema": _schema(conn), "chunks": n + 1,
                                     "counts": counts, "unit_id": book._vault.unit_id, "made_by": book.device_id,
                                     "made_at": datetime.now(UTC).isoformat()}}
            hub.snapshot_put(sid, n, _seal(keyring, sid, n, manifest))
            hub.snapshot_complete(sid, n + 1)
        with book._write() as w:
            book._record(w, "sync.snapshot_published", "unit", book._vault.unit_id,
                         detail={"unit_seq": seen, "rows": sum(counts.values()), "chunks": n + 1})
        return seen
    raise SnapshotError("Changes kept arriving on this laptop while the copy of the unit was being made: try again "
                        "in a quieter moment.")


# -- load --------------------------------------------------------------------------------------
def needed(s: Session) -> bool:
    return get_state(s, NEEDED) == "1"


def _manifest(keyring: Keyring, info: HubSnapshot, sealed: bytes, schema: str, unit_id: str) -> dict[str, Any]:
    data = _open(keyring, info.snapshot_id, info.chunks - 1, sealed)
    m = data.get("manifest") if isinstance(data, dict) else None
    if not isinstance(m, dict) or m.get("format") != FORMAT or m.get("chunks") != info.chunks \
            or m.get("unit_seq") != info.unit_seq or not isinstance(m.get("counts"), dict):
        raise SnapshotError("The unit's copy on the hub is incomplete: nothing was written. Ask your administrator "
                            "to make a new enrolment code.")
    if m.get("unit_id") != unit_id:
        raise SnapshotError("The copy on the hub is of another unit: nothing was written. Ask your administrator.")
    if m.get("schema") != schema:
        raise SnapshotError(f"The copy on the hub was made by another version of Keyworker (database {m.get('schema')}, "
                            f"this laptop {schema}): update Keyworker on both laptops to the same version, then sync.")
    return m


def load(book: Casebook, hub: HubClient, *, progress: Progress | None = None,
         db: Callable[[Callable[[], Any]], Any] | None = None) -> int:
    """Load the newest snapshot into this (empty, just joined) unit. Returns how many rows it
    loaded (its unit_seq becomes `last_seen`). A
    snapshot replaced on the hub while it downloads (another code was made) is given up for the
    newer one, up to ATTEMPTS times."""
    from keyworker.sync.client import HubRefused

    run = db or (lambda fn: fn())
    keyring = book._sync_keyring()

    def schema() -> str:
        with book._read() as s:
            return _schema(s.connection())

    for attempt in range(ATTEMPTS):
        info = hub.latest_snapshot()
        if info is None:
            raise SnapshotError("The hub holds no copy of the unit for a new laptop yet: ask your administrator to "
                                "make a new enrolment code on an enrolled laptop, then sync.")
        try:
            manifest = _manifest(keyring, info, hub.snapshot_chunk(info.snapshot_id, info.chunks - 1), run(schema),
                                 book._vault.unit_id)
            run(lambda: _load(book, hub, keyring, info, manifest, progress))
        except HubRefused as e:
            newer = hub.latest_snapshot() if e.status == 404 and attempt + 1 < ATTEMPTS else None
            if newer is None or newer.snapshot_id == info.snapshot_id:
                raise
            continue  # nothing of it was written: the newer one from the start
        except DatabaseError as e:  # a row that does not fit (its foreign keys are checked at the commit)
            raise SnapshotError(f"The unit's copy on the hub could not be written here ({e}): nothing was written. "
                                "Ask your administrator.") from e
        return sum(int(v) for v in manifest["counts"].values())
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _load(book: Casebook, hub: HubClient, keyring: Keyring, info: HubSnapshot, manifest: dict[str, Any],
          progress: Progress | None) -> None:
    want: dict[str, int] = {str(k): int(v) for k, v in manifest["counts"].items()}
    total = sum(want.values())
    by_name = {p.name: p for p in parts()}
    got: dict[str, int] = {}
    done = 0
    with book._write() as s, ThreadPoolExecutor(1, thread_name_prefix="snapshot-fetch") as fetch:
        if not needed(s) or last_seen(s) != 0:
            return  # loaded already (another process), or this laptop has synced since
        conn = s.connection()
        if conn.execute(select(func.count()).select_from(OPS_T).where(OPS_T.c.unit_seq.is_not(None))).scalar():
            raise SnapshotError("This unit already holds changes from the hub: a copy is loaded only into a new one.")
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # until this transaction commits
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr] # rows as they were stored
        coming = fetch.submit(hub.snapshot_chunk, info.snapshot_id, 0) if info.chunks > 1 else None
        for n in range(info.chunks - 1):
            sealed = coming.result() if coming is not None else b""
            coming = fetch.submit(hub.snapshot_chunk, info.snapshot_id, n + 1) if n + 2 < info.chunks else None
            data = _open(keyring, info.snapshot_id, n, sealed)
            p = by_name.get(str(data.get("t")))
            if p is None or tuple(data.get("c") or ()) != p.columns:
                raise SnapshotError(f"Part {n + 1} of the unit's copy holds a table this version does not know "
                                    f"({data.get('t')}): nothing was written.")
            rows: list[Any] = data["r"]
            if p.binary:
                for r in rows:
                    for i in p.binary:
                        if r[i] is not None:
                            r[i] = base64.b64decode(r[i])
            if rows:
                cur.executemany(f"INSERT INTO {_q(p.name)} ({', '.join(map(_q, p.columns))}) "
                                f"VALUES ({', '.join('?' * len(p.columns))})", rows)
            got[p.name] = got.get(p.name, 0) + len(rows)
            done += len(rows)
            crash_point("snapshot_loading")  # tests: the process dies part way through the load
            if progress is not None:
                progress(done, max(total, done))
        short = {k: (v, got.get(k, 0)) for k, v in want.items() if got.get(k, 0) != v}
        if short:
            raise SnapshotError(f"The unit's copy on the hub is incomplete ({len(short)} tables short): nothing was "
                                "written. Ask your administrator for a new enrolment code.")
        set_state(s, "last_seen", str(info.unit_seq))
        set_state(s, NEEDED, "0")
        set_state(s, LOADED_AT_SEQ, str(info.unit_seq))
        book._record(s, "sync.snapshot_loaded", "unit", book._vault.unit_id,
                     detail={"unit_seq": info.unit_seq, "rows": done, "chunks": info.chunks,
                             "made_by": manifest.get("made_by")})


__all__ = ["NEEDED", "SnapshotError", "load", "needed", "parts", "publish"]
