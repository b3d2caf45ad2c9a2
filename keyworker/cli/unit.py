"""The unit's own commands: `init` (a new unit and its first administrator), `demo` (the demo
unit) and `check` (unlock, integrity, audit chain, counts)."""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from keyworker.cli.check_text import check_lines
from keyworker.cli.common import UsageError, db_path, open_book, options, password


def add(sub: Any, common: argparse.ArgumentParser) -> None:
    # init and demo sign nobody in: they take --db only (init names its administrator with --admin).
    db_only = options(user=False)
    s = sub.add_parser("init", parents=[db_only], help="create a new unit database and its first administrator")
    s.add_argument("--admin", required=True, metavar="NAME", help="user name of the first administrator")
    s.add_argument("--full-name", default=None, help="the administrator's full name")
    s.add_argument("--unit-name", default="", help="the unit's name, shown on letters")
    s.set_defaults(handler=cmd_init)

    s = sub.add_parser("demo", parents=[db_only], help="create a demo unit with accounts admin, manager, worker, nights",
                       description="Create the demo unit. Without --db it is the demo's own file (demo.kwdb in "
                       "the data folder, the one --demo opens), never the real unit.")
    s.add_argument("--residents", type=int, default=40, metavar="N", help="synthetic residents to create (default 40)")
    s.add_argument("--seed", type=int, default=7, metavar="S", help="random seed (default 7)")
    s.add_argument("--years", type=int, default=None, metavar="Y",
                   help="give the unit Y years of history, as the benchmarks use: returning residents, "
                   "full-length stays, the staff's sign-ins and record views (default: the plain demo)")
    s.add_argument("--overwrite", dest="force", action="store_true",
                   help="replace the demo unit if it already exists (never a real unit)")
    s.add_argument("--force", dest="force", action="store_true", help=argparse.SUPPRESS)  # its old name
    s.set_defaults(handler=cmd_demo)

    s = sub.add_parser("check", parents=[common], help="unlock, check integrity and the audit chain, print counts",
                       description="Unlock the unit, check the database's integrity and the audit chain (with its "
                       "anchors in the vault and, on a laptop enrolled with a unit hub, the last entry the hub saw: "
                       "asked for within 10 seconds, and said as not compared when the hub cannot be asked), and "
                       "print each area's counts. Exit status 1 when something is damaged.")
    s.add_argument("--json", action="store_true", help="print one JSON object for monitoring")
    s.add_argument("--against", type=Path, metavar="BACKUP",
                   help="also check that the audit trail still holds everything in this backup of the unit")
    s.add_argument("--full", action="store_true",
                   help="re-check every entry of the audit trail, not only those added since the last check "
                   "(do this monthly and after a restore)")
    s.add_argument("--no-integrity", dest="integrity", action="store_false",
                   help="leave out the integrity pass, which reads the whole file (about 25 s for a 3 GB unit): "
                   "the audit trail and counts only, for frequent monitoring; run the full `check` daily")
    s.set_defaults(handler=cmd_check)


def cmd_init(args: argparse.Namespace) -> int:
    from keyworker.casebook import Casebook

    path = db_path(args)
    book, recovery = Casebook.create(path, admin_username=args.admin, admin_full_name=args.full_name or args.admin,
                                     password=password("New administrator password: ", confirm=True),
                                     unit_name=args.unit_name)
    book.close()
    print(f"Created unit database {path}")
    print("Recovery key (write it down and keep it locked away; it is shown only once):")
    print(f"  {recovery}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from keyworker.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, create_demo
    from keyworker.device import demo_db_path

    # The demo's own file (the one `--demo` opens), never KEYWORKER_DB or the real unit's.
    path = Path(args.db) if args.db else demo_db_path()
    if args.residents < 0:
        raise UsageError("--residents must be 0 or more")
    if args.years is not None and not 1 <= args.years <= 20:
        raise UsageError("--years must be between 1 and 20")
    pw = os.environ.get("KEYWORKER_PASSWORD") or DEMO_PASSWORD
    create_demo(path, args.residents, args.seed, pw, force=args.force, years=args.years)
    print(f"Created demo unit {path} with {args.residents} residents"
          + (f" and {args.years} years of history" if args.years else ""))
    print("Accounts: " + ", ".join(u for u, _, _ in DEMO_ACCOUNTS)
          + ("" if os.environ.get("KEYWORKER_PASSWORD") else f" (password: {DEMO_PASSWORD})"))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    book = open_book(args)
    try:
        report = book.check(integrity=args.integrity, against=args.against, full=args.full)
    finally:
        book.close()
    if args.json:
        print(json.dumps(report, default=str, sort_keys=False))
    else:
        for line in check_lines(report):
            print(line)
    return 0 if report["ok"] else 1
