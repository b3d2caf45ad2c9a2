"""Rate limits on a hub started with small ones: per laptop, then per client address; each answers
429 with Retry-After, and the refusal is audited (once a minute per key, not per request)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from keyworker.hub.ratelimit import Limit, RateLimiter
from tests.hub.servers import Certs, HubDb, HubProcess, first_laptop, scalar


@pytest.fixture(scope="module")
def hub(hub_db: HubDb, certs: Certs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    # A laptop may make 10 requests at once (burst) and an address 20.
    proc = HubProcess(hub_db, certs, Path(tmp_path_factory.mktemp("hub-log")) / "hub.log",
                      "--device-rate", "0.5", "--address-rate", "2").start()
    yield proc
    proc.stop()


def test_a_laptop_over_its_limit_gets_429(hub: HubProcess) -> None:
    laptop = first_laptop(hub, "limited")
    with laptop.client() as c:
        answers = [c.get("/v1/pull") for _ in range(12)]
    codes = [r.status_code for r in answers]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]
    assert answers[10].json() == {"error": "This laptop is sending too many requests: wait a moment and try again"}
    assert int(answers[10].headers["Retry-After"]) >= 1
    assert scalar(hub.db.owner_url, "SELECT count(*) FROM hub_audit WHERE action = 'refused.rate_limited_device' "
                  "AND device_id = %s", laptop.device_id) == 1


def test_an_address_over_its_limit_gets_429(hub: HubProcess) -> None:
    with hub.client() as c:
        for _ in range(40):
            r = c.get("/v1/health")
            if r.status_code == 429:
                break
    assert r.status_code == 429 and "from this address" in r.json()["error"] and "Retry-After" in r.headers
    assert scalar(hub.db.owner_url, "SELECT count(*) FROM hub_audit WHERE action = 'refused.rate_limited_address' "
                  "AND address = '127.0.0.1'") == 1


def test_a_bucket_refills_at_its_rate() -> None:
    t = [0.0]
    limiter = RateLimiter(Limit(rate=2, burst=3), clock=lambda: t[0])
    assert [limiter.take("k") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("k") == pytest.approx(0.5)
    t[0] = 0.5
    assert limiter.take("k") == 0 and limiter.take("other") == 0
    assert limiter.should_report("k") and not limiter.should_report("k")
