"""The benchmark unit (keyworker.bench.unit): built once with years of history by the demo
generator, cached by size, seed, generator and schema, counted, and never left half-built."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from keyworker.audit_words import is_view
from keyworker.bench import unit as bench
from keyworker.casebook import Casebook
from keyworker.db.caseload import Admission, Resident
from keyworker.db.discharges import Discharge
from keyworker.db.foundation import AuditEntry
from keyworker.db.risk import RiskAssessment
from keyworker.demo import DEMO_PASSWORD
from keyworker.security.audit import verify
from tests.unit.test_cli import ROOT, run

RESIDENTS, YEARS = 60, 3


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[bench.BenchUnit, list[tuple[int, int]]]:
    seen: list[tuple[int, int]] = []
    unit = bench.ensure_unit(RESIDENTS, YEARS, cache=tmp_path_factory.mktemp("bench"),
                             progress=lambda done, total: seen.append((done, total)))
    return unit, seen


def _open(unit: bench.BenchUnit, who: str = "manager") -> Casebook:
    return Casebook.open(unit.path, who, unit.password)


def test_it_builds_with_progress_to_the_end(built: tuple[bench.BenchUnit, list[tuple[int, int]]]) -> None:
    unit, seen = built
    assert unit.built_seconds is not None and unit.built_seconds > 0
    assert (unit.residents, unit.years, unit.seed) == (RESIDENTS, YEARS, bench.SEED)
    assert unit.path.exists() and f"-y{YEARS}-" in unit.path.name and f"-g{bench.GENERATOR_VERSION}-" in unit.path.name
    assert seen[-1] == (1000, 1000) and all(total == 1000 for _, total in seen)
    done = [d for d, _ in seen]
    assert done == sorted(set(done)) and len(done) > 20  # moving forward, many steps, never back
    assert oct(unit.path.stat().st_mode & 0o777) == oct(0o600)


def test_counts_match_the_tables(built: tuple[bench.BenchUnit, list[tuple[int, int]]]) -> None:
    unit, _ = built
    assert set(unit.counts) == set(bench.COUNTED)
    book = _open(unit, "admin")
    try:
        with book._read() as s:
            assert unit.counts["residents"] == s.scalar(select(func.count()).select_from(Resident)) == RESIDENTS
            assert unit.counts["admissions"] == s.scalar(select(func.count()).select_from(Admission))
            assert unit.counts["discharges"] == s.scalar(select(func.count()).select_from(Discharge))
            assert unit.counts["risk_assessments"] == s.scalar(select(func.count()).select_from(RiskAssessment))
            # Counted as built: one entry more now for this sign-in.
            assert unit.counts["audit_log"] == s.scalar(select(func.count()).select_from(AuditEntry)) - 1
            for table in ("reviews", "star_readings", "tops", "key_work_sessions"):
                assert unit.counts[table] == s.execute(text(f"SELECT count(*) FROM {table}")).scalar() > 0
    finally:
        book.close()


def test_years_of_history_with_returning_residents(built: tuple[bench.BenchUnit, list[tuple[int, int]]]) -> None:
    unit, _ = built
    book = _open(unit)
    try:
        with book._read() as s:
            adms = s.execute(select(Admission.resident_id, Admission.admitted_on, Admission.discharged_on)
                             .order_by(Admission.resident_id, Admission.admitted_on)).all()
            ended = s.scalar(select(func.count()).select_from(Admission).where(Admission.discharged_on.is_not(None)))
            discharged = s.scalar(select(func.count(func.distinct(Discharge.admission_id))).where(Discharge.ends_stay.is_(True)))
            actions = Counter(dict(s.execute(select(AuditEntry.action, func.count()).group_by(AuditEntry.action))
                                   .tuples().all()))
            first = s.scalar(select(func.min(Admission.admitted_on)))
    finally:
        book.close()
    stays = Counter(a.resident_id for a in adms)
    assert sum(1 for n in stays.values() if n > 1) >= RESIDENTS // 20  # second and third stays
    by_resident: dict[str, list] = {}
    for a in adms:
        by_resident.setdefault(a.resident_id, []).append(a)
    for rows in by_resident.values():
        assert all(r.discharged_on is not None for r in rows[:-1])  # only the latest stay can be current
        assert all(a.discharged_on < b.admitted_on for a, b in zip(rows, rows[1:], strict=False))  # never overlapping
    assert discharged == ended  # every ended stay has its discharge
    assert first is not None and (date.today() - first).days > 365 * (YEARS - 1)  # years back
    # More of a real unit's audit is opening residents' records than any change; and the staff sign
    # in day by day (at this tiny size the sign-ins outnumber the views: at 20,000 residents, not).
    views = sum(n for action, n in actions.items() if is_view(action))
    assert views > max(n for action, n in actions.items() if not is_view(action) and action not in ("sign_in", "unlock"))
    assert actions["sign_in"] > 365 * YEARS and actions["unlock"] > 0 and actions["review.record"] > 0


def test_the_audit_chain_verifies_and_check_agrees(built: tuple[bench.BenchUnit, list[tuple[int, int]]]) -> None:
    unit, _ = built
    book = _open(unit, "admin")
    try:
        with book._read() as s:
            assert verify(s).ok
            times = s.scalars(select(AuditEntry.at).order_by(AuditEntry.seq)).all()
        report = book.check()
    finally:
        book.close()
    # After the build's own entries (the unit made, each batch summed up: now), the history goes in
    # the order things happened.
    past = [t for t in times if t < times[0]]
    assert len(past) > len(times) * 0.9 and past == sorted(past)
    assert report["ok"] and report["integrity"] == "ok" and report["audit_chain"]["ok"]
    assert report["residents"] == RESIDENTS


def test_second_call_reuses_and_a_new_generator_or_size_rebuilds(
        built: tuple[bench.BenchUnit, list[tuple[int, int]]], monkeypatch: pytest.MonkeyPatch) -> None:
    unit, _ = built
    again = bench.ensure_unit(RESIDENTS, YEARS, cache=unit.path.parent, progress=lambda d, t: pytest.fail("built"))
    assert again.built_seconds is None and again.path == unit.path and again.counts == unit.counts
    monkeypatch.setattr(bench, "GENERATOR_VERSION", bench.GENERATOR_VERSION + 1)
    newer = bench.ensure_unit(20, 1, cache=unit.path.parent)
    assert newer.built_seconds is not None and newer.path != unit.path and newer.path.exists()
    fewer_years = bench.ensure_unit(20, 2, cache=unit.path.parent)
    assert fewer_years.built_seconds is not None and fewer_years.path not in (unit.path, newer.path)
    assert bench.ensure_unit(20, 1, cache=unit.path.parent).built_seconds is None
    assert bench.ensure_unit(20, 1, cache=unit.path.parent, rebuild=True).built_seconds is not None


BUILD_AND_WAIT = r"""
import sys
from pathlib import Path
from keyworker.bench.unit import ensure_unit
def progress(done, total):
    if done >= 300:
        print("step", done, flush=True)
        sys.stdin.readline()  # held here, part-way, until the test kills this process
