"""What the commands say, word for word, where a new user tripped: the wrong user, a missing unit,
`check` in lines, help for every file and date option, no meaningless --user, --version, one
overwrite rule, a backup of another unit, date errors, and `main.py` without a display.
Run in-process through keyworker.cli.run (the subprocess tests in test_cli.py cover the wiring)."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from keyworker import cli
from keyworker.casebook import Casebook
from keyworker.security.vault import FAST_KDF
from tests.conftest import ADMIN_PW, STAFF_PW
from tests.unit.test_cli import MAIN, ROOT


@pytest.fixture
def kw(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run one command as `main.py` would: returns (exit status, stdout, stderr)."""
    for k in list(os.environ):
        if k.startswith("KEYWORKER_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("KEYWORKER_DEVICE_ID", "0196a000-0000-7000-8000-0000000000c1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))

    def run(*args: str, password: str | None = ADMIN_PW) -> tuple[int, str, str]:
        if password is None:
            monkeypatch.delenv("KEYWORKER_PASSWORD", raising=False)
        else:
            monkeypatch.setenv("KEYWORKER_PASSWORD", password)
        try:
            code = cli.run(list(args))
        except SystemExit as e:  # argparse: --help, --version, usage errors
            code = int(e.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# -- signing in ----------------------------------------------------------------------------------
def test_check_with_the_wrong_user_says_which_user_and_to_use_user(kw, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = kw("check", "--db", str(db_path), password=STAFF_PW)  # a key worker's password, as admin
    assert code == 1 and out == ""
    assert one_line(err) == ("error: The user name or password is not correct for user 'admin' (the default). "
                             "To sign in as another user, use --user NAME (or set KEYWORKER_USER).")
    code, _, err = kw("check", "--db", str(db_path), "--user", "nobody", password=STAFF_PW)
    assert code == 1 and "for user 'nobody'. To sign in as another user, use --user NAME" in one_line(err)
    assert kw("check", "--db", str(db_path), "--user", "worker", password=STAFF_PW)[0] == 0


@pytest.mark.parametrize("command", [("check",), ("backup", "--out", "x.kwbackup"), ("import", "list")])
def test_a_missing_unit_points_to_init_and_db(kw, tmp_path: Path, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nowhere.kwdb"
    code, _, err = kw(*command, "--db", str(missing))
    assert code == 1
    assert one_line(err) == (f"error: There is no unit database at {missing}. Create one with "
                             "`main.py init --admin NAME`, or give the unit's file with --db PATH.")


def test_a_missing_unit_is_named_before_any_password_is_asked_for(kw, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """No password could open a file that is not there: say so first (it used to ask, or fail with
    'no password' when not in a terminal)."""
    missing = tmp_path / "nowhere.kwdb"
    code, _, err = kw("check", "--db", str(missing), password=None)
    assert code == 1 and f"There is no unit database at {missing}." in one_line(err)
    assert "password" not in one_line(err)


def test_db_before_the_command_is_not_lost(kw, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`main.py --db X check` used to open the default unit: the subcommand's default replaced X."""
    missing = tmp_path / "elsewhere.kwdb"
    code, _, err = kw("--db", str(missing), "check")
    assert code == 1 and f"There is no unit database at {missing}." in one_line(err)
    assert kw("--db", str(db_path), "check", "--json")[0] == 0
    assert kw("--db", str(missing), "check", "--db", str(db_path), "--json")[0] == 0  # the nearer one wins


# -- check ------------------------------------------------------------------------------------------
def test_check_prints_readable_lines_and_json_is_unchanged(kw, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = kw("check", "--db", str(db_path))
    assert code == 0, err
    lines = out.splitlines()
    assert "Database integrity: ok" in lines
    assert ("Accounts: 5 active, 0 disabled (2 key worker, 1 senior (manager), 1 out-of-hours, 1 administrator)"
            in lines)
    assert {"Residents: 0", "Current residents: 0", "Open referrals: 0", "Reviews overdue: 0",
            "Reviews due in the next 7 days: 0", "Care plans not complete: 0"} <= set(lines)
    assert not any(c in out for c in "{}[]'_"), out  # no Python dicts, no internal key names
    assert lines[-1] == "OK"
    code, out, _ = kw("check", "--json", "--db", str(db_path))
    report = json.loads(out)
    assert code == 0 and list(report)[:3] == ["ok", "integrity", "audit_chain"]
    assert report["accounts"]["by_role"] == {"key_worker": 2, "senior": 1, "out_of_hours": 1, "admin": 1}
    assert report["residents"] == 0 and report["reviews_due_7d"] == 0


# -- options ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("command", "option", "words"), [
    (("backup",), "--out FILE", "the backup file to write"),
    (("restore",), "--from FILE", "the backup file to restore"),
    (("report", "declines"), "--from DATE", "first day of the period"),
    (("report", "declines"), "--to DATE", "last day of the period"),
])
def test_file_and_date_options_have_help(kw, command: tuple[str, ...], option: str, words: str) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = kw(*command, "--help")
    assert code == 0
    flat = " ".join(out.split())
    assert f"{option} {words}" in flat, out


@pytest.mark.parametrize("command", ["init", "demo"])
def test_init_and_demo_have_no_user_option(kw, tmp_path: Path, command: str) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = kw(command, "--help")
    assert code == 0 and "--db" in out and "--user" not in out
    code, _, err = kw(command, "--user", "boss", "--db", str(tmp_path / "u.kwdb"), "--admin", "boss")
    assert code == 2 and "--user" in one_line(err) and not (tmp_path / "u.kwdb").exists()


def test_version_is_the_package_version(kw) -> None:  # type: ignore[no-untyped-def]
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    code, out, _ = kw("--version")
    assert code == 0 and out.strip() == f"Keyworker {version}"


# -- one overwrite rule ------------------------------------------------------------------------------
def _refused(path: Path) -> str:
    return f"error: {path} already exists. Add --overwrite to replace it."


def test_backup_refuses_an_existing_file_unless_overwrite(kw, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "unit.kwbackup"
    out.write_bytes(b"an older backup")
    code, _, err = kw("backup", "--out", str(out), "--db", str(db_path))
    assert code == 1 and one_line(err) == _refused(out) and out.read_bytes() == b"an older backup"
    code, _, err = kw("backup", "--out", str(out), "--overwrite", "--db", str(db_path))
    assert code == 0, err
    assert out.read_bytes() != b"an older backup" and stat.S_IMODE(out.stat().st_mode) == 0o600
    restored = tmp_path / "restored.kwdb"
    assert kw("restore", "--from", str(out), "--db", str(restored))[0] == 0


@pytest.mark.parametrize("kind", ["--csv", "--pdf"])
def test_a_report_file_is_refused_if_it_exists_unless_overwrite(kw, db_path: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                 kind: str) -> None:
    target = tmp_path / f"declines.{kind[2:]}"
    target.write_text("keep me")
    args = ("report", "declines", "--quarter", "2026Q1", kind, str(target), "--db", str(db_path))
    code, _, err = kw(*args)
    assert code == 1 and one_line(err) == _refused(target) and target.read_text() == "keep me"
    code, _, err = kw(*args, "--overwrite")
    assert code == 0, err
    assert target.read_bytes() != b"keep me" and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_demo_uses_the_same_overwrite_rule(kw, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from keyworker.demo import create_demo

    db = tmp_path / "demo.kwdb"
    create_demo(db, 0, 1, ADMIN_PW, kdf=FAST_KDF)
    code, _, err = kw("demo", "--residents", "0", "--db", str(db))
    assert code == 1 and one_line(err) == _refused(db)
    code, out, _ = kw("demo", "--help")
    assert "--overwrite" in out and "--force" not in out  # the old name still works, unlisted


# -- restore ------------------------------------------------------------------------------------------
def test_restore_onto_another_unit_says_it_is_the_backups_account_that_failed(kw, db_path: Path,  # type: ignore[no-untyped-def]
                                                                              tmp_path: Path) -> None:
    backup = tmp_path / "first.kwbackup"
    assert kw("backup", "--out", str(backup), "--db", str(db_path))[0] == 0
    other = tmp_path / "other" / "unit.kwdb"
    other.parent.mkdir()
    book, _ = Casebook.create(other, admin_username="boss", admin_full_name="Bea Boss",
                              password="Other-Unit-Password-9", kdf=FAST_KDF)
    book.close()
    before = other.read_bytes()
    # The other unit's own administrator: that account is not in the backup.
    code, _, err = kw("restore", "--from", str(backup), "--db", str(other), "--user", "boss",
                      password="Other-Unit-Password-9")
    assert code == 1 and other.read_bytes() == before
    assert one_line(err) == ("error: The user name or password does not open this backup. It is a backup of "
                             "another unit: use an account of that unit, with its password as it was when the "
                             "backup was made. Tried as user 'boss': --user NAME chooses another.")
    # Its own unit, a password it never had:
    code, _, err = kw("restore", "--from", str(backup), "--db", str(db_path), password="Not-The-Password-1")
    assert code == 1 and one_line(err).startswith(
        "error: The user name or password does not open this backup: use an account and password as they "
        "were when the backup was made.")


# -- dates ---------------------------------------------------------------------------------------------
def test_date_errors_name_the_option_without_a_stray_full_stop(kw, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = kw("report", "declines", "--from", "31/02/2026", "--to", "soon", "--db", str(db_path))
    assert code == 2
    assert one_line(err) == ("main.py: error: --from: '31/02/2026' is not a date (write it as dd/mm/yyyy, "
                             "e.g. 31/03/2026); --to: 'soon' is not a date (write it as dd/mm/yyyy, e.g. 31/03/2026)")


# -- the desktop app without a display ---------------------------------------------------------------------
@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="X11/Wayland systems only")
@pytest.mark.parametrize("args", [(), ("--demo",)], ids=["app", "demo app"])
def test_the_app_without_a_display_says_so_in_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT)}  # no DISPLAY, WAYLAND_DISPLAY or QT_QPA_PLATFORM
    res = subprocess.run([sys.executable, str(MAIN), *args], env=env, cwd=str(tmp_path), capture_output=True,
                         text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.strip() == (
        "main.py: error: no display to show the app on. Start it from a desktop session (a graphical login, "
        "not SSH or a text console); the commands work without one: python main.py --help")
    assert not (tmp_path / ".local").exists()  # nothing created: no demo unit, no data folder
