"""The command line (DESIGN.md "Command line"). Errors are one line on stderr and exit status 1
(2 for usage); never a traceback. Qt is never imported here."""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from keyworker.errors import KeyworkerError, ValidationError

DEMO_PASSWORD = "Ribble-House-Demo-2026"  # must not contain a demo user name ("worker")
DEMO_ACCOUNTS = [
    ("admin", "Alex Admin", "admin"),
    ("manager", "Morgan Manager", "senior"),
    ("worker", "Sam Worker", "key_worker"),
    ("nights", "Nico Nights", "out_of_hours"),
]


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other error; --help has the full usage.
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--db", type=Path, help="unit database file (default: KEYWORKER_DB or the per-user data folder)")
    common.add_argument("--user", help="sign in as this user (default: KEYWORKER_USER, else admin)")

    p = _Parser(prog="main.py", description="Keyworker: care plans, reviews and discharges for rehab units. "
                "With no command, starts the desktop app.", parents=[common])
    p.add_argument("--demo", action="store_true",
                   help="start the app on the demo unit database, creating it first if it does not exist")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    s = sub.add_parser("init", parents=[common], help="create a new unit database and its first administrator")
    s.add_argument("--admin", required=True, metavar="NAME", help="user name of the first administrator")
    s.add_argument("--full-name", default=None, help="the administrator's full name")
    s.add_argument("--unit-name", default="", help="the unit's name, shown on letters")

    s = sub.add_parser("demo", parents=[common], help="create a demo unit with accounts admin, manager, worker, nights",
                       description="Create the demo unit. Without --db it is the demo's own file (demo.kwdb in "
                       "the data folder, the one --demo opens), never the real unit.")
    s.add_argument("--residents", type=int, default=40, metavar="N", help="synthetic residents to create (default 40)")
    s.add_argument("--seed", type=int, default=7, metavar="S", help="random seed (default 7)")
    s.add_argument("--force", action="store_true", help="replace an existing demo unit (never a real one)")

    s = sub.add_parser("check", parents=[common], help="unlock, check integrity and the audit chain, print counts")
    s.add_argument("--json", action="store_true", help="print one JSON object for monitoring")
    s.add_argument("--against", type=Path, metavar="BACKUP",
                   help="also check that the audit trail still holds everything in this backup of the unit")

    s = sub.add_parser("backup", parents=[common], help="write an encrypted backup")
    s.add_argument("--out", required=True, type=Path, metavar="FILE")

    s = sub.add_parser("restore", parents=[common], help="replace the unit database with a backup")
    s.add_argument("--from", dest="source", required=True, type=Path, metavar="FILE")

    for extra in EXTRA_COMMANDS:
        extra[0](sub, common)
    return p


# Feature modules register further subcommands here: (add_parser(sub, common), name, handler(args)).
EXTRA_COMMANDS: list[tuple[Callable[[Any, argparse.ArgumentParser], None], str, Callable[[argparse.Namespace], int]]] = []


def db_path(args: argparse.Namespace) -> Path:
    from keyworker.device import default_db_path

    return Path(args.db) if args.db else default_db_path()


def username(args: argparse.Namespace) -> str:
    return args.user or os.environ.get("KEYWORKER_USER") or "admin"


def password(prompt: str = "Password: ", confirm: bool = False) -> str:
    env = os.environ.get("KEYWORKER_PASSWORD")
    if env:
        return env
    if not sys.stdin or not sys.stdin.isatty():
        raise UsageError("no password: set KEYWORKER_PASSWORD or run in a terminal")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != first:
        raise UsageError("the two passwords differ")
    return first