ensure_unit(40, 2, cache=Path(sys.argv[1]), progress=progress)
"""


def test_a_killed_build_leaves_nothing_at_the_path(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KEYWORKER_OUTBOX_WORKER": "off"}
    proc = subprocess.Popen([sys.executable, "-c", BUILD_AND_WAIT, str(tmp_path)], cwd=ROOT, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith("step")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not list(tmp_path.glob("unit-*"))  # only the temporary build, under another name
    unit = bench.ensure_unit(40, 2, cache=tmp_path)  # and the next run builds it whole
    assert unit.built_seconds is not None and unit.counts["residents"] == 40
    assert not [p for p in tmp_path.iterdir() if ".building-" in p.name]


def test_main_py_demo_years_builds_a_unit_that_checks_ok(tmp_path: Path) -> None:
    db = tmp_path / "history.kwdb"
    res = run(tmp_path, "demo", "--residents", "12", "--years", "2", "--db", str(db), password=None)
    assert res.returncode == 0, res.stderr
    assert "12 residents and 2 years of history" in res.stdout
    res = run(tmp_path, "check", "--json", "--db", str(db), password=DEMO_PASSWORD)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["ok"] and report["audit_chain"]["ok"] and report["residents"] == 12
    bad = run(tmp_path, "demo", "--residents", "5", "--years", "0", "--db", str(tmp_path / "x.kwdb"), password=None)
    assert bad.returncode != 0 and not (tmp_path / "x.kwdb").exists()
