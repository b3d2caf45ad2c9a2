"""Shared fixtures. Every test gets a real SQLCipher unit database: created and migrated once per
session from a template, then copied, so each test starts clean and the suite stays fast."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING
from datetime import datetime
from pathlib import Path

import pytest

if TYPE_CHECKING:
    from tests.hub.servers import Certs, HubDb, HubProcess
    from tests.pg import PostgresCluster

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A MainWindow in a test starts no background outbox delivery (tests/ui/test_outbox_worker.py turns it on).
os.environ.setdefault("KEYWORKER_OUTBOX_WORKER", "off")
os.environ.setdefault("KEYWORKER_DEVICE_ID", "0196a000-0000-7000-8000-0000000000d1")

from keyworker.casebook import Casebook  # noqa: E402
from keyworker.clock import FixedClock  # noqa: E402
from keyworker.security.permissions import Role  # noqa: E402
from keyworker.security.vault import FAST_KDF, vault_path_for  # noqa: E402

# Real outbox receivers on loopback (HTTPS, SFTP, SMTP): https_server, sftp_server, smtp_server.
pytest_plugins = ["tests.fixtures.outbox_servers"]

ADMIN_PW = "Quiet-Harbour-Lamp-42"
STAFF_PW = "Orange-Kettle-Sky-77"
# username, full name, role — every role, so permission tests need no setup.
STAFF = [
    ("manager", "Morgan Manager", Role.SENIOR),
    ("worker", "Sam Worker", Role.KEY_WORKER),
    ("worker2", "Jo Second", Role.KEY_WORKER),
    ("nights", "Nico Nights", Role.OUT_OF_HOURS),
]
# Printed under each signature on letters (accounts.job_title).
JOB_TITLES = {"admin": "Systems Administrator", "manager": "Registered Manager", "worker": "Recovery Worker",
              "worker2": "Recovery Worker", "nights": "Night Support Worker"}
# The test unit's letterhead (keyworker/unit_profile.py); letter tests look for these on paper.
UNIT_PROFILE = {
    "unit_name": "Test Unit",
    "address_lines": ("Test House", "1 Example Street", "Preston"),
    "postcode": "PR1 2AB",
    "phone": "01772 123456",
    "secure_email": "test.unit@nhs.net",
    "provider_name": "Test Recovery Services Ltd",
    "cqc_location": "1-000000001",
    "footer_text": "Registered in England no. 00000000. Test House, 1 Example Street, Preston PR1 2AB.",
}


def make_logo_png() -> bytes:
    """A small made-up logo: a teal square with a white bar."""
    import io

    from PIL import Image, ImageDraw

    im = Image.new("RGB", (240, 120), "#0b5d7a")
    ImageDraw.Draw(im).rectangle((20, 50, 220, 70), fill="white")
    out = io.BytesIO()
    im.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "unit.kwdb"
    book, _ = Casebook.create(path, admin_username="admin", admin_full_name="Ada Admin", password=ADMIN_PW,
                              kdf=FAST_KDF, clock=FixedClock(datetime(2026, 1, 5, 9, 0)), unit_name="Test Unit")
    for username, name, role in STAFF:
        book.accounts.create(username, name, role, STAFF_PW, job_title=JOB_TITLES[username])
    book.accounts.set_job_title(book.actor.id, JOB_TITLES["admin"])
    book.unit_profile.update(UNIT_PROFILE)
    book.unit_profile.set_logo(make_logo_png())
    book.close()
    return path


@pytest.fixture
def clock() -> FixedClock:
    """Monday 5 January 2026, 09:00 London. Move it with clock.set()/advance()."""
    return FixedClock(datetime(2026, 1, 5, 9, 0))


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "unit.kwdb"
    shutil.copy(template_db, dest)
    shutil.copy(vault_path_for(template_db), vault_path_for(dest))
    return dest


def open_as(db_path: Path, username: str, clock: FixedClock) -> Casebook:
    return Casebook.open(db_path, username, ADMIN_PW if username == "admin" else STAFF_PW, clock=clock, kdf=FAST_KDF)


@pytest.fixture
def book_factory(db_path: Path, clock: FixedClock) -> Iterator:
    """open_book('worker') -> a Casebook signed in as that user, closed after the test."""
    opened: list[Casebook] = []

    def _open(username: str = "admin") -> Casebook:
        b = open_as(db_path, username, clock)
        opened.append(b)
        return b

    yield _open
    for b in opened:
        b.close()


@pytest.fixture
def admin_book(book_factory) -> Casebook:  # type: ignore[no-untyped-def]
    return book_factory("admin")


@pytest.fixture
def worker_book(book_factory) -> Casebook:  # type: ignore[no-untyped-def]
    return book_factory("worker")


@pytest.fixture
def manager_book(book_factory) -> Casebook:  # type: ignore[no-untyped-def]
    return book_factory("manager")


# -- the unit hub's tests (tests/hub, tests/e2e_sync): one PostgreSQL cluster for the whole run ----
@pytest.fixture(scope="session")
def pg() -> Iterator["PostgresCluster"]:
    """A real PostgreSQL cluster (tests/pg.py). Without PostgreSQL's binaries the tests skip, except
    on CI (CI set), where .ci/setup installs them and their absence is a failure."""
    from tests.pg import PostgresCluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        message = "PostgreSQL's initdb was not found (bash .ci/setup --test installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = PostgresCluster(bindir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> "Certs":
    from tests.hub.servers import make_certs

    return make_certs(tmp_path_factory.mktemp("hub-tls"))


@pytest.fixture(scope="module")
def hub_db(pg: "PostgresCluster", request: pytest.FixtureRequest) -> "HubDb":
    """A hub database of its own for each test module, initialised by `hub init`'s code."""
    import re

    from keyworker.hub.schema import init
    from tests.hub.servers import HubDb

    name = re.sub(r"\W", "_", request.module.__name__)[-60:]  # tests.hub.test_cli and tests.e2e_sync.test_cli apart
    owner_url, service_url = pg.create_hub_database(name)
    init(owner_url)
    return HubDb(owner_url, service_url)


@pytest.fixture(scope="module")
def hub(hub_db: "HubDb", certs: "Certs", tmp_path_factory: pytest.TempPathFactory) -> Iterator["HubProcess"]:
    """`main.py hub serve` in its own process for each test module, with generous limits: laptops
    syncing in a loop are not a flood (tests/hub has its own with the default limits)."""
    from tests.hub.servers import HubProcess

    proc = HubProcess(hub_db, certs, Path(tmp_path_factory.mktemp("hub")) / "hub.log",
                      "--device-rate", "500", "--address-rate", "2000").start()
    yield proc
    proc.stop()
