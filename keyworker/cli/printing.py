"""`print discharge-summaries --from DATE --to DATE --out DIR`: one PDF per discharge that ended a
stay in the dates (UK days, both included): the discharge letter, the complete discharge summary,
or, where that is not made yet, the out-of-hours summary behind a page that says so. The folder
is created owner-only (0700) when new; every file is owner-only (0600); an existing file is
refused unless --overwrite. Each document read is audited as a save. Listed in
keyworker.cli.COMMANDS."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from keyworker.cli.common import Parser, UsageError, add_overwrite, open_book
from keyworker.errors import ValidationError


def add(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("print", help="print discharge summaries to PDF files")
    s.set_defaults(handler=cmd_print)
    kinds = s.add_subparsers(dest="print_kind", metavar="WHAT", parser_class=Parser, required=True)
    ds = kinds.add_parser("discharge-summaries", parents=[common], help="one PDF per discharge in the dates",
                          description="Writes one PDF per discharge in the dates (both included, written "
                          "dd/mm/yyyy) into the folder: the discharge letter or the complete discharge summary. "
                          "Files are readable by you only.")
    ds.add_argument("--from", dest="date_from", metavar="DATE", required=True, help="from this day, e.g. 01/01/2026")
    ds.add_argument("--to", dest="date_to", metavar="DATE", required=True, help="up to this day, included")
    ds.add_argument("--out", metavar="DIR", required=True, help="the folder for the PDFs (created if new)")
    add_overwrite(ds, "files of the same name in the folder")


def cmd_print(args: argparse.Namespace) -> int:
    from pathlib import Path

    from keyworker import discharge_summaries as ds

    try:
        ds.parse_range(args.date_from, args.date_to)  # before a password is asked for
    except ValidationError as e:
        names = {"start": "--from", "end": "--to"}
        raise UsageError("; ".join(f"{names.get(k, k)}: {v}" for k, v in e.fields.items())) from e
    out = Path(args.out)
    book = open_book(args)
    try:
        items = ds.printed_between(book, args.date_from, args.date_to, purpose="save")
        if not items:
            print(f"No discharges from {args.date_from} to {args.date_to}: nothing written.")
            return 0
        written = ds.save_each(items, out, overwrite=args.overwrite)
    finally:
        book.close()
    waiting = sum(1 for i in items if not i.row.letter_document_id)
    print(f"{len(written)} discharge summar{'y' if len(written) == 1 else 'ies'} written to {out}.")
    if waiting:
        print(f"{waiting} of them {'has' if waiting == 1 else 'have'} no complete summary yet: "
              "the page in front says so.", file=sys.stderr)
    return 0
