"""The command line, run as a user runs it: `python main.py ...` in a subprocess, with the password
in KEYWORKER_PASSWORD and HOME pointed at a temporary folder so the real profile is never touched.
Errors are one line on stderr with exit status 1 (2 for usage), never a traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from keyworker.casebook import Casebook
from keyworker.security.vault import FAST_KDF, vault_path_for
from tests.conftest import ADMIN_PW, STAFF_PW

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "main.py"
COMMANDS = ["init", "demo", "check", "backup", "restore"]


def run(tmp_path: Path, *args: str, password: str | None = ADMIN_PW, user: str | None = None,
        stdin: int | None = subprocess.DEVNULL, extra_env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWORKER_")}
    env.update(KEYWORKER_DEVICE_ID="0196a000-0000-7000-8000-0000000000c1", HOME=str(tmp_path / "home"),
               XDG_DATA_HOME=str(tmp_path / "home" / "data"), XDG_CONFIG_HOME=str(tmp_path / "home" / "config"))
    if password is not None:
        env["KEYWORKER_PASSWORD"] = password
    if user is not None:
        env["KEYWORKER_USER"] = user
    env.update(extra_env or {})
    return subprocess.run([sys.executable, str(MAIN), *args], env=env, cwd=str(tmp_path), stdin=stdin,
                          capture_output=True, text=True, timeout=120)


def assert_one_line_error(res: subprocess.CompletedProcess[str], code: int = 1, contains: str = "") -> str:
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert contains.lower() in lines[0].lower(), lines[0]
    return lines[0]


def test_help_lists_every_command(tmp_path: Path) -> None:
    res = run(tmp_path, "--help")
    assert res.returncode == 0 and res.stderr == ""
    for cmd in COMMANDS:
        assert cmd in res.stdout
    assert "--db" in res.stdout


@pytest.mark.parametrize("cmd", COMMANDS)
def test_each_command_has_help(tmp_path: Path, cmd: str) -> None:
    res = run(tmp_path, cmd, "--help")
    assert res.returncode == 0, res.stderr
    assert "usage:" in res.stdout and "--db" in res.stdout


@pytest.mark.parametrize(
    "args",
    [("frobnicate",), ("check", "--bogus"), ("backup",), ("restore",), ("init",), ("demo", "--residents", "x")],
    ids=lambda a: " ".join(a),
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    assert_one_line_error(run(tmp_path, *args), 2, "error")


def test_no_password_and_no_terminal_is_a_usage_error(tmp_path: Path, db_path: Path) -> None:
    assert_one_line_error(run(tmp_path, "check", "--db", str(db_path), password=None), 2, "KEYWORKER_PASSWORD")


def test_check_json_reports_ok_chain_and_accounts(tmp_path: Path, db_path: Path) -> None:
    res = run(tmp_path, "check", "--json", "--db", str(db_path))
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["ok"] is True
    assert report["integrity"] == "ok"
    assert report["audit_chain"]["ok"] is True and report["audit_chain"]["entries"] > 0
    assert report["accounts"]["active"] == 5
    assert report["accounts"]["by_role"] == {"key_worker": 2, "senior": 1, "out_of_hours": 1, "admin": 1}
    assert list(report)[0] == "ok"


def test_check_without_the_integrity_pass_still_checks_the_chain_and_says_what_it_left_out(
        tmp_path: Path, db_path: Path) -> None:
    res = run(tmp_path, "check", "--no-integrity", "--json", "--db", str(db_path))
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert "integrity" not in report and report["ok"] is True and report["audit_chain"]["ok"] is True
    text = run(tmp_path, "check", "--no-integrity", "--db", str(db_path)).stdout
    assert "Database integrity: not checked this time" in text and "Audit chain: intact" in text


def test_check_human_readable(tmp_path: Path, db_path: Path) -> None:
    res = run(tmp_path, "check", "--db", str(db_path), user="worker", password=STAFF_PW)
    assert res.returncode == 0, res.stderr
    assert "Audit chain: intact" in res.stdout and res.stdout.strip().endswith("OK")


def test_check_with_a_wrong_password_prints_one_line_and_exits_1(tmp_path: Path, db_path: Path) -> None:
    res = run(tmp_path, "check", "--db", str(db_path), password="Wrong-Password-000")
    assert_one_line_error(res, 1, "not correct")
    assert res.stdout == ""


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.unlink(), "no unit database"),
        (lambda p: vault_path_for(p).unlink(), "vault"),
        (lambda p: vault_path_for(p).write_text("{not json"), "vault"),
        (lambda p: p.write_bytes(p.read_bytes()[:5000]), "truncated"),
        (lambda p: p.write_bytes(p.read_bytes()[:8192]), "damaged"),
        (lambda p: p.write_bytes(b""), "empty"),
    ],
    ids=["missing db", "missing vault", "corrupt vault", "truncated db", "truncated at a page", "empty db"],
)
def test_check_on_damaged_files_is_one_line(tmp_path: Path, db_path: Path, damage, message: str) -> None:  # type: ignore[no-untyped-def]
    damage(db_path)
    assert_one_line_error(run(tmp_path, "check", "--db", str(db_path)), 1, message)


def test_default_database_comes_from_keyworker_db(tmp_path: Path, db_path: Path) -> None:
    res = run(tmp_path, "check", "--json", extra_env={"KEYWORKER_DB": str(db_path)})
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["ok"] is True


def test_init_creates_a_unit_and_shows_the_recovery_key_once(tmp_path: Path) -> None:
    db = tmp_path / "units" / "new.kwdb"
    res = run(tmp_path, "init", "--admin", "boss", "--full-name", "Bea Boss", "--db", str(db))
    assert res.returncode == 0, res.stderr
    recovery = next(line.strip() for line in res.stdout.splitlines() if line.count("-") == 7)
    assert recovery not in vault_path_for(db).read_text()
    session = Casebook.open_with_recovery_key(db, recovery, kdf=FAST_KDF)
    try:
        assert [a.username for a in session.administrators()] == ["boss"]
    finally:
        session.close()
    again = run(tmp_path, "init", "--admin", "boss", "--db", str(db))
    assert_one_line_error(again, 1, "already exists")


def test_init_refuses_a_weak_password_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "weak.kwdb"
    assert_one_line_error(run(tmp_path, "init", "--admin", "boss", "--db", str(db), password="password"), 1,
                          "characters")
    assert not db.exists() and not vault_path_for(db).exists()


def test_demo_creates_the_four_accounts_with_the_given_password(tmp_path: Path) -> None:
    db = tmp_path / "demo.kwdb"
    res = run(tmp_path, "demo", "--residents", "0", "--db", str(db))
    assert res.returncode == 0, res.stderr
    assert ADMIN_PW not in res.stdout  # a password from the environment is never echoed
    check = run(tmp_path, "check", "--json", "--db", str(db), user="nights")
    assert check.returncode == 0, check.stderr
    report = json.loads(check.stdout)
    assert report["accounts"]["active"] == 4
    assert report["accounts"]["by_role"] == {"key_worker": 1, "senior": 1, "out_of_hours": 1, "admin": 1}
    assert_one_line_error(run(tmp_path, "demo", "--residents", "0", "--db", str(db)), 1, "already exists")


def test_backup_and_restore_round_trip(tmp_path: Path, db_path: Path) -> None:
    out = tmp_path / "unit.kwbackup"
    res = run(tmp_path, "backup", "--out", str(out), "--db", str(db_path))
    assert res.returncode == 0, res.stderr
    assert out.exists()
    before = json.loads(run(tmp_path, "check", "--json", "--db", str(db_path)).stdout)
    target = tmp_path / "restored" / "unit.kwdb"
    target.parent.mkdir()
    res = run(tmp_path, "restore", "--from", str(out), "--db", str(target))
    assert res.returncode == 0, res.stderr
    after = json.loads(run(tmp_path, "check", "--json", "--db", str(target)).stdout)
    assert after["ok"] and after["accounts"] == before["accounts"]


def test_backup_refusals_are_one_line(tmp_path: Path, db_path: Path) -> None:
    assert_one_line_error(run(tmp_path, "backup", "--out", str(tmp_path / "w.kwbackup"), "--db", str(db_path),
                              user="worker", password=STAFF_PW), 1, "not allowed")
    assert_one_line_error(run(tmp_path, "backup", "--out", str(tmp_path / "no" / "x.kwbackup"), "--db",
                              str(db_path)), 1, "does not exist")


@pytest.mark.parametrize("content", [b"", b"hello", b"SQLite format 3\x00" + bytes(200)], ids=["empty", "text", "sqlite"])
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path, db_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.kwbackup"
    bad.write_bytes(content)
    before = db_path.read_bytes()
    assert_one_line_error(run(tmp_path, "restore", "--from", str(bad), "--db", str(db_path)), 1, "not a Keyworker backup")
    assert db_path.read_bytes() == before
    assert_one_line_error(run(tmp_path, "restore", "--from", str(tmp_path / "missing.kwbackup"), "--db",
                              str(db_path)), 1, "no file")


def test_nothing_is_written_to_the_real_profile(tmp_path: Path, db_path: Path) -> None:
    home = tmp_path / "home"
    run(tmp_path, "check", "--db", str(db_path))
    # the device id came from KEYWORKER_DEVICE_ID, and the data folder was never needed
    assert not (home / "data").exists() and not (home / "config").exists()



def test_an_unexpected_error_is_still_one_line_without_its_message(tmp_path: Path) -> None:
    """A bug in a command prints its type only: its message might hold a resident's data."""
    code = (
        "import sys, types\nfrom keyworker import cli\n"
        "def boom(args):\n    raise RuntimeError('Jane Doe, NHS 943 476 5919')\n"
        "def add(sub, common):\n    sub.add_parser('boom', parents=[common]).set_defaults(handler=boom)\n"
        "cli.COMMANDS.append(types.SimpleNamespace(add=add))\n"
        "sys.exit(cli.run(['boom']))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWORKER_")}
    env["HOME"] = str(tmp_path)
    res = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), env=env, capture_output=True, text=True,
                         timeout=60)
    line = assert_one_line_error(res, 1, "RuntimeError")
    assert "Jane" not in line and "943" not in line
    env["KEYWORKER_DEBUG"] = "1"
    res = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), env=env, capture_output=True, text=True,
                         timeout=60)
    assert res.returncode != 0 and "Traceback" in res.stderr


def test_demo_without_a_password_uses_the_printed_one(tmp_path: Path) -> None:
    from keyworker.demo import DEMO_PASSWORD

    db = tmp_path / "demo.kwdb"
    res = run(tmp_path, "demo", "--residents", "0", "--db", str(db), password=None)
    assert res.returncode == 0, res.stderr
    assert DEMO_PASSWORD in res.stdout
    for user in ("admin", "manager", "worker", "nights"):
        assert (f'"{user}"' in vault_path_for(db).read_text()), user


@pytest.mark.parametrize("pw", ["Nights-Are-Long-2026x", "short"], ids=["contains a user name", "too short"])
def test_a_demo_password_refused_for_one_account_leaves_no_half_made_unit(tmp_path: Path, pw: str) -> None:
    db = tmp_path / "demo.kwdb"
    res = run(tmp_path, "demo", "--residents", "0", "--db", str(db), password=pw)
    assert_one_line_error(res, 1, "password")
    assert not db.exists() and not vault_path_for(db).exists()
    assert not Path(f"{db}-wal").exists()
