"""`demo` only ever touches a demo unit: its default file is the demo's own, `--overwrite` (once
`--force`, still accepted) refuses a real unit, and a build killed part-way (a real process,
killed) leaves nothing at the demo's name."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from keyworker.casebook import Casebook
from keyworker.demo import DEMO_PASSWORD
from keyworker.security.vault import FAST_KDF, vault_path_for
from tests.unit.test_cli import ROOT, assert_one_line_error, run

BUILD_AND_WAIT = r"""
import sys
from pathlib import Path
from keyworker.demo import DEMO_PASSWORD, create_demo
from keyworker.security.vault import FAST_KDF
def progress(done, total):
    print("step", done, flush=True)
    sys.stdin.readline()  # held here, part-way, until the test kills this process
create_demo(Path(sys.argv[1]), 20, 7, DEMO_PASSWORD, kdf=FAST_KDF, progress=progress)
"""

HOLD_OPEN = r"""
import sys
from keyworker.casebook import Casebook
book = Casebook.open(sys.argv[1], "worker", sys.argv[2])
print("open", flush=True)
sys.stdin.readline()
book.close()
"""


def _unit_files(db: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (db, vault_path_for(db)) if p.exists()}


def _residents(tmp_path: Path, db: Path) -> int:
    res = run(tmp_path, "check", "--json", "--db", str(db), password=DEMO_PASSWORD)
    assert res.returncode == 0, res.stderr
    return int(json.loads(res.stdout)["residents"])


def _real_unit_in_profile(tmp_path: Path, db_path: Path) -> Path:
    real = tmp_path / "home" / "data" / "keyworker" / "unit.kwdb"
    real.parent.mkdir(parents=True)
    shutil.copy(db_path, real)
    shutil.copy(vault_path_for(db_path), vault_path_for(real))
    return real


def test_demo_force_without_db_never_touches_the_real_unit(tmp_path: Path, db_path: Path) -> None:
    real = _real_unit_in_profile(tmp_path, db_path)
    before = _unit_files(real)
    for extra in ({}, {"KEYWORKER_DB": str(real)}):  # the default path, and KEYWORKER_DB naming the real unit
        res = run(tmp_path, "demo", "--force", "--residents", "0", password=None, extra_env=extra)
        assert res.returncode == 0, res.stderr
        assert _unit_files(real) == before
    demo = real.with_name("demo.kwdb")
    assert f"Created demo unit {demo}" in res.stdout
    assert json.loads(vault_path_for(demo).read_text())["demo"] is True
    book = Casebook.open(demo, "admin", DEMO_PASSWORD, kdf=FAST_KDF)
    try:
        with book._read() as s:
            assert s.execute(text("SELECT value FROM settings WHERE key = 'demo'")).scalar() == "true"
    finally:
        book.close()


def test_demo_force_on_a_real_unit_is_refused(tmp_path: Path, db_path: Path) -> None:
    before = _unit_files(db_path)
    res = run(tmp_path, "demo", "--overwrite", "--residents", "0", "--db", str(db_path))
    assert_one_line_error(res, 1, f"{db_path} is a real unit, not a demo: demo --overwrite only replaces a demo unit.")
    assert _unit_files(db_path) == before
    assert not [p.name for p in db_path.parent.iterdir() if ".building-" in p.name]


def test_demo_force_replaces_a_demo_unit_but_not_while_it_is_open(tmp_path: Path) -> None:
    demo = tmp_path / "demo.kwdb"
    assert run(tmp_path, "demo", "--residents", "2", "--db", str(demo), password=None).returncode == 0
    assert_one_line_error(run(tmp_path, "demo", "--residents", "0", "--db", str(demo), password=None), 1,
                          "already exists. Add --overwrite to replace it.")
    child = subprocess.Popen([sys.executable, "-c", HOLD_OPEN, str(demo), DEMO_PASSWORD], cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "open"
        res = run(tmp_path, "demo", "--force", "--residents", "3", "--db", str(demo), password=None)
        assert_one_line_error(res, 1, "demo.kwdb is open in another Keyworker window or process")
        child.stdin.write("\n")
        child.stdin.flush()
    finally:
        child.communicate(timeout=60)
    assert _residents(tmp_path, demo) == 2
    res = run(tmp_path, "demo", "--force", "--residents", "3", "--db", str(demo), password=None)
    assert res.returncode == 0, res.stderr
    assert _residents(tmp_path, demo) == 3
    assert not [p.name for p in tmp_path.iterdir() if ".building-" in p.name]


def test_a_demo_build_killed_part_way_leaves_no_unit_and_the_next_build_is_whole(tmp_path: Path) -> None:
    demo = tmp_path / "demo.kwdb"
    child = subprocess.Popen([sys.executable, "-c", BUILD_AND_WAIT, str(demo)], cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().startswith("step"), child.stderr.read() if child.stderr else ""
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert not demo.exists() and not vault_path_for(demo).exists()  # `--demo` would build a new one
    assert [p for p in tmp_path.iterdir() if ".building-" in p.name]  # the killed build, under its own name
    res = run(tmp_path, "demo", "--residents", "4", "--db", str(demo), password=None)
    assert res.returncode == 0, res.stderr
    assert _residents(tmp_path, demo) == 4
    assert not [p.name for p in tmp_path.iterdir() if ".building-" in p.name]  # the stale build was cleaned up


def test_a_demo_killed_while_being_put_in_place_is_rebuilt_next_time(tmp_path: Path) -> None:
    demo = tmp_path / "demo.kwdb"
    code = ("import sys\nfrom pathlib import Path\nfrom keyworker.demo import DEMO_PASSWORD, create_demo\n"
            "from keyworker.security.vault import FAST_KDF\n"
            "create_demo(Path(sys.argv[1]), 0, 7, DEMO_PASSWORD, kdf=FAST_KDF)\n")
    res = subprocess.run([sys.executable, "-c", code, str(demo)], cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT), KEYWORKER_TEST_DIE_AT="demo:vault-placed"),
                         timeout=120)
    assert res.returncode == 86, res.stderr  # died between putting the vault and the database in place
    assert not demo.exists()  # its vault alone is no unit: the start-up check sees none
    res = run(tmp_path, "demo", "--residents", "1", "--db", str(demo), password=None)
    assert res.returncode == 0, res.stderr
    assert _residents(tmp_path, demo) == 1
