"""`main.py sync ...`: this laptop and the unit hub (docs/SYNC.md). Listed in keyworker.cli.COMMANDS.

  sync bootstrap --hub URL --code CODE --cert-sha256 HEX   the unit's first laptop (an administrator)
  sync code                                                 a one-time code to enrol another laptop
  sync join --hub URL --code CODE --cert-sha256 HEX --db PATH   enrol this laptop into a new file
  sync now                                                  one round now (progress on stderr)
  sync status [--json]                                      enrolled, last synced, offline, waiting
  sync laptops [--json]                                     the unit's laptops as the hub knows them
  sync revoke DEVICE_ID                                     remove a laptop from the unit
  sync rotate-key                                           a new sync key for the laptops still enrolled
  sync fingerprint --hub URL                                the certificate fingerprint a server shows now

Errors are one line (exit 1; 2 for usage), never a traceback: the hub's own words when it refused."""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from typing import Any

from keyworker.cli.common import Parser, UsageError, db_path, open_book


def add(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("sync", help="this laptop and the unit hub: enrol, sync now, status, laptops",
                       description="Several laptops, one caseload: enrol this laptop with the unit hub and sync "
                       "through it. See docs/SYNC.md.")
    actions = s.add_subparsers(dest="sync_action", metavar="WHAT", parser_class=Parser, required=True)

    def hub_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--hub", required=True, metavar="URL", help="the hub's address, https://host:port")
        p.add_argument("--code", required=True, metavar="CODE", help="the 25-character code (dashes optional)")
        p.add_argument("--cert-sha256", required=True, metavar="HEX",
                       help="the hub's certificate fingerprint (SHA-256) as your administrator gave it")
        p.add_argument("--name", metavar="NAME", help="this laptop's name on the hub (default: its host name)")

    p = actions.add_parser("bootstrap", parents=[common], help="bring this unit to a new hub (its first laptop)",
                           description="Enrol this laptop as the unit's first, with the bootstrap code `hub add-unit` "
                           "printed, and push the whole unit to the hub. An administrator's.")
    hub_args(p)
    p.set_defaults(handler=cmd_bootstrap)

    p = actions.add_parser("code", parents=[common], help="a one-time code to enrol another laptop (15 minutes)")
    p.set_defaults(handler=cmd_code)

    p = actions.add_parser("join", help="enrol this laptop with a code and write the unit to a new file",
                           description="Enrol this laptop with a code made on an enrolled laptop (`sync code`) and "
                           "write the unit to --db, a new file: the first sync fills it. Afterwards each person "
                           "signs in with their own password.")
    hub_args(p)
    p.add_argument("--db", required=True, metavar="PATH", help="the new unit database file to write")
    p.set_defaults(handler=cmd_join)

    p = actions.add_parser("now", parents=[common], help="sync now: push this laptop's changes, pull the others'")
    p.set_defaults(handler=cmd_now)

    p = actions.add_parser("status", parents=[common], help="enrolled, last synced, offline since, what waits")
    p.add_argument("--json", action="store_true", help="as JSON")
    p.set_defaults(handler=cmd_status)

    p = actions.add_parser("laptops", parents=[common], help="the unit's laptops as the hub knows them")
    p.add_argument("--json", action="store_true", help="as JSON")
    p.set_defaults(handler=cmd_laptops)

    p = actions.add_parser("revoke", parents=[common], help="remove a laptop from the unit (lost or stolen)",
                           description="The hub refuses the laptop from now on. It cannot reach into the laptop: what "
                           "is already on it stays as readable as its passwords allow (see the README).")
    p.add_argument("device_id", metavar="DEVICE_ID", help="as `sync laptops` lists it")
    p.set_defaults(handler=cmd_revoke)

    p = actions.add_parser("rotate-key", parents=[common], help="a new sync key for the laptops still enrolled",
                           description="Make the unit's next sync key, give it to every laptop still enrolled (each "
                           "takes it at its next sync) and seal this laptop's changes with it from now on. A removed "
                           "laptop never gets it; what it already holds stays readable there. An administrator's.")
    p.set_defaults(handler=cmd_rotate_key)

    p = actions.add_parser("rotate-unit-key", parents=[common],
                           help="a new unit (database) key for the laptops still enrolled",
                           description="Make the unit's next database key and give it to every laptop still enrolled: "
                           "each takes it at its next sync and re-keys its database the next time the unit is opened "
                           "there (after an encrypted copy). A removed laptop never gets it, so its key no longer opens "
                           "the unit's files; what it already holds stays readable there. Each account's key slot is "
                           "re-wrapped as that person next signs in. An administrator's.")
    p.set_defaults(handler=cmd_rotate_unit_key)

    p = actions.add_parser("fingerprint", help="the certificate fingerprint a hub presents now",
                           description="Prints the SHA-256 of the certificate the server at --hub presents now, to "
                           "compare with the one the hub's operator gave you. Never type it in from here alone.")
    p.add_argument("--hub", required=True, metavar="URL")
    p.set_defaults(handler=cmd_fingerprint)


def _when(value: Any) -> str:
    from datetime import datetime

    from keyworker.clock import format_datetime

    if value is None:
        return "never"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(value)


class _Progress:
    """`done/total` on stderr, at most a few times a second, one line at the end."""

    def __init__(self) -> None:
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.25 and done < total:
            return
        self.last = now
        self.shown = True
        pct = 100 if total <= 0 else min(100, int(done * 100 / total))
        print(f"\rsyncing: {done}/{total} changes ({pct}%)", end="", file=sys.stderr, flush=True)

    def end(self) -> None:
        if self.shown:
            print(file=sys.stderr, flush=True)


def _report(report: Any) -> str:
    return (f"Synced: {report.pushed} sent, {report.pulled} received, {report.conflicts_new} new conflicts"
            + (f", {report.quarantined} held back" if report.quarantined else "") + ".")


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from keyworker.sync import enrol

    book = open_book(args)
    progress = _Progress()
    try:
        report = enrol.bootstrap(book, args.hub, args.code, args.cert_sha256, device_name=args.name,
                                 progress=progress)
    finally:
        progress.end()
        book.close()
    print(f"This laptop is the unit's first on the hub. {_report(report)}")
    return 0


def cmd_code(args: argparse.Namespace) -> int:
    from keyworker.clock import format_datetime
    from keyworker.sync import enrol

    book = open_book(args)
    try:
        made = enrol.make_code(book)
    finally:
        book.close()
    print(made.text)
    print(f"Valid once, until {format_datetime(made.expires_at)}. Type it on the new laptop with `sync join`.",
          file=sys.stderr)
    return 0


def cmd_join(args: argparse.Namespace) -> int:
    from keyworker.sync import enrol

    progress = _Progress()
    try:
        path = enrol.join(args.hub, args.code, db_path(args), args.cert_sha256, device_name=args.name,
                          progress=progress)
    finally:
        progress.end()
    print(f"This laptop joined the unit: {path}. Each person signs in with their own password.")
    return 0


def cmd_now(args: argparse.Namespace) -> int:
    from keyworker.sync.run import sync_once

    book = open_book(args)
    progress = _Progress()
    try:
        report = sync_once(book, progress=progress)
    finally:
        progress.end()
        book.close()
    print(_report(report))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from keyworker.sync.run import sync_status

    book = open_book(args)
    try:
        st = sync_status(book)
    finally:
        book.close()
    if args.json:
        print(json.dumps(asdict(st), indent=1, sort_keys=True))
        return 0
    if not st.enrolled:
        print("Not enrolled with a unit hub.")
    else:
        print(f"Hub: {st.hub} (unit {st.unit_id})")
        print(f"Last synced: {_when(st.last_synced_at)}")
        if st.offline_since:
            print(f"Offline since: {_when(st.offline_since)}")
        if st.last_error:
            print(f"Last error: {st.last_error}")
    print(f"Changes waiting to be sent: {st.pending_ops}")
    print(f"Conflicts waiting: {st.conflicts_waiting}")
    print(f"Held back (quarantined): {st.quarantined}")
    return 0


def cmd_laptops(args: argparse.Namespace) -> int:
    from keyworker.sync import enrol

    book = open_book(args)
    try:
        devices = enrol.laptops(book)
        me = book.device_id
    finally:
        book.close()
    if args.json:
        print(json.dumps([{**{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asdict(d).items()},
                           "this_laptop": d.device_id == me} for d in devices], indent=1))
        return 0
    for d in devices:
        state = f"removed {_when(d.revoked_at)}" if d.revoked_at else f"last seen {_when(d.last_seen_at)}"
        print(f"{d.device_id}  {d.name}{' (this laptop)' if d.device_id == me else ''}  "
              f"enrolled {_when(d.enrolled_at)}, {state}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from keyworker.sync import enrol

    book = open_book(args)
    try:
        enrol.revoke(book, args.device_id)
    finally:
        book.close()
    print(f"Laptop {args.device_id} was removed from the unit: the hub refuses it from now on. What is already "
          "on it stays there, protected only by its encryption and passwords.")
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    from keyworker.sync.rotate import rotate_sync_key

    book = open_book(args)
    try:
        done = rotate_sync_key(book)
    finally:
        book.close()
    expired = (f" {done.codes_expired} unused enrolment code(s) expired: make a new one for a laptop still to join."
               if done.codes_expired else "")
    print(f"The unit's sync key is now epoch {done.epoch}, given to {done.laptops} laptop(s); each takes it at its "
          "next sync. Changes from now on are sealed with it: a removed laptop cannot open them, but what it "
          f"already holds stays readable there.{expired}")
    return 0


def cmd_rotate_unit_key(args: argparse.Namespace) -> int:
    book = open_book(args)
    try:
        done = book.sync.rotate_unit_key()
    finally:
        book.close()
    expired = (f" {done.codes_expired} unused enrolment code(s) expired: make a new one for a laptop still to join."
               if done.codes_expired else "")
    print(f"The unit's database key is now generation {done.generation}, given to {done.laptops} laptop(s). Each "
          "takes it at its next sync and re-keys its database the next time the unit is opened there (this one "
          "too); each person's password is moved to it as they next sign in. A removed laptop's key will no longer "
          f"open the unit's files, but what it already holds stays readable there.{expired}")
    return 0


def cmd_fingerprint(args: argparse.Namespace) -> int:
    from keyworker.errors import KeyworkerError
    from keyworker.sync.client import certificate_sha256
    from keyworker.sync.hubconf import normalise_url

    try:
        url = normalise_url(args.hub)
    except ValueError as e:
        raise UsageError(str(e)) from None
    try:
        print(certificate_sha256(url))
    except OSError as e:
        raise KeyworkerError(f"The server at {url} could not be reached ({e.strerror or type(e).__name__}).") from None
    return 0
