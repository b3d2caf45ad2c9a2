"""`book.destinations`: where the outbox sends things (an HTTPS API, an SFTP drop, secure email),
the default destination of each kind of document, and "Test connection".

Settings are checked here, at the boundary, with a message per field; they are kept as JSON in
`OutboxDestination.settings` with the keys `keyworker.outbox.factory` reads. The secret (bearer
token, SFTP password or private key, SMTP password) is sealed with `keyworker.outbox.secrets.seal`
under the row's own id and is never returned, logged or put in an audit entry: a view only says
whether one is stored. Nothing is deleted: a destination is turned off, a route is cleared.

Managing destinations needs `manage_destinations` (seniors and administrators)."""
from __future__ import annotations

import base64
import builtins
import hashlib
import json
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from keyworker.db.outbox import OutboxDestination, OutboxItem, OutboxRoute
from keyworker.errors import ValidationError
from keyworker.input_types import storable, typed_inputs
from keyworker.outbox.factory import TRANSPORT_LABELS, TRANSPORTS, settings_of, transport_for
from keyworker.outbox.kinds import KINDS, LINE_LEVEL, kind_words
from keyworker.outbox.secrets import SecretUnreadable, seal
from keyworker.outbox.transport import DeliveryFailure, PermanentFailure, TransientFailure
from keyworker.security.permissions import Permission
from keyworker.validation import email_valid

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

MAX_NAME, MAX_URL, MAX_HOST, MAX_PATH, MAX_SECRET, MAX_RECIPIENTS = 120, 500, 253, 500, 20_000, 50
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9\-.]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$")
_REPLY_CODE = re.compile(r"\(\d{3}[ )]")
SECRET_WORDS = {"https": "bearer token", "sftp": "password or private key", "smtp": "password"}
SETTING_KEYS: dict[str, tuple[str, ...]] = {
    "https": ("url", "ca_bundle", "timeout"),
    "sftp": ("host", "port", "username", "remote_folder", "host_key", "auth", "timeout"),
    "smtp": ("host", "port", "security", "ca_bundle", "username", "from_address", "sender_name",
             "default_recipients", "recipients_by_kind", "timeout"),
}
DEFAULT_PORTS = {"sftp": 22, "smtp": 587}


@dataclass(frozen=True)
class DestinationView:
    id: str
    name: str
    transport: str  # https / sftp / smtp
    transport_label: str  # "HTTPS API" / "SFTP drop" / "Secure email"
    where: str  # one line: "https://hub.example.nhs.uk/letters", "sftp://drop@host:22/inbox" ...
    enabled: bool
    has_secret: bool  # never the secret itself
    kinds: tuple[str, ...]  # the kinds of document routed here
    online: bool | None  # None: never tried
    state: str  # "Online" / "Offline" / "Not tried yet", as the list shows it
    last_reached_at: datetime | None
    last_unreachable_at: datetime | None
    last_error: str | None  # why it was last unreachable, in words (when it is offline)
    settings: Mapping[str, Any] = field(default_factory=dict)  # the non-secret settings, for editing


@dataclass(frozen=True)
class RouteView:
    kind: str
    kind_words: str
    destination_id: str | None
    destination_name: str | None


@dataclass(frozen=True)
class RouteResult:
    kind: str
    destination_id: str | None
    assigned: int  # waiting items that had no destination and now go here
    words: str


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest class

    destination_id: str
    reachable: bool  # the server answered (even with a refusal)
    ok: bool  # reachable and nothing refused: items will go
    words: str


# -- validation --------------------------------------------------------------------------------
def _text(c: dict[str, str], values: dict[str, Any], key: str, raw: Any, label: str, *, required: bool,
          max_len: int) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            c[key] = f"{label} is required."
        return None
    if not isinstance(raw, str):
        c[key] = f"{label} must be text."
        return None
    text = raw.strip()
    if len(text) > max_len:
        c[key] = f"{label} is too long ({max_len} characters at most)."
        return None
    if not storable(text) or any(ch in text for ch in "\r\n\t"):
        c[key] = f"{label} contains a character that cannot be used."
        return None
    values[key] = text
    return text


