"""What the 20,000-resident benchmarks share: the demo unit they build once, and a timer."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# The demo password is used unless KEYWORKER_PASSWORD is set (it is passed to `main.py demo`).
PASSWORD = os.environ.get("KEYWORKER_PASSWORD") or "Bench-Lantern-Orchard-93"


def build(db: Path, residents: int) -> None:
    """Create the demo unit with `main.py demo` (residents, plans, reviews) unless it exists."""
    db.parent.mkdir(parents=True, exist_ok=True)
    print(f"building {db} with {residents} residents (once) ...", flush=True)
    t = time.perf_counter()
    env = {**os.environ, "KEYWORKER_PASSWORD": PASSWORD}
    subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", "--residents", str(residents), "--db", str(db)],
                   check=True, env=env, cwd=ROOT)
    print(f"built in {time.perf_counter() - t:.1f} s", flush=True)


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[list[float], Any]:
    """Milliseconds for each of `repeat` calls, and the last call's result."""
    out: list[float] = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - t) * 1000)
    return out, result


def print_profile(fn: Callable[[], Any], lines: int = 30) -> None:
    """One call of `fn` under cProfile, the `lines` costliest by cumulative time (for --profile)."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.runcall(fn)
    pstats.Stats(prof).sort_stats("cumulative").print_stats(lines)
