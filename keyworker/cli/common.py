"""What every command shares: the one-line parser, the usage error, how a command finds the unit
(--db), the user (--user) and the password (KEYWORKER_PASSWORD or the terminal), and the one
rule for a file a command writes: refused if it exists, unless --overwrite."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from keyworker.errors import AuthenticationFailed, DatabaseError, KeyworkerError, StorageError


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other error; --help has the full usage.
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def options(*, user: bool, top: bool = False) -> Parser:
    """The options every command takes: --db, and --user for those that sign in. Below the top
    level they default to nothing at all, so `main.py --db X check` keeps X (a subcommand's own
    default would silently replace it)."""
    common = Parser(add_help=False)
    default = None if top else argparse.SUPPRESS
    common.add_argument("--db", type=Path, default=default,
                        help="unit database file (default: KEYWORKER_DB or the per-user data folder)")
    if user:
        common.add_argument("--user", default=default,
                            help="sign in as this user (default: KEYWORKER_USER, else admin)")
    return common


def add_overwrite(parser: argparse.ArgumentParser, what: str = "the file") -> None:
    parser.add_argument("--overwrite", action="store_true", help=f"replace {what} if it already exists")


def refuse_existing(path: Path, overwrite: bool) -> None:
    """The same rule and words for every file a command writes."""
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise StorageError(f"{path} already exists. Add --overwrite to replace it.")


class SignInFailed(AuthenticationFailed):
    """The wrong user name or password, saying which user was tried and how to choose another."""

    def __init__(self, user: str, chosen: bool) -> None:
        how = "" if chosen else " (the default)"
        KeyworkerError.__init__(self, f"The user name or password is not correct for user '{user}'{how}. "
                                "To sign in as another user, use --user NAME (or set KEYWORKER_USER).")


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


def open_book(args: argparse.Namespace) -> Any:
    from keyworker.casebook import Casebook

    from keyworker.unit_files import journal_path_for

    path, user = db_path(args), username(args)
    missing = DatabaseError(f"There is no unit database at {path}. Create one with "
                            "`main.py init --admin NAME`, or give the unit's file with --db PATH.")
    if not path.exists() and not journal_path_for(path).exists():
        raise missing  # before asking for a password that could open nothing
    try:
        return Casebook.open(path, user, password())
    except AuthenticationFailed as e:
        raise SignInFailed(user, chosen=bool(args.user or os.environ.get("KEYWORKER_USER"))) from e
    except DatabaseError as e:
        if path.exists():  # (checked after opening too: an interrupted restore is finished first)
            raise
        raise missing from e
