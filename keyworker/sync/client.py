"""The laptop's side of the hub's API (docs/SYNC.md, "The API"): httpx over TLS, with the hub's
certificate pinned.

**Pinning.** The connection is refused unless the certificate the hub presents has the SHA-256
(of its DER) this laptop was enrolled with, whoever signed it: a hub may use a certificate of its
own making, and a public CA's certificate for another server does not pass either. The check runs
inside the TLS handshake (`_PinnedContext.wrap_socket`), before a request, and so before the
device token, is sent.

**Ops** go out with exactly the columns of the hub's `ops` table: the kind is inside the sealed
payload and the key epoch in its header (keyworker/sync/keys.py), so the hub stores and hands back
the bytes unchanged.

**Errors.** `HubUnreachable`: the network, a timeout, 429 or 5xx: try again later (the worker
backs off). `HubRefused`: the hub answered no (401 removed or unknown, 403/409/410 enrolment,
400/404/413), with the hub's own plain words; `CertificateChanged` is a HubRefused."""
from __future__ import annotations

import base64
import hashlib
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from keyworker.errors import KeyworkerError
from keyworker.sync.apply import PulledOp
from keyworker.sync.hubconf import HubConfig
from keyworker.sync.oplog import OutgoingOp

CERT_CHANGED = "The hub's certificate has changed: ask your administrator"


class HubError(KeyworkerError):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class HubUnreachable(HubError):
    """Not reached, or reached but not able to answer now: try again later."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class HubRefused(HubError):
    """The hub answered, and the answer is no. `message` is the hub's own words."""

    @property
    def revoked(self) -> bool:
        return self.status == 401


class CertificateChanged(HubRefused):
    def __init__(self) -> None:
        super().__init__(CERT_CHANGED)


class _PinMismatch(Exception):
    """Raised inside the handshake; not an OSError, so httpx passes it through untouched."""


class _PinnedContext(ssl.SSLContext):
    pin: str

    def wrap_socket(self, sock: socket.socket, *args: Any, **kwargs: Any) -> ssl.SSLSocket:  # type: ignore[override]
        wrapped = super().wrap_socket(sock, *args, **kwargs)
        der = wrapped.getpeercert(binary_form=True)
        if der is None or hashlib.sha256(der).hexdigest() != self.pin:
            wrapped.close()
            raise _PinMismatch()
        return wrapped


def pinned_context(cert_sha256: str) -> ssl.SSLContext:
    ctx = _PinnedContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    # No CA and no name check: the pin alone decides, and it is stricter than either.
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.pin = cert_sha256
    return ctx


def certificate_sha256(url: str, timeout: float = 10.0) -> str:
    """The pin of the certificate a server presents now (for an administrator to compare with the
    one the hub's operator gave; never trusted by itself)."""
    host, port = _host_port(url)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=timeout) as raw, ctx.wrap_socket(raw) as s:
        der = s.getpeercert(binary_form=True)
    return hashlib.sha256(der or b"").hexdigest()


def _host_port(url: str) -> tuple[str, int]:
    u = httpx.URL(url)
    return u.host, u.port or 443


@dataclass(frozen=True)
class PullPage:
    ops: list[PulledOp]
    head: int
    more: bool


@dataclass(frozen=True)
class HubSnapshot:
    """The newest complete snapshot of the unit on the hub: sealed, `chunks` of them."""

    snapshot_id: str
    unit_seq: int
    chunks: int
    bytes: int
    created_at: datetime | None
    device_id: str


@dataclass(frozen=True)
class HubDevice:
    device_id: str
    name: str
    enrolled_at: datetime | None
    last_seen_at: datetime | None
    revoked_at: datetime | None
    public_key: bytes | None = None  # X25519, registered at enrolment (key rotation)


@dataclass(frozen=True)
class WrappedKey:
    """One sync key epoch, wrapped for this laptop by the laptop that rotated (keyworker/sync/rotate.py)."""
    epoch: int
    wrapped: bytes
    created_by_device: str


@dataclass(frozen=True)
class HeldChainHead:
    """The furthest audit-chain head this device reported, as the hub keeps it: when it was stored."""

    seq: int
    hash: str
    at: datetime | None


@dataclass(frozen=True)
class Joined:
    device_id: str
    unit_id: str
    token: str
    head: int
    bundle: bytes | None


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    t = datetime.fromisoformat(str(value))
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)


