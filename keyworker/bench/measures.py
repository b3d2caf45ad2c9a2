"""The figures of `python -m keyworker.bench`: one function per figure and the registry FIGURES
(name, unit, budget and where the budget comes from). Each function takes the Run and returns its
samples. Figures that need Qt run benchmarks/qt_probes.py in a child process offscreen (keyworker/
never imports Qt); the area scripts under benchmarks/ are reused through `script()`.

Everything runs on a working copy of the cached unit (`Run.unit.path`), deleted after the run:
sign-ins and audited reads write, and the cache must stay as it was built."""
from __future__ import annotations

import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from keyworker.bench.unit import BenchUnit

ROOT = Path(__file__).resolve().parents[2]
ARCH = "docs/ARCHITECTURE.md performance budget"


def script(name: str) -> Any:
    """A module of benchmarks/ (imported by name, so mypy on keyworker/ does not follow it)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"benchmarks.{name}")


@dataclass
class Run:
    """One run of the suite: the working copy, how many repeats, the books opened so far."""

    unit: BenchUnit
    work: Path
    repeats: int
    notes: dict[str, str] = field(default_factory=dict)  # figure key -> what was measured
    _books: dict[str, Any] = field(default_factory=dict)

    def book(self, user: str | None = None) -> Any:
        from keyworker.casebook import Casebook

        user = user or self.unit.senior
        if user not in self._books:
            self._books[user] = Casebook.open(self.unit.path, user, self.unit.password)
        return self._books[user]

    def close(self) -> None:
        for b in self._books.values():
            b.close()
        self._books.clear()

    def today(self) -> date:
        from keyworker.clock import local_today

        return local_today(self.book().clock)


def _ms(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def qt_probe(run: Run, probe: str, user: str, repeats: int) -> list[float]:
    """benchmarks/qt_probes.py PROBE in a child process, offscreen; its JSON samples."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KEYWORKER_OUTBOX_WORKER": "off",
           "HOME": str(run.work / "home")}
    (run.work / "home").mkdir(exist_ok=True)
    res = subprocess.run([sys.executable, "-m", "benchmarks.qt_probes", probe, str(run.unit.path), user,
                          run.unit.password, str(repeats)], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=1800)
    if res.returncode != 0:
        raise RuntimeError(f"{probe}: {res.stderr[-800:]}")
    return [float(x) for x in json.loads(res.stdout.strip().splitlines()[-1])]


