"""End-to-end sync: a real PostgreSQL cluster (tests/pg.py), `main.py hub serve` in its own process
with a trustme certificate (tests/hub/servers.py), and real SQLCipher laptops enrolled through
keyworker/sync/enrol.py. One cluster and one hub per module; each test has a unit of its own."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hub.servers import Certs, HubDb, HubProcess


@pytest.fixture(scope="module")
def hub(hub_db: HubDb, certs: Certs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    # Generous limits: three laptops syncing in a loop are not a flood.
    proc = HubProcess(hub_db, certs, Path(tmp_path_factory.mktemp("e2e-hub")) / "hub.log",
                      "--device-rate", "500", "--address-rate", "2000").start()
    yield proc
    proc.stop()
