"""`main.py export ndtms --month YYYY-MM [--out FILE] [--quality FILE.csv|FILE.pdf]`: the NDTMS
monthly return. With --out the CSV is written owner-only (0600) and flagged as plaintext; without
it the return is queued in the outbox for its destination (kind "ndtms_return") with the
data-quality report beside it as its own item. --quality saves the data-quality report (CSV or PDF,
by the file's extension). Listed in keyworker.cli.COMMANDS."""
from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from keyworker.cli.common import UsageError, add_overwrite, open_book, refuse_existing
from keyworker.cli.export_parser import export_subparsers
from keyworker.errors import StorageError, ValidationError

PLAINTEXT = ("This file is not encrypted: it holds residents' details in plain form. Keep it safe and delete it "
             "once it has been sent.")


def add(sub: Any, common: argparse.ArgumentParser) -> None:
    kinds = export_subparsers(sub, common)
    n = kinds.add_parser(
        "ndtms", parents=[common], help="the NDTMS monthly return (CSV) and its data-quality report",
        description="The NDTMS monthly return: one row per residential rehabilitation episode active in the month, "
        "as resources/returns/ndtms_cds_r.json maps it. Without --out it is queued in the outbox for the NDTMS "
        "destination, with the data-quality report beside it. A saved file is NOT encrypted (mode 0600).")
    n.add_argument("--month", required=True, metavar="YYYY-MM", help="the month, e.g. 2026-03 (March 2026)")
    n.add_argument("--out", type=Path, metavar="FILE", help="save the return as a CSV file instead of queueing it")
    n.add_argument("--quality", type=Path, metavar="FILE",
                   help="also save the data-quality report, as CSV or PDF by the file's extension")
    add_overwrite(n, "the files")
    n.set_defaults(handler=cmd_ndtms)
    from keyworker.cli.reports import add_quarterly

    add_quarterly(kinds, common, "quarterly")  # `export quarterly`: the same as `report quarterly`


def cmd_ndtms(args: argparse.Namespace) -> int:
    from keyworker.reports.files import write_private
    from keyworker.returns.ndtms import month_period, quality_csv, quality_pdf, return_csv

    try:
        month_period(args.month)
    except ValidationError as e:
        raise UsageError(f"--month: {e.fields['month']}") from e
    for target in (args.out, args.quality):
        if target is not None:
            if not target.parent.exists():
                raise StorageError(f"the folder {target.parent} does not exist")
            refuse_existing(target, args.overwrite)
    if args.quality is not None and args.quality.suffix.lower() not in (".csv", ".pdf"):
        raise UsageError("--quality: give a file name ending in .csv or .pdf")
    book = open_book(args)
    try:
        ret = book.returns.ndtms(args.month, output="csv" if args.out else "view")
        sent = None if args.out else book.returns.send_ndtms(args.month)
        profile = book.unit_profile.get() if args.quality and args.quality.suffix.lower() == ".pdf" else None
    finally:
        book.close()
    c = ret.compliance
    print(f"NDTMS return, {ret.label}: {len(ret.rows)} episodes, {len(ret.problems)} data-quality problems "
          f"for {ret.residents_with_problems} residents.")
    print(c.core_text)
    print(c.top_text)
    if not ret.codes_checked:
        print("The mapping's codes are not yet checked against the NDTMS Reference Data.")
    if args.out is not None:
        write_private(args.out, return_csv(ret))
        print(f"Saved to {args.out}. {PLAINTEXT}")
    elif sent is not None:
        if not sent.created:
            print("This return was already in the outbox: nothing was added.")
        elif sent.no_destination:
            print("Queued in the outbox with its data-quality report; no destination is set for NDTMS returns yet "
                  "(Administration → Destinations).")
        else:
            print("Queued in the outbox with its data-quality report.")
    if args.quality is not None:
        content = quality_csv(ret) if profile is None else quality_pdf(ret, profile, datetime.now(UTC))
        write_private(args.quality, content)
        print(f"Data-quality report saved to {args.quality}. {PLAINTEXT}")
    return 0
