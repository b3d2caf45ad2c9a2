"""The HTTPS transport against a real uvicorn + Starlette receiver on loopback with a trustme CA."""
from __future__ import annotations

import hashlib
import socket
import ssl
import threading
import uuid

import pytest
import trustme

from keyworker.outbox.https import HttpsSettings, HttpsTransport
from keyworker.outbox.transport import Delivery, PermanentFailure, TransientFailure
from tests.fixtures.outbox_servers import TOKEN, HttpsServer



@pytest.fixture(scope="module")
def ca(outbox_ca) -> trustme.CA:
    return outbox_ca


@pytest.fixture
def server(https_server: HttpsServer) -> HttpsServer:
    return https_server


def transport(server, path: str, *, timeout: float = 5.0, ca_file: str | None = None) -> HttpsTransport:
    base, trusted, _ = server
    return HttpsTransport(HttpsSettings(url=base + path, ca_bundle=ca_file or trusted, timeout=timeout), TOKEN)


def delivery(payload: bytes = b"%PDF-1.7 letter", key: str | None = None) -> Delivery:
    return Delivery(item_id="item-1", idempotency_key=key or f"kw-{uuid.uuid4().hex}", kind="discharge_letter",
                    title="Discharge letter", filename="discharge.pdf", mime_type="application/pdf",
                    payload=payload, sha256=hashlib.sha256(payload).hexdigest())


def test_a_2xx_with_a_receipt_is_delivered_and_the_receiver_has_the_same_bytes(server):
    payload = bytes(range(256)) * 40
    item = delivery(payload)
    receipt = transport(server, "/inbox").deliver(item)
    receiver = server[2]
    assert receipt.receipt_id == receiver.receipts[item.idempotency_key]
    assert receiver.stored[item.idempotency_key] == payload
    sent = receiver.headers[item.idempotency_key]
    assert sent["content-type"] == "application/pdf"
    assert sent["x-keyworker-kind"] == "discharge_letter"
    assert sent["x-keyworker-filename"] == "discharge.pdf"
    assert sent["x-content-sha256"] == hashlib.sha256(payload).hexdigest()


def test_a_receipt_in_the_header_counts(server):
    assert transport(server, "/header").deliver(delivery()).receipt_id == "hdr-42"


def test_a_replay_with_the_same_key_gets_the_same_receipt_and_no_second_copy(server):
    item = delivery(b"replayed letter")
    receiver = server[2]
    before = len(receiver.stored)
    first = transport(server, "/inbox").deliver(item)
    second = transport(server, "/inbox").deliver(item)
    assert first.receipt_id == second.receipt_id
    assert len(receiver.stored) == before + 1
    assert list(receiver.stored.values()).count(b"replayed letter") == 1


def test_a_2xx_without_a_receipt_is_not_delivered(server):
    with pytest.raises(TransientFailure, match="no receipt"):
        transport(server, "/noreceipt").deliver(delivery())


def test_a_server_error_is_transient_with_the_servers_words(server):
    with pytest.raises(TransientFailure, match="500") as caught:
        transport(server, "/broken").deliver(delivery())
    assert "database is down" in str(caught.value)
    assert caught.value.retry_after is None


def test_429_honours_retry_after_in_seconds(server):
    with pytest.raises(TransientFailure) as caught:
        transport(server, "/busy").deliver(delivery())
    assert caught.value.retry_after == 7
    assert "429" in str(caught.value) and "slow down" in str(caught.value)


def test_503_honours_retry_after_as_an_http_date(server):
    with pytest.raises(TransientFailure) as caught:
        transport(server, "/unavailable").deliver(delivery())
    assert caught.value.retry_after is not None and caught.value.retry_after > 86400


def test_400_is_permanent_with_the_first_300_characters_of_the_servers_words(server):
    with pytest.raises(PermanentFailure) as caught:
        transport(server, "/bad").deliver(delivery())
    message = str(caught.value)
    assert "400 Bad Request" in message and "filename must end .pdf" in message
    assert "x" * 301 not in message


