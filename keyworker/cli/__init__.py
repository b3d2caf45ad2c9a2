"""The command line (`python main.py COMMAND`). Errors are one line on stderr and exit status 1
(2 for usage); never a traceback. Qt is never imported here.

One module per command group, each with `add(sub, common)`, which adds its subcommands and sets
each one's `handler` (`set_defaults(handler=...)`). A new area adds `keyworker/cli/<area>.py` and
one line to COMMANDS."""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from keyworker import __version__
from keyworker.cli import (backup, caseload, destinations, extracts, incidents, outbox, printing, reports, returns,
                           sync, unit)
from keyworker.cli.common import Parser, UsageError, db_path, open_book, options, password, username
from keyworker.errors import KeyworkerError

__all__ = ["COMMANDS", "Parser", "UsageError", "build_parser", "db_path", "open_book", "password", "run",
           "username"]


class CommandModule(Protocol):
    def add(self, sub: Any, common: argparse.ArgumentParser) -> None: ...


# In the order `--help` lists them.
COMMANDS: list[CommandModule] = [unit, backup, caseload, reports, incidents, outbox, destinations, printing,
                                 extracts, returns, sync]


def build_parser() -> argparse.ArgumentParser:
    common = options(user=True)
    # The app itself signs in at its own window: no --user here, only which unit (--db).
    p = Parser(prog="main.py", description="Keyworker: care plans, reviews and discharges for rehab units. "
               "With no command, starts the desktop app.", parents=[options(user=False, top=True)])
    p.set_defaults(user=None, handler=None)
    p.add_argument("--version", action="version", version=f"Keyworker {__version__}")
    p.add_argument("--demo", action="store_true",
                   help="start the app on the demo unit database, creating it first if it does not exist")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in COMMANDS:
        module.add(sub, common)
    return p


def run(argv: Sequence[str] | None = None, start_gui: Callable[[argparse.Namespace], int] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            if start_gui is None:
                parser.print_help()
                return 0
            return start_gui(args)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
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
