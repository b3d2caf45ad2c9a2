"""SFTP drop transport: puts each delivery as one file in a folder on the receiver's server.

The file is named from the delivery's idempotency key (``{key}.pdf``), written first as
``{key}.pdf.part``, flushed and fsynced, renamed into place and its size checked. A replay
finds the final file already there with the right size and returns the same receipt without
uploading again. The server's host key is pinned: a different key is refused, never learned.
Qt-free and database-free; the secret (password or private key text) is passed in."""
from __future__ import annotations

import base64
import binascii
import errno
import io
import posixpath
import re
import socket
from dataclasses import dataclass

import paramiko  # type: ignore[import-untyped]

from keyworker.outbox.transport import Delivery, PermanentFailure, Receipt, TransientFailure

AUTH_KINDS = ("password", "key")
_SAFE = re.compile(r"[^A-Za-z0-9._-]")

HOST_KEY_CHANGED = (
    "The SFTP server's identity has changed (host key does not match the one saved); "
    "nothing was sent. Check with the server's administrator before changing the saved key."
)


@dataclass(frozen=True)
class SftpSettings:
    host: str
    port: int
    username: str
    remote_folder: str
    host_key: str  # the pinned server key as an OpenSSH line: "ssh-ed25519 AAAA..."
    auth: str = "password"  # "password" or "key"
    timeout: float = 20.0


def _parse_host_key(line: str) -> paramiko.PKey:
    parts = (line or "").split()
    if len(parts) < 2:
        raise ValueError("The server's host key is required (a line like 'ssh-ed25519 AAAA...').")
    try:
        return paramiko.PKey.from_type_string(parts[0], base64.b64decode(parts[1]))
    except (binascii.Error, ValueError, paramiko.SSHException) as exc:
        raise ValueError("The server's host key is not a valid OpenSSH public key line.") from exc


def _load_private_key(text: str) -> paramiko.PKey:
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError, TypeError):
            continue
    raise PermanentFailure(
        "The saved private key could not be read (it must be an unencrypted OpenSSH key)."
    )


def _server_words(exc: BaseException) -> str:
    text = str(exc).strip()
    return f": {text}" if text else ""


