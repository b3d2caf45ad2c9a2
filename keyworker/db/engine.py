"""The SQLCipher engine. The database gets a raw 256-bit key (no per-connection key derivation);
WAL pages are encrypted by SQLCipher and temporary tables stay in memory, so nothing readable
reaches the disk."""
from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlcipher3
from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import QueuePool

from keyworker.errors import DatabaseError, StorageError

SQLITE_HEADER = b"SQLite format 3\x00"


def key_pragma(key: bytes) -> str:
    if len(key) != 32:
        raise ValueError("the database key must be 32 bytes")
    return f"PRAGMA key = \"x'{key.hex()}'\""


def raw_connect(path: Path | str, key: bytes) -> sqlcipher3.Connection:
    """A plain sqlcipher3 connection with the key and the house pragmas applied."""
    conn = sqlcipher3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
    conn.execute(key_pragma(key))
    conn.execute("PRAGMA cipher_log_level = NONE")
    # The key is only checked here, at the first real read.
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: a committed write survives a power cut, not only a crash. The cost is small on SSDs.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA busy_timeout = 10000")
    # 64 MB page cache: every page read from disk is decrypted, so re-reading is the cost to avoid.
    conn.execute("PRAGMA cache_size = -65536")
    return conn


def make_engine(path: Path | str, key: bytes) -> Engine:
    path = Path(path)

    def creator() -> sqlcipher3.Connection:
        return raw_connect(path, key)

    engine = create_engine(f"sqlite:///{path}", module=sqlcipher3, creator=creator, poolclass=QueuePool,
                           pool_size=4, max_overflow=4)

    # pysqlite's own transaction handling is disabled (isolation_level=None); we begin explicitly.
    # A write takes the lock up front (IMMEDIATE), so a read-then-write never fails half way; a
    # read (`read_only_engine`) begins DEFERRED and so never holds up a writer, in WAL mode.
    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


READ_ONLY = "keyworker_read_only"


def read_only_engine(engine: Engine) -> Engine:
    """The same engine and pool, whose transactions begin DEFERRED (for read sessions)."""
    return engine.execution_options(**{READ_ONLY: True})


def translate_db_error(error: BaseException, path: Path | str) -> Exception:
    """Turn a driver error into one the user can act on."""
    orig = getattr(error, "orig", error)
    text = str(orig).lower()
    if isinstance(orig, OSError) and orig.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StorageError(f"The folder {Path(path).parent} is read-only or not yours to write. Nothing was saved.")
    full = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)  # EFBIG: a file-size limit, full for our purposes
    if isinstance(orig, OSError) and orig.errno in full or "disk is full" in text or "disk full" in text:
        return StorageError("The disk is full. Nothing was saved; free some space and try again.")
    if "readonly" in text or "read-only" in text or "attempt to write" in text:
        return StorageError(f"The database folder is read-only ({Path(path).parent}). Nothing was saved.")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return DatabaseError(f"The unit database {Path(path).name} is damaged or is not a Keyworker database.")
    if "database is locked" in text or "database table is locked" in text or "database is busy" in text:
        # Another process held the write lock for longer than busy_timeout (10 s).
        return DatabaseError("The unit is busy with another long task (such as an import) on this or another "
                             "computer. Nothing was lost, but this was not saved yet: try again in a moment.")
    if "unable to open" in text:
        return DatabaseError(f"The unit database {path} cannot be opened.")
    if "disk i/o" in text:
        # SQLite reports a write past a size limit or quota as an I/O error, not as "full".
        return StorageError("The disk could not be written to (it may be full, removed or failing). "
                            "Nothing was saved.")
    return DatabaseError(f"Database error: {orig}")


DRIVER_ERRORS = (sa_exc.DBAPIError, sqlcipher3.Error, OSError)


@contextmanager
def db_errors(path: Path | str) -> Iterator[None]:
    """Re-raise driver and OS errors as typed, user-facing errors."""
    try:
        yield
    except DRIVER_ERRORS as e:
        raise translate_db_error(e, path) from e
