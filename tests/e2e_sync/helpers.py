"""Laptops for the end-to-end tests: enrolled with a real hub through keyworker/sync/enrol.py."""
from __future__ import annotations

import hashlib
import itertools
import ssl
from dataclasses import dataclass
from pathlib import Path

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.security.vault import FAST_KDF
from keyworker.sync import enrol
from keyworker.sync.run import SyncReport, sync_once
from tests.conftest import ADMIN_PW, STAFF_PW
from tests.hub.servers import Certs, HubProcess, bootstrap_code

_units = itertools.count(1)


def new_devices() -> dict[str, str]:
    """Device ids are the hub's keys across units: each test's laptops have new ones."""
    import uuid

    return {n: str(uuid.uuid4()) for n in "ABCD"}


def pin_of(certs: Certs) -> str:
    pem = certs.cert.read_text().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def password_of(user: str) -> str:
    return ADMIN_PW if user == "admin" else STAFF_PW


def open_laptop(unit: Unit, name: str, user: str = "admin") -> Casebook:
    return Casebook.open(unit.paths[name], user, password_of(user), clock=unit.clock, kdf=FAST_KDF,
                         device_id=unit.devices[name])


@dataclass
class Unit:
    hub: HubProcess
    pin: str
    unit_id: str
    paths: dict[str, Path]
    clock: FixedClock
    devices: dict[str, str]

    @property
    def url(self) -> str:
        return self.hub.base_url


def new_unit_id() -> str:
    return f"unit-{next(_units)}"


def bootstrap(hub: HubProcess, certs: Certs, db_path: Path, clock: FixedClock) -> tuple[Unit, Casebook, SyncReport]:
    """The test unit as laptop A, the first laptop of a new unit on the hub."""
    unit_id = new_unit_id()
    code = bootstrap_code(hub.db, unit_id)
    unit = Unit(hub, pin_of(certs), unit_id, {"A": db_path}, clock, new_devices())
    a = open_laptop(unit, "A")
    report = enrol.bootstrap(a, hub.base_url, code, pin_of(certs), device_name="Laptop A")
    return unit, a, report


def join(unit: Unit, maker: Casebook, name: str, folder: Path) -> Path:
    code = enrol.make_code(maker)
    path = folder / name.lower() / "unit.kwdb"
    enrol.join(unit.url, code.text, path, unit.pin, device_name=f"Laptop {name}", device_id=unit.devices[name],
               clock=unit.clock, kdf=FAST_KDF)
    unit.paths[name] = path
    return path


def settle(books: dict[str, Casebook], rounds: int = 2) -> None:
    for _ in range(rounds):
        for b in books.values():
            sync_once(b)


ROOT = Path(__file__).resolve().parents[2]


def cli_env(unit: Unit, name: str, user: str = "admin") -> dict[str, str]:
    import os

    return {**os.environ, "KEYWORKER_DEVICE_ID": unit.devices[name], "KEYWORKER_USER": user,
            "KEYWORKER_PASSWORD": password_of(user), "KEYWORKER_OUTBOX_WORKER": "off",
            "KEYWORKER_SYNC_WORKER": "off"}


def cli(unit: Unit, name: str, *args: str, user: str = "admin", env: dict[str, str] | None = None,
        timeout: float = 120) -> "subprocess.CompletedProcess[str]":
    import subprocess
    import sys

    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, capture_output=True, text=True,
                          env={**cli_env(unit, name, user), **(env or {})}, timeout=timeout)


def join_by_cli(unit: Unit, maker: Casebook, name: str, folder: Path) -> Path:
    code = enrol.make_code(maker)
    path = folder / name.lower() / "unit.kwdb"
    r = cli(unit, name, "sync", "join", "--hub", unit.url, "--code", code.text, "--cert-sha256", unit.pin, "--db", str(path),
            "--name", f"Laptop {name}")
    assert r.returncode == 0, r.stderr
    unit.paths[name] = path
    return path


def three_laptops(hub: HubProcess, certs: Certs, db_path: Path, folder: Path, clock: FixedClock, *,
                  people: int = 2, cli_join: bool = False) -> tuple[Unit, dict[str, Casebook], list[tuple[str, str, str]]]:
    """A (the test unit, bootstrapped, with `people` residents on complete plans), B joined in this
    process, C joined by `main.py sync join` in a subprocess when `cli_join`; all signed in as the
    senior and synced."""
    from tests.sync.test_apply import _resident_with_plan

    unit, admin, _ = bootstrap(hub, certs, db_path, clock)
    a = open_laptop(unit, "A", "manager")
    names = [("Lee", "Park"), ("Kim", "Lowe"), ("Ash", "Kerr"), ("Ray", "Moss")]
    made = [_resident_with_plan(a, g, f) for g, f in names[:people]]
    sync_once(a)
    join(unit, admin, "B", folder)
    (join_by_cli if cli_join else join)(unit, admin, "C", folder)
    admin.close()
    books = {"A": a, "B": open_laptop(unit, "B", "manager"), "C": open_laptop(unit, "C", "manager")}
    return unit, books, made
