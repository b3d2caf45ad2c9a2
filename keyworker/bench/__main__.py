"""`python -m keyworker.bench`: the whole product's speed in one table.

    python -m keyworker.bench [--residents 20000] [--years 5] [--json FILE] [--compare OLD.json]
                              [--quick] [--only KEY,...] [--scale] [--readme] [--from FILE]

Builds (or reuses, cached by size, years and seed: keyworker/bench/unit.py) the benchmark unit,
measures every figure of keyworker/bench/measures.py FIGURES on a working copy with repeated runs,
prints the table against each budget and, as asked, writes the JSON, compares it with an older
run, measures how the --scale figures grow and rewrites the README's Performance section.
Exit status: 0 when every judged figure is within its budget, 1 when one is not or could not be
measured, 2 for a usage error. docs/BENCHMARKS.md says what each figure is."""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from keyworker.bench import measures, report
from keyworker.bench.unit import SEED, BenchUnit, ensure_unit

QUICK_REPEATS = 2
SCALE_SIZES = (2000, 20000, 100000)


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, one line per tenth in a log."""

    def __init__(self, label: str) -> None:
        self.label, self.start, self.tty, self.shown = label, time.monotonic(), sys.stderr.isatty(), -1

    def __call__(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        elapsed = time.monotonic() - self.start
        if self.tty:
            bar = "#" * int(share * 30)
            sys.stderr.write(f"\r{self.label} [{bar:<30}] {share:4.0%} {elapsed:5.0f} s")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif int(share * 10) > self.shown:
            self.shown = int(share * 10)
            report.stderr(f"{self.label}: {share:.0%} after {elapsed:.0f} s")


def _unit(residents: int, years: int, seed: int, rebuild: bool) -> BenchUnit:
    label = f"building the benchmark unit ({residents:,} residents, {years} years; once, then cached)"
    unit = ensure_unit(residents, years, seed, progress=Progress(label), rebuild=rebuild)
    if unit.built_seconds is not None:
        report.stderr(f"built in {unit.built_seconds:.0f} s: {unit.path}")
    return unit


def _measure(unit: BenchUnit, figures: list[measures.Figure], repeats: int) -> dict[str, dict[str, Any]]:
    """Each figure on one working copy of the unit (deleted after), in the order of FIGURES."""
    out: dict[str, dict[str, Any]] = {}
    with measures.temp_folder() as tmp:
        folder = Path(tmp)
        run = measures.Run(measures.working_copy(unit, folder), folder, repeats)
        try:
            for i, fig in enumerate(figures, 1):
                report.stderr(f"[{i}/{len(figures)}] {fig.name} …")
                entry: dict[str, Any] = {"name": fig.name, "unit": fig.unit, "budget": fig.budget,
                                         "budget_source": fig.source}
                t = time.monotonic()
                try:
                    samples = fig.measure(run)
                except Exception as e:  # noqa: BLE001 - one figure failing must not lose the others
                    entry["error"] = f"{type(e).__name__}: {e}"[:400]
                else:
                    entry.update(measures.summarise(samples), samples=[round(x, 3) for x in samples])
                if fig.key in run.notes:
                    entry["note"] = run.notes[fig.key]
                entry["seconds"] = round(time.monotonic() - t, 1)
                out[fig.key] = entry
                report.stderr(f"      {report.fmt(entry.get('median'), fig.unit)} median"
                              f"{'  ' + report.verdict(entry) if report.verdict(entry) else ''}"
                              f"{'  (' + entry['note'] + ')' if entry.get('note') else ''}"
                              f"{'  ' + entry['error'] if entry.get('error') else ''}")
        finally:
            run.close()
    return out


def _scale(sizes: list[int], years: int, seed: int, repeats: int, rebuild: bool) -> dict[str, Any]:
    figures: dict[str, dict[str, Any]] = {
        key: {"name": name, "medians": {}} for key, name, _ in measures.SCALE_FIGURES}
    for n in sizes:
        unit = _unit(n, years, seed, rebuild)
        with measures.temp_folder() as tmp:
            run = measures.Run(measures.working_copy(unit, Path(tmp)), Path(tmp), repeats)
            try:
                for key, _name, fn in measures.SCALE_FIGURES:
                    report.stderr(f"scale {n:,}: {figures[key]['name']} …")
                    try:
                        figures[key]["medians"][str(n)] = measures.summarise(fn(run))["median"]
                    except Exception as e:  # noqa: BLE001
                        figures[key].setdefault("errors", {})[str(n)] = f"{type(e).__name__}: {e}"[:400]
            finally:
                run.close()
    for f in figures.values():
        f["slope"] = report.slope([(int(n), m) for n, m in f["medians"].items()])
    return {"sizes": sizes, "years": years, "figures": figures}


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m keyworker.bench", description=__doc__.split("\n\n")[0],
                                 epilog="Every figure, its budget and how it is measured: docs/BENCHMARKS.md.")
    ap.add_argument("--residents", type=int, default=20000, help="size of the benchmark unit (default 20,000)")
    ap.add_argument("--years", type=int, default=5, help="years of history in the unit (default 5)")
    ap.add_argument("--seed", type=int, default=SEED, help=argparse.SUPPRESS)
    ap.add_argument("--repeats", type=int, default=7, help="runs per figure (default 7; --quick: 2)")
    ap.add_argument("--quick", action="store_true", help="two runs per figure: a quick look, not a judgement")
    ap.add_argument("--only", metavar="KEY,...", help="measure only these figures: "
                    + ", ".join(f.key for f in measures.FIGURES))
    ap.add_argument("--json", type=Path, metavar="FILE", help="write the run (figures, samples, machine, date)")
    ap.add_argument("--compare", type=Path, metavar="OLD.json", help="print the change per figure from an older run")
    ap.add_argument("--scale", action="store_true", help="measure search, Reviews due and the NDTMS export at "
                    "2,000 / 20,000 / 100,000 residents and report how each grows")
    ap.add_argument("--scale-sizes", metavar="N,N,...", help=argparse.SUPPRESS)
    ap.add_argument("--readme", nargs="?", type=Path, const=measures.ROOT / "README.md", metavar="FILE",
                    help="rewrite the Performance section of the README (or FILE) from this run")
    ap.add_argument("--from", dest="source", type=Path, metavar="FILE",
                    help="measure nothing: report (and --compare, --readme) an earlier run's JSON")
    ap.add_argument("--rebuild", action="store_true", help="build the benchmark unit again even if it is cached")
    return ap


def _figures(only: str | None) -> list[measures.Figure]:
    if not only:
        return list(measures.FIGURES)
    keys = [k.strip() for k in only.split(",") if k.strip()]
    unknown = [k for k in keys if k not in measures.BY_KEY]
    if unknown:
        raise SystemExit(f"python -m keyworker.bench: error: no figure called {', '.join(unknown)} "
                         f"(the figures: {', '.join(measures.BY_KEY)})")
    return [f for f in measures.FIGURES if f.key in keys]


def main(argv: list[str] | None = None) -> int:
    ap = _parser()
    args = ap.parse_args(argv)
    if args.residents < 1 or args.years < 1 or args.repeats < 1:
        ap.error("--residents, --years and --repeats must be 1 or more")
    old = None
    try:
        old = report.load(args.compare) if args.compare else None
        result = report.load(args.source) if args.source else None
    except ValueError as e:
        ap.error(str(e))
    if result is None:
        figures = _figures(args.only)
        repeats = QUICK_REPEATS if args.quick else args.repeats
        free = shutil.disk_usage(measures.ROOT).free
        unit = _unit(args.residents, args.years, args.seed, args.rebuild)
        if unit.path.stat().st_size * 2.2 > free:
            report.stderr("warning: the working copies need about twice the unit's size in free space")
        result = {"schema": report.SCHEMA, "date": report.now_iso(), "commit": report.git_commit(measures.ROOT),
                  "machine": report.machine(), "repeats": repeats,
                  "unit": {"residents": unit.residents, "years": unit.years, "seed": unit.seed,
                           "built_seconds": unit.built_seconds, "counts": unit.counts},
                  "figures": _measure(unit, figures, repeats)}
        if args.scale:
            sizes = [int(x) for x in args.scale_sizes.split(",")] if args.scale_sizes else list(SCALE_SIZES)
            result["scale"] = _scale(sizes, args.years, args.seed, repeats, args.rebuild)
    print(report.table(result["figures"].values()))
    print(report.summary_line(result))
    if result.get("scale"):
        print()
        print(report.scale_table(result["scale"]))
    if old is not None:
        print()
        print(report.compare(old, result))
    if args.json and not args.source:
        report.write_json(result, args.json)
        print(f"\nWritten {args.json}")
    if args.readme:
        try:
            report.update_readme(args.readme, result)
        except (OSError, ValueError) as e:
            report.stderr(str(e))
            return 2
        print(f"Performance section of {args.readme} rewritten")
    bad = [f for f in result["figures"].values() if report.verdict(f) in ("FAIL", "error")]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
