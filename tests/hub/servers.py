"""The hub as the tests use it: `main.py hub serve` in its own process (uvicorn, TLS with a
trustme certificate), and laptops as httpx clients that trust the test CA.

A laptop here is only what the hub sees of one: a device id, a token and the ops it pushes. The
sealed payloads are random bytes, since the hub never opens them."""
from __future__ import annotations

import base64
import os
import secrets
import signal
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import trustme

from keyworker.hub import codes, enrol
from tests.pg import SERVICE_PW, free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Certs:
    ca: trustme.CA
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        self.ca.configure_trust(ctx)
        return ctx


def make_certs(folder: Path) -> Certs:
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    cert, key = folder / "hub.pem", folder / "hub.key"
    cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    issued.private_key_pem.write_to_path(str(key))
    return Certs(ca, cert, key)


@dataclass(frozen=True)
class HubDb:
    owner_url: str
    service_url: str


class HubProcess:
    """`main.py hub serve` as a child process, waited for until /v1/health answers."""

    def __init__(self, db: HubDb, certs: Certs, log: Path, *extra: str) -> None:
        self.db, self.certs, self.log, self.extra = db, certs, log, extra
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> HubProcess:
        self.port = free_port()
        env = {**os.environ, "PGPASSWORD": SERVICE_PW}
        cmd = [sys.executable, str(ROOT / "main.py"), "hub", "serve", "--pg", self.db.service_url,
               "--cert", str(self.certs.cert), "--key", str(self.certs.key), "--port", str(self.port), *self.extra]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        deadline = time.monotonic() + timeout
        with self.client() as c:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"hub serve exited {self.proc.returncode}:\n{self.log_tail()}")
                try:
                    if c.get("/v1/health").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"hub serve did not answer in {timeout} s:\n{self.log_tail()}")
                time.sleep(0.05)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback by the hub itself; PostgreSQL sees the connection drop."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self, token: str | None = None, timeout: float = 30.0) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, verify=self.certs.client_context(), headers=headers,
                            timeout=timeout)


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass
class Laptop:
    hub: HubProcess
    device_id: str
    unit_id: str
    token: str
    next_seq: int = 1
    sent: dict[str, bytes] = field(default_factory=dict)  # op_id -> payload

    def client(self) -> httpx.Client:
        return self.hub.client(self.token)

    def make_ops(self, n: int, size: int = 64) -> list[dict[str, Any]]:
        ops = []
        for _ in range(n):
            op_id = str(uuid.uuid4())
            payload = secrets.token_bytes(size)
            self.sent[op_id] = payload
            ops.append({"device_seq": self.next_seq, "op_id": op_id, "entity_type": "residents",
                        "entity_id": str(uuid.uuid4()), "base_seq": None, "created_at": now_utc().isoformat(),
                        "payload": base64.b64encode(payload).decode()})
            self.next_seq += 1
        return ops


def join(hub: HubProcess, code: str, name: str = "Laptop", device_id: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"code_name": codes.code_name(code),
                            "verifier": base64.b64encode(codes.verifier(code)).decode(),
                            "public_key": base64.b64encode(secrets.token_bytes(32)).decode(), "name": name}
    if device_id:
        body["device_id"] = device_id
    with hub.client() as c:
        return c.post("/v1/enrol/join", json=body)


def bootstrap_code(db: HubDb, unit_id: str) -> str:
    with psycopg.connect(db.owner_url, autocommit=True) as conn:
        return enrol.add_unit(conn, unit_id, now_utc())


def first_laptop(hub: HubProcess, unit_id: str) -> Laptop:
    """A new unit on the hub and its first laptop, enrolled with the bootstrap code."""
    r = join(hub, bootstrap_code(hub.db, unit_id), name=f"{unit_id} first")
    assert r.status_code == 201, r.text
    body = r.json()
    return Laptop(hub, body["device_id"], body["unit_id"], body["token"])


def upload_code(laptop: Laptop, bundle: bytes = b"sealed-bundle") -> str:
    code = codes.new_code()
    with laptop.client() as c:
        r = c.post("/v1/enrol/codes", json={"code_name": codes.code_name(code),
                                            "verifier_sha256": codes.verifier_sha256(code),
                                            "bundle": base64.b64encode(bundle).decode()})
    assert r.status_code == 201, r.text
    return code


def another_laptop(laptop: Laptop, name: str = "Second") -> Laptop:
    r = join(laptop.hub, upload_code(laptop), name=name)
    assert r.status_code == 201, r.text
    body = r.json()
    return Laptop(laptop.hub, body["device_id"], body["unit_id"], body["token"])


def scalar(url: str, query: str, *args: Any) -> Any:
    """One value from the hub's database, read as the role in `url`."""
    with psycopg.connect(url) as conn:
        row = conn.execute(query, args).fetchone()
    assert row is not None
    return row[0]
