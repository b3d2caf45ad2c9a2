"""Readers never hold up writers: `check` or a report running in one process must not make a key
worker's save wait (or fail with 'database is locked') in another."""
from __future__ import annotations

from sqlalchemy import func, select

from keyworker.casebook import Casebook
from keyworker.db.foundation import AuditEntry


def test_a_writer_saves_while_a_read_transaction_is_open(book_factory) -> None:  # type: ignore[no-untyped-def]
    reader: Casebook = book_factory("manager")
    writer: Casebook = book_factory("admin")
    with reader._read() as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry))  # the read transaction is now open
        writer.settings.set("idle_lock_minutes", 15)  # would wait, then fail, if reads took the write lock
        # The reader keeps its snapshot (WAL isolation); a new read sees the change.
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert reader.settings.get("idle_lock_minutes") == 15