def _host(c: dict[str, str], values: dict[str, Any], raw: Any, label: str) -> None:
    host = _text(c, values, "host", raw, label, required=True, max_len=MAX_HOST)
    if host is not None and not _HOST.match(host):
        c["host"] = f"{label} must be a server name like mail.example.nhs.uk or an IP address, without spaces."
        values.pop("host", None)


def _port(c: dict[str, str], values: dict[str, Any], raw: Any, default: int) -> None:
    if raw is None or raw == "":
        values["port"] = default
        return
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= 65535:
        c["port"] = "Port must be a whole number from 1 to 65535."
        return
    values["port"] = raw


def _timeout(c: dict[str, str], values: dict[str, Any], raw: Any) -> None:
    if raw is None or raw == "":
        return
    try:
        t = float(raw) if not isinstance(raw, bool) else None
    except (TypeError, ValueError):
        t = None
    if t is None or not 1 <= t <= 300:
        c["timeout"] = "The time limit must be a number of seconds from 1 to 300."
        return
    values["timeout"] = t


def _ca_bundle(c: dict[str, str], values: dict[str, Any], raw: Any) -> None:
    path = _text(c, values, "ca_bundle", raw, "The CA certificate file", required=False, max_len=MAX_PATH)
    if path is None:
        values["ca_bundle"] = None
        return
    p = Path(path).expanduser()
    try:
        data = p.read_bytes()
    except OSError:
        c["ca_bundle"] = f"The CA certificate file {path} cannot be read (check that it exists)."
        values.pop("ca_bundle", None)
        return
    if b"-----BEGIN CERTIFICATE-----" not in data:
        c["ca_bundle"] = "The CA certificate file must be a PEM file (text starting -----BEGIN CERTIFICATE-----)."
        values.pop("ca_bundle", None)
        return
    try:
        ssl.create_default_context(cafile=str(p))
    except (OSError, ssl.SSLError, ValueError):
        c["ca_bundle"] = "The CA certificate file holds no certificate that can be read."
        values.pop("ca_bundle", None)
        return
    values["ca_bundle"] = str(p)


def _addresses(c: dict[str, str], key: str, raw: Any, label: str) -> list[str] | None:
    """A list of email addresses, from a list or text separated by commas, semicolons or lines."""
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [a for a in re.split(r"[,;\s]+", raw) if a]
    if not isinstance(raw, list | tuple) or not all(isinstance(a, str) for a in raw):
        c[key] = f"{label} must be a list of email addresses."
        return None
    out = [a.strip() for a in raw if a.strip()]
    if len(out) > MAX_RECIPIENTS:
        c[key] = f"{label}: {MAX_RECIPIENTS} addresses at most."
        return None
    bad = [a for a in out if not email_valid(a)]
    if bad:
        c[key] = f"{label}: {bad[0][:80]} is not an email address."
        return None
    return list(dict.fromkeys(out))


def host_key_fingerprint(line: str) -> str:
    """An OpenSSH public key line as its SHA256 fingerprint ("SHA256:…", as `ssh-keygen -l` shows
    it), for a person to compare with the one the server's administrator gives them."""
    parts = (line or "").split()
    if len(parts) < 2:
        return ""
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except ValueError:
        return ""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _private_key_problem(text: str) -> str | None:
    from keyworker.outbox.sftp import _load_private_key

    try:
        _load_private_key(text)
    except PermanentFailure:
        return ("The private key could not be read: it must be an unencrypted OpenSSH private key "
                "(text starting -----BEGIN OPENSSH PRIVATE KEY-----).")
    return None


