"""PostgreSQL connections for the hub, and the one-line message when the server cannot be reached.

A connection string may be a URL (`postgresql://keyworker_hub@db.example:5432/keyworker_hub`) or
libpq's key=value form; the password is best kept out of it (PGPASSWORD or ~/.pgpass), and it is
never repeated in a message."""
from __future__ import annotations

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool

CONNECT_TIMEOUT_S = 10


class HubDatabaseError(Exception):
    """PostgreSQL is unreachable, refused the sign-in, or is not set up for the hub. One line."""


def describe(conninfo: str) -> str:
    """user@host:port/dbname, with no password, for messages."""
    try:
        d = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "(a connection string that cannot be read)"
    host = d.get("host") or d.get("hostaddr") or "localhost"
    where = f"{host}:{d.get('port') or 5432}/{d.get('dbname') or '(default database)'}"
    return f"{d['user']}@{where}" if d.get("user") else where


def first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def connect(conninfo: str, *, autocommit: bool = False) -> psycopg.Connection:
    try:
        return psycopg.connect(conninfo, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.ProgrammingError as e:  # a malformed string: say so, without echoing it
        raise HubDatabaseError(f"the PostgreSQL connection string cannot be read ({first_line(e)})") from None
    except psycopg.OperationalError as e:
        raise HubDatabaseError(f"cannot reach PostgreSQL at {describe(conninfo)}: {first_line(e)}") from None


def open_pool(conninfo: str, *, max_size: int = 10) -> ConnectionPool:
    """A pool of autocommit connections; each unit of work opens its own `conn.transaction()`.
    The first connection is made here, so a wrong address fails at start, not at the first push."""
    connect(conninfo).close()
    pool = ConnectionPool(conninfo, min_size=1, max_size=max_size, open=False, name="keyworker-hub",
                          kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
                          check=ConnectionPool.check_connection)
    pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
    return pool
