"""`backup --out FILE` and `restore --from FILE`."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from keyworker.cli.common import add_overwrite, db_path, open_book, password, refuse_existing, username
from keyworker.errors import KeyworkerError


def add(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("backup", parents=[common], help="write an encrypted backup")
    s.add_argument("--out", required=True, type=Path, metavar="FILE",
                   help="the backup file to write (encrypted, owner-only), e.g. unit-2026-03-31.kwbackup")
    add_overwrite(s, "the backup file")
    s.set_defaults(handler=cmd_backup)

    s = sub.add_parser("restore", parents=[common], help="replace the unit database with a backup",
                       description="Replace the unit database (--db) with a backup. The backup is opened with "
                       "--user and the password as they were when the backup was made; the previous "
                       "database is kept beside it.")
    s.add_argument("--from", dest="source", required=True, type=Path, metavar="FILE",
                   help="the backup file to restore (made by `backup --out`)")
    s.set_defaults(handler=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    refuse_existing(args.out, args.overwrite)  # before asking for a password
    book = open_book(args)
    try:
        out = book.backup(args.out, replace=args.overwrite)
    finally:
        book.close()
    print(f"Encrypted backup written to {out}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from keyworker.backup import BackupSignInFailed, restore_backup
    from keyworker.clock import SystemClock

    try:
        kept = restore_backup(args.source, db_path(args), username(args), password(), SystemClock())
    except BackupSignInFailed as e:
        raise KeyworkerError(f"{e} Tried as user '{username(args)}': --user NAME chooses another.") from e
    print(f"Restored {db_path(args)} from {args.source}")
    if kept:
        print(f"The previous database was kept beside it as *.before-restore-* in {kept}")
    return 0
