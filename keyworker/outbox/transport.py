"""What a destination's transport does, and the two ways it can fail.

A transport is given one `Delivery` at a time and returns a `Receipt` only when the receiver
has durably taken it (HTTPS 2xx with a receipt id; SFTP renamed and size checked; SMTP 250
after DATA). It sends `idempotency_key` to the receiver every time (HTTP Idempotency-Key, the
SFTP file name, the SMTP Message-ID) so a replay after a crash is not a second copy."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Delivery:
    item_id: str
    idempotency_key: str
    kind: str
    title: str
    filename: str
    mime_type: str
    payload: bytes
    sha256: str
    recipient_name: str | None = None
    recipient_email: str | None = None
    recipient_role: str | None = None
    # Set when the PDF was encrypted for email; the transport never logs it.
    pdf_password: str | None = None


@dataclass(frozen=True)
class Receipt:
    receipt_id: str  # what the receiver says identifies it (HTTP receipt id, remote path, SMTP queue id)
    detail: str = ""  # the server's words, shown on the Outbox page


class DeliveryFailure(Exception):
    """Base of both failures; `str()` is the server's message in plain words."""


class TransientFailure(DeliveryFailure):
    """Try again later: a 5xx, a 429, a timeout, a dropped connection, SMTP 4.x.x."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds the server asked us to wait (Retry-After)


class PermanentFailure(DeliveryFailure):
    """Retrying will not help: a 4xx, SMTP 5.x.x, SFTP permission denied, a wrong certificate
    or host key. The item goes to quarantine with this message."""


class Transport(Protocol):
    def deliver(self, delivery: Delivery) -> Receipt: ...

    def probe(self) -> None:
        """Reach the destination without sending anything; raise a DeliveryFailure if it cannot."""
        ...


def certificate_words(openssl: str) -> str:
    """A certificate that failed to verify, in words an administrator acts on ("it was issued for
    a different server name"), with OpenSSL's own words after it. Every TLS transport uses this."""
    lower = openssl.lower()
    if "issuer" in lower or "self-signed" in lower or "self signed" in lower:
        plain = "it was not issued by a certificate authority this destination trusts"
    elif "hostname" in lower or "ip address mismatch" in lower:
        plain = "it was issued for a different server name"
    elif "expired" in lower:
        plain = "it has expired"
    elif "not yet valid" in lower:
        plain = "it is not valid yet"
    else:
        return openssl
    return f"{plain} ({openssl})"
