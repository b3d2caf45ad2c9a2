"""Command-line commands of the caseload: `import residents FILE.csv [--valid-only] [--dry-run]
[--encoding windows-1252] [--resume IMPORT_ID]`, `import list`, `import undo IMPORT_ID`.
Listed in keyworker.cli.COMMANDS."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from keyworker.cli.common import Parser, open_book


def add(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("import", help="bring residents and open referrals in from a CSV file")
    s.set_defaults(handler=cmd_import)
    kinds = s.add_subparsers(dest="import_kind", metavar="WHAT", parser_class=Parser, required=True)
    r = kinds.add_parser(
        "residents",
        parents=[common],
        help="residents and open referrals from a spreadsheet (see docs/import-csv.md)",
    )
    r.add_argument("file", type=Path, metavar="FILE.csv")
    r.add_argument(
        "--valid-only",
        action="store_true",
        help="import the valid rows even if some rows are invalid (default: all or nothing)",
    )
    r.add_argument("--dry-run", action="store_true", help="check the file and report, import nothing")
    r.add_argument("--encoding", choices=("utf-8", "windows-1252"),
                   help="the file's encoding if it is not UTF-8 (older Excel on Windows writes windows-1252)")
    r.add_argument("--resume", metavar="IMPORT_ID", help="finish an interrupted import of this same file")
    kinds.add_parser("list", parents=[common], help="imports so far, newest first (an interrupted one is 'running')")
    u = kinds.add_parser("undo", parents=[common], help="archive everything one import created")
    u.add_argument("import_id", metavar="IMPORT_ID")


def cmd_import(args: argparse.Namespace) -> int:
    book = open_book(args)
    try:
        if args.import_kind == "list":
            for run in book.imports.runs():
                print(f"{run.id}  {run.started_at:%d/%m/%Y %H:%M}  {run.status:8}  {run.file_name}: "
                      f"{run.residents} residents, {run.referrals} referrals (row {run.rows_done} of {run.rows_total})")
            return 0
        if args.import_kind == "undo":
            run = book.imports.undo(args.import_id)
            print(f"Undone: {run.file_name} ({run.residents} residents and {run.referrals} referrals archived).")
            return 0
        if args.resume:
            report = book.imports.resume(args.resume, args.file, encoding=args.encoding)
        else:
            report = book.imports.residents(args.file, valid_only=args.valid_only, dry_run=args.dry_run,
                                            encoding=args.encoding)
    finally:
        book.close()
    for line in report.lines():
        print(line)
    return 1 if report.invalid and report.imported == 0 else 0

