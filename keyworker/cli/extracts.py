"""`export pseudonymised --from DATE --to DATE [--out FILE]`: the pseudonymised line-level extract
for the Authority (specification 11.4.3). With --out the extract is saved (owner-only, 0600) as
FILE and its summary tables as FILE-summary; without, it is queued to the outbox for the
destination set for pseudonymised extracts (an HTTPS API or an SFTP drop; never email)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from keyworker.cli.common import UsageError, add_overwrite, open_book, refuse_existing
from keyworker.cli.export_parser import export_subparsers
from keyworker.errors import StorageError, ValidationError


def add(sub: Any, common: argparse.ArgumentParser) -> None:
    kinds = export_subparsers(sub, common)
    p = kinds.add_parser(
        "pseudonymised", parents=[common],
        help="line-level pseudonymised data for a period (specification 11.4.3)",
        description="One row per stay active in the period, with no names, dates of birth, postcodes, NHS "
        "numbers or references: a keyed id per resident (the same in every extract of this unit), the age "
        "band, the district, months instead of dates. Small counts (under 5) in the summary tables are shown "
        "as '<5'. Dates may be written dd/mm/yyyy or yyyy-mm-dd. Without --out the extract is queued to the "
        "destination set for pseudonymised extracts (an HTTPS API or an SFTP drop).")
    p.add_argument("--from", dest="from_date", metavar="DATE", required=True, help="first day, e.g. 01/01/2026")
    p.add_argument("--to", dest="to_date", metavar="DATE", required=True, help="last day, included, e.g. 31/12/2026")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="save as a CSV file (and FILE-summary beside it) instead of queuing it; plaintext, "
                        "owner-only")
    add_overwrite(p, "the files")
    p.set_defaults(handler=cmd_pseudonymised)


def summary_path(target: Path) -> Path:
    return target.with_name(f"{target.stem}-summary{target.suffix or '.csv'}")


def _words(e: ValidationError) -> str:
    return "; ".join(str(v) for v in e.fields.values())


def cmd_pseudonymised(args: argparse.Namespace) -> int:
    from keyworker.reports import between

    try:
        between(args.from_date, args.to_date)
    except ValidationError as e:
        raise UsageError("; ".join(f"--{k}: {v}" if k else v for k, v in e.fields.items())) from e
    target: Path | None = args.out
    if target is not None:
        if not target.parent.exists():  # before the extract is made and audited
            raise StorageError(f"the folder {target.parent} does not exist")
        refuse_existing(target, args.overwrite)
        refuse_existing(summary_path(target), args.overwrite)
    book = open_book(args)
    try:
        if target is None:
            try:
                sent = book.extracts.queue_pseudonymised(args.from_date, args.to_date)
            except ValidationError as e:
                raise StorageError(_words(e)) from e
            how = "HTTPS API" if sent.transport == "https" else "SFTP drop"
            if sent.created:
                print(f"{sent.rows} episodes queued to send to {sent.destination_name} ({how}): "
                      "the extract and its summary.")
            else:
                print(f"Exactly this extract is already in the outbox for {sent.destination_name}; nothing added.")
            return 0
        extract = book.extracts.pseudonymised(args.from_date, args.to_date, output="csv")
    finally:
        book.close()
    from keyworker.reports.files import write_private
    from keyworker.returns.pseudonymised import extract_csv, summary_csv

    write_private(target, extract_csv(extract))
    write_private(summary_path(target), summary_csv(extract))
    print(f"{len(extract.rows)} episodes ({extract.residents} residents), {extract.period.label}: saved to "
          f"{target} and {summary_path(target)}")
    print("These files are not encrypted (plaintext): keep them safe and delete them once they have been sent.")
    return 0
