"""Secure email transport: one letter per message, sent over STARTTLS or implicit TLS.

There is no plain-text option. The certificate is always verified (system trust or the
unit's CA bundle). A letter counts as delivered only when the server answers 250 after DATA;
the receipt is the server's own reply (its queue id). The `Message-ID` is made from the
item's idempotency key, so a replay after a crash carries the same id and a receiver can drop
it. The body never carries health details, only "Please find attached <title> from <unit>."

Passwords and payloads are never put in messages or logs."""
from __future__ import annotations

import io
import re
import secrets
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate

from pypdf import PdfReader, PdfWriter

from keyworker.outbox.transport import Delivery, PermanentFailure, Receipt, TransientFailure, certificate_words

SECURITY_CHOICES = ("starttls", "tls")

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: easy to read out over the phone.
_PASSWORD_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def new_pdf_password() -> str:
    """A readable password for an emailed PDF: four groups of four, e.g. 'K7QX-3MPA-...'."""
    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4))


def protect_pdf(payload: bytes, password: str) -> bytes:
    """The same PDF, encrypted with AES-256 so it opens only with `password`."""
    if not password:
        raise ValueError("A PDF password cannot be empty.")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(payload)))
    writer.encrypt(user_password=password, owner_password=None, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    from_address: str
    sender_name: str  # the unit's name, used in the body: "... from <unit>."
    security: str = "starttls"  # "starttls" or "tls" (implicit TLS); never plain
    ca_bundle: str | None = None  # path to a PEM bundle; None trusts the system store
    username: str | None = None
    default_recipients: tuple[str, ...] = field(default_factory=tuple)
    timeout: float = 30.0


def message_id_for(idempotency_key: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", idempotency_key) or "item"
    return f"<{safe}@keyworker.invalid>"


def _words(resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return " ".join(text.split())


def _reply_failure(what: str, code: int, resp: bytes | str) -> Exception:
    words = _words(resp).rstrip(".")
    message = f"The mail server {what} ({code}): {words}." if words else f"The mail server {what} ({code})."
    if 400 <= code < 500:
        return TransientFailure(message + " It will be tried again.")
    return PermanentFailure(message)


class SmtpTransport:
    def __init__(self, settings: SmtpSettings, password: str | None = None) -> None:
        if settings.security not in SECURITY_CHOICES:
            raise ValueError(f"Email security must be 'starttls' or 'tls' (implicit TLS); "
                             f"{settings.security!r} is not allowed, and plain email is never used.")
        if not settings.host:
            raise ValueError("The mail server's host name is missing.")
        if not (0 < int(settings.port) < 65536):
            raise ValueError(f"The mail server's port {settings.port} is not a valid port.")
        if not settings.from_address or "@" not in settings.from_address:
            raise ValueError("The sender's email address is missing or not an email address.")
        if settings.username and not password:
            raise ValueError("A user name is set for the mail server but no password was given.")
        self.settings = settings
        self._password = password

    def __repr__(self) -> str:  # never shows the password
        s = self.settings
        return f"SmtpTransport({s.host}:{s.port}, {s.security})"

    # --- connection -------------------------------------------------------------------------
    def _context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=self.settings.ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise PermanentFailure(f"The trusted certificates file for the mail server could not be "
                                   f"read ({self.settings.ca_bundle}): {exc.__class__.__name__}.") from None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        ctx = self._context()
        client: smtplib.SMTP | None = None
        try:
            if s.security == "tls":
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ctx)
                client.ehlo()
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                client.ehlo()
                if not client.has_extn("starttls"):
                    raise PermanentFailure("The mail server does not offer encryption (STARTTLS); "
                                           "nothing was sent.")
                code, resp = client.starttls(context=ctx)
                if code != 220:
                    raise _reply_failure("refused to start encryption", code, resp)
                client.ehlo()
            if s.username:
                client.login(s.username, self._password or "")
            return client
        except BaseException as exc:
            if client is not None:
                _close(client)
            raise _translate(exc, s) from None

    def probe(self) -> None:
        client = self._connect()
        try:
            code, resp = client.noop()
            if code != 250:
                raise _reply_failure("did not answer", code, resp)
        except BaseException as exc:
            raise _translate(exc, self.settings) from None
        finally:
            _close(client)

    # --- delivery ---------------------------------------------------------------------------
    def build_message(self, delivery: Delivery) -> tuple[EmailMessage, list[str]]:
        s = self.settings
        recipients = [delivery.recipient_email] if delivery.recipient_email else list(s.default_recipients)
        if not recipients:
            raise PermanentFailure("This letter has no email address to go to, and the destination "
                                   "has no default recipients; nothing was sent.")
        msg = EmailMessage(policy=SMTP_POLICY)
        msg["From"] = s.from_address
        msg["To"] = ", ".join(recipients)
        msg["Subject"] = delivery.title
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = message_id_for(delivery.idempotency_key)
        greeting = f"Dear {delivery.recipient_name},\n\n" if delivery.recipient_name else ""
        body = f"{greeting}Please find attached {delivery.title} from {s.sender_name}.\n"
        if delivery.pdf_password:
            body += "\nThe attachment is password protected; the password will reach you separately.\n"
        body += f"\n{s.sender_name}\n"
        msg.set_content(body)
        payload = delivery.payload
        maintype, _, subtype = (delivery.mime_type or "application/octet-stream").partition("/")
        if delivery.pdf_password and delivery.mime_type == "application/pdf":
            payload = protect_pdf(payload, delivery.pdf_password)
        msg.add_attachment(payload, maintype=maintype or "application", subtype=subtype or "octet-stream",
                           filename=delivery.filename)
        return msg, recipients

    def deliver(self, delivery: Delivery) -> Receipt:
        msg, recipients = self.build_message(delivery)
        data = msg.as_bytes(policy=SMTP_POLICY)
        client = self._connect()
        try:
            code, resp = client.mail(self.settings.from_address)
            if code != 250:
                raise _reply_failure("refused the sender address", code, resp)
            refused: list[tuple[str, int, str]] = []
            for rcpt in recipients:
                code, resp = client.rcpt(rcpt)
                if code not in (250, 251):
                    refused.append((rcpt, code, _words(resp)))
            if refused:
                client.rset()
                who = "; ".join(f"{r} ({c}: {w})" for r, c, w in refused)
                if all(400 <= c < 500 for _, c, _ in refused):
                    raise TransientFailure(f"The mail server could not take the letter for {who} now. "
                                           f"It will be tried again.")
                raise PermanentFailure(f"The mail server refused these recipients, so nothing was sent: {who}")
            code, resp = client.data(data)
            if code != 250:
                raise _reply_failure("refused the letter", code, resp)
            words = _words(resp)
        except BaseException as exc:
            _close(client)
            raise _translate(exc, self.settings) from None
        _quit(client)
        return Receipt(receipt_id=words or str(msg["Message-ID"]),
                       detail=f"Accepted by {self.settings.host}: 250 {words}".strip())


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        _close(client)


def _close(client: smtplib.SMTP) -> None:
    try:
        client.close()
    except OSError:
        pass


def _translate(exc: BaseException, s: SmtpSettings) -> BaseException:
    """Turn smtplib / socket / ssl errors into plain-word failures (never with the password)."""
    where = f"{s.host}:{s.port}"
    if isinstance(exc, (TransientFailure, PermanentFailure, KeyboardInterrupt, SystemExit)):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentFailure(f"The mail server's certificate is not trusted ({where}): "
                                f"{certificate_words(exc.verify_message or exc.reason or str(exc))}. "
                                f"Check the trusted certificates "
                                f"for this destination; nothing was sent.")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return PermanentFailure(f"The mail server refused the sign-in for {s.username} "
                                f"({exc.smtp_code}): {_words(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PermanentFailure(f"The mail server does not support what is needed: {exc}")
    if isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc):
        return TransientFailure(f"The mail server at {where} did not answer in time. It will be tried again.")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TransientFailure(f"The mail server at {where} closed the connection. It will be tried again.")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply_failure("refused", exc.smtp_code, exc.smtp_error)
    if isinstance(exc, ssl.SSLError):
        return PermanentFailure(f"A secure connection to the mail server at {where} could not be made "
                                f"({exc.reason or exc.__class__.__name__}); nothing was sent.")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return TransientFailure(f"The mail server at {where} did not answer in time. It will be tried again.")
    if isinstance(exc, socket.gaierror):
        return TransientFailure(f"The mail server's name {s.host} could not be found. It will be tried again.")
    if isinstance(exc, (OSError, smtplib.SMTPException)):
        return TransientFailure(f"The mail server at {where} could not be reached "
                                f"({exc.__class__.__name__}: {exc}). It will be tried again.")
    return exc
