"""`backup --out FILE` and `restore --from FILE`."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from keyworker.cli.common import db_path, open_book, password, username


def add(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("backup", parents=[common], help="write an encrypted backup")
    s.add_argument("--out", required=True, type=Path, metavar="FILE")
    s.set_defaults(handler=cmd_backup)

    s = sub.add_parser("restore", parents=[common], help="replace the unit database with a backup")
    s.add_argument("--from", dest="source", required=True, type=Path, metavar="FILE")
    s.set_defaults(handler=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    book = open_book(args)
    try:
        out = book.backup(args.out)
    finally:
        book.close()
    print(f"Encrypted backup written to {out}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from keyworker.backup import restore_backup
    from keyworker.clock import SystemClock

    kept = restore_backup(args.source, db_path(args), username(args), password(), SystemClock())
    print(f"Restored {db_path(args)} from {args.source}")
    if kept:
        print(f"The previous database was kept beside it as *.before-restore-* in {kept}")
    return 0
