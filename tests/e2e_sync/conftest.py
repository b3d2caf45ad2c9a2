"""End-to-end sync: a real PostgreSQL cluster (tests/pg.py), `main.py hub serve` in its own process
with a trustme certificate (tests/hub/servers.py), and real SQLCipher laptops enrolled through
keyworker/sync/enrol.py. One cluster and one hub per module; each test has a unit of its own."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from keyworker.hub.schema import init
from tests.hub.servers import Certs, HubDb, HubProcess, make_certs
from tests.pg import PostgresCluster, find_bindir


@pytest.fixture(scope="session")
def pg() -> Iterator[PostgresCluster]:
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
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("e2e-tls"))


@pytest.fixture(scope="module")
def hub_db(pg: PostgresCluster, request: pytest.FixtureRequest) -> HubDb:
    name = "e2e_" + re.sub(r"\W", "_", request.module.__name__.rsplit(".", 1)[-1])
    owner_url, service_url = pg.create_hub_database(name)
    init(owner_url)
    return HubDb(owner_url, service_url)


@pytest.fixture(scope="module")
def hub(hub_db: HubDb, certs: Certs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    # Generous limits: three laptops syncing in a loop are not a flood.
    proc = HubProcess(hub_db, certs, Path(tmp_path_factory.mktemp("e2e-hub")) / "hub.log",
                      "--device-rate", "500", "--address-rate", "2000").start()
    yield proc
    proc.stop()
