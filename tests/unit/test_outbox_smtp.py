"""The secure email transport against real aiosmtpd servers on loopback (trustme certificates)."""
from __future__ import annotations

import email
import io
import socket
import threading
from email import policy

import pytest
import trustme
from aiosmtpd.controller import Controller
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError
from reportlab.pdfgen import canvas

from keyworker.outbox.smtp import (SmtpSettings, SmtpTransport, message_id_for, new_pdf_password,
                                   protect_pdf)
from keyworker.outbox.transport import Delivery, PermanentFailure, TransientFailure
from tests.fixtures.outbox_servers import SmtpHandler, SmtpServer, free_port, server_tls_context


StoringHandler = SmtpHandler
_server_context = server_tls_context


@pytest.fixture(scope="module")
def ca(outbox_ca) -> trustme.CA:
    return outbox_ca


@pytest.fixture(scope="module")
def ca_file(outbox_ca_file) -> str:
    return outbox_ca_file


def _start(handler, **kw) -> Controller:
    c = Controller(handler, hostname="127.0.0.1", port=free_port(), **kw)
    c.start()
    return c


@pytest.fixture()
def starttls_server(smtp_server: SmtpServer):
    return smtp_server.controller, smtp_server.handler


def _settings(port: int, ca_file: str, **kw) -> SmtpSettings:
    base = dict(host="127.0.0.1", port=port, from_address="unit@example.org", sender_name="Elm House",
                security="starttls", ca_bundle=ca_file, default_recipients=("team@example.org",),
                timeout=5.0)
    base.update(kw)
    return SmtpSettings(**base)


def _pdf(text: str = "Discharge summary for the referrer") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def _delivery(**kw) -> Delivery:
    payload = kw.pop("payload", _pdf())
    base = dict(item_id="item-1", idempotency_key="abc123def", kind="letter", title="Discharge letter",
                filename="discharge.pdf", mime_type="application/pdf", payload=payload, sha256="x",
                recipient_email="referrer@example.org", recipient_name="Ms Smith")
    base.update(kw)
    return Delivery(**base)


def _parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def _attachment(msg) -> tuple[str, bytes]:
    part = next(msg.iter_attachments())
    return part.get_filename(), part.get_content()


def test_delivered_with_250_and_attachment_intact(starttls_server, ca_file):
    c, handler = starttls_server
    d = _delivery()
    receipt = SmtpTransport(_settings(c.port, ca_file)).deliver(d)
    assert "queued as Q1" in receipt.receipt_id
    assert len(handler.messages) == 1
    mail_from, rcpts, raw = handler.messages[0]
    assert mail_from == "unit@example.org" and rcpts == ["referrer@example.org"]
    msg = _parse(raw)
    assert msg["Message-ID"] == "<abc123def@keyworker.invalid>"
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "Please find attached Discharge letter from Elm House." in body
    assert _attachment(msg) == ("discharge.pdf", d.payload)


def test_same_item_twice_has_same_message_id_and_default_recipients(starttls_server, ca_file):
    c, handler = starttls_server
    t = SmtpTransport(_settings(c.port, ca_file))
    d = _delivery(recipient_email=None, recipient_name=None)
    t.deliver(d)
    t.deliver(d)
    ids = [_parse(raw)["Message-ID"] for _, _, raw in handler.messages]
    assert ids[0] == ids[1] == message_id_for("abc123def")
    assert all(rcpts == ["team@example.org"] for _, rcpts, _ in handler.messages)


def test_probe_reaches_the_server(starttls_server, ca_file):
    c, handler = starttls_server
    SmtpTransport(_settings(c.port, ca_file)).probe()
    assert handler.messages == []


def test_451_after_data_is_transient(starttls_server, ca_file):
    c, handler = starttls_server
    handler.data_reply = "451 4.3.0 try later"
    with pytest.raises(TransientFailure) as info:
        SmtpTransport(_settings(c.port, ca_file)).deliver(_delivery())
    assert "451" in str(info.value) and "try later" in str(info.value)


def test_550_no_such_user_is_permanent_with_the_servers_words(starttls_server, ca_file):
    c, handler = starttls_server
    handler.refuse["referrer@example.org"] = "550 5.1.1 no such user"
    with pytest.raises(PermanentFailure) as info:
        SmtpTransport(_settings(c.port, ca_file)).deliver(_delivery())
    assert "no such user" in str(info.value) and "referrer@example.org" in str(info.value)
    assert handler.messages == []


def test_some_recipients_refused_is_permanent_naming_them(starttls_server, ca_file):
    c, handler = starttls_server
    handler.refuse["gone@example.org"] = "550 5.1.1 no such user"
    settings = _settings(c.port, ca_file, default_recipients=("team@example.org", "gone@example.org"))
    with pytest.raises(PermanentFailure) as info:
        SmtpTransport(settings).deliver(_delivery(recipient_email=None))
    assert "gone@example.org" in str(info.value) and "team@example.org" not in str(info.value)
    assert handler.messages == []


