"""Fixtures for the hub's tests: one PostgreSQL cluster per session, a fresh hub database and one
`hub serve` process per test module. Without PostgreSQL's binaries the tests skip, except on CI
(CI set), where .ci/setup installs them and their absence is a failure."""
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
    return make_certs(tmp_path_factory.mktemp("hub-tls"))


@pytest.fixture(scope="module")
def hub_db(pg: PostgresCluster, request: pytest.FixtureRequest) -> HubDb:
    """A database of its own for each test module, initialised by `hub init`'s code."""
    name = "hub_" + re.sub(r"\W", "_", request.module.__name__.rsplit(".", 1)[-1])
    owner_url, service_url = pg.create_hub_database(name)
    init(owner_url)
    return HubDb(owner_url, service_url)


@pytest.fixture(scope="module")
def hub(hub_db: HubDb, certs: Certs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    proc = HubProcess(hub_db, certs, Path(tmp_path_factory.mktemp("hub-log")) / "hub.log").start()
    yield proc
    proc.stop()
