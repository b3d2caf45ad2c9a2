"""Command-line commands of the caseload: `import residents FILE.csv [--valid-only] [--dry-run]
[--encoding windows-1252] [--as-discharged] [--resume IMPORT_ID]`, `import list`, `import undo IMPORT_ID`,
`import sample FILE.csv [--overwrite]`.
Listed in keyworker.cli.COMMANDS."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from keyworker.cli.common import Parser, open_book
from keyworker.errors import StorageError


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
    r.add_argument("--as-discharged", action="store_true",
                   help="import admissions whose planned end passed more than 28 days ago as discharged "
                        "on that date (default: as current residents)")
    r.add_argument("--resume", metavar="IMPORT_ID", help="finish an interrupted import of this same file")
    sample = kinds.add_parser("sample", parents=[common],
                              help="write a sample CSV file: the headings, and made-up rows dated from today")
    sample.add_argument("file", type=Path, metavar="FILE.csv")
    sample.add_argument("--overwrite", action="store_true", help="replace the file if it exists")
    kinds.add_parser("list", parents=[common], help="imports so far, newest first (an interrupted one is 'running')")
    u = kinds.add_parser("undo", parents=[common], help="archive everything one import created")
    u.add_argument("import_id", metavar="IMPORT_ID")


def cmd_import(args: argparse.Namespace) -> int:
    if args.import_kind == "sample" and args.file.exists() and not args.overwrite:  # before the password
        raise StorageError(f"{args.file} already exists: choose another name, or add --overwrite to replace it.")
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
        if args.import_kind == "sample":
            return _write_sample(book.imports.sample(), args.file)
        if args.resume:
            report = book.imports.resume(args.resume, args.file, encoding=args.encoding,
                                         as_discharged=args.as_discharged)
        else:
            report = book.imports.residents(args.file, valid_only=args.valid_only, dry_run=args.dry_run,
                                            encoding=args.encoding, as_discharged=args.as_discharged)
    finally:
        book.close()
    for line in report.lines():
        print(line)
    if report.ended_long_ago_count and not report.as_discharged:
        print("To import those admissions as discharged on their planned end date, add --as-discharged.")
    return 1 if report.invalid and report.imported == 0 else 0


def _write_sample(text: str, path: Path) -> int:
    from keyworker.reports.files import write_private

    write_private(path, text.encode("utf-8"))
    print(f"Sample written to {path}: keep its heading row and put your own rows in place of the made-up ones.")
    return 0

