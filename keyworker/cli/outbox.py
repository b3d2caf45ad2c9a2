"""`outbox list [--json] [--status S]` (what waits, what was delivered, what needs a person:
key workers and seniors, as the Outbox page) and `outbox deliver [--once] [--limit N] [--every
SECONDS]` (send what is due; a scheduled task uses --once; without it, runs until Ctrl-C or
SIGTERM, waiting between runs). Listed in keyworker.cli.COMMANDS.

The subcommands are a small table, SUBCOMMANDS: each entry adds its own parser and handler.
Nothing printed holds a payload or a secret: the list never loads payloads, and destinations
appear by name."""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from keyworker.cli.common import Parser, UsageError, open_book
from keyworker.errors import KeyworkerError

LIST_STATUSES = ("all", "waiting", "quarantined", "delivered", "cancelled")


def add(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("outbox", help="letters and returns waiting to be sent, what happened to them, and sending them")
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


# -- outbox list ---------------------------------------------------------------------------------
def _add_list(kinds: Any, common: argparse.ArgumentParser) -> None:
    ls = kinds.add_parser("list", parents=[common], help="the outbox's items, newest first",
                          description="The outbox's items, newest first: status, kind, the resident's reference, "
                          "recipient, destination, attempts, next attempt, last error and receipt. Dates are "
                          "dd/mm/yyyy, the unit's time. Never shows a letter's content or a password.")
    ls.add_argument("--json", action="store_true", help="one JSON object per item, in a list (for scripts)")
    ls.add_argument("--status", choices=LIST_STATUSES, default="all",
                    help="only these: waiting (to be sent or being sent), quarantined (needs attention), "
                    "delivered, cancelled (default: all)")
    ls.set_defaults(handler=cmd_outbox_list)


def item_json(v: Any) -> dict[str, Any]:
    """One item for `--json`: words and dates, no payload, no secret."""
    def at(d: Any) -> str | None:
        return d.isoformat() if d is not None else None

    return {"id": v.id, "status": v.status, "status_words": v.status_label, "kind": v.kind,
            "kind_words": v.kind_label, "title": v.title, "reference": v.reference or None,
            "recipient": v.recipient, "destination": v.destination_name or None, "attempts": v.attempts,
            "next_attempt_at": at(v.next_attempt_at), "last_attempt_at": at(v.last_attempt_at),
            "last_error": v.last_error, "receipt": v.receipt, "delivered_at": at(v.delivered_at),
            "created_at": at(v.created_at), "password_protected": v.password_protect,
            "cancelled_reason": v.cancelled_reason}


def cmd_outbox_list(args: argparse.Namespace) -> int:
    from keyworker.clock import format_datetime

    book = open_book(args)
    try:
        rows = book.outbox.items(status=None if args.status == "all" else args.status, limit=5000)
    finally:
        book.close()
    if args.json:
        print(json.dumps([item_json(v) for v in rows], ensure_ascii=False))
        return 0
    if not rows:
        print("Nothing is waiting to be sent." if args.status in ("all", "waiting") else "No items.")
        return 0
    print(f"{'Status':<22}  {'Kind':<26}  {'Reference':<22}  {'Destination':<24}  Tries  Next / delivered")
    print("-" * 124)
    for v in rows:
        when = format_datetime(v.delivered_at) if v.delivered_at else format_datetime(v.next_attempt_at)
        print(f"{v.status_label[:22]:<22}  {v.kind_label[:26]:<26}  {(v.reference or '-')[:22]:<22}  "
              f"{(v.destination_name or '-')[:24]:<24}  {v.attempts:>5}  {when}")
        print(f"{'':<24}{v.title[:50]} — to {v.recipient[:60]}")
        detail = v.last_error if v.status != "cancelled" else f"Cancelled: {v.cancelled_reason}"
        if detail:
            print(f"{'':<24}{detail[:100]}")
    print(f"{len(rows)} item{'s' if len(rows) != 1 else ''}.")
    return 0


# Each subcommand: its adder (adds the parser and sets its handler).
SUBCOMMANDS: dict[str, Callable[[Any, argparse.ArgumentParser], None]] = {
    "list": _add_list,
    "deliver": add_deliver,
}
