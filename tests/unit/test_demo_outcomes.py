"""The demo's outcomes (issue 14): Outcome Star readings over every stay (an admission reading,
about every 4 weeks, a discharge reading at planned discharges; scores mostly going up, some going
back) and TOPs (start, reviews, exit, some post-treatment exit), with some due and missing: the
newest admissions have nothing yet, a start TOP and a review TOP are overdue. `check --json`
reports them; the demo's planned discharge letters carry the "Outcome Star and TOP" section."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from keyworker import discharge_summaries as ds
from keyworker.casebook import Casebook
from keyworker.clock import local_today
from keyworker.db.caseload import Admission
from keyworker.db.outcomes import StarReading, StarScore
from keyworker.db.top import Top
from keyworker.demo import populate


def test_demo_outcomes(manager_book: Casebook) -> None:
    populate(manager_book, 80, seed=5)
    today = local_today(manager_book.clock)
    with manager_book._read() as s:
        adms = {a.id: a for a in s.scalars(select(Admission))}
        readings = s.scalars(select(StarReading).order_by(StarReading.taken_on)).all()
        per_reading: dict[str, int] = defaultdict(int)
        counts: Counter[str] = Counter()
        for rid, score in s.execute(select(StarScore.reading_id, StarScore.score)):
            per_reading[rid] += score
            counts[rid] += 1
        tops = s.scalars(select(Top)).all()
    assert readings and set(counts.values()) == {10}  # every reading scores all ten areas
    by_stay: dict[str, list[StarReading]] = defaultdict(list)
    for r in readings:
        by_stay[r.admission_id].append(r)
        stay = adms[r.admission_id]
        assert stay.admitted_on <= r.taken_on <= (stay.discharged_on or today)
    for rows in by_stay.values():
        assert rows[0].stage == "admission" and sum(r.stage == "admission" for r in rows) == 1
        assert sum(r.stage == "discharge" for r in rows) <= 1
    # planned discharges have their discharge reading; readings about every 4 weeks
    planned = [a for a in adms.values() if a.discharge_type == "planned" and a.id in by_stay]
    assert planned and all(by_stay[a.id][-1].stage == "discharge" for a in planned)
    gaps = [(b.taken_on - a.taken_on).days for rows in by_stay.values() for a, b in zip(rows, rows[1:], strict=False)
            if b.stage == "review"]
    assert gaps and 22 <= sorted(gaps)[len(gaps) // 2] <= 34
    change = [per_reading[rows[-1].id] - per_reading[rows[0].id] for rows in by_stay.values() if len(rows) > 1]
    assert sum(c > 0 for c in change) > len(change) * 0.6 and any(c < 0 for c in change)  # mostly up, a few back
    # TOPs at every stage; the newest admissions have neither readings nor a start TOP
    assert {t.stage for t in tops} == {"start", "review", "exit", "post_treatment_exit"}
    newest = sorted((a for a in adms.values() if a.discharged_on is None), key=lambda a: (a.admitted_on, a.id))[-2:]
    started = {t.admission_id for t in tops if t.stage == "start"}
    assert all(a.id not in by_stay and a.id not in started for a in newest)
    # Today and the monitoring have something to show
    check = manager_book.check()
    assert check["star_readings"] == len(readings) > 0
    assert check["tops_due"] > 0 and 50 <= check["top_compliance_pct"] <= 100
    due = manager_book.outcome_star.unit_due("unit")
    assert {r.kind for r in due} >= {"admission", "review"} and any(r.overdue for r in due)
    assert any(r.overdue for r in manager_book.top.unit_due("unit"))
    # The demo's signed planned discharge letters show the section
    listed = manager_book.discharges.between(today - timedelta(days=365 * 4), today, ends_stay_only=False)
    letters = [r for r in listed if r.letter_document_id and r.path == "planned"]
    assert letters
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(ds.summary_of(manager_book, letters[0]).pdf)).pages)
    assert "Outcome Star and TOP" in text and "Treatment Outcomes Profile" in text
