"""The benchmark unit: a demo unit with years of history, built once per (residents, years, seed)
and kept in a cache folder, so a second run of the suite starts measuring at once.

The cache key includes the schema head and GENERATOR_VERSION: a unit built by an older generator
or for an older schema is rebuilt, never measured by mistake. Units are written under a temporary
name and renamed into place (keyworker.demo.unit), so a build that is killed leaves nothing."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Bump when what the generator writes changes, so cached units are rebuilt.
GENERATOR_VERSION = 1
PASSWORD = os.environ.get("KEYWORKER_BENCH_PASSWORD") or "Bench-Lantern-Orchard-93"
SEED = 16


@dataclass(frozen=True)
class BenchUnit:
    """A built unit and how to sign in to it (the demo accounts share one password)."""

    path: Path
    password: str
    residents: int
    years: int
    seed: int
    senior: str = "manager"
    key_worker: str = "worker"
    out_of_hours: str = "nights"
    admin: str = "admin"
    built_seconds: float | None = None  # None when it came from the cache
    counts: dict[str, int] = field(default_factory=dict)  # rows per table, for the report


def cache_dir() -> Path:
    """KEYWORKER_BENCH_CACHE, else ~/.cache/keyworker-bench."""
    env = os.environ.get("KEYWORKER_BENCH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "keyworker-bench"


def ensure_unit(residents: int, years: int = 5, seed: int = SEED, *, cache: Path | None = None,
                progress: Callable[[int, int], None] | None = None, rebuild: bool = False) -> BenchUnit:
    """The cached unit for (residents, years, seed), built first when it is missing, stale or
    `rebuild` is asked. `progress(done, total)` is called while it builds."""
    import time

    from keyworker.db.migrate import head_revision
    from keyworker.demo import create_demo

    folder = cache or cache_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"unit-r{residents}-y{years}-s{seed}-g{GENERATOR_VERSION}-{head_revision()}.db"
    built: float | None = None
    if rebuild or not path.exists():
        t = time.perf_counter()
        # The plain demo for now; part B1 gives it `years` of history at the volumes.
        create_demo(path, residents, seed, PASSWORD, progress=progress, force=True)
        built = time.perf_counter() - t
    return BenchUnit(path=path, password=PASSWORD, residents=residents, years=years, seed=seed,
                     built_seconds=built)
