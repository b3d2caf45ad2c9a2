"""What every command shares: the one-line parser, the usage error, and how a command finds the
unit (--db), the user (--user) and the password (KEYWORKER_PASSWORD or the terminal)."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import NoReturn


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other error; --help has the full usage.
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


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
