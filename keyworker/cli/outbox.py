"""`outbox list [--json] [--status S]`: what waits to be sent, what was delivered, what needs a
person (key workers and seniors, as the Outbox page). Listed in keyworker.cli.COMMANDS.

Each subcommand adds itself with its own `_add_<name>(kinds, common)` and handler, so another
subcommand (`outbox deliver`) is one more function and one more line in `add`. Nothing printed
holds a payload or a secret: the list never loads payloads, and destinations appear by name."""
from __future__ import annotations

import argparse
import json
from typing import Any

from keyworker.cli.common import Parser, open_book

LIST_STATUSES = ("all", "waiting", "quarantined", "delivered", "cancelled")


def add(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("outbox", help="letters and returns waiting to be sent, and what happened to them")
    kinds = s.add_subparsers(dest="outbox_command", metavar="WHAT", parser_class=Parser, required=True)
    _add_list(kinds, common)


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