def validate_settings(transport: str, settings: Mapping[str, Any], *, secret: str | None,
                      has_secret: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The cleaned settings JSON for `transport` and {field: message} for a person. `secret` is a
    new secret typed now (None: keep the stored one, which exists when `has_secret`)."""
    c: dict[str, str] = {}
    v: dict[str, Any] = {}
    if transport not in TRANSPORTS:
        return {}, {"transport": "Choose HTTPS API, SFTP drop or Secure email."}
    for k in settings:
        if k not in SETTING_KEYS[transport]:
            c[str(k)] = f"This is not a setting of a {TRANSPORT_LABELS[transport].lower()} destination."
    s = settings
    if transport == "https":
        url = _text(c, v, "url", s.get("url"), "The address", required=True, max_len=MAX_URL)
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme.lower() != "https" or not parts.hostname:
                c["url"] = ("The address must start with https:// and name a server "
                            "(letters are never sent unencrypted).")
            elif parts.username or parts.password:
                c["url"] = "The address must not hold a user name or password; the token is stored apart."
        _ca_bundle(c, v, s.get("ca_bundle"))
        _timeout(c, v, s.get("timeout"))
        if not secret and not has_secret:
            c["secret"] = "The bearer token is required."
    elif transport == "sftp":
        _host(c, v, s.get("host"), "The SFTP server")
        _port(c, v, s.get("port"), 22)
        _text(c, v, "username", s.get("username"), "The user name", required=True, max_len=120)
        folder = _text(c, v, "remote_folder", s.get("remote_folder"), "The remote folder", required=True,
                       max_len=MAX_PATH)
        if folder is not None and not folder.startswith("/"):
            c["remote_folder"] = "The remote folder must be a path on the server starting with /, like /inbox."
        key = _text(c, v, "host_key", s.get("host_key"), "The server's host key", required=True, max_len=16_000)
        if key is None and "host_key" not in c:
            c["host_key"] = "The server's host key is required: fetch it and confirm it with the server's owner."
        if key is not None:
            from keyworker.outbox.sftp import _parse_host_key

            try:
                _parse_host_key(key)
            except ValueError:
                c["host_key"] = ("The server's host key is not a valid OpenSSH public key line "
                                 "(one line like 'ssh-ed25519 AAAA...').")
            else:
                v["host_key"] = " ".join(key.split()[:2])
        auth = s.get("auth") or "password"
        if auth not in ("password", "key"):
            c["auth"] = "Sign in with a password or with a key."
        else:
            v["auth"] = auth
            if secret:
                if auth == "key":
                    problem = _private_key_problem(secret)
                    if problem:
                        c["secret"] = problem
            elif not has_secret:
                c["secret"] = "The private key is required." if auth == "key" else "The password is required."
        _timeout(c, v, s.get("timeout"))
    else:
        _host(c, v, s.get("host"), "The mail server")
        _port(c, v, s.get("port"), 587)
        security = s.get("security") or "starttls"
        if isinstance(security, str) and security.lower() in ("plain", "none", "off", "no", ""):
            c["security"] = ("Plain (unencrypted) email is not allowed: letters carry people's health details, "
                             "so the connection must be secured with STARTTLS or TLS.")
        elif security not in ("starttls", "tls"):
            c["security"] = "Choose STARTTLS or TLS."
        else:
            v["security"] = security
        _ca_bundle(c, v, s.get("ca_bundle"))
        user = _text(c, v, "username", s.get("username"), "The user name", required=False, max_len=200)
        v.setdefault("username", None)
        if user and not secret and not has_secret:
            c["secret"] = "A user name is set, so the password is required."
        sender = _text(c, v, "from_address", s.get("from_address"), "The from address", required=True,
                       max_len=200)
        if sender is not None and not email_valid(sender):
            c["from_address"] = "The from address must be an email address, like unit@example.nhs.uk."
        _text(c, v, "sender_name", s.get("sender_name"), "The sender's name", required=False, max_len=200)
        default = _addresses(c, "default_recipients", s.get("default_recipients"), "Default recipients")
        if default is not None:
            v["default_recipients"] = default
        by_kind_raw = s.get("recipients_by_kind") or {}
        if not isinstance(by_kind_raw, Mapping):
            c["recipients_by_kind"] = "Recipients per kind of document must be a table of kinds and addresses."
        else:
            by_kind: dict[str, list[str]] = {}
            for kind, raw in by_kind_raw.items():
                if kind not in KINDS:
                    c["recipients_by_kind"] = f"{str(kind)[:40]} is not a kind of document the outbox sends."
                    break
                addresses = _addresses(c, f"recipients_by_kind.{kind}", raw, f"Recipients of {kind_words(kind)}")
                if addresses:
                    by_kind[kind] = addresses
            v["recipients_by_kind"] = by_kind
        _timeout(c, v, s.get("timeout"))
    return v, c


def _where(transport: str, s: Mapping[str, Any]) -> str:
    if transport == "https":
        parts = urlsplit(str(s.get("url") or ""))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}" if host else "(no address)"
    if transport == "sftp":
        folder = str(s.get("remote_folder") or "/")
        return f"sftp://{s.get('username', '')}@{s.get('host', '')}:{s.get('port') or 22}{folder}"
    security = "TLS" if s.get("security") == "tls" else "STARTTLS"
    return f"{s.get('host', '')}:{s.get('port') or 587} ({security})"


def _unreachable(exc: BaseException) -> bool:
    """No answer from the server at all (refused, dropped, timed out), or an identity that failed
    (certificate, host key): the destination counts as offline. Any other refusal is an answer."""
    text = str(exc).lower()
    if isinstance(exc, TransientFailure):
        # A server that answered with a status (HTTP 503, SMTP 421 ...) is reachable: the transports
        # put the code in brackets, "(421)" or "(503 Service Unavailable)".
        return not _REPLY_CODE.search(text)
    return any(w in text for w in ("certificate", "identity has changed", "secure connection"))


class DestinationService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    # -- reading ---------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.MANAGE_DESTINATIONS)
    def list(self) -> list[DestinationView]:
        """Every destination (turned off ones too), by name."""
        with self._book._read() as s:
            return self._views(s)

    def _views(self, s: Session) -> builtins.list[DestinationView]:
        rows = s.scalars(select(OutboxDestination).where(OutboxDestination.archived.is_(False))
                         .order_by(func.lower(OutboxDestination.name))).all()
        routes: dict[str, builtins.list[str]] = {}
        for r in s.scalars(select(OutboxRoute).where(OutboxRoute.archived.is_(False)).order_by(OutboxRoute.kind)):
            routes.setdefault(r.destination_id, []).append(r.kind)
        return [_view(d, tuple(routes.get(d.id, ()))) for d in rows]

    @typed_inputs(requires=Permission.MANAGE_DESTINATIONS)
    def get(self, destination_id: str) -> DestinationView:
        with self._book._read() as s:
            d = _row(s, destination_id)
            kinds = tuple(s.scalars(select(OutboxRoute.kind).where(OutboxRoute.destination_id == d.id,
                                                                    OutboxRoute.archived.is_(False))))
            return _view(d, kinds)

    @typed_inputs(requires=Permission.MANAGE_DESTINATIONS)
    def find(self, name_or_id: str) -> DestinationView:
        """By id or by name (case does not matter), for the command line."""
        with self._book._read() as s:
            d = s.get(OutboxDestination, name_or_id)
            if d is None or d.archived:
                d = s.scalars(select(OutboxDestination).where(
                    func.lower(OutboxDestination.name) == name_or_id.strip().lower(),
                    OutboxDestination.archived.is_(False))).first()
            if d is None:
                raise ValidationError({"destination": f"There is no destination called {name_or_id[:80]!r}."})
            return next(v for v in self._views(s) if v.id == d.id)

    @typed_inputs(requires=Permission.MANAGE_DESTINATIONS)
    def routes(self) -> builtins.list[RouteView]:
        """Each kind of document and its default destination (None: items wait, "no destination set")."""
        with self._book._read() as s:
            names = {d.id: d.name for d in s.scalars(select(OutboxDestination))}
            routed = {r.kind: r.destination_id for r in
                      s.scalars(select(OutboxRoute).where(OutboxRoute.archived.is_(False)))}
        kinds = [*KINDS, *sorted(k for k in routed if k not in KINDS)]
        return [RouteView(k, kind_words(k), routed.get(k), names.get(routed.get(k) or "")) for k in kinds]

    # -- writing ---------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.MANAGE_DESTINATIONS)
    def validate(self, transport: str, settings: Mapping[str, Any], secret: str | None = None,
                 has_secret: bool = False) -> dict[str, str]:
        """{field: message} for a form as typed; reads nothing."""
        return validate_settings(transport, settings, secret=secret or None, has_secret=has_secret)[1]

    @typed_inputs(requires=Permission.MANAGE_DESTINATIONS)
    def add(self, transport: str, name: str, settings: Mapping[str, Any],
            secret: str | None = None) -> DestinationView:
        """A new destination, turned on. `settings` has the keys of keyworker.outbox.factory for
        `transport`; `secret` is the token / password / private key (sealed, never shown again)."""
        secret = _clean_secret(secret)
        values, errors = validate_settings(transport, settings, secret=secret, has_secret=False)
        with self._book._write() as s:
            clean_name = self._name(s, name, None, errors)
            if errors:
                raise ValidationError(errors)
            if transport == "smtp" and not values.get("sender_name"):
                values["sender_name"] = _unit_name(s)
            d = OutboxDestination(name=clean_name, transport=transport, settings=json.dumps(values, sort_keys=True),
                                  enabled=True)
            s.add(d)
            s.flush([d])  # the id exists now: the secret is sealed under it
            if secret:
                d.secret = seal(self._book, d.id, secret)
            self._book._record(s, "outbox.destination_add", "outbox_destination", d.id,
                               detail={"name": clean_name, "transport": transport, "secret": bool(secret)})
            s.flush()
            return _view(d, ())

    @typed_inputs(requires=Permission.MANAGE_DESTINATIONS)
    def update(self, destination_id: str, name: str | None = None, settings: Mapping[str, Any] | None = None,
               secret: str | None = None) -> DestinationView:
        """Change the name and/or settings (those given replace the stored ones; the rest stay).
        With no new secret the stored one is kept."""
        secret = _clean_secret(secret)
        with self._book._write() as s:
            d = _row(s, destination_id)
            old = settings_of(d)
            merged = {**old, **(settings or {})}
            if d.transport == "sftp" and secret is None and merged.get("auth") != old.get("auth"):
                has_secret = False  # a stored password is no key (nor the other way round)
            else:
                has_secret = bool(d.secret)
            values, errors = validate_settings(d.transport, merged, secret=secret, has_secret=has_secret)
            if errors.get("secret") and d.transport == "sftp" and not has_secret and bool(d.secret):
                errors["secret"] = ("You changed how it signs in: enter the "
                                    + ("private key." if merged.get("auth") == "key" else "password."))
            clean_name = self._name(s, name, d.id, errors) if name is not None else d.name
            if errors:
                raise ValidationError(errors)
            if d.transport == "smtp" and not values.get("sender_name"):
                values["sender_name"] = old.get("sender_name") or _unit_name(s)
            changed = sorted(k for k in set(values) | set(old) if values.get(k) != old.get(k))
            if clean_name != d.name:
                changed.insert(0, "name")
            d.name = clean_name
            d.settings = json.dumps(values, sort_keys=True)
            if secret:
                d.secret = seal(self._book, d.id, secret)
            self._book._record(s, "outbox.destination_update", "outbox_destination", d.id,
                               detail={"name": clean_name, "transport": d.transport, "fields": changed,
                                       "secret": "replaced" if secret else "kept"})
            s.flush()
            kinds = tuple(s.scalars(select(OutboxRoute.kind).where(OutboxRoute.destination_id == d.id,
                                                                    OutboxRoute.archived.is_(False))))
            return _view(d, kinds)

    @typed_inputs(requires=Permission.MANAGE_DESTINATIONS)
    def enable(self, destination_id: str) -> DestinationView:
        return self._set_enabled(destination_id, True)

    @typed_inputs(requires=Permission.MANAGE_DESTINATIONS)
    def disable(self, destination_id: str) -> DestinationView:
        """Turned off: nothing is sent there (its items wait, "destination turned off") until it is
        turned on again. Its settings, secret and history stay."""
        return self._set_enabled(destination_id, False)

    def _set_enabled(self, destination_id: str, enabled: bool) -> DestinationView:
        with self._book._write() as s:
            d = _row(s, destination_id)
            if d.enabled != enabled:
                d.enabled = enabled
                self._book._record(s, "outbox.destination_enable" if enabled else "outbox.destination_disable",
                                   "outbox_destination", d.id, detail={"name": d.name})
            s.flush()
            kinds = tuple(s.scalars(select(OutboxRoute.kind).where(OutboxRoute.destination_id == d.id,
                                                                    OutboxRoute.archived.is_(False))))
            return _view(d, kinds)

    @typed_inputs(requires=Permission.MANAGE_DESTINATIONS)
    def set_route(self, kind: str, destination_id: str) -> RouteResult:
        """`destination_id` becomes the default for `kind`; every waiting item of that kind with no
        destination goes there too, in the same transaction."""
        if kind not in KINDS:
            raise ValidationError({"kind": "This is not a kind of document the outbox sends."})
        with self._book._write() as s:
            d = _row(s, destination_id)
            if kind in LINE_LEVEL and d.transport == "smtp":
                raise ValidationError({"destination": f"{kind_words(kind)}: line-level data about residents is not "
                                                      "sent by email. Choose an HTTPS API or an SFTP drop."})
            route = s.scalars(select(OutboxRoute).where(OutboxRoute.kind == kind)).first()
            if route is None:
                s.add(OutboxRoute(kind=kind, destination_id=d.id))
            else:
                route.destination_id, route.archived = d.id, False
            assigned = cast(CursorResult[Any], s.execute(update(OutboxItem).where(
                OutboxItem.kind == kind, OutboxItem.status == "pending", OutboxItem.destination_id.is_(None),
                OutboxItem.archived.is_(False)).values(destination_id=d.id, updated_at=self._book.clock.now())
                .execution_options(synchronize_session=False))).rowcount or 0
            self._book._record(s, "outbox.route_set", "outbox_route", None,
                               detail={"kind": kind, "destination": d.name, "assigned": int(assigned)})
            waiting = f"; {assigned} waiting item{'s' if assigned != 1 else ''} will go there too" if assigned else ""
            return RouteResult(kind, d.id, int(assigned), f"{kind_words(kind)} will be sent to {d.name}{waiting}.")

    @typed_inputs(requires=Permission.MANAGE_DESTINATIONS)
    def clear_route(self, kind: str) -> RouteResult:
        """No default destination for `kind`: new items wait ("no destination set"). Items already
        given a destination keep it."""
        if kind not in KINDS:
            raise ValidationError({"kind": "This is not a kind of document the outbox sends."})
        with self._book._write() as s:
            route = s.scalars(select(OutboxRoute).where(OutboxRoute.kind == kind,
                                                        OutboxRoute.archived.is_(False))).first()
            if route is not None:
                route.archived = True
                self._book._record(s, "outbox.route_clear", "outbox_route", route.id, detail={"kind": kind})
        return RouteResult(kind, None, 0, f"{kind_words(kind)}: no destination set; new ones wait until one is.")

    # -- the network -----------------------------------------------------------------------------
    @typed_inputs(requires=Permission.MANAGE_DESTINATIONS)
    def test(self, destination_id: str) -> TestResult:
        """Reach the destination without sending anything (the transport's probe) and record the
        outcome on it (online / offline, with why). No session is held while the network is used."""
        with self._book._read() as s:
            d = _row(s, destination_id)
            name = d.name
            try:
                transport = transport_for(self._book, d)
                problem: str | None = None
            except (ValueError, SecretUnreadable) as e:
                transport, problem = None, str(e)
        reachable, ok = False, False
        if transport is None:
            words = f"{name} could not be tried: {problem}"
        else:
            try:
                transport.probe()
            except DeliveryFailure as e:
                reachable = not _unreachable(e)
                words = (f"{name} answered but refused: {e}" if reachable
                         else f"{name} could not be reached: {e}")
            except Exception as e:  # noqa: BLE001 - any other failure is shown in words, never a traceback
                words = f"{name} could not be reached ({type(e).__name__})."
            else:
                reachable, ok = True, True
                words = f"Connected to {name}: it answered, and letters can go there."
        with self._book._write() as s:
            d = _row(s, destination_id)
            now = self._book.clock.now()
            if transport is not None:
                if reachable:
                    d.last_reached_at = now
                else:
                    d.last_unreachable_at, d.last_unreachable_error = now, words[:1000]
            self._book._record(s, "outbox.destination_test", "outbox_destination", d.id,
                               detail={"name": d.name, "reachable": reachable, "ok": ok})
        return TestResult(destination_id, reachable, ok, words)

    @typed_inputs(requires=Permission.MANAGE_DESTINATIONS)
    def fetch_sftp_host_key(self, host: str, port: int = 22) -> str:
        """The key the SFTP server offers, as an OpenSSH line, for a person to confirm (compare its
        fingerprint with the one the server's owner gives) before it is saved and pinned."""
        from keyworker.outbox.sftp import fetch_host_key

        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        _host(errors, values, host, "The SFTP server")
        _port(errors, values, port, 22)
        if errors:
            raise ValidationError(errors)
        try:
            return fetch_host_key(values["host"], values["port"])
        except DeliveryFailure as e:
            raise ValidationError({"host": str(e)}) from None

    # -- helpers ---------------------------------------------------------------------------------
    def _name(self, s: Session, raw: Any, own_id: str | None, errors: dict[str, str]) -> str:
        values: dict[str, Any] = {}
        name = _text(errors, values, "name", raw, "The name", required=True, max_len=MAX_NAME)
        if name is None:
            return ""
        taken = s.scalars(select(OutboxDestination.id).where(func.lower(OutboxDestination.name) == name.lower(),
                                                             OutboxDestination.archived.is_(False))).all()
        if any(t != own_id for t in taken):
            errors["name"] = f"There is already a destination called {name}; choose another name."
        return name


def _clean_secret(secret: str | None) -> str | None:
    if secret is None or not secret.strip():
        return None
    if len(secret) > MAX_SECRET or not storable(secret):
        raise ValidationError({"secret": "The secret is too long or holds a character that cannot be stored."})
    # A password is kept exactly as typed (spaces are characters too); a pasted key is tidied.
    return secret.strip() + "\n" if "PRIVATE KEY" in secret else secret


def _unit_name(s: Session) -> str:
    from keyworker.db.foundation import Setting

    row = s.get(Setting, "unit_name")
    return row.value if row is not None and row.value else "the unit"


def _row(s: Session, destination_id: str) -> OutboxDestination:
    d = s.get(OutboxDestination, destination_id)
    if d is None or d.archived:
        raise ValidationError({"destination": "This destination does not exist."})
    return d


def _view(d: OutboxDestination, kinds: tuple[str, ...]) -> DestinationView:
    settings = settings_of(d)
    reached, unreachable = d.last_reached_at, d.last_unreachable_at
    if reached is None and unreachable is None:
        online, state = None, "Not tried yet"
    elif unreachable is None or (reached is not None and reached >= unreachable):
        online, state = True, "Online"
    else:
        online, state = False, "Offline"
    return DestinationView(
        id=d.id, name=d.name, transport=d.transport, transport_label=TRANSPORT_LABELS.get(d.transport, d.transport),
        where=_where(d.transport, settings), enabled=bool(d.enabled), has_secret=bool(d.secret), kinds=kinds,
        online=online, state=state, last_reached_at=reached, last_unreachable_at=unreachable,
        last_error=d.last_unreachable_error if online is False else None, settings=settings)