def test_certificate_from_another_ca_is_permanent_naming_trust(starttls_server, tmp_path):
    c, handler = starttls_server
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with pytest.raises(PermanentFailure) as info:
        SmtpTransport(_settings(c.port, str(other))).deliver(_delivery())
    assert "not trusted" in str(info.value)
    assert handler.messages == []


def test_server_without_starttls_is_refused_and_nothing_sent(ca_file):
    handler = StoringHandler()
    c = _start(handler)
    try:
        with pytest.raises(PermanentFailure) as info:
            SmtpTransport(_settings(c.port, ca_file)).deliver(_delivery())
        assert "does not offer encryption" in str(info.value) and "nothing was sent" in str(info.value)
        with pytest.raises(PermanentFailure):
            SmtpTransport(_settings(c.port, ca_file)).probe()
    finally:
        c.stop()
    assert handler.messages == []


def test_implicit_tls_server_delivers(ca, ca_file):
    handler = StoringHandler()
    c = Controller(handler, hostname="127.0.0.1", port=free_port(), ssl_context=_server_context(ca))
    c.start()
    try:
        t = SmtpTransport(_settings(c.port, ca_file, security="tls"))
        t.probe()
        receipt = t.deliver(_delivery())
    finally:
        c.stop()
    assert "queued as Q1" in receipt.receipt_id
    assert len(handler.messages) == 1


def test_dropped_connection_is_transient(ca_file):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def drop() -> None:
        conn, _ = listener.accept()
        conn.close()

    thread = threading.Thread(target=drop, daemon=True)
    thread.start()
    try:
        with pytest.raises(TransientFailure):
            SmtpTransport(_settings(port, ca_file)).deliver(_delivery())
    finally:
        thread.join(5)
        listener.close()


def test_plain_and_unknown_security_refused_at_construction(ca_file):
    for bad in ("plain", "none", "", "STARTTLS "):
        with pytest.raises(ValueError, match="plain email is never used"):
            SmtpTransport(_settings(25, ca_file, security=bad))


def test_protected_pdf_is_sent_and_needs_the_password(starttls_server, ca_file):
    c, handler = starttls_server
    password = new_pdf_password()
    d = _delivery(pdf_password=password)
    t = SmtpTransport(_settings(c.port, ca_file))
    t.deliver(d)
    _, _, raw = handler.messages[0]
    assert password.encode() not in raw
    assert password not in repr(t)
    name, sent = _attachment(_parse(raw))
    assert name == "discharge.pdf" and sent != d.payload
    reader = PdfReader(io.BytesIO(sent))
    assert reader.is_encrypted
    with pytest.raises(FileNotDecryptedError):
        reader.pages[0].extract_text()
    reader = PdfReader(io.BytesIO(sent))
    assert reader.decrypt(password)
    assert "Discharge summary for the referrer" in reader.pages[0].extract_text()


def test_protect_pdf_wrong_password_does_not_open():
    protected = protect_pdf(_pdf("Secret text"), "AAAA-CCCC-DDDD-EEEE")
    reader = PdfReader(io.BytesIO(protected))
    assert not reader.decrypt("wrong")
    assert b"Secret text" not in protected


def test_new_pdf_password_is_readable_and_random():
    pw = new_pdf_password()
    groups = pw.split("-")
    assert len(groups) == 4 and all(len(g) == 4 for g in groups)
    assert not set(pw) & set("0O1IL2Z5S8B")
    assert len({new_pdf_password() for _ in range(50)}) == 50


def test_sign_in_with_password_and_refused_sign_in_never_shows_it(ca, ca_file):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"unit" \
            and auth_data.password == b"right-pass-9"
        return AuthResult(success=ok, handled=False)

    handler = StoringHandler()
    c = _start(handler, tls_context=_server_context(ca), require_starttls=True,
               authenticator=authenticator, auth_required=True)
    try:
        SmtpTransport(_settings(c.port, ca_file, username="unit"), "right-pass-9").deliver(_delivery())
        with pytest.raises(PermanentFailure) as info:
            SmtpTransport(_settings(c.port, ca_file, username="unit"), "wrong-pass-7").deliver(_delivery())
    finally:
        c.stop()
    assert len(handler.messages) == 1
    assert "sign-in" in str(info.value) and "wrong-pass-7" not in str(info.value)


def test_silent_server_times_out_as_transient(ca_file):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        with pytest.raises(TransientFailure) as info:
            SmtpTransport(_settings(port, ca_file, timeout=0.5)).deliver(_delivery())
        assert "did not answer in time" in str(info.value)
    finally:
        listener.close()