def open_book(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from keyworker.casebook import Casebook

    return Casebook.open(db_path(args), username(args), password())


def cmd_init(args: argparse.Namespace) -> int:
    from keyworker.casebook import Casebook

    path = db_path(args)
    book, recovery = Casebook.create(path, admin_username=args.admin, admin_full_name=args.full_name or args.admin,
                                     password=password("New administrator password: ", confirm=True),
                                     unit_name=args.unit_name)
    book.close()
    print(f"Created unit database {path}")
    print("Recovery key (write it down and keep it locked away; it is shown only once):")
    print(f"  {recovery}")
    return 0


def create_demo(path: Path, residents: int, seed: int, pw: str, *, kdf: Any = None,
                progress: Callable[[int, int], None] | None = None, force: bool = False) -> None:
    """The demo unit: four accounts sharing one password, then synthetic residents. Built under a
    temporary name and renamed into place when complete (keyworker.demo_unit): a build that fails
    or is killed leaves nothing at `path`; `force` replaces only a unit marked as a demo."""
    from keyworker.demo_unit import build_demo

    build_demo(Path(path), lambda build: _build_demo_unit(build, residents, seed, pw, kdf, progress), force=force)


def _build_demo_unit(path: Path, residents: int, seed: int, pw: str, kdf: Any,
                     progress: Callable[[int, int], None] | None) -> None:
    from keyworker.casebook import Casebook
    from keyworker.security.vault import DEFAULT_KDF
    from keyworker.settings import set_setting

    book, _ = Casebook.create(path, admin_username="admin", admin_full_name="Alex Admin", password=pw,
                              unit_name="Ribble House (demo unit)", kdf=kdf or DEFAULT_KDF)
    try:
        with book._write() as s:
            set_setting(s, "demo", "true")  # this unit is a demo: `demo --force` may replace it
            book._record(s, "setting.change", "setting", None, detail={"key": "demo", "value": True})
        for user, name, role in DEMO_ACCOUNTS[1:]:
            try:
                book.accounts.create(user, name, role, pw)
            except ValidationError as e:
                problem = e.fields.get("password")
                if problem is None:
                    raise
                raise ValidationError({"password": f"The demo password cannot be used for {user}: {problem}"}) from e
        from keyworker.demo_profile import apply_demo_profile

        apply_demo_profile(book)  # the letterhead and signatories' job titles
        populate = _demo_populator()
        if populate is not None and residents > 0:
            populate(book, residents, seed, progress)
    finally:
        book.close()


def _demo_populator() -> Callable[..., None] | None:
    try:
        from keyworker.demo import populate
    except ImportError:
        return None
    return populate


def cmd_demo(args: argparse.Namespace) -> int:
    from keyworker.device import demo_db_path

    # The demo's own file (the one `--demo` opens), never KEYWORKER_DB or the real unit's.
    path = Path(args.db) if args.db else demo_db_path()
    if args.residents < 0:
        raise UsageError("--residents must be 0 or more")
    pw = os.environ.get("KEYWORKER_PASSWORD") or DEMO_PASSWORD
    create_demo(path, args.residents, args.seed, pw, force=args.force)
    print(f"Created demo unit {path} with {args.residents} residents")
    print("Accounts: " + ", ".join(u for u, _, _ in DEMO_ACCOUNTS)
          + ("" if os.environ.get("KEYWORKER_PASSWORD") else f" (password: {DEMO_PASSWORD})"))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    book = open_book(args)
    try:
        report = book.check(against=args.against)
    finally:
        book.close()
    if args.json:
        print(json.dumps(report, default=str, sort_keys=False))
    else:
        chain = report["audit_chain"]
        print(f"Integrity: {report.get('integrity')}")
        print(f"Audit chain: {'intact' if chain['ok'] else 'BROKEN: ' + str(chain['problem'])} "
              f"({chain['entries']} entries)")
        against = chain.get("against")
        for problem in chain["problems"][1:]:
            if not against or problem != against["problem"]:
                print(f"  also: {problem}")
        if against:
            verdict = (f"the audit trail still holds its entries up to {against['seq']}" if against["ok"]
                       else "DIFFERS: " + against["problem"])
            print(f"Against backup {against['backup']}: {verdict}")
        for k, v in report.items():
            if k not in ("ok", "integrity", "audit_chain"):
                print(f"{k.replace('_', ' ').capitalize()}: {v}")
        print("OK" if report["ok"] else "PROBLEMS FOUND")
    return 0 if report["ok"] else 1


def cmd_backup(args: argparse.Namespace) -> int:
    book = open_book(args)
    try:
        out = book.backup(args.out)
    finally:
        book.close()
    print(f"Encrypted backup written to {out}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from keyworker.backup import restore_backup
    from keyworker.clock import SystemClock

    kept = restore_backup(args.source, db_path(args), username(args), password(), SystemClock())
    print(f"Restored {db_path(args)} from {args.source}")
    if kept:
        print(f"The previous database was kept beside it as *.before-restore-* in {kept}")
    return 0


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "init": cmd_init,
    "demo": cmd_demo,
    "check": cmd_check,
    "backup": cmd_backup,
    "restore": cmd_restore,
}


def run(argv: Sequence[str] | None = None, start_gui: Callable[[argparse.Namespace], int] | None = None) -> int:
    _load_extra_commands()
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {**HANDLERS, **{name: h for _, name, h in EXTRA_COMMANDS}}
    try:
        if args.command is None:
            if start_gui is None:
                parser.print_help()
                return 0
            return start_gui(args)
        return handlers[args.command](args)
    except UsageError as e:
        print(f"main.py: error: {e}", file=sys.stderr)
        return 2
    except KeyworkerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: {e.strerror or e}{': ' + str(e.filename) if e.filename else ''}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - the last resort: one line, and no data from the message
        if os.environ.get("KEYWORKER_DEBUG"):
            raise
        print(f"error: an unexpected internal error ({type(e).__name__}). "
              "Set KEYWORKER_DEBUG=1 to see the details.", file=sys.stderr)
        return 1


def _load_extra_commands() -> None:
    """Feature modules with CLI commands; each appends to EXTRA_COMMANDS on import."""
    import importlib

    for name in ("keyworker.cli_caseload", "keyworker.cli_reports"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
