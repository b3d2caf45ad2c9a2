"""Run Keyworker code in a real separate process (another copy of the app on the same unit)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRELUDE = r"""
import os, sys
from datetime import datetime
from pathlib import Path
from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.security.permissions import Role
from keyworker.security.vault import FAST_KDF
db = Path(sys.argv[1])
clock = FixedClock(datetime(2026, 1, 5, 9, 0))
def acct(book, name):
    return next(a for a in book.accounts.list() if a.username == name)
"""


def run_elsewhere(db_path: Path, tmp_path: Path, code: str, *, crash_at: str | None = None,
                  ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWORKER_")}
    env.update(KEYWORKER_DEVICE_ID="0196a000-0000-7000-8000-0000000000e2", HOME=str(tmp_path / "home"),
               PYTHONPATH=str(ROOT))
    if crash_at:
        env["KEYWORKER_TEST_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, "-c", PRELUDE + code, str(db_path)], env=env, cwd=str(ROOT),
                          capture_output=True, text=True, timeout=120)
