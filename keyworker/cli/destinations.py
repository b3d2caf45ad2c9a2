"""`destinations list [--json]`, `destinations add https|sftp|smtp --name NAME ...`, `destinations test
NAME_OR_ID`, `destinations route KIND NAME_OR_ID|--clear` and `destinations host-key HOST`: where
the outbox sends things (seniors and administrators). Listed in keyworker.cli.COMMANDS.

A secret (bearer token, SFTP password or private key, SMTP password) is never a plain argument,
where it would stay in the shell's history and the process list: it is read from --secret-file
PATH, else the environment variable KEYWORKER_DESTINATION_SECRET, else asked for at the terminal
without being shown. It is stored sealed and never printed."""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from keyworker.cli.common import Parser, UsageError, open_book
from keyworker.errors import ValidationError

SECRET_ENV = "KEYWORKER_DESTINATION_SECRET"
# Service field -> the option that sets it, so a refusal names what to change on the command line.
OPTIONS = {"name": "--name", "url": "--url", "ca_bundle": "--ca-bundle", "timeout": "--timeout", "host": "--host",
           "port": "--port", "username": "--username", "remote_folder": "--remote-folder", "host_key": "--host-key",
           "auth": "--auth", "security": "--security", "from_address": "--from", "sender_name": "--sender-name",
           "default_recipients": "--to", "recipients_by_kind": "--to-kind", "secret": "the secret",
           "destination": "destination", "kind": "KIND"}
SECRET_PROMPTS = {"https": "Bearer token", "sftp": "Password or private key", "smtp": "Mail server password"}


