"""What `python -m keyworker.bench` prints and keeps: the table (budget, median, p95, pass or
fail), the JSON of a run (with the machine and the date, so two runs can be compared honestly),
the change per figure against an older JSON, the growth of the --scale figures, and the README's
Performance section, generated between two markers so it always says what the last run measured."""
from __future__ import annotations

import json
import math
import os
import platform
import re
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"
# A change smaller than this (in either direction) is reported as noise, not as slower/faster:
# repeated runs on a busy 2-core laptop move by about this much.
NOISE = 0.10
# A figure whose time grows with the data by more than this power (log-log slope) is flagged.
SLOPE_LIMIT = 1.15
SCHEMA = 1


def machine() -> dict[str, Any]:
    """Where the run happened, as a reader needs it to judge the numbers."""
    import sqlcipher3

    cpu = platform.processor() or platform.machine()
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        ram_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    conn = sqlcipher3.connect(":memory:")
    try:
        cipher = conn.execute("PRAGMA cipher_version").fetchone()
    finally:
        conn.close()
    return {"cpu": cpu, "cpus": os.cpu_count(), "ram_gb": ram_gb, "os": platform.platform(terse=True),
            "python": platform.python_version(), "sqlcipher": cipher[0] if cipher else None}


def git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def verdict(fig: dict[str, Any]) -> str:
    """"pass", "FAIL", "error" or "" (measured, no budget). Judged on the p95, the slow case."""
    if fig.get("error"):
        return "error"
    if fig.get("budget") is None or fig.get("p95") is None:
        return ""
    return "pass" if fig["p95"] <= fig["budget"] else "FAIL"


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if value >= 10000:
        return f"{value / 1000:,.1f} s"
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def table(figures: Iterable[dict[str, Any]]) -> str:
    rows = [("figure", "budget", "median", "p95", "runs", "")]
    for f in figures:
        u = f["unit"]
        rows.append((f["name"], fmt(f.get("budget"), u), fmt(f.get("median"), u), fmt(f.get("p95"), u),
                     str(f.get("runs", "")), verdict(f) + (f"  {f['error']}" if f.get("error") else "")))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    out = []
    for i, r in enumerate(rows):
        out.append(f"{r[0]:<{widths[0]}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(r[1:5], widths[1:]))
                   + f"  {r[5]}".rstrip())
        if i == 0:
            out.append("-" * (sum(widths) + 2 * 4 + 6))
    return "\n".join(out)


def summary_line(result: dict[str, Any]) -> str:
    figs = list(result["figures"].values())
    judged = [f for f in figs if verdict(f) in ("pass", "FAIL")]
    failed = [f["name"] for f in figs if verdict(f) == "FAIL"]
    errors = [f["name"] for f in figs if verdict(f) == "error"]
    text = f"{len(judged) - len(failed)} of {len(judged)} figures within budget"
    if failed:
        text += "; over budget: " + ", ".join(failed)
    if errors:
        text += "; could not be measured: " + ", ".join(errors)
    return text


def write_json(result: dict[str, Any], path: Path) -> None:
    """The run as JSON. Timings of a synthetic unit, no health data; written owner-only all the same."""
    from keyworker.reports.files import write_private

    write_private(path, (json.dumps(result, indent=1, sort_keys=False) + "\n").encode())


