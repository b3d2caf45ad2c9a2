"""`main.py sync ...` as an administrator runs it: bootstrap from `hub add-unit`'s code, a code for
the next laptop, status and laptops, and one-line errors."""
from __future__ import annotations

import json
from pathlib import Path

from keyworker.clock import FixedClock
from tests.e2e_sync.helpers import Unit, cli, new_devices, new_unit_id, pin_of
from tests.hub.servers import bootstrap_code


def test_the_sync_commands(hub, certs, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    unit = Unit(hub, pin_of(certs), new_unit_id(), {"A": db_path}, clock, new_devices())
    from tests.e2e_sync.helpers import open_laptop

    a = open_laptop(unit, "A")
    a.close()
    db = ["--db", str(db_path)]
    r = cli(unit, "A", "sync", "bootstrap", *db, "--hub", unit.url, "--code", bootstrap_code(hub.db, unit.unit_id),
            "--cert-sha256", ":".join(unit.pin[i:i + 2].upper() for i in range(0, 64, 2)), "--name", "Office")
    assert r.returncode == 0, r.stderr
    assert "first on the hub" in r.stdout and "syncing:" in r.stderr
    r = cli(unit, "A", "sync", "code", *db)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.strip().replace("-", "")) == 25 and "Valid once" in r.stderr
    r = cli(unit, "A", "sync", "status", "--json", *db)
    st = json.loads(r.stdout)
    assert st["enrolled"] and st["hub"] == unit.url and st["pending_ops"] == 0 and st["last_synced_at"]
    assert st["offline_since"] is None and st["conflicts_waiting"] == 0 and st["quarantined"] == 0
    r = cli(unit, "A", "sync", "laptops", *db)
    assert r.returncode == 0 and "Office (this laptop)" in r.stdout
    # errors: one line, exit 1; usage, exit 2
    r = cli(unit, "A", "sync", "code", *db, user="worker")
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and "not allowed" in r.stderr
    r = cli(unit, "A", "sync", "join", "--hub", unit.url, "--code", "X", "--cert-sha256", unit.pin,
            "--db", str(tmp_path / "n.kwdb"))
    assert r.returncode == 1 and "25 letters" in r.stderr
    r = cli(unit, "A", "sync", "join", "--hub", unit.url)
    assert r.returncode == 2
    r = cli(unit, "A", "sync", "fingerprint", "--hub", unit.url)
    assert r.returncode == 0 and r.stdout.strip() == unit.pin