# -- the figures ---------------------------------------------------------------------------------
def login_window(run: Run) -> list[float]:
    home = run.work / "home-login"
    home.mkdir(exist_ok=True)
    secs = script("bench_foundation").login_window_samples(max(2, run.repeats // 2), home, run.unit.path)
    return [s * 1000 for s in secs]


def unlock_to_caseload(run: Run) -> list[float]:
    return qt_probe(run, "unlock", run.unit.key_worker, max(2, run.repeats // 2))


def search_keystroke(run: Run) -> list[float]:
    return qt_probe(run, "search", run.unit.key_worker, run.repeats)


def open_resident(run: Run) -> list[float]:
    return qt_probe(run, "open_resident", run.unit.senior, max(1, run.repeats // 3))


def _plan_admission(book: Any) -> tuple[str, Any]:
    from sqlalchemy import select

    from keyworker.db.care_plans import CarePlan
    from keyworker.db.caseload import Admission

    with book._read() as s:
        aid = s.scalars(select(Admission.id).join(CarePlan, CarePlan.admission_id == Admission.id)
                        .where(Admission.discharged_on.is_(None), CarePlan.status == "complete")
                        .limit(1)).first()
    if aid is None:
        raise RuntimeError("the unit has no current admission with a complete care plan")
    return aid, book.care_plans.get(admission_id=aid)


def save_review(run: Run) -> list[float]:
    """`book.reviews.record` with every goal updated (one changes status: a plan version), audit
    and outbox included, as the senior on the working copy (as benchmarks/bench_reviews.py)."""
    from keyworker.reviews import Attendee, GoalProgress, ReviewInput

    book = run.book()
    aid, plan = _plan_admission(book)
    today, goals = run.today(), plan.content.goals
    counter = iter(range(10**6))

    def save() -> None:
        i = next(counter)
        book.reviews.record(ReviewInput(
            admission_id=aid, held_on=today, next_review_on=today + timedelta(days=14),
            resident_view="Feeling settled; wants more time on the allotment.",
            attendees=[Attendee("Resident", "resident"), Attendee("Key worker", "key_worker")],
            goal_progress=[GoalProgress(g.id, ("in_progress", "achieved")[i % 2] if j == 0 else g.status,
                                        "Progress noted") for j, g in enumerate(goals)]))

    save()  # warm
    return _ms(save, run.repeats * 2)


def unplanned_discharge(run: Run) -> list[float]:
    """`book.discharges.record_unplanned` for different current residents (each one a real
    discharge of the working copy): the stay ended, the brief summary made and queued."""
    from sqlalchemy import select

    from keyworker.clock import LONDON
    from keyworker.db.caseload import Admission
    from keyworker.db.discharges import Discharge
    from keyworker.discharges import UnplannedDischargeInput

    book = run.book()
    with book._read() as s:
        frozen = set(s.scalars(select(Discharge.resident_id).where(Discharge.state == "frozen")))
        current = [r for r in s.scalars(select(Admission.resident_id).where(Admission.discharged_on.is_(None))
                                        .order_by(Admission.id).limit(200)) if r not in frozen]
    picks = iter(current[: run.repeats + 1])
    # The last 2 pm that has passed: a daytime discharge (one at night must give a reason).
    now = book.clock.now().astimezone(LONDON)
    at = now.replace(hour=14, minute=0, second=0, microsecond=0)
    at = at if at <= now else at - timedelta(days=1)

    def record() -> None:
        book.discharges.record_unplanned(UnplannedDischargeInput(next(picks), "absconded", at,
                                                                 "Left the building after an argument."))

    return _ms(record, min(run.repeats, len(current)))


def today_senior(run: Run) -> list[float]:
    return qt_probe(run, "today", run.unit.senior, run.repeats)


def reviews_due(run: Run) -> list[float]:
    book = run.book()
    return _ms(lambda: book.reviews.due("unit"), run.repeats)


def discharges_page(run: Run) -> list[float]:
    """The reads of Discharges & follow-ups (ui/discharges/page.py `load`) for the whole unit,
    the last 90 days' discharges listed."""
    book = run.book()
    end = run.today()

    def load() -> None:
        book.discharges.between(end - timedelta(days=90), end)
        book.discharges.awaiting_senior()
        book.discharges.due_summaries()
        book.follow_ups.due(include_future_days=14, scope="unit")

    return _ms(load, run.repeats)


def discharge_letter(run: Run) -> list[float]:
    """The planned discharge letter with its Outcome Star chart and TOP section, built from the
    long stay of benchmarks/bench_discharge_letter.py."""
    from keyworker.documents import discharge_letter as dl
    from keyworker.unit_profile import UnitProfile

    m = script("bench_discharge_letter")
    data = m.letter_data()
    profile = UnitProfile(unit_name="Bench Unit", address_lines=("Bench House", "1 Example Street"),
                          postcode="PR1 2AB", phone="01772 123456", secure_email="bench.unit@nhs.net")
    now = datetime(2026, 3, 30, 11, 0).astimezone()
    dl.build(data, profile=profile, generated_at=now, draft=False, outcomes=m.outcomes())  # fonts
    return _ms(lambda: dl.build(data, profile=profile, generated_at=now, draft=False, outcomes=m.outcomes()),
               run.repeats * 2)


def print_summaries(run: Run) -> list[float]:
    """The last 100 discharges' summaries to PDFs (keyworker/discharge_summaries.py, the path of
    `main.py print discharge-summaries`); complete summaries still to make are made first, untimed."""
    from sqlalchemy import select

    from keyworker import discharge_summaries as ds
    from keyworker.clock import to_local
    from keyworker.db.discharges import Discharge

    book = run.book()
    with book._read() as s:
        ending = s.execute(select(Discharge.id, Discharge.occurred_at).where(Discharge.ends_stay.is_(True))
                           .order_by(Discharge.occurred_at.desc()).limit(100)).all()
    if not ending:
        raise RuntimeError("the unit has no discharges")
    lo, hi = to_local(ending[-1].occurred_at).date(), to_local(ending[0].occurred_at).date()
    for row in ds.rows_between(book, lo, hi):
        if row.path == "unplanned" and not row.letter_document_id:
            with book._write() as s:
                d = s.get(Discharge, row.id)
                if d is not None and d.letter_document_id is None:
                    book.discharges._make_summary(s, d, book.actor.id)
    out = run.work / "summaries"
    wanted = {row.id for row in ending}  # those 100, not every discharge of the days they span
    n = [0]

    def print_all() -> None:
        n[0] = len(ds.save_each(ds.printed_between(book, lo, hi, ids=wanted, purpose="save"), out, overwrite=True))

    times = _ms(print_all, max(1, run.repeats // 3))
    run.notes["print_summaries"] = f"{n[0]} summaries"
    return times


def _last_month(today: date) -> str:
    first = today.replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def ndtms_month(run: Run) -> list[float]:
    from keyworker.returns.ndtms import return_csv

    book = run.book()
    month = _last_month(run.today())
    rows = [0]

    def make() -> None:
        ret = book.returns.ndtms(month)
        return_csv(ret)
        rows[0] = len(ret.rows)

    times = _ms(make, max(2, run.repeats // 2))
    run.notes["ndtms_month"] = f"{month}: {rows[0]} episodes"
    return times


def quarterly(run: Run) -> list[float]:
    """The quarterly contract report of the last whole quarter (figures, not the PDF)."""
    from keyworker.reports.periods import previous_quarter, quarter_of

    book = run.book()
    period = previous_quarter(quarter_of(run.today()))
    run.notes["quarterly"] = str(period.quarter)
    return _ms(lambda: book.reports.quarterly(period), max(2, run.repeats // 2))


def pseudonymised_year(run: Run) -> list[float]:
    from keyworker.returns.pseudonymised import extract_csv, summary_csv

    book = run.book()
    end = run.today() - timedelta(days=1)
    start = end - timedelta(days=364)

    def make() -> None:
        ex = book.extracts.pseudonymised(start, end)
        extract_csv(ex)
        summary_csv(ex)

    return _ms(make, max(2, run.repeats // 2))


def check_full(run: Run) -> list[float]:
    """`check --full`: integrity (quick_check), every entry of the audit chain hashed again, every
    area's counts. Once: it also leaves the verified mark the everyday check starts from."""
    book = run.book()
    out: list[dict[str, Any]] = []
    times = _ms(lambda: out.append(book.check(full=True)), 1)
    run.notes["check_full"] = f"{out[0]['audit_chain']['entries']:,} audit entries"
    return times


def check(run: Run) -> list[float]:
    """`check` as a unit runs it day to day: integrity, the audit chain from the last verified
    link (entries added since the previous check), the anchors and every area's counts."""
    book = run.book()
    if book._vault.chain_verified() is None:
        book.check(full=True)  # untimed: a copy no check has left a link in walks it all once
    out: list[dict[str, Any]] = []
    times = _ms(lambda: out.append(book.check()["audit_chain"]), max(2, run.repeats // 2))
    run.notes["check"] = f"{out[-1].get('audit_walk', '?')} walk, {out[-1].get('walked', '?')} entries hashed"
    return times


def peak_rss(run: Run) -> list[float]:
    return qt_probe(run, "rss", run.unit.senior, 1)


# The core query suite for the cost of encryption: what the caseload, a record, Reviews due and
# Discharges read, recorded as SQL from the services and replayed on both files.
def _record_suite(book: Any) -> list[tuple[str, Any]]:
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def grab(_c: Any, _cur: Any, stmt: str, params: Any, _ctx: Any, _many: bool) -> None:
        if stmt.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((stmt, params))

    event.listen(book._engine, "before_cursor_execute", grab)
    try:
        ids = book.caseload.ids(book.caseload.filter(include_discharged=True))
        for text in ("smi", "sar", "r-01", "pr1"):
            flt = book.caseload.filter(text=text)
            book.caseload.rows(book.caseload.ids(flt)[:100])
        for rid in ids[:: max(1, len(ids) // 10)][:10]:
            book.residents.get(rid)
        book.reviews.due("unit")
        book.discharges.awaiting_senior()
    finally:
        event.remove(book._engine, "before_cursor_execute", grab)
    return seen


def cipher_ratio(run: Run) -> list[float]:
    """The recorded core query suite on the SQLCipher file and on a plain copy (sqlcipher_export
    into a temporary file, deleted after), alternating, as a ratio per repeat."""
    import sqlcipher3

    from keyworker.db.engine import raw_connect

    book = run.book()
    suite = _record_suite(book)
    key = book._key
    plain = run.work / "plain.db"
    conn = raw_connect(run.unit.path, key)
    conn.execute(f"ATTACH DATABASE '{plain}' AS plaintext KEY ''")
    conn.execute("SELECT sqlcipher_export('plaintext')")
    conn.execute("DETACH DATABASE plaintext")
    conn.close()
    try:
        enc = raw_connect(run.unit.path, key)
        pl = sqlcipher3.connect(str(plain), isolation_level=None)
        for c in (enc, pl):
            c.execute("PRAGMA cache_size = -65536")

        def replay(c: Any) -> float:
            t = time.perf_counter()
            for stmt, params in suite:
                c.execute(stmt, params or ()).fetchall()
            return time.perf_counter() - t

        replay(enc), replay(pl)  # warm both page caches
        ratios = []
        for i in range(max(3, run.repeats)):
            a, b = (replay(enc), replay(pl)) if i % 2 == 0 else tuple(reversed((replay(pl), replay(enc))))
            ratios.append(a / b)
        enc.close()
        pl.close()
        run.notes["cipher_ratio"] = f"{len(suite)} statements"
        return ratios
    finally:
        for p in run.work.glob("plain.db*"):
            p.unlink()


@dataclass(frozen=True)
class Figure:
    key: str
    name: str
    unit: str  # "ms", "MB" or "x"
    budget: float | None  # None: measured, not judged
    source: str  # where the budget comes from
    measure: Callable[[Run], list[float]]


FIGURES: list[Figure] = [
    Figure("login_window", "Cold start to the login window", "ms", 1000, "issue 16", login_window),
    Figure("unlock_to_caseload", "Unlock (Argon2id) to caseload shown", "ms", 1000, ARCH, unlock_to_caseload),
    Figure("search_keystroke", "Caseload search, per keystroke (Qt)", "ms", 30, ARCH, search_keystroke),
    Figure("open_resident", "Open a resident with every tab's summary", "ms", 100, ARCH, open_resident),
    Figure("save_review", "Save a review with goal updates", "ms", 20, ARCH, save_review),
    Figure("unplanned_discharge", "Record an unplanned discharge", "ms", 300, "issue 13", unplanned_discharge),
    Figure("today_senior", "Today, senior, whole unit", "ms", None, "no budget set", today_senior),
    Figure("reviews_due", "Reviews due, whole unit", "ms", 100, "care plans issue (benchmarks/bench_reviews.py)",
           reviews_due),
    Figure("discharges_page", "Discharges & follow-ups, whole unit", "ms", None, "no budget set", discharges_page),
    Figure("discharge_letter", "Discharge letter PDF with chart", "ms", 250, ARCH, discharge_letter),
    Figure("print_summaries", "Print 100 discharge summaries", "ms", 20000, "issue 13", print_summaries),
    Figure("ndtms_month", "Monthly NDTMS return + CSV", "ms", 2000, ARCH, ndtms_month),
    Figure("quarterly", "Quarterly report", "ms", 3000, "issue 14", quarterly),
    Figure("pseudonymised_year", "Pseudonymised extract of a year", "ms", 5000, "issue 15", pseudonymised_year),
    Figure("check_full", "check --full (every audit entry hashed)", "ms", None, "no budget set", check_full),
    Figure("check", "check (integrity + audit chain since last check)", "ms", 10000, "issue 16", check),
    Figure("peak_rss", "Peak memory, every page visited", "MB", 300, ARCH, peak_rss),
    Figure("cipher_ratio", "SQLCipher / plain, core query suite", "x", 1.5, ARCH, cipher_ratio),
]
BY_KEY = {f.key: f for f in FIGURES}


# -- --scale: the figures that must grow no faster than the data --------------------------------
def scale_search(run: Run) -> list[float]:
    """Per keystroke in the core (ids and the first batch), as benchmarks/bench_caseload.py."""
    book = run.book(run.unit.key_worker)
    return list(script("bench_caseload").keystrokes(book, book.caseload.filter()))


SCALE_FIGURES: list[tuple[str, str, Callable[[Run], list[float]]]] = [
    ("search_keystroke", "Caseload search, per keystroke (core)", scale_search),
    ("reviews_due", "Reviews due, whole unit", reviews_due),
    ("ndtms_month", "Monthly NDTMS return + CSV", ndtms_month)]


def summarise(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    p95 = s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]
    return {"median": round(statistics.median(s), 3), "p95": round(p95, 3), "runs": len(s)}


def working_copy(unit: BenchUnit, folder: Path) -> BenchUnit:
    """The unit's database and vault copied into `folder` (owner-only), for measuring."""
    import dataclasses
    import shutil

    from keyworker.security.vault import vault_path_for

    dest = folder / "unit.kwdb"
    shutil.copyfile(unit.path, dest)
    shutil.copyfile(vault_path_for(unit.path), vault_path_for(dest))
    for p in (dest, vault_path_for(dest)):
        p.chmod(0o600)
    return dataclasses.replace(unit, path=dest)


def temp_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="kw-bench-run-")