def _iso(t: datetime) -> str:
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _answer(r: httpx.Response) -> Any:
    try:
        body = r.json()
    except ValueError:
        body = None
    words = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), str) else None
    if 200 <= r.status_code < 300:
        if body is None:
            raise HubUnreachable("The hub gave an answer Keyworker does not understand: try again later",
                                 status=r.status_code)
        return body
    if r.status_code == 429 or r.status_code >= 500:
        retry = r.headers.get("retry-after")
        raise HubUnreachable(words or f"The hub could not answer just now (HTTP {r.status_code}): try again later",
                             status=r.status_code,
                             retry_after=float(retry) if retry and retry.replace(".", "", 1).isdigit() else None)
    raise HubRefused(words or f"The hub refused the request (HTTP {r.status_code})", status=r.status_code)


class _Http:
    def __init__(self, url: str, cert_sha256: str, token: str | None, timeout: float) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(base_url=url, verify=pinned_context(cert_sha256), headers=headers,
                                    timeout=timeout, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            r = self._client.request(method, path, **kwargs)
        except _PinMismatch:
            raise CertificateChanged() from None
        except httpx.TimeoutException:
            raise HubUnreachable("The hub did not answer in time: the sync will try again later") from None
        except httpx.TransportError as e:
            if isinstance(e.__cause__, _PinMismatch) or isinstance(e.__context__, _PinMismatch):
                raise CertificateChanged() from None
            raise HubUnreachable(f"The hub could not be reached ({type(e).__name__}): the sync will try again "
                                 "later") from None
        return _answer(r)


class HubClient:
    """One laptop's signed-in connection to its hub. Close it (or use `with`)."""

    def __init__(self, config: HubConfig, token: str, *, timeout: float = 10.0) -> None:
        self.config = config
        self._http = _Http(config.url, config.cert_sha256, token, timeout)
        self.head: int | None = None  # the unit's last seq, as the last push or pull saw it

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def push(self, ops: list[OutgoingOp], chain_head: tuple[int, str] | None) -> list[tuple[str, int]]:
        body = {"ops": [{"device_seq": o.device_seq, "op_id": o.op_id, "entity_type": o.entity_type,
                         "entity_id": o.entity_id, "base_seq": o.base_seq, "created_at": _iso(o.created_at),
                         "payload": base64.b64encode(o.payload).decode("ascii")} for o in ops],
                "chain_head": None if chain_head is None else {"seq": chain_head[0], "hash": chain_head[1]}}
        answer = self._http.call("POST", "/v1/push", json=body)
        self.head = int(answer["head"])
        return [(str(a["op_id"]), int(a["unit_seq"])) for a in answer["acks"]]

    def pull(self, after: int, limit: int = 500) -> PullPage:
        answer = self._http.call("GET", "/v1/pull", params={"after": after, "limit": limit})
        ops = []
        for o in answer["ops"]:
            created = _when(o["created_at"])
            assert created is not None
            ops.append(PulledOp(int(o["unit_seq"]), str(o["op_id"]), str(o["device_id"]), int(o["device_seq"]),
                                str(o["entity_type"]), str(o["entity_id"]),
                                None if o["base_seq"] is None else int(o["base_seq"]), created,
                                base64.b64decode(o["payload"])))
        self.head = int(answer["head"])
        return PullPage(ops, self.head, bool(answer["more"]))

    def chain_head(self) -> HeldChainHead | None:
        held = self._http.call("GET", "/v1/chain-head")["chain_head"]
        return None if held is None else HeldChainHead(int(held["seq"]), str(held["hash"]), _when(held.get("at")))

    def devices(self) -> list[HubDevice]:
        return [HubDevice(str(d["device_id"]), str(d["name"]), _when(d["enrolled_at"]), _when(d["last_seen_at"]),
                          _when(d["revoked_at"]),
                          None if d.get("public_key") is None else base64.b64decode(d["public_key"]))
                for d in self._http.call("GET", "/v1/devices")["devices"]]

    def _wraps(self, path: str, word: str, after: int) -> tuple[int, list[WrappedKey]]:
        """The unit's current version of one kind of key (`word`: epoch or generation) and this
        laptop's wraps of the versions after `after`. A hub from before that kind of rotation (no
        such address) has published none: (0, [])."""
        try:
            answer = self._http.call("GET", path, params={"after": after})
        except HubRefused as e:
            if e.status == 404:
                return 0, []
            raise
        return int(answer[word]), [WrappedKey(int(k[word]), base64.b64decode(k["wrapped"]), str(k["created_by_device"]))
                                   for k in answer["keys"]]

    def _publish_wraps(self, path: str, word: str, n: int, wraps: dict[str, bytes]) -> dict[str, Any]:
        return dict(self._http.call("POST", path, json={
            word: n, "wraps": [{"device_id": d, "wrapped": base64.b64encode(w).decode("ascii")}
                               for d, w in wraps.items()]}))

    def keys(self, after: int) -> tuple[int, list[WrappedKey]]:
        """The unit's current sync key epoch and this laptop's wraps of the epochs after `after`."""
        return self._wraps("/v1/keys", "epoch", after)

    def publish_keys(self, epoch: int, wraps: dict[str, bytes]) -> dict[str, Any]:
        """Publish key epoch `epoch`: {device_id: wrapped} for every live laptop of the unit."""
        return self._publish_wraps("/v1/keys", "epoch", epoch, wraps)

    def unit_keys(self, after: int) -> tuple[int, list[WrappedKey]]:
        """The unit's database key generation and this laptop's wraps of the generations after
        `after` (keyworker/sync/unit_key.py; a WrappedKey's `epoch` is the generation)."""
        return self._wraps("/v1/unit-keys", "generation", after)

    def publish_unit_key(self, generation: int, wraps: dict[str, bytes]) -> dict[str, Any]:
        """Publish unit key generation `generation`: {device_id: wrapped} for every live laptop."""
        return self._publish_wraps("/v1/unit-keys", "generation", generation, wraps)

    def revoke(self, device_id: str) -> datetime | None:
        return _when(self._http.call("POST", f"/v1/devices/{device_id}/revoke")["revoked_at"])

    # -- snapshots (keyworker/sync/snapshot.py) --------------------------------------------------
    def snapshot_begin(self, unit_seq: int) -> str:
        return str(self._http.call("POST", "/v1/snapshots", json={"unit_seq": unit_seq})["snapshot_id"])

    def snapshot_put(self, snapshot_id: str, n: int, data: bytes) -> None:
        self._http.call("POST", f"/v1/snapshots/{snapshot_id}/chunks/{n}",
                        json={"data": base64.b64encode(data).decode("ascii")})

    def snapshot_complete(self, snapshot_id: str, chunks: int) -> int:
        answer = self._http.call("POST", f"/v1/snapshots/{snapshot_id}/complete", json={"chunks": chunks})
        return int(answer["unit_seq"])

    def latest_snapshot(self) -> HubSnapshot | None:
        s = self._http.call("GET", "/v1/snapshots/latest")["snapshot"]
        if s is None:
            return None
        return HubSnapshot(str(s["snapshot_id"]), int(s["unit_seq"]), int(s["chunks"]), int(s["bytes"]),
                           _when(s["created_at"]), str(s["device_id"]))

    def snapshot_chunk(self, snapshot_id: str, n: int) -> bytes:
        return base64.b64decode(self._http.call("GET", f"/v1/snapshots/{snapshot_id}/chunks/{n}")["data"])

    def create_code(self, code_name: str, verifier_sha256: str, bundle: bytes, key_epoch: int | None = None,
                    unit_key_gen: int | None = None) -> datetime:
        body: dict[str, Any] = {"code_name": code_name, "verifier_sha256": verifier_sha256,
                                "bundle": base64.b64encode(bundle).decode("ascii")}
        if key_epoch is not None:
            body["key_epoch"] = key_epoch  # the bundle's newest sync key epoch: the hub refuses an old one
        if unit_key_gen is not None:
            body["unit_key_gen"] = unit_key_gen  # the bundle's newest unit key generation: likewise
        answer = self._http.call("POST", "/v1/enrol/codes", json=body)
        expires = _when(answer["expires_at"])
        assert expires is not None
        return expires


def join(url: str, cert_sha256: str, *, code_name: str, verifier: bytes, public_key: bytes, name: str,
         device_id: str | None, timeout: float = 30.0) -> Joined:
    """Present an enrolment code's verifier (no token yet): the hub's token, unit and bundle."""
    http = _Http(url, cert_sha256, None, timeout)
    try:
        body: dict[str, Any] = {"code_name": code_name, "verifier": base64.b64encode(verifier).decode("ascii"),
                                "public_key": base64.b64encode(public_key).decode("ascii"), "name": name}
        if device_id:
            body["device_id"] = device_id
        a = http.call("POST", "/v1/enrol/join", json=body)
    finally:
        http.close()
    return Joined(str(a["device_id"]), str(a["unit_id"]), str(a["token"]), int(a["head"]),
                  None if a.get("bundle") is None else base64.b64decode(a["bundle"]))
