"""Enrolment against a real hub: a valid, an expired and a reused code, the wrong certificate pin,
and who may make a code."""
from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from keyworker.clock import FixedClock
from keyworker.errors import PermissionDenied
from keyworker.hub import codes
from keyworker.security.vault import FAST_KDF, Vault, vault_path_for
from keyworker.sync import enrol
from keyworker.sync.client import CERT_CHANGED, HubRefused
from keyworker.sync.hubconf import hub_config
from tests.e2e_sync.helpers import bootstrap, open_laptop
from tests.hub.servers import scalar


def _join(unit, code: str, path: Path, pin: str | None = None, name: str = "B") -> Path:  # type: ignore[no-untyped-def]
    return enrol.join(unit.url, code, path, pin or unit.pin, device_name=f"Laptop {name}", device_id=unit.devices[name],
                      clock=unit.clock, kdf=FAST_KDF)


def test_a_valid_code_enrols_a_new_laptop_that_every_account_signs_in_to(hub, certs, db_path: Path, tmp_path: Path,
                                                                           clock: FixedClock) -> None:
    unit, a, report = bootstrap(hub, certs, db_path, clock)
    assert report.pushed >= 5 and report.pulled == 0  # the accounts' key slots and the recovery slot
    # the unit itself went up as one sealed snapshot, not as an op per row
    assert scalar(hub.db.owner_url, "SELECT count(*) FROM snapshots WHERE unit_id = %s AND completed_at IS NOT NULL",
                  unit.unit_id) == 1
    assert scalar(hub.db.owner_url, "SELECT count(*) FROM ops WHERE unit_id = %s AND entity_type = 'residents'",
                  unit.unit_id) == 0
    made = enrol.make_code(a)
    assert len(codes.normalise(made.text)) == 25 and made.expires_at > made.expires_at.replace(year=2000)
    path = unit.paths["B"] = _join(unit, made.text, tmp_path / "b" / "unit.kwdb")
    config = hub_config(Vault.load(vault_path_for(path)))
    assert config is not None and config.device_id == unit.devices["B"] and config.unit_id == unit.unit_id
    for user in ("admin", "manager", "worker", "nights"):
        b = open_laptop(unit, "B", user)
        assert b.actor.username == user
        b.close()
    # the hub knows both laptops by name
    names = {d.name for d in enrol.laptops(a)}
    assert names == {"Laptop A", "Laptop B"}
    a.close()


def test_an_expired_code_is_refused_and_writes_nothing(hub, certs, db_path: Path, tmp_path: Path,
                                                       clock: FixedClock) -> None:
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    made = enrol.make_code(a)
    with psycopg.connect(hub.db.owner_url, autocommit=True) as conn:  # the hub's clock, as the owner moves it
        conn.execute("UPDATE enrol_codes SET expires_at = now() - interval '1 second' WHERE code_name = %s",
                     (codes.code_name(made.text),))
    path = tmp_path / "b" / "unit.kwdb"
    with pytest.raises(HubRefused, match="expired"):
        _join(unit, made.text, path)
    assert not path.exists() and not vault_path_for(path).exists()
    a.close()


def test_a_reused_code_is_refused(hub, certs, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    made = enrol.make_code(a)
    _join(unit, made.text, tmp_path / "b" / "unit.kwdb")
    with pytest.raises(HubRefused, match="already been used"):
        _join(unit, made.text, tmp_path / "c" / "unit.kwdb", name="C")
    assert not (tmp_path / "c" / "unit.kwdb").exists()
    a.close()


def test_the_wrong_pin_is_refused_before_the_code_is_spent(hub, certs, db_path: Path, tmp_path: Path,
                                                           clock: FixedClock) -> None:
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    made = enrol.make_code(a)
    with pytest.raises(HubRefused, match=CERT_CHANGED):
        _join(unit, made.text, tmp_path / "b" / "unit.kwdb", pin="ab" * 32)
    assert scalar(hub.db.owner_url, "SELECT used_at IS NULL FROM enrol_codes WHERE code_name = %s",
                  codes.code_name(made.text))
    # and an enrolled laptop whose hub now shows another certificate is told so
    from keyworker.sync.hubconf import HubConfig, save_hub_config
    from keyworker.sync.run import sync_once

    good = hub_config(a._vault)
    assert good is not None
    from keyworker.sync.hubconf import device_token

    save_hub_config(a._vault, a._key, HubConfig(good.url, good.unit_id, good.device_id, "cd" * 32),
                    device_token(a._vault, a._key))
    with pytest.raises(HubRefused, match=CERT_CHANGED):
        sync_once(a)
    _join(unit, made.text, tmp_path / "b" / "unit.kwdb")  # the code still works with the right pin
    a.close()


def test_only_an_administrator_makes_a_code(hub, certs, db_path: Path, clock: FixedClock) -> None:
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    a.close()
    m = open_laptop(unit, "A", "manager")
    with pytest.raises(PermissionDenied):
        enrol.make_code(m)
    m.close()
