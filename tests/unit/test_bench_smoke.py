"""`python -m keyworker.bench` at a tiny size, so the suite cannot rot: every figure is measured
(no timing is judged here: budgets are for the benchmark unit, docs/BENCHMARKS.md), the JSON,
the comparison, the scale report and the README section come out as a reader needs them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from keyworker.bench import measures, report
from tests.unit.test_cli import ROOT

RESIDENTS = 12


def bench(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KEYWORKER_BENCH_CACHE": str(tmp / "cache"), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "keyworker.bench", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("bench-smoke")
    readme = tmp / "README.md"
    readme.write_text(f"# Unit\n\n## Performance\n\n{report.README_START}\nold\n{report.README_END}\n\nafter\n")
    res = bench(tmp, "--residents", str(RESIDENTS), "--years", "1", "--quick", "--json", str(tmp / "run.json"),
                "--readme", str(readme))
    return tmp, res


def test_every_figure_is_measured_and_written(first_run) -> None:  # type: ignore[no-untyped-def]
    tmp, res = first_run
    assert res.returncode in (0, 1), res.stderr[-2000:]  # 1 = a budget missed: possible on a busy machine
    data = json.loads((tmp / "run.json").read_text())
    assert (tmp / "run.json").stat().st_mode & 0o777 == 0o600
    assert list(data["figures"]) == [f.key for f in measures.FIGURES]
    for key, fig in data["figures"].items():
        assert "error" not in fig, (key, fig.get("error"))
        assert fig["runs"] >= 1 and fig["median"] > 0 and fig["p95"] >= fig["median"], key
        assert len(fig["samples"]) == fig["runs"]
    assert data["unit"]["residents"] == RESIDENTS and data["unit"]["counts"]["audit_log"] > 0
    assert data["machine"]["cpus"] >= 1 and data["machine"]["sqlcipher"]
    assert data["figures"]["check"]["note"].startswith("incremental")
    for f in measures.FIGURES:  # the table names every figure with its verdict
        assert f.name in res.stdout
    assert "figures within budget" in res.stdout
    # the working copies are gone; only the cached unit (database, vault, counts and their locks) is left
    left = list((tmp / "cache").iterdir())
    assert all(p.is_file() and p.name.startswith("unit-r12-y1-") for p in left), left
    assert {".db", ".json", ".vault"} <= {p.suffix for p in left}


def test_readme_section_is_rewritten_between_its_markers(first_run) -> None:  # type: ignore[no-untyped-def]
    tmp, _ = first_run
    text = (tmp / "README.md").read_text()
    assert text.startswith("# Unit\n\n## Performance\n\n") and text.endswith("\n\nafter\n")
    assert "\nold\n" not in text
    assert f"{RESIDENTS:,} residents with 1 years of history" in text
    for f in measures.FIGURES:
        assert f"| {f.name} |" in text


def test_compare_from_an_earlier_run(first_run) -> None:  # type: ignore[no-untyped-def]
    tmp, _ = first_run
    res = bench(tmp, "--from", str(tmp / "run.json"), "--compare", str(tmp / "run.json"))
    assert res.returncode in (0, 1), res.stderr
    lines = res.stdout.split("Compared with the run of", 1)[1].splitlines()
    assert sum(1 for ln in lines if ln.rstrip().endswith("same")) == len(measures.FIGURES)
    bad = tmp / "bad.json"
    bad.write_text("{not json")
    res = bench(tmp, "--from", str(bad))
    assert res.returncode == 2 and "is not a benchmark result" in res.stderr and "Traceback" not in res.stderr


def test_scale_reports_growth(tmp_path: Path) -> None:
    res = bench(tmp_path, "--quick", "--residents", "6", "--years", "1", "--only", "reviews_due", "--scale",
                "--scale-sizes", "6,18")
    assert res.returncode in (0, 1), res.stderr[-2000:]
    assert "6 residents" in res.stdout and "18 residents" in res.stdout and "slope" in res.stdout
    for _key, name, _fn in measures.SCALE_FIGURES:
        assert any(ln.startswith(name) and ln.rstrip().endswith(("ok", "grows faster than the data"))
                   for ln in res.stdout.splitlines()), name


def test_unknown_figure_is_a_usage_error(tmp_path: Path) -> None:
    res = bench(tmp_path, "--only", "speed_of_light")
    assert res.returncode != 0 and "no figure called speed_of_light" in res.stderr


def test_slope_verdict_and_compare_words() -> None:
    assert report.slope([(1000, 1.0), (10000, 10.0), (100000, 100.0)]) == 1.0
    assert report.slope([(1000, 1.0), (10000, 100.0)]) == 2.0
    assert report.slope([(1000, 5.0)]) is None
    fig = {"name": "x", "unit": "ms", "budget": 10.0, "median": 8.0, "p95": 11.0}
    assert report.verdict(fig) == "FAIL" and report.verdict({**fig, "p95": 9.0}) == "pass"
    assert report.verdict({**fig, "budget": None}) == "" and report.verdict({**fig, "error": "boom"}) == "error"
    old = {"date": "d", "figures": {"a": {**fig, "median": 10.0}, "b": {**fig, "median": 10.0},
                                    "c": {**fig, "median": 10.0}}}
    new = {"figures": {"a": {**fig, "median": 10.5}, "b": {**fig, "median": 15.0}, "c": {**fig, "median": 5.0}}}
    words = [ln.split()[-1] for ln in report.compare(old, new).splitlines()[3:]]
    assert words == ["same", "slower", "faster"]


def test_readme_without_markers_is_refused(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n")
    with pytest.raises(ValueError, match="no <!-- bench:start -->"):
        report.update_readme(readme, {"figures": {}})
    assert readme.read_text() == "# no markers\n"
