"""The benchmark unit: a demo unit with years of history, built once per (residents, years, seed)
and kept in a cache folder, so a second run of the suite starts measuring at once.

The cache key includes the schema head and GENERATOR_VERSION: a unit built by an older generator
or for an older schema is rebuilt, never measured by mistake. Units are written under a temporary
name and renamed into place (keyworker.demo.unit), so a build that is killed leaves nothing."""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Bump when what the generator writes changes, so cached units are rebuilt.
GENERATOR_VERSION = 2
# The tables the report counts (one query): what a unit with years of history is made of.
COUNTED = ("residents", "admissions", "referrals", "care_plans", "care_plan_versions", "reviews",
           "risk_assessments", "risk_assessment_versions", "star_readings", "tops", "discharges",
           "follow_ups", "incidents", "key_work_sessions", "case_notes", "contacts", "documents", "audit_log")
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
    `rebuild` is asked. `progress(done, total)` is called while it builds (about every 0.1%),
    ending with done == total. Built by the demo generator with `years` of history
    (keyworker.demo.populate); under a temporary name, so a killed build leaves nothing at the path."""
    import time

    from keyworker.db.migrate import head_revision
    from keyworker.demo import create_demo
    from keyworker.reports.files import write_private

    if residents < 1 or years < 1:
        raise ValueError("The benchmark unit needs at least one resident and one year.")
    folder = cache or cache_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"unit-r{residents}-y{years}-s{seed}-g{GENERATOR_VERSION}-{head_revision()}.db"
    counts_file = path.with_name(path.name + ".counts.json")
    built: float | None = None
    counts: dict[str, int] | None = None
    if rebuild or not path.exists():
        counts_file.unlink(missing_ok=True)
        t = time.perf_counter()
        create_demo(path, residents, seed, PASSWORD, progress=progress, force=True, years=years)
        built = time.perf_counter() - t
    else:
        try:
            counts = {str(k): int(v) for k, v in json.loads(counts_file.read_text(encoding="utf-8")).items()}
        except (OSError, ValueError, AttributeError):
            counts = None  # counted again below
    if counts is None:
        # Counted once, as built (signing in to count is itself one audit entry), kept beside the
        # unit: a cached unit is not signed in to again just to be counted.
        counts = count_rows(path)
        write_private(counts_file, json.dumps(counts, indent=1).encode())
    return BenchUnit(path=path, password=PASSWORD, residents=residents, years=years, seed=seed,
                     built_seconds=built, counts=counts)


def count_rows(path: Path) -> dict[str, int]:
    """Rows in each COUNTED table of the unit at `path`, in one query (signed in as its
    administrator, which the audit trail records like any sign-in)."""
    from sqlalchemy import text

    from keyworker.casebook import Casebook

    book = Casebook.open(path, "admin", PASSWORD)
    try:
        query = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in COUNTED)
        with book._read() as s:
            return {name: int(n) for name, n in s.execute(text(query)).tuples()}
    finally:
        book.close()
