"""A destination row to a working transport. The one place that knows how each transport's
settings are kept in `OutboxDestination.settings` (JSON) and which secret it takes.

Settings JSON per transport (the keys DestinationService writes and the screen edits):
- https: {"url", "ca_bundle" (path or null: system trust), "timeout"}
- sftp:  {"host", "port", "username", "remote_folder", "host_key" (pinned OpenSSH line),
          "auth" ("password" | "key"), "timeout"}
- smtp:  {"host", "port", "security" ("starttls" | "tls"), "ca_bundle", "username",
          "from_address", "sender_name", "default_recipients" [..],
          "recipients_by_kind" {kind: [..]}, "timeout"}
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from keyworker.outbox.secrets import unseal
from keyworker.outbox.transport import Transport

if TYPE_CHECKING:
    from keyworker.casebook import Casebook
    from keyworker.db.outbox import OutboxDestination

TRANSPORTS = ("https", "sftp", "smtp")
TRANSPORT_LABELS = {"https": "HTTPS API", "sftp": "SFTP drop", "smtp": "Secure email"}


def settings_of(dest: OutboxDestination) -> dict[str, Any]:
    try:
        value = json.loads(dest.settings or "{}")
    except ValueError:
        value = {}
    return value if isinstance(value, dict) else {}


def recipients_for(settings: dict[str, Any], kind: str | None) -> tuple[str, ...]:
    """Email destinations: the addresses for this kind of document, else the default ones."""
    by_kind = settings.get("recipients_by_kind")
    if not isinstance(by_kind, dict):  # a damaged row sends to the default recipients, not a crash
        by_kind = {}
    chosen = (by_kind.get(kind) if kind else None) or settings.get("default_recipients") or []
    return tuple(str(a) for a in chosen)


def transport_for(book: Casebook, dest: OutboxDestination, kind: str | None = None) -> Transport:
    """Build the transport for `dest` (raises ValueError for settings a transport refuses, and
    SecretUnreadable for a secret that does not open). `kind` picks an email destination's
    recipients for that kind of document."""
    s = settings_of(dest)
    secret = unseal(book, dest.id, dest.secret)
    if dest.transport == "https":
        from keyworker.outbox.https import HttpsSettings, HttpsTransport
        return HttpsTransport(HttpsSettings(url=s.get("url", ""), ca_bundle=s.get("ca_bundle") or None,
                                            timeout=float(s.get("timeout") or 30.0)), secret)
    if dest.transport == "sftp":
        from keyworker.outbox.sftp import SftpSettings, SftpTransport
        return SftpTransport(SftpSettings(host=s.get("host", ""), port=int(s.get("port") or 22),
                                          username=s.get("username", ""), remote_folder=s.get("remote_folder", ""),
                                          host_key=s.get("host_key", ""), auth=s.get("auth") or "password",
                                          timeout=float(s.get("timeout") or 20.0)), secret)
    if dest.transport == "smtp":
        from keyworker.outbox.smtp import SmtpSettings, SmtpTransport
        return SmtpTransport(SmtpSettings(host=s.get("host", ""), port=int(s.get("port") or 587),
                                          from_address=s.get("from_address", ""),
                                          sender_name=s.get("sender_name", ""),
                                          security=s.get("security") or "starttls",
                                          ca_bundle=s.get("ca_bundle") or None, username=s.get("username") or None,
                                          default_recipients=recipients_for(s, kind),
                                          timeout=float(s.get("timeout") or 30.0)), secret or None)
    raise ValueError(f"Unknown kind of destination: {dest.transport!r}")
