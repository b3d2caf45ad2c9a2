"""Fixtures for the hub's tests: one `hub serve` process per test module, on the PostgreSQL cluster and
the hub database per module that tests/conftest.py gives (one cluster for the whole run; without
PostgreSQL the tests skip, except on CI, where it is a failure)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hub.servers import Certs, HubDb, HubProcess


@pytest.fixture(scope="module")
def hub(hub_db: HubDb, certs: Certs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    proc = HubProcess(hub_db, certs, Path(tmp_path_factory.mktemp("hub-log")) / "hub.log").start()
    yield proc
    proc.stop()