def load(path: Path) -> dict[str, Any]:
    """A run written by write_json; ValueError with a plain message for anything else."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise ValueError(f"{path} cannot be read: {e.strerror}") from e
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not a benchmark result (not JSON: {e.msg}, line {e.lineno}).") from e
    if not isinstance(data, dict) or not isinstance(data.get("figures"), dict):
        raise ValueError(f"{path} is not a benchmark result written by python -m keyworker.bench.")
    return data


def compare(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The change of each figure's median from `old` to `new`; a change within NOISE is "same"."""
    rows = [("figure", "before", "now", "change", "")]
    for key, f in new["figures"].items():
        o = old["figures"].get(key)
        u = f["unit"]
        if o is None or o.get("median") is None or f.get("median") is None:
            rows.append((f["name"], fmt(o.get("median") if o else None, u), fmt(f.get("median"), u), "", "new"
                         if o is None else "not comparable"))
            continue
        before, now = float(o["median"]), float(f["median"])
        change = (now - before) / before if before else 0.0
        word = "same" if abs(change) <= NOISE else ("slower" if change > 0 else "faster")
        if u in ("MB", "x") and word != "same":
            word = "more" if change > 0 else "less"
        rows.append((f["name"], fmt(before, u), fmt(now, u), f"{change:+.0%}", word))
    for key in [k for k in old["figures"] if k not in new["figures"]]:
        rows.append((old["figures"][key]["name"], fmt(old["figures"][key].get("median"), old["figures"][key]["unit"]),
                     "—", "", "not measured now"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = [f"Compared with the run of {old.get('date', '?')} (commit {old.get('commit') or '?'}, "
           f"{old.get('unit', {}).get('residents', '?')} residents):"]
    if old.get("machine", {}).get("cpu") != new.get("machine", {}).get("cpu"):
        out.append("  note: the two runs were on different machines; compare with care.")
    for i, r in enumerate(rows):
        out.append(f"{r[0]:<{widths[0]}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(r[1:4], widths[1:]))
                   + f"  {r[4]}".rstrip())
        if i == 0:
            out.append("-" * (sum(widths) + 10))
    return "\n".join(out)


# -- --scale ---------------------------------------------------------------------------------------
def slope(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(time) on log(residents): 1 grows with the data, 2 with its square."""
    pts = [(math.log(n), math.log(t)) for n, t in points if n > 0 and t > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return round(sum((x - mx) * (y - my) for x, y in pts) / den, 2) if den else None


def scale_table(scale: dict[str, Any]) -> str:
    sizes = scale["sizes"]
    head = ["figure"] + [f"{n:,} residents" for n in sizes] + ["slope", ""]
    rows = [head]
    for f in scale["figures"].values():
        medians = {int(k): v for k, v in f["medians"].items()}
        s = f.get("slope")
        flag = "" if s is None else ("grows faster than the data" if s > SLOPE_LIMIT else "ok")
        rows.append([f["name"]] + [fmt(medians.get(n), "ms") for n in sizes]
                    + ["—" if s is None else f"{s:.2f}", flag])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head) - 1)]
    out = []
    for i, r in enumerate(rows):
        out.append(f"{r[0]:<{widths[0]}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(r[1:-1], widths[1:]))
                   + f"  {r[-1]}".rstrip())
        if i == 0:
            out.append("-" * (sum(widths) + 2 * len(widths)))
    out.append(f"slope: how time grows with residents (log-log); 1.00 grows as the data does, above "
               f"{SLOPE_LIMIT} is flagged.")
    return "\n".join(out)


# -- the README's Performance section --------------------------------------------------------------
def readme_section(result: dict[str, Any]) -> str:
    m, u = result.get("machine", {}), result.get("unit", {})
    when = result.get("date", "")[:10]
    try:
        when = datetime.fromisoformat(result["date"]).strftime("%d %B %Y").lstrip("0")
    except (KeyError, ValueError):
        pass
    lines = [README_START,
             "<!-- generated by `python -m keyworker.bench --readme`; edits between these markers are replaced -->",
             "", f"Measured on {when} by `python -m keyworker.bench` (commit {result.get('commit') or '?'}) on "
             f"{m.get('cpus', '?')} CPUs ({m.get('cpu', '?')}), {m.get('ram_gb', '?')} GB RAM, Python "
             f"{m.get('python', '?')}, SQLCipher {m.get('sqlcipher', '?')}; the benchmark unit: "
             f"{u.get('residents', 0):,} residents with {u.get('years', '?')} years of history "
             f"({u.get('counts', {}).get('audit_log', 0):,} audit entries, "
             f"{u.get('counts', {}).get('reviews', 0):,} reviews). Each figure is the median and the 95th "
             f"percentile of repeated runs; a budget is met when the 95th percentile is within it.", "",
             "| figure | budget | median | p95 | |", "|---|---:|---:|---:|---|"]
    for f in result["figures"].values():
        un = f["unit"]
        lines.append(f"| {f['name']} | {fmt(f.get('budget'), un)} | {fmt(f.get('median'), un)} | "
                     f"{fmt(f.get('p95'), un)} | {verdict(f) or 'no budget'} |")
    lines += ["", summary_line(result) + ". How each figure is measured: docs/BENCHMARKS.md.", README_END]
    return "\n".join(lines)


def update_readme(path: Path, result: dict[str, Any]) -> None:
    """Replace the section between the markers (which must be there: the README says where it goes)."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{path} has no {README_START} … {README_END} markers to write the Performance section into.")
    path.write_text(pattern.sub(lambda _m: readme_section(result), text), encoding="utf-8")


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
