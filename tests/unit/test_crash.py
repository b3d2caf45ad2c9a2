"""SIGKILL in the middle of a burst of writes: after reopening, every write the process reported as
committed is there, each transaction is whole (its change and its audit entry, or neither), and
SQLite's integrity check and the audit chain pass."""
from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from keyworker.casebook import Casebook
from keyworker.db.foundation import AuditEntry, Setting
from keyworker.security.vault import FAST_KDF
from tests.conftest import ADMIN_PW

ROOT = Path(__file__).resolve().parents[2]

WRITER = r"""
import os, sys
from pathlib import Path
from keyworker.casebook import Casebook
from keyworker.security.vault import FAST_KDF
from keyworker.settings import set_setting

book = Casebook.open(Path(sys.argv[1]), "admin", os.environ["KEYWORKER_PASSWORD"], kdf=FAST_KDF)
print("ready", flush=True)
for i in range(100000):
    with book._write() as s:
        set_setting(s, f"crash.{i}", "x" * (i % 700))
        book._record(s, "crash.write", "setting", None, detail={"i": i, "pad": "y" * (i % 900)})
    print(i, flush=True)  # only after the commit returned
"""


def _burst_then_kill(db_path: Path, tmp_path: Path, kill_after: int) -> list[int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWORKER_")}
    env.update(KEYWORKER_PASSWORD=ADMIN_PW, KEYWORKER_DEVICE_ID="0196a000-0000-7000-8000-0000000000e1",
               HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db_path)], env=env, cwd=str(ROOT),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    committed: list[int] = []
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    try:
        while len(committed) < kill_after and time.monotonic() < deadline:
            if not sel.select(timeout=max(deadline - time.monotonic(), 0.01)):
                continue
            line = proc.stdout.readline()
            if not line:
                break
            if line.strip().isdigit():
                committed.append(int(line))
        os.kill(proc.pid, signal.SIGKILL)  # mid-burst: the writer is already in its next transaction
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    committed += [int(x) for x in rest.split() if x.isdigit()]
    assert proc.returncode == -signal.SIGKILL, err[-2000:]
    assert len(committed) >= kill_after, f"the writer stopped early: {err[-2000:]}"
    return committed


@pytest.mark.parametrize("kill_after", [25, 180])
def test_sigkill_mid_burst_loses_no_committed_write(db_path: Path, tmp_path: Path, kill_after: int) -> None:
    committed = _burst_then_kill(db_path, tmp_path, kill_after)
    assert Path(f"{db_path}-wal").exists()  # killed with its WAL open: recovery happens on reopen
    book = Casebook.open(db_path, "admin", ADMIN_PW, kdf=FAST_KDF)
    try:
        with book._read() as s:
            assert s.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
            settings = {int(k.split(".")[1]) for k in s.scalars(select(Setting.key).where(Setting.key.like("crash.%")))}
            audited = {json.loads(d)["i"] for d in
                       s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "crash.write"))}
        assert set(committed) <= settings
        assert settings == audited  # each transaction whole: its change and its audit entry together
        # at most the one transaction that committed after the last line was printed
        assert len(settings - set(committed)) <= 1
        assert settings == set(range(len(settings)))
        report = book.check()
        assert report["ok"], report
    finally:
        book.close()


def test_two_kills_in_a_row_then_a_clean_run(db_path: Path, tmp_path: Path) -> None:
    first = _burst_then_kill(db_path, tmp_path, 15)
    # the writer starts again from i=0 and upserts the same keys: the unit must open after a kill
    second = _burst_then_kill(db_path, tmp_path, 15)
    assert first and second
    book = Casebook.open(db_path, "admin", ADMIN_PW, kdf=FAST_KDF)
    try:
        assert book.check()["ok"]
    finally:
        book.close()
