"""`python main.py hub COMMAND`: the unit hub's server commands (docs/SYNC.md).

  hub init     --pg URL                        create or upgrade the schema; set the service role's grants
  hub add-unit --pg URL --unit UNIT_ID         a new unit, and a one-time bootstrap code for its first laptop
  hub serve    --pg URL --cert CERT --key KEY  the API on uvicorn, TLS only

`init` and `add-unit` sign in as the owner role (keyworker_hub_owner), `serve` as the service role
(keyworker_hub). --pg defaults to KEYWORKER_HUB_PG; keep the password out of it (PGPASSWORD or
~/.pgpass). Errors are one line on stderr: exit 1, or 2 for a usage error. Never a traceback."""
from __future__ import annotations

import argparse
import logging
import os
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path

import psycopg
import sqlalchemy.exc

from keyworker.hub.db import HubDatabaseError, connect, first_line
from keyworker.hub.enrol import UnitError


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="main.py hub", description="The unit hub: the server that enrolled laptops sync through.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, required=True)

    def pg(sp: argparse.ArgumentParser, role: str) -> None:
        sp.add_argument("--pg", default=os.environ.get("KEYWORKER_HUB_PG"), metavar="URL",
                        help=f"PostgreSQL connection string, signed in as {role} (default: KEYWORKER_HUB_PG)")

    s = sub.add_parser("init", help="create or upgrade the hub's schema and the service role's grants")
    pg(s, "keyworker_hub_owner")
    s.set_defaults(handler=cmd_init)

    s = sub.add_parser("add-unit", help="add a unit; print a one-time bootstrap code for its first laptop")
    pg(s, "keyworker_hub_owner")
    s.add_argument("--unit", required=True, metavar="UNIT_ID")
    s.set_defaults(handler=cmd_add_unit)

    s = sub.add_parser("serve", help="serve the hub's API over TLS")
    pg(s, "keyworker_hub")
    s.add_argument("--cert", metavar="CERT", help="TLS certificate chain (PEM); required")
    s.add_argument("--key", metavar="KEY", help="its private key (PEM); required")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8443)
    s.add_argument("--device-rate", type=float, default=20.0, metavar="PER_SECOND",
                   help="requests per second per laptop, with bursts of ten times that (default 20)")
    s.add_argument("--address-rate", type=float, default=50.0, metavar="PER_SECOND",
                   help="requests per second per client address, with bursts of ten times that (default 50)")
    s.set_defaults(handler=cmd_serve)
    return p


def _pg(args: argparse.Namespace) -> str:
    if not args.pg:
        raise UsageError("give --pg URL (or set KEYWORKER_HUB_PG)")
    return str(args.pg)


def cmd_init(args: argparse.Namespace) -> int:
    from keyworker.hub.schema import init

    revision = init(_pg(args))
    print(f"The hub's schema is at revision {revision}; the service role's grants are set.")
    return 0


def cmd_add_unit(args: argparse.Namespace) -> int:
    from keyworker.hub.app import utc_now
    from keyworker.hub.enrol import CODE_LIFETIME, add_unit, check_unit_id

    unit_id = check_unit_id(args.unit)
    with connect(_pg(args), autocommit=True) as conn:
        code = add_unit(conn, unit_id, utc_now())
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    print(f"Unit {unit_id}: bootstrap code for its first laptop (valid {minutes} minutes, once):")
    print(code)
    return 0


def _tls_files(args: argparse.Namespace) -> tuple[str, str]:
    if not args.cert or not args.key:
        raise UsageError("the hub serves over TLS only: give --cert CERT and --key KEY")
    for what, name in (("certificate", args.cert), ("key", args.key)):
        if not Path(name).is_file():
            raise HubDatabaseError(f"the TLS {what} file is not there: {name}")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(args.cert, args.key)
    except (ssl.SSLError, OSError) as e:
        raise HubDatabaseError(f"the TLS certificate and key cannot be used together ({e.strerror or e})") from None
    return str(args.cert), str(args.key)


def _check_service_database(conninfo: str) -> None:
    """Refuse to serve on a schema older than this code, or as a role that could change stored ops."""
    from keyworker.hub.schema import SERVICE_ROLE, current_revision, head_revision

    with connect(conninfo, autocommit=True) as conn:
        try:
            revision = current_revision(conn)
        except Exception:  # noqa: BLE001 - no SELECT on alembic_version: not initialised for this role
            revision = None
        if revision != head_revision():
            raise HubDatabaseError(f"the hub's schema is at {revision or 'nothing'}, this hub needs "
                                   f"{head_revision()}: run `main.py hub init` as the owner role first")
        if conn.execute("SELECT has_table_privilege('ops', 'UPDATE') OR has_table_privilege('ops', 'DELETE')"
                        ).fetchone()[0]:  # type: ignore[index]
            me = conn.execute("SELECT current_user").fetchone()[0]  # type: ignore[index]
            raise HubDatabaseError(f"hub serve signs in as the service role {SERVICE_ROLE}, which cannot change "
                                   f"or delete stored ops; {me} can")


def cmd_serve(args: argparse.Namespace) -> int:
    cert, key = _tls_files(args)
    conninfo = _pg(args)
    _check_service_database(conninfo)

    import uvicorn

    from keyworker.hub.app import HubConfig, create_app
    from keyworker.hub.ratelimit import Limit

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(HubConfig(conninfo, device_limit=Limit.per_second(args.device_rate),
                               address_limit=Limit.per_second(args.address_rate)))
    # proxy_headers off: the hub terminates TLS itself, so a client's X-Forwarded-For is not believed.
    uvicorn.run(app, host=args.host, port=args.port, ssl_keyfile=key, ssl_certfile=cert, proxy_headers=False,
                server_header=False, log_level="info")
    return 0


def run(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.handler(args))
    except UsageError as e:
        print(f"main.py hub: error: {e}", file=sys.stderr)
        return 2
    except (HubDatabaseError, UnitError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except (psycopg.Error, sqlalchemy.exc.DBAPIError) as e:
        cause = getattr(e, "orig", None) or e
        print(f"error: PostgreSQL refused: {first_line(cause)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 1
    except Exception as e:  # noqa: BLE001 - the last resort: one line
        if os.environ.get("KEYWORKER_DEBUG"):
            raise
        print(f"error: an unexpected internal error ({type(e).__name__}). Set KEYWORKER_DEBUG=1 to see the details.",
              file=sys.stderr)
        return 1
