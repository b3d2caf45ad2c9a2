"""`outbox deliver [--once] [--limit N] [--every SECONDS]`: send what is due (a scheduled task
uses --once; without it, runs until Ctrl-C or SIGTERM, waiting between runs). Listed in
keyworker.cli.COMMANDS.

The subcommands are a small table, SUBCOMMANDS: each entry adds its own parser and handler, so
another subcommand (`outbox list`) slots in with one line and functions of its own."""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from keyworker.cli.common import Parser, UsageError, open_book
from keyworker.errors import KeyworkerError


def add(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("outbox", help="letters and returns waiting to be sent, and sending them")
    actions = s.add_subparsers(dest="outbox_action", metavar="WHAT", parser_class=Parser, required=True)
    for adder in SUBCOMMANDS.values():
        adder(actions, common)


# -- outbox deliver ----------------------------------------------------------------------------------
def add_deliver(actions: Any, common: argparse.ArgumentParser) -> None:
    d = actions.add_parser("deliver", parents=[common], help="send what is due, now and then every minute",
                           description="Send every outbox item that is due to its destination, each on its own "
                           "schedule. Prints one line per run. Without --once it keeps running, waiting between "
                           "runs, until Ctrl-C; for a scheduled task use --once. The exit status is 0 when the "
                           "run happened, even if some items are to be tried again.")
    d.add_argument("--once", action="store_true", help="one run, then exit (for a scheduled task)")
    d.add_argument("--limit", type=int, metavar="N", help="send at most N items per run")
    d.add_argument("--every", type=float, default=60.0, metavar="SECONDS",
                   help="seconds to wait between runs without --once (default: 60)")
    d.set_defaults(handler=cmd_deliver)


def cmd_deliver(args: argparse.Namespace) -> int:
    from keyworker.clock import format_datetime

    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    if args.every <= 0:
        raise UsageError("--every must be more than 0 seconds")
    book = open_book(args)
    stop = threading.Event()
    previous = None
    if not args.once:
        def on_term(signum: int, frame: Any) -> None:
            stop.set()
        try:
            previous = signal.signal(signal.SIGTERM, on_term)
        except ValueError:  # not the main thread (tests): Ctrl-C still stops it
            previous = None
    try:
        while True:
            try:
                report = book.outbox.deliver_now(args.limit)
            except KeyworkerError as e:
                if args.once:
                    raise
                # Left running: one run that could not happen (the file busy, the disk full) is
                # said in one line and tried again at the next run.
                print(f"{format_datetime(book.clock.now())} This run could not happen: {e}", file=sys.stderr,
                      flush=True)
                if stop.wait(args.every):
                    break
                continue
            print(f"{format_datetime(book.clock.now())} {report.summary()}", flush=True)
            for item in report.items:
                if item.outcome == "quarantined":
                    print(f"  quarantined: {item.title}: {item.words}", flush=True)
            if args.once or stop.wait(args.every):
                break
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        book.close()
    return 0


# Each subcommand: its adder (adds the parser and sets its handler). Another part adds "list" here.
SUBCOMMANDS: dict[str, Callable[[Any, argparse.ArgumentParser], None]] = {
    "deliver": add_deliver,
}
