"""The domain core type-checks (STYLE.md: annotate everything, mypy on keyworker/)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_keyworker_passes_mypy() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy", "keyworker"], cwd=ROOT, capture_output=True,
                            text=True, timeout=170)
    assert result.returncode == 0, result.stdout[-3000:]
