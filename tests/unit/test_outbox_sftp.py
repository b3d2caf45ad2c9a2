"""The SFTP drop transport against a real asyncssh SFTP server on loopback."""
from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
from pathlib import Path

import asyncssh
import pytest

from keyworker.outbox.sftp import SftpSettings, SftpTransport, fetch_host_key
from keyworker.outbox.transport import Delivery, PermanentFailure, TransientFailure

PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """An asyncssh SFTP server in an asyncio loop on a background thread."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.key = asyncssh.generate_private_key("ssh-ed25519")
        self.opens_for_write = 0
        self.fsyncs = 0
        self.client_key = asyncssh.generate_private_key("ssh-ed25519")
        self.drop_after_write = False
        self.locked_folder = b"locked"
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._listener = None

    @property
    def host_key_line(self) -> str:
        return self.key.export_public_key("openssh").decode().split()[0] + " " + \
            self.key.export_public_key("openssh").decode().split()[1]

    def _sftp_factory(self):
        server = self

        class Sftp(asyncssh.SFTPServer):
            def __init__(self, chan):
                super().__init__(chan, chroot=str(server.root))

            def open(self, path, pflags, attrs):
                if pflags & asyncssh.FXF_WRITE:
                    if server.locked_folder in path.split(b"/"):
                        raise asyncssh.SFTPError(asyncssh.FX_PERMISSION_DENIED, "Permission denied")
                    server.opens_for_write += 1
                return super().open(path, pflags, attrs)

            def fsync(self, file_obj):
                server.fsyncs += 1
                return super().fsync(file_obj)

            def write(self, file_obj, offset, data):
                if server.drop_after_write:
                    server.drop_after_write = False
                    super().write(file_obj, offset, data[: len(data) // 2])
                    self.connection.abort()
                    return None
                return super().write(file_obj, offset, data)

        return Sftp

    def start(self) -> None:
        client_public = self.client_key.export_public_key("openssh").decode().split()[1]

        class Ssh(asyncssh.SSHServer):
            def public_key_auth_supported(self):
                return True

            def validate_public_key(self, username, key):
                return username == "drop" and key.export_public_key("openssh").decode().split()[1] == client_public

            def begin_auth(self, username):
                return True

            def password_auth_supported(self):
                return True

            def validate_password(self, username, password):
                return username == "drop" and password == PASSWORD

        async def go():
            return await asyncssh.listen(
                "127.0.0.1", self.port, server_host_keys=[self.key], server_factory=Ssh,
                sftp_factory=self._sftp_factory(), allow_scp=False,
            )

        self._listener = asyncio.run_coroutine_threadsafe(go(), self.loop).result(10)

    def stop(self) -> None:
        if self._listener is not None:
            async def halt():
                self._listener.close()
                await self._listener.wait_closed()
            asyncio.run_coroutine_threadsafe(halt(), self.loop).result(10)
            self._listener = None

    def shutdown(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "root"
    (root / "inbox").mkdir(parents=True)
    (root / "locked").mkdir()
    srv = _Server(root)
    srv.start()
    yield srv
    srv.shutdown()


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
