"""Full-text search over what staff write about a resident, inside the encrypted database.

The bundled sqlcipher3 (SQLite 3.53.4) is compiled with ENABLE_FTS5 (checked: `PRAGMA
compile_options` lists it and `CREATE VIRTUAL TABLE ... USING fts5` works under a key), so the index
is an FTS5 table, `note_search`, created by migration 0013_case_notes; its pages are encrypted
like every other page, and no text is ever written outside the database. Columns: body (indexed),
resident_id, kind, record_id (UNINDEXED). Areas index their text in the same transaction as the
write; a correction unindexes the text it supersedes and indexes the new text."""
from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.orm import Session

TABLE = "note_search"
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12


def index(session: Session, resident_id: str, kind: str, record_id: str, body: str) -> None:
    session.execute(text(f"INSERT INTO {TABLE} (body, resident_id, kind, record_id) "
                         "VALUES (:b, :r, :k, :i)"), {"b": body, "r": resident_id, "k": kind, "i": record_id})


def unindex(session: Session, kind: str, record_id: str) -> None:
    session.execute(text(f"DELETE FROM {TABLE} WHERE kind = :k AND record_id = :i"), {"k": kind, "i": record_id})


def match_query(words: str) -> str:
    """What a person typed as an FTS5 query: every word must appear; the last one may be the start
    of a word (search as you type). Quoted, so no FTS syntax from the user reaches the engine."""
    terms = _WORD.findall(words)[:MAX_TERMS]
    if not terms:
        return ""
    quoted = ['"' + t.replace('"', '') + '"' for t in terms]
    quoted[-1] += "*"
    return " ".join(quoted)


def search(session: Session, words: str, resident_id: str | None = None,
           limit: int = 500) -> list[tuple[str, str]]:
    """(kind, record_id) of the entries containing every word, best match first."""
    q = match_query(words)
    if not q:
        return []
    sql = f"SELECT kind, record_id FROM {TABLE} WHERE {TABLE} MATCH :q"
    params: dict[str, object] = {"q": q, "n": limit}
    if resident_id is not None:
        sql += " AND resident_id = :r"
        params["r"] = resident_id
    sql += " ORDER BY rank LIMIT :n"
    return [(k, i) for k, i in session.execute(text(sql), params).tuples()]
