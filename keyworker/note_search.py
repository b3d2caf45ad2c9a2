"""Full-text search over what staff write about a resident, inside the encrypted database.

The bundled sqlcipher3 (SQLite 3.53.4) is compiled with ENABLE_FTS5 (checked: `PRAGMA
compile_options` lists it and `CREATE VIRTUAL TABLE ... USING fts5` works under a key), so the index
is an FTS5 table, `note_search(body, rtoken)`, made by migration 0013_case_notes; its pages are
encrypted like every other page, and no text is written outside the database. `rtoken` is one
token naming the resident, so a search within a record is an AND in the index itself;
`note_search_rows(rowid, kind, record_id, resident_id)` says which record each row is. Areas
index in the same transaction as the write; a correction unindexes the text it supersedes.

Rows that arrive from other laptops (keyworker/sync/apply.py) are written without the areas'
services, so each area names its searchable table once (`register_source`: the kind, the model,
the text it indexes) and the apply engine calls `reindex` for every such row a page touched."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

# The FTS5 table and the shadow tables SQLite keeps for it: not describable as metadata (the schema
# check in tests/unit/test_architecture.py leaves these, and only these, out).
VIRTUAL_TABLES = frozenset({"note_search", "note_search_data", "note_search_idx", "note_search_content",
                            "note_search_docsize", "note_search_config"})
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12


def resident_token(resident_id: str) -> str:
    return "r" + re.sub(r"[^0-9a-zA-Z]", "", resident_id).lower()


def index(session: Session, resident_id: str, kind: str, record_id: str, body: str) -> None:
    # The map row first: its INTEGER PRIMARY KEY is the FTS row's rowid (RETURNING on a virtual
    # table gives no rowid).
    rowid = session.execute(text("INSERT INTO note_search_rows (kind, record_id, resident_id) "
                                 "VALUES (:k, :i, :r) RETURNING rowid"),
                            {"k": kind, "i": record_id, "r": resident_id}).scalar_one()
    session.execute(text("INSERT INTO note_search (rowid, body, rtoken) VALUES (:n, :b, :t)"),
                    {"n": rowid, "b": body, "t": resident_token(resident_id)})


def unindex(session: Session, kind: str, record_id: str) -> None:
    rowid = session.execute(text("SELECT rowid FROM note_search_rows WHERE record_id = :i AND kind = :k"),
                            {"k": kind, "i": record_id}).scalar()
    if rowid is not None:
        # hard-delete-ok: the index is derived from the record, which stays (superseded, not deleted)
        session.execute(text("DELETE FROM note_search WHERE rowid = :n"), {"n": rowid})  # hard-delete-ok: index
        session.execute(text("DELETE FROM note_search_rows WHERE rowid = :n"), {"n": rowid})  # hard-delete-ok: index


def match_query(words: str, resident_id: str | None = None) -> str:
    """What a person typed as an FTS5 query: every word must appear in the text; the last may be
    the start of a word (search as you type). Each word is quoted, so no FTS syntax typed by a
    person reaches the engine."""
    terms = _WORD.findall(words)[:MAX_TERMS]
    if not terms:
        return ""
    quoted = ['"' + t + '"' for t in terms]
    quoted[-1] += " *"
    q = "body : (" + " ".join(quoted) + ")"
    if resident_id is not None:
        q += f' AND rtoken : "{resident_token(resident_id)}"'
    return q


def search(session: Session, words: str, resident_id: str | None = None,
           limit: int = 1000) -> list[tuple[str, str]]:
    """(kind, record_id) of the entries containing every word, newest indexed first."""
    q = match_query(words, resident_id)
    if not q:
        return []
    rows = session.execute(text(
        "SELECT r.kind, r.record_id FROM note_search JOIN note_search_rows r ON r.rowid = note_search.rowid "
        "WHERE note_search MATCH :q ORDER BY note_search.rowid DESC LIMIT :n"), {"q": q, "n": limit})
    return [(k, i) for k, i in rows.tuples()]


@dataclass(frozen=True)
class Source:
    kind: str
    model: type
    body: Callable[[Any], str]


SOURCES: dict[str, Source] = {}  # table name -> how its rows are indexed


def register_source(table: str, kind: str, model: type, body: Callable[[Any], str]) -> None:
    SOURCES[table] = Source(kind, model, body)


def reindex(session: Session, table: str, record_ids: set[str]) -> int:
    """Bring the index up to date for these rows of `table` as they stand now: a current row's text
    (again), nothing for one archived, superseded by a correction or absent. Returns how many are
    indexed."""
    src = SOURCES.get(table)
    if src is None or not record_ids:
        return 0
    n = 0
    for rid in sorted(record_ids):
        unindex(session, src.kind, rid)
        row = session.get(src.model, rid, populate_existing=True)  # written by Core statements just now
        if row is None or getattr(row, "archived", False) or getattr(row, "superseded_by_id", None):
            continue
        body = src.body(row)
        if body.strip():
            index(session, row.resident_id, src.kind, rid, body)
            n += 1
    return n