class SftpTransport:
    """One SFTP drop folder. `deliver` and `probe` each open and close their own connection."""

    def __init__(self, settings: SftpSettings, secret: str) -> None:
        if settings.auth not in AUTH_KINDS:
            raise ValueError("auth must be 'password' or 'key'.")
        if not settings.host:
            raise ValueError("The SFTP server's address is required.")
        if not settings.remote_folder:
            raise ValueError("The remote folder is required.")
        self._host_key = _parse_host_key(settings.host_key)
        self._settings = settings
        self._secret = secret

    def __repr__(self) -> str:  # never show the secret
        s = self._settings
        return f"SftpTransport({s.username}@{s.host}:{s.port}{s.remote_folder})"

    # -- connection ---------------------------------------------------------------------
    def _connect(self) -> paramiko.SSHClient:
        s = self._settings
        client = paramiko.SSHClient()
        name = s.host if s.port == 22 else f"[{s.host}]:{s.port}"
        client.get_host_keys().add(name, self._host_key.get_name(), self._host_key)
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        kwargs: dict = dict(
            hostname=s.host, port=s.port, username=s.username, timeout=s.timeout,
            banner_timeout=s.timeout, auth_timeout=s.timeout,
            allow_agent=False, look_for_keys=False,
        )
        if s.auth == "password":
            kwargs["password"] = self._secret
        else:
            kwargs["pkey"] = _load_private_key(self._secret)
        try:
            client.connect(**kwargs)
        except paramiko.BadHostKeyException:
            client.close()
            raise PermanentFailure(HOST_KEY_CHANGED) from None
        except paramiko.AuthenticationException:
            client.close()
            raise PermanentFailure(
                f"The SFTP server refused the user name or {'password' if s.auth == 'password' else 'key'}"
                f" for {s.username}; nothing was sent. Check the saved sign-in details."
            ) from None
        except paramiko.SSHException as exc:
            client.close()
            if "not found in known_hosts" in str(exc):
                # The server offered no key of the saved kind: treat as a changed identity.
                raise PermanentFailure(HOST_KEY_CHANGED) from None
            raise TransientFailure(
                f"Could not talk to the SFTP server {s.host}:{s.port}{_server_words(exc)}. Will try again."
            ) from None
        except (socket.timeout, TimeoutError):
            client.close()
            raise TransientFailure(
                f"The SFTP server {s.host}:{s.port} did not answer in time. Will try again."
            ) from None
        except (OSError, EOFError) as exc:
            client.close()
            raise TransientFailure(
                f"Could not reach the SFTP server {s.host}:{s.port} ({exc.__class__.__name__}). Will try again."
            ) from None
        return client

    def _sftp_error(self, exc: BaseException, what: str) -> Exception:
        code = getattr(exc, "errno", None)
        words = _server_words(exc)
        if isinstance(exc, PermissionError) or code == errno.EACCES:
            return PermanentFailure(
                f"The SFTP server refused to let us {what} (permission denied){words}. "
                "Ask the server's administrator to allow writing to the folder."
            )
        if isinstance(exc, FileNotFoundError) or code == errno.ENOENT:
            return PermanentFailure(
                f"The folder {self._settings.remote_folder} was not found on the SFTP server{words}."
            )
        if isinstance(exc, (socket.timeout, TimeoutError)):
            return TransientFailure(f"The SFTP server stopped answering while we tried to {what}. Will try again.")
        return TransientFailure(
            f"The connection to the SFTP server failed while we tried to {what}{words}. Will try again."
        )

    # -- Transport ----------------------------------------------------------------------
    def remote_path(self, delivery: Delivery) -> str:
        ext = posixpath.splitext(delivery.filename or "")[1]
        key = _SAFE.sub("_", delivery.idempotency_key)
        return posixpath.join(self._settings.remote_folder, f"{key}{_SAFE.sub('', ext)}")

    def deliver(self, delivery: Delivery) -> Receipt:
        final = self.remote_path(delivery)
        part = final + ".part"
        size = len(delivery.payload)
        client = self._connect()
        try:
            try:
                sftp = client.open_sftp()
                sftp.get_channel().settimeout(self._settings.timeout)
            except (paramiko.SSHException, OSError, EOFError) as exc:
                raise self._sftp_error(exc, "open the file area") from None
            try:
                existing = sftp.stat(final)
            except FileNotFoundError:
                existing = None
            except (paramiko.SSHException, OSError, EOFError) as exc:
                raise self._sftp_error(exc, "look in the folder") from None
            if existing is not None and existing.st_size == size:
                return Receipt(final, "Already delivered earlier; not sent again.")
            try:
                with sftp.open(part, "wb") as fh:
                    fh.set_pipelined(True)
                    fh.write(delivery.payload)
                    fh.flush()
                    try:
                        fh.sftp._request(paramiko.sftp.CMD_EXTENDED, "fsync@openssh.com", fh.handle)
                    except (IOError, paramiko.SSHException) as exc:
                        if isinstance(exc, (PermissionError, EOFError)) or "connection" in str(exc).lower():
                            raise
                        # The server does not offer fsync; the close below still commits the file.
            except (paramiko.SSHException, OSError, EOFError) as exc:
                raise self._sftp_error(exc, "write the file") from None
            try:
                try:
                    sftp.posix_rename(part, final)
                except IOError as exc:
                    if getattr(exc, "errno", None) == errno.EACCES or isinstance(exc, PermissionError):
                        raise
                    if "unsupported" not in str(exc).lower() and "not supported" not in str(exc).lower():
                        raise
                    sftp.rename(part, final)
                written = sftp.stat(final)
            except (paramiko.SSHException, OSError, EOFError) as exc:
                raise self._sftp_error(exc, "put the file in place") from None
            if written.st_size != size:
                raise TransientFailure(
                    f"The file on the SFTP server is {written.st_size} bytes, not {size}; will send it again."
                )
            return Receipt(final, f"Saved as {final} ({size} bytes).")
        finally:
            client.close()

    def probe(self) -> None:
        client = self._connect()
        try:
            try:
                sftp = client.open_sftp()
                sftp.get_channel().settimeout(self._settings.timeout)
                sftp.stat(self._settings.remote_folder)
            except (paramiko.SSHException, OSError, EOFError) as exc:
                raise self._sftp_error(exc, "look in the folder") from None
        finally:
            client.close()


def fetch_host_key(host: str, port: int = 22, timeout: float = 10.0) -> str:
    """The server's host key as an OpenSSH line, for a person to compare and confirm before it
    is saved (first use is pinned by a person, never silently)."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise TransientFailure(f"Could not reach the SFTP server {host}:{port} ({exc.__class__.__name__}).") from None
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = timeout
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
        return f"{key.get_name()} {key.get_base64()}"
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise TransientFailure(f"The SFTP server {host}:{port} did not show its key{_server_words(exc)}.") from None
    finally:
        transport.close()