class _NoPlainSecret(argparse.Action):
    """`--secret VALUE` (or --token, --password) is refused without repeating what was typed."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        parser.error(f"{option_string}: a secret is never given as an argument (it would stay in the shell's "
                     f"history); use --secret-file PATH, {SECRET_ENV}, or type it when asked")


def _transport_parser(kinds: Any, name: str, common: argparse.ArgumentParser, **kw: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = kinds.add_parser(name, parents=[common], allow_abbrev=False, **kw)
    for option in ("--secret", "--token", "--password"):
        p.add_argument(option, action=_NoPlainSecret, nargs="?", help=argparse.SUPPRESS)
    return p


def add(sub: Any, common: argparse.ArgumentParser) -> None:
    from keyworker.outbox.kinds import KINDS

    s = sub.add_parser("destinations", help="where letters and returns are sent (senior, administrator)")
    s.set_defaults(handler=cmd_list, json=False)
    what = s.add_subparsers(dest="destinations_what", metavar="WHAT", parser_class=Parser, required=True)

    ls = what.add_parser("list", parents=[common], help="every destination, where it goes, online or not")
    ls.add_argument("--json", action="store_true", help="print one JSON list (never a secret)")
    ls.set_defaults(handler=cmd_list)

    a = what.add_parser("add", help="add an HTTPS API, SFTP drop or secure email destination")
    a.set_defaults(handler=cmd_add)
    kinds = a.add_subparsers(dest="transport", metavar="TRANSPORT", parser_class=Parser, required=True)
    secret_help = (f"read the secret from this file (else {SECRET_ENV}, else asked for at the terminal; "
                   "never given as an argument)")

    h = _transport_parser(kinds, "https", common, help="an HTTPS API with a bearer token",
                         description="An HTTPS API: each letter is POSTed to the address with the bearer "
                         "token. The certificate is checked against the system's trust or --ca-bundle.")
    h.add_argument("--name", required=True)
    h.add_argument("--url", required=True, help="https://… address that receives the letters")
    h.add_argument("--ca-bundle", metavar="PEM", help="a PEM file of the CA to trust (default: the system's)")
    h.add_argument("--timeout", type=float, metavar="SECONDS")
    h.add_argument("--secret-file", type=Path, metavar="PATH", help=secret_help)

    f = _transport_parser(kinds, "sftp", common, help="an SFTP drop folder with a pinned host key",
                         description="An SFTP drop: each letter is uploaded to the remote folder. The "
                         "server's host key must be given (see `destinations host-key HOST`) and is pinned.")
    f.add_argument("--name", required=True)
    f.add_argument("--host", required=True)
    f.add_argument("--port", type=int, default=22)
    f.add_argument("--username", required=True)
    f.add_argument("--remote-folder", required=True, metavar="FOLDER", help="e.g. /inbox")
    f.add_argument("--host-key", required=True, metavar="LINE", help="the server's key: 'ssh-ed25519 AAAA…'")
    f.add_argument("--auth", choices=("password", "key"), default="password",
                   help="sign in with a password or an unencrypted OpenSSH private key (the secret)")
    f.add_argument("--timeout", type=float, metavar="SECONDS")
    f.add_argument("--secret-file", type=Path, metavar="PATH", help=secret_help)

    m = _transport_parser(kinds, "smtp", common, help="secure email (STARTTLS or TLS, never plain)",
                         description="Secure email: each letter is sent as an attachment. The connection is "
                         "always encrypted (STARTTLS or implicit TLS) and the certificate checked.")
    m.add_argument("--name", required=True)
    m.add_argument("--host", required=True)
    m.add_argument("--port", type=int, default=587)
    m.add_argument("--security", default="starttls", metavar="starttls|tls",
                   help="starttls (usually port 587) or tls (usually 465); plain email is refused")
    m.add_argument("--ca-bundle", metavar="PEM")
    m.add_argument("--username", help="sign in as this user (the password is the secret)")
    m.add_argument("--from", dest="from_address", required=True, metavar="ADDRESS")
    m.add_argument("--sender-name", help="named in the email's text (default: the unit's name)")
    m.add_argument("--to", dest="recipients", action="append", default=[], metavar="ADDRESS",
                   help="default recipient (may be repeated); a letter to the referrer goes to their address")
    m.add_argument("--to-kind", action="append", default=[], metavar="KIND=ADDRESS[,ADDRESS]",
                   help="recipients for one kind of document (may be repeated): " + ", ".join(KINDS))
    m.add_argument("--timeout", type=float, metavar="SECONDS")
    m.add_argument("--secret-file", type=Path, metavar="PATH", help=secret_help)

    t = what.add_parser("test", parents=[common], help="reach a destination without sending anything")
    t.add_argument("destination", metavar="NAME_OR_ID")
    t.set_defaults(handler=cmd_test)

    r = what.add_parser("route", parents=[common], help="the default destination of a kind of document",
                        description="Each kind of document goes to its default destination; items of that "
                        "kind waiting with no destination go there too. Kinds: " + ", ".join(KINDS) + ".")
    r.add_argument("kind", metavar="KIND")
    r.add_argument("destination", metavar="NAME_OR_ID", nargs="?")
    r.add_argument("--clear", action="store_true", help="no default: new items of this kind wait")
    r.set_defaults(handler=cmd_route)

    k = what.add_parser("host-key", parents=[common], help="show an SFTP server's host key to confirm and pin")
    k.add_argument("host")
    k.add_argument("--port", type=int, default=22)
    k.set_defaults(handler=cmd_host_key)


def _refused(e: ValidationError) -> ValidationError:
    return ValidationError({OPTIONS.get(k.split(".")[0], k): v for k, v in e.fields.items()})


def read_secret(args: argparse.Namespace, needed: bool) -> str | None:
    """From --secret-file, else the environment, else the terminal (not echoed); None if none."""
    if getattr(args, "secret_file", None):
        return Path(args.secret_file).read_text(encoding="utf-8").rstrip("\r\n")  # the file's last newline
    env = os.environ.get(SECRET_ENV)
    if env:
        return env
    if needed and sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"{SECRET_PROMPTS[args.transport]} (not shown): ") or None
    return None


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    t = args.transport
    if t == "https":
        out: dict[str, Any] = {"url": args.url, "ca_bundle": args.ca_bundle}
    elif t == "sftp":
        out = {"host": args.host, "port": args.port, "username": args.username,
               "remote_folder": args.remote_folder, "host_key": args.host_key, "auth": args.auth}
    else:
        by_kind: dict[str, list[str]] = {}
        for entry in args.to_kind:
            kind, eq, addresses = entry.partition("=")
            if not eq or not kind.strip():
                raise UsageError(f"--to-kind {entry!r}: write it as KIND=ADDRESS[,ADDRESS]")
            by_kind.setdefault(kind.strip(), []).extend(a.strip() for a in addresses.split(",") if a.strip())
        out = {"host": args.host, "port": args.port, "security": args.security, "ca_bundle": args.ca_bundle,
               "username": args.username, "from_address": args.from_address, "sender_name": args.sender_name,
               "default_recipients": args.recipients, "recipients_by_kind": by_kind}
    if args.timeout is not None:
        out["timeout"] = args.timeout
    return out


def cmd_add(args: argparse.Namespace) -> int:
    settings = _settings(args)  # a malformed option is a usage error before any password
    book = open_book(args)
    try:
        needed = args.transport != "smtp" or bool(args.username)
        secret = read_secret(args, needed)
        try:
            v = book.destinations.add(args.transport, args.name, settings, secret)
        except ValidationError as e:
            if "secret" in e.fields and secret is None:
                e.fields["secret"] += (f" Give it with --secret-file PATH or {SECRET_ENV}, "
                                       "or run the command in a terminal to be asked for it.")
            raise _refused(e) from None
    finally:
        book.close()
    print(f"Added destination {v.name} ({v.transport_label}): {v.where}"
          + (" (secret stored encrypted)" if v.has_secret else ""))
    print(f"Try it with: main.py destinations test {json.dumps(v.name) if ' ' in v.name else v.name}")
    return 0


def _row(v: Any) -> dict[str, Any]:
    return {"id": v.id, "name": v.name, "transport": v.transport, "transport_label": v.transport_label,
            "where": v.where, "enabled": v.enabled, "has_secret": v.has_secret, "kinds": list(v.kinds),
            "online": v.online, "state": v.state,
            "last_reached_at": v.last_reached_at.isoformat() if v.last_reached_at else None,
            "last_unreachable_at": v.last_unreachable_at.isoformat() if v.last_unreachable_at else None,
            "last_error": v.last_error}


def cmd_list(args: argparse.Namespace) -> int:
    from keyworker.outbox.kinds import kind_words

    book = open_book(args)
    try:
        rows = book.destinations.list()
    finally:
        book.close()
    if args.json:
        print(json.dumps([_row(v) for v in rows]))
        return 0
    if not rows:
        print("No destinations yet: letters wait in the outbox until one is added "
              "(main.py destinations add https|sftp|smtp --help).")
        return 0
    for v in rows:
        state = v.state if v.enabled else "Turned off"
        print(f"{v.name}  [{v.transport_label}]  {v.where}  {state}")
        if v.last_error:
            print(f"    last problem: {v.last_error}")
        if v.kinds:
            print("    sends: " + ", ".join(kind_words(k) for k in v.kinds))
    print(f"{len(rows)} destination{'s' if len(rows) != 1 else ''}.")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    book = open_book(args)
    try:
        try:
            v = book.destinations.find(args.destination)
        except ValidationError as e:
            raise _refused(e) from None
        print(f"Trying {v.name} ({v.where}) …", flush=True)
        result = book.destinations.test(v.id)
    finally:
        book.close()
    print(result.words)
    return 0 if result.ok else 1


def cmd_route(args: argparse.Namespace) -> int:
    from keyworker.outbox.kinds import KINDS

    if args.kind not in KINDS:
        raise UsageError(f"{args.kind!r} is not a kind of document; one of: {', '.join(KINDS)}")
    if args.clear == bool(args.destination):
        raise UsageError("give either a destination (NAME_OR_ID) or --clear")
    book = open_book(args)
    try:
        try:
            if args.clear:
                result = book.destinations.clear_route(args.kind)
            else:
                result = book.destinations.set_route(args.kind, book.destinations.find(args.destination).id)
        except ValidationError as e:
            raise _refused(e) from None
    finally:
        book.close()
    print(result.words)
    return 0


def cmd_host_key(args: argparse.Namespace) -> int:
    from keyworker.outbox.destinations import host_key_fingerprint

    book = open_book(args)
    try:
        try:
            line = book.destinations.fetch_sftp_host_key(args.host, args.port)
        except ValidationError as e:
            raise _refused(e) from None
    finally:
        book.close()
    print(line)
    print(f"Fingerprint: {host_key_fingerprint(line)}")
    print("Check this fingerprint with the server's owner before saving the key with --host-key.")
    return 0
