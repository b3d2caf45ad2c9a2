"""The SFTP drop transport against a real asyncssh SFTP server on loopback."""
from __future__ import annotations

import hashlib

import asyncssh
import pytest

from keyworker.outbox.sftp import SftpSettings, SftpTransport, fetch_host_key
from keyworker.outbox.transport import Delivery, PermanentFailure, TransientFailure
from tests.fixtures.outbox_servers import SFTP_PASSWORD, SftpServer

PASSWORD = SFTP_PASSWORD


@pytest.fixture
def server(sftp_server: SftpServer) -> SftpServer:
    return sftp_server


def _settings(server, folder="/inbox", host_key=None) -> SftpSettings:
    return SftpSettings(host="127.0.0.1", port=server.port, username="drop",
                        remote_folder=folder, host_key=host_key or server.host_key_line,
                        auth="password", timeout=5.0)


def _delivery(key="idem-0001", payload=b"%PDF-1.4 letter body " * 500) -> Delivery:
    return Delivery(item_id="item-1", idempotency_key=key, kind="letter", title="Letter",
                    filename="letter to GP.pdf", mime_type="application/pdf", payload=payload,
                    sha256=hashlib.sha256(payload).hexdigest())


def test_delivers_file_with_right_bytes_and_no_part_left(server):
    d = _delivery()
    receipt = SftpTransport(_settings(server), PASSWORD).deliver(d)
    assert receipt.receipt_id == "/inbox/idem-0001.pdf"
    inbox = server.root / "inbox"
    assert sorted(p.name for p in inbox.iterdir()) == ["idem-0001.pdf"]
    assert (inbox / "idem-0001.pdf").read_bytes() == d.payload
    assert server.fsyncs == 1


def test_key_auth_delivers_and_wrong_key_is_permanent(server):
    pem = server.client_key.export_private_key("openssh").decode()
    settings = SftpSettings(**{**_settings(server).__dict__, "auth": "key"})
    assert SftpTransport(settings, pem).deliver(_delivery()).receipt_id == "/inbox/idem-0001.pdf"
    other = asyncssh.generate_private_key("ssh-ed25519").export_private_key("openssh").decode()
    with pytest.raises(PermanentFailure) as err:
        SftpTransport(settings, other).deliver(_delivery(key="idem-0002"))
    assert "BEGIN" not in str(err.value)
    with pytest.raises(PermanentFailure):
        SftpTransport(settings, "not a key").probe()


def test_second_delivery_same_key_is_not_uploaded_again(server):
    t = SftpTransport(_settings(server), PASSWORD)
    first = t.deliver(_delivery())
    assert server.opens_for_write == 1
    second = t.deliver(_delivery())
    assert second.receipt_id == first.receipt_id
    assert server.opens_for_write == 1
    assert len(list((server.root / "inbox").iterdir())) == 1


def test_changed_host_key_is_refused_and_nothing_written(server):
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode()
    t = SftpTransport(_settings(server, host_key=other), PASSWORD)
    with pytest.raises(PermanentFailure) as err:
        t.deliver(_delivery())
    assert "identity has changed" in str(err.value)
    assert list((server.root / "inbox").iterdir()) == []
    with pytest.raises(PermanentFailure):
        t.probe()


def test_construction_without_host_key_is_refused(server):
    with pytest.raises(ValueError):
        SftpTransport(_settings(server, host_key=" "), PASSWORD)


def test_wrong_password_is_permanent_and_secret_not_in_message(server):
    with pytest.raises(PermanentFailure) as err:
        SftpTransport(_settings(server), "wrong-secret-pw").deliver(_delivery())
    assert "refused the user name or password" in str(err.value)
    assert "wrong-secret-pw" not in str(err.value)


def test_read_only_folder_is_permanent(server):
    with pytest.raises(PermanentFailure) as err:
        SftpTransport(_settings(server, folder="/locked"), PASSWORD).deliver(_delivery())
    assert "permission denied" in str(err.value)
    assert list((server.root / "locked").iterdir()) == []


def test_server_stopped_is_transient(server):
    t = SftpTransport(_settings(server), PASSWORD)
    server.stop()
    with pytest.raises(TransientFailure):
        t.deliver(_delivery())
    with pytest.raises(TransientFailure):
        t.probe()


def test_dropped_mid_upload_is_transient_then_retry_delivers_once(server):
    t = SftpTransport(_settings(server), PASSWORD)
    d = _delivery(payload=b"x" * 200_000)
    server.drop_after_write = True
    with pytest.raises(TransientFailure) as err:
        t.deliver(d)
    assert "x" * 20 not in str(err.value)
    inbox = server.root / "inbox"
    assert not (inbox / "idem-0001.pdf").exists()
    receipt = t.deliver(d)
    assert (inbox / "idem-0001.pdf").read_bytes() == d.payload
    assert sorted(p.name for p in inbox.iterdir()) == ["idem-0001.pdf"]
    assert t.deliver(d).receipt_id == receipt.receipt_id


def test_probe_and_fetch_host_key(server):
    SftpTransport(_settings(server), PASSWORD).probe()
    with pytest.raises(PermanentFailure):
        SftpTransport(_settings(server, folder="/missing"), PASSWORD).probe()
    line = fetch_host_key("127.0.0.1", server.port, timeout=5)
    assert line == server.host_key_line
    # The line fetched is accepted as the pinned key.
    SftpTransport(_settings(server, host_key=line), PASSWORD).probe()
