"""Key work's links into the notes area's full-text search (keyworker/note_search.py): session
notes are indexed in the write that saves them. The search table comes with migration
0013_case_notes (notes area); until a unit has it there is nothing to index into, so each call
first asks SQLite whether the table exists (a lookup in the schema, microseconds)."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from keyworker import note_search


SEARCH_TABLE = "note_search"  # the FTS5 table of migration 0013_case_notes


def _searchable(s: Session) -> bool:
    return s.execute(text("SELECT 1 FROM sqlite_master WHERE name = :t"), {"t": SEARCH_TABLE}).first() is not None


def index_text(s: Session, resident_id: str, kind: str, record_id: str, body: str) -> None:
    if body.strip() and _searchable(s):
        note_search.index(s, resident_id, kind, record_id, body)


def unindex_text(s: Session, kind: str, record_id: str) -> None:
    if _searchable(s):
        note_search.unindex(s, kind, record_id)
