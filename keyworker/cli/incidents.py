"""`incidents list [--since DATE] [--to DATE] [--type TYPE]`: the unit's incidents, newest first
(seniors: the unit's list is theirs). Listed in keyworker.cli.COMMANDS."""
from __future__ import annotations

import argparse
from typing import Any

from keyworker.cli.common import Parser, UsageError, open_book
from keyworker.errors import ValidationError


def add(sub: Any, common: argparse.ArgumentParser) -> None:
    from keyworker.incidents import INCIDENT_TYPES

    s = sub.add_parser("incidents", help="the unit's incidents (senior)")
    s.set_defaults(handler=cmd_incidents)
    kinds = s.add_subparsers(dest="incidents_kind", metavar="WHAT", parser_class=Parser, required=True)
    ls = kinds.add_parser("list", parents=[common], help="every resident's incidents, newest first",
                          description="The unit's incidents, newest first: when, type, resident, police and "
                          "safeguarding referral. Dates are the unit's days, both included, written dd/mm/yyyy.")
    ls.add_argument("--since", metavar="DATE", help="from this day, e.g. 01/01/2026 (default: every date)")
    ls.add_argument("--to", dest="to_date", metavar="DATE", help="up to this day, included")
    ls.add_argument("--type", dest="kinds", action="append", metavar="TYPE", default=[],
                    help="only this type (may be repeated): " + ", ".join(o.code for o in INCIDENT_TYPES))


def cmd_incidents(args: argparse.Namespace) -> int:
    from keyworker.clock import format_datetime
    from keyworker.incidents import IncidentFilter, clean_filter

    f = IncidentFilter(args.since, args.to_date, tuple(args.kinds))
    try:
        clean_filter(f)  # before a password is asked for
    except ValidationError as e:
        names = {"date_from": "--since", "date_to": "--to", "kinds": "--type"}
        raise UsageError("; ".join(f"{names.get(k, k)}: {v}" for k, v in e.fields.items())) from e
    book = open_book(args)
    try:
        rows = book.incidents.unit(f)
    finally:
        book.close()
    if not rows:
        print("No incidents in these dates.")
        return 0
    print(f"{'When':<16}  {'Type':<24}  {'Resident':<28}  Police  Safeguarding")
    print("-" * 92)
    for r in rows:
        who = f"{r.resident_name} ({r.resident_reference})"
        print(f"{format_datetime(r.occurred_at):<16}  {r.kind_label:<24}  {who[:28]:<28}  "
              f"{'yes' if r.police_involved else '-':<6}  {'yes' if r.safeguarding_referral else '-'}")
    print(f"{len(rows)} incident{'s' if len(rows) != 1 else ''}.")
    return 0
