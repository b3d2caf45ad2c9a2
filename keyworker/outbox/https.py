"""The HTTPS API transport: one POST per delivery to a receiver's endpoint.

The payload is the request body; the receiver answers 2xx with a receipt id (JSON
`{"receipt": "..."}` or the `X-Receipt-Id` header) once it has durably stored it. The
`Idempotency-Key` header carries the item's key on every attempt, so a replay after a crash
gets the same receipt and no second copy. Qt-free and database-free; the bearer token is given
as a plain argument and never appears in a message."""
from __future__ import annotations

import json
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from keyworker.outbox.transport import Delivery, PermanentFailure, Receipt, TransientFailure, certificate_words

SERVER_WORDS_LIMIT = 300


@dataclass(frozen=True)
class HttpsSettings:
    url: str
    ca_bundle: str | None = None  # a PEM file of the CA(s) to trust; None: the system's trust store
    timeout: float = 30.0  # seconds for connecting and for each read


class HttpsTransport:
    def __init__(self, settings: HttpsSettings, token: str) -> None:
        parts = urlsplit(settings.url)
        if parts.scheme.lower() != "https" or not parts.hostname:
            raise ValueError("The address must start with https:// and name a server; "
                             "letters are never sent unencrypted.")
        if settings.timeout <= 0:
            raise ValueError("The timeout must be more than 0 seconds.")
        self._settings = settings
        self._token = token
        self._kept: httpx.Client | None = None  # one connection kept open across deliveries (keep-alive)

    def close(self) -> None:
        """Close the connection kept open between deliveries (the worker calls this after a run)."""
        if self._kept is not None:
            self._kept.close()
            self._kept = None

    def _client(self) -> httpx.Client:
        verify: ssl.SSLContext | bool
        if self._settings.ca_bundle:
            verify = ssl.create_default_context(cafile=self._settings.ca_bundle)
        else:
            verify = ssl.create_default_context()
        # TCP_NODELAY: the headers and the body go as separate writes; without it Nagle's algorithm
        # and the receiver's delayed ACK add about 40 ms to every letter.
        transport = httpx.HTTPTransport(verify=verify, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        return httpx.Client(transport=transport, timeout=self._settings.timeout, follow_redirects=False)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "[token]") if self._token else text

    def deliver(self, delivery: Delivery) -> Receipt:
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Idempotency-Key": delivery.idempotency_key,
            "Content-Type": delivery.mime_type,
            "X-Keyworker-Kind": delivery.kind,
            "X-Keyworker-Filename": _header_safe(delivery.filename),
            "X-Content-SHA256": delivery.sha256,
        }
        try:
            if self._kept is None:
                self._kept = self._client()
            response = self._kept.post(self._settings.url, content=delivery.payload, headers=headers)
        except httpx.HTTPError as exc:
            self.close()  # a fresh connection next time
            raise self._network_failure(exc) from None
        status = response.status_code
        words = self._scrub(_server_words(response))
        if 200 <= status < 300:
            receipt = _receipt_id(response)
            if not receipt:
                raise TransientFailure(f"The server answered {status} {response.reason_phrase} but gave no "
                                       f"receipt, so the letter is not counted as received (no receipt).")
            return Receipt(receipt_id=receipt, detail=f"{status} {response.reason_phrase}".strip())
        label = f"{status} {response.reason_phrase}".strip()
        said = f": {words}" if words else ""
        if status in (429, 503):
            retry_after = _retry_after(response.headers.get("Retry-After"))
            raise TransientFailure(f"The server is busy and asked us to try later ({label}){said}", retry_after)
        if status >= 500:
            raise TransientFailure(f"The server had a problem and will be tried again ({label}){said}")
        if status == 408:
            raise TransientFailure(f"The server timed out waiting ({label}){said}")
        raise PermanentFailure(f"The server refused the letter ({label}){said}")

    def probe(self) -> None:
        try:
            with self._client() as client:
                client.request("OPTIONS", self._settings.url,
                               headers={"Authorization": f"Bearer {self._token}"})
        except httpx.HTTPError as exc:
            raise self._network_failure(exc) from None

    def _network_failure(self, exc: httpx.HTTPError) -> TransientFailure | PermanentFailure:
        host = urlsplit(self._settings.url).hostname
        cert_error = _certificate_error(exc)
        if cert_error is not None:
            return PermanentFailure(self._scrub(
                f"The server's certificate was not trusted, so nothing was sent to {host}: {cert_error}. "
                f"Check the address and the CA certificate set for this destination."))
        if isinstance(exc, httpx.TimeoutException):
            return TransientFailure(f"The server at {host} did not answer within "
                                    f"{self._settings.timeout:g} seconds; it will be tried again.")
        if isinstance(exc, httpx.ConnectError):
            return TransientFailure(self._scrub(f"Could not connect to {host}: {_reason(exc)}"))
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return TransientFailure(self._scrub(
                f"The connection to {host} was dropped before the server answered: {_reason(exc)}"))
        return TransientFailure(self._scrub(f"Sending to {host} failed: {_reason(exc)}"))


def _certificate_error(exc: BaseException) -> str | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return certificate_words(current.verify_message or current.reason or str(current))
        current = current.__cause__ or current.__context__
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return certificate_words(text.split("certificate verify failed:")[-1].split("(")[0].strip()
                                        or "certificate verify failed")
    return None


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _header_safe(value: str) -> str:
    return value.encode("ascii", "replace").decode("ascii").replace("\r", " ").replace("\n", " ")


def _server_words(response: httpx.Response) -> str:
    try:
        text = response.text
    except Exception:  # noqa: BLE001 - undecodable body: no words to show
        return ""
    text = text.strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for field in ("message", "error", "detail"):
            if isinstance(data.get(field), str):
                text = data[field]
                break
    return " ".join(text.split())[:SERVER_WORDS_LIMIT]


def _receipt_id(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("receipt"), str) and data["receipt"].strip():
        return data["receipt"].strip()
    header = response.headers.get("X-Receipt-Id", "").strip()
    return header or None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(int(value)))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
