"""`main.py hub init | add-unit | serve`: what they do, and their one-line refusals."""
from __future__ import annotations

import base64
import subprocess
import sys

import psycopg
import pytest

from keyworker.hub import codes, enrol
from keyworker.hub.cli import run
from keyworker.hub.schema import head_revision
from tests.hub.servers import ROOT, Certs, HubDb, now_utc
from tests.pg import PostgresCluster


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_serve_without_a_certificate_refuses_to_start() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "hub", "serve", "--pg", "postgresql://x@127.0.0.1/x"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 2
    assert out.stderr == "main.py hub: error: the hub serves over TLS only: give --cert CERT and --key KEY\n"


def test_serve_with_a_missing_certificate_file_says_which(hub_db: HubDb, capsys: pytest.CaptureFixture[str],
                                                         tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert run(["serve", "--pg", hub_db.service_url, "--cert", str(tmp_path / "hub.pem"), "--key", "k"]) == 1
    assert one_line_error(capsys) == f"error: the TLS certificate file is not there: {tmp_path / 'hub.pem'}\n"


def test_serve_refuses_a_role_that_could_change_ops(hub_db: HubDb, certs: Certs,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["serve", "--pg", hub_db.owner_url, "--cert", str(certs.cert), "--key", str(certs.key)]) == 1
    assert "signs in as the service role keyworker_hub" in one_line_error(capsys)


def test_serve_refuses_a_database_hub_init_has_not_set_up(pg: PostgresCluster, certs: Certs,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    owner_url, _ = pg.create_hub_database("hub_not_initialised")
    assert run(["serve", "--pg", owner_url, "--cert", str(certs.cert), "--key", str(certs.key)]) == 1
    assert "run `main.py hub init`" in one_line_error(capsys)


def test_an_unreachable_postgresql_is_one_line_without_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["init", "--pg", "postgresql://keyworker_hub_owner:s3cret@127.0.0.1:1/hub"]) == 1
    err = one_line_error(capsys)
    assert err.startswith("error: cannot reach PostgreSQL at keyworker_hub_owner@127.0.0.1:1/hub: ")
    assert "s3cret" not in err


def test_init_twice_then_add_unit_prints_a_code_its_first_laptop_joins_with(
        hub_db: HubDb, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        assert run(["init", "--pg", hub_db.owner_url]) == 0
        assert capsys.readouterr().out == (f"The hub's schema is at revision {head_revision()}; "
                                           "the service role's grants are set.\n")
    assert run(["add-unit", "--pg", hub_db.owner_url, "--unit", "cli-unit"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Unit cli-unit: bootstrap code for its first laptop (valid 15 minutes, once):"
    code = out[1]
    assert len(code) == 29 and codes.normalise(code)
    with psycopg.connect(hub_db.owner_url, autocommit=True) as conn:
        joined = enrol.join(conn, {"code_name": codes.code_name(code), "name": "First",
                                   "verifier": base64.b64encode(codes.verifier(code)).decode(),
                                   "public_key": base64.b64encode(bytes(32)).decode()},
                            now_utc(), None)
    assert joined.unit_id == "cli-unit"
    assert run(["add-unit", "--pg", hub_db.owner_url, "--unit", "cli-unit"]) == 1
    assert "already has 1 enrolled laptop" in one_line_error(capsys)
