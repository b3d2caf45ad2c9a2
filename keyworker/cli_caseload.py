"""Command-line commands of the caseload: `import residents FILE.csv [--valid-only] [--dry-run]`.
Imported by keyworker.cli, which runs the handler registered in EXTRA_COMMANDS."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from keyworker import cli


def _add_import(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("import", help="bring residents and open referrals in from a CSV file")
    kinds = s.add_subparsers(dest="import_kind", metavar="WHAT", parser_class=cli._Parser, required=True)
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


def cmd_import(args: argparse.Namespace) -> int:
    book = cli.open_book(args)
    try:
        report = book.imports.residents(args.file, valid_only=args.valid_only, dry_run=args.dry_run)
    finally:
        book.close()
    for line in report.lines():
        print(line)
    return 1 if report.invalid and report.imported == 0 else 0


cli.EXTRA_COMMANDS.append((_add_import, "import", cmd_import))