def test_403_is_permanent_and_never_shows_the_token(server):
    base, trusted, _ = server
    wrong = "wrong-" + TOKEN
    with pytest.raises(PermanentFailure) as caught:
        HttpsTransport(HttpsSettings(url=base + "/inbox", ca_bundle=trusted), wrong).deliver(delivery())
    message = str(caught.value)
    assert message == "The server refused the letter (403 Forbidden): token not valid"
    assert TOKEN not in message and wrong not in message


def test_a_server_echoing_the_token_back_does_not_put_it_in_the_message(server):
    with pytest.raises(PermanentFailure) as caught:
        transport(server, "/echo").deliver(delivery())
    assert "401" in str(caught.value) and "unknown credentials" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_a_certificate_for_another_server_name_is_permanent_and_says_so(ca, tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("other.example").configure_cert(context)  # trusted CA, but not for 127.0.0.1

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            context.wrap_socket(conn, server_side=True).close()
        except (ssl.SSLError, OSError):
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    t = HttpsTransport(HttpsSettings(url=f"https://127.0.0.1:{port}/inbox", ca_bundle=str(ca_file), timeout=3),
                       TOKEN)
    try:
        with pytest.raises(PermanentFailure, match="issued for a different server name"):
            t.deliver(delivery())
    finally:
        thread.join(3)
        listener.close()


def test_a_server_slower_than_the_timeout_is_transient(server):
    with pytest.raises(TransientFailure, match="did not answer within 0.5 seconds"):
        transport(server, "/slow", timeout=0.5).deliver(delivery())


def test_a_certificate_from_another_ca_is_permanent_and_says_it_was_not_trusted(server, tmp_path):
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    for action in ("deliver", "probe"):
        t = transport(server, "/inbox", ca_file=str(other))
        with pytest.raises(PermanentFailure) as caught:
            t.deliver(delivery()) if action == "deliver" else t.probe()
        message = str(caught.value)
        assert "certificate was not trusted" in message
        assert "not issued by a certificate authority this destination trusts" in message
        assert TOKEN not in message


def test_the_system_trust_store_does_not_trust_a_private_ca(server):
    base, _, _ = server
    with pytest.raises(PermanentFailure, match="certificate was not trusted"):
        HttpsTransport(HttpsSettings(url=base + "/inbox"), TOKEN).deliver(delivery())


def test_a_refused_connection_is_transient():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    t = HttpsTransport(HttpsSettings(url=f"https://127.0.0.1:{port}/inbox", timeout=2), TOKEN)
    with pytest.raises(TransientFailure, match="Could not connect") as caught:
        t.deliver(delivery())
    assert TOKEN not in str(caught.value)
    with pytest.raises(TransientFailure):
        t.probe()


def test_a_connection_dropped_mid_request_is_transient(ca, tmp_path):
    """The TLS handshake completes and the request starts arriving; then the server goes away."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)

    def drop() -> None:
        conn, _ = listener.accept()
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(64)  # part of the request line and headers

    thread = threading.Thread(target=drop, daemon=True)
    thread.start()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    t = HttpsTransport(HttpsSettings(url=f"https://127.0.0.1:{port}/inbox", ca_bundle=str(ca_file), timeout=3),
                       TOKEN)
    try:
        with pytest.raises(TransientFailure, match="dropped before the server answered") as caught:
            t.deliver(delivery(b"x" * 200_000))
        assert TOKEN not in str(caught.value)
    finally:
        thread.join(3)
        listener.close()


def test_probe_counts_any_http_answer_as_reachable(server):
    transport(server, "/inbox").probe()
    transport(server, "/nowhere").probe()  # 404 is still an answer


@pytest.mark.parametrize("url", ["http://127.0.0.1/inbox", "ftp://example.org/x", "https:///nohost", "example.org"])
def test_anything_but_https_is_refused_at_construction(url):
    with pytest.raises(ValueError, match="https://"):
        HttpsTransport(HttpsSettings(url=url), TOKEN)
