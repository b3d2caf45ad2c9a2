"""Demo outcomes (issue 14): Outcome Star readings and TOPs over the residents' stays. Run after the
residents exist and before the discharges, so the planned discharge letters the demo makes carry
their "Outcome Star and TOP" section.

Outcome Star: an admission reading in the first week, one about every 4 weeks, and a discharge
reading for planned discharges; scores start low (1–5) and drift upwards with noise, a few stays
going backwards, unplanned exits improving less. TOPs: the start TOP in the first two weeks, a
review TOP at the mid-way review and every 6 months (the points `keyworker.top.review_points`
gives), the exit TOP at a planned discharge (and at some unplanned ones), and a post-treatment
exit TOP for some at 6 months after discharge. Use of the resident's main substance is heavy in the
28 days before the start TOP and mostly nil after, with the odd lapse.

Some are due and missing, so Today, the header and `check --json` have something to show: the
newest admissions have no reading and no start TOP yet (the next newest past its first 14 days has
its start TOP overdue), one current stay has its review TOP overdue, a few current stays have their Star
reading overdue, and now and then a review point was simply missed. Bulk rows (insert_rows,
stamp) with one summary audit entry per batch, like the other areas. Its own random stream, so
the other areas' demo data stay the same for a seed."""
from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from keyworker import outcome_star_definitions as defs
from keyworker.db.caseload import Admission, Resident
from keyworker.db.foundation import Account
from keyworker.db.outcomes import StarReading, StarScore
from keyworker.db.top import Top, TopSubstance
from keyworker.demo.rows import BATCH, DemoRun
from keyworker.follow_ups_schedule import add_months
from keyworker.imports.bulk import AuditItem, append_audit, insert_rows, stamp
from keyworker.top import StayFacts, review_points

# The resident's main substance (people.py's words) as a TOP substance, its unit and a usual amount.
MAIN = {"Alcohol": ("alcohol", "units", (12, 40)), "Heroin": ("opiates", "grams", (0.2, 1.5)),
        "Crack cocaine": ("crack", "grams", (0.3, 2.0)), "Powder cocaine": ("cocaine", "grams", (0.5, 2.5)),
        "Cannabis": ("cannabis", "grams", (1.0, 4.0)), "Benzodiazepines": ("other", "grams", (0.01, 0.05))}
STAR_EVERY = 28
FORWARDS = (-1, 0, 0, 0, 1, 1, 2)
UNPLANNED = (-1, -1, 0, 0, 0, 1, 1)
BACKWARDS = (-2, -1, -1, 0, 0, 1)
MISSED_REVIEW = 0.07  # the share of review points nobody got round to


def populate(run: DemoRun) -> None:
    book, today = run.book, run.today
    rng = random.Random(run.seed * 104729 + 29)
    with book._read() as s:
        adms = s.execute(select(Admission.id, Admission.resident_id, Admission.admitted_on,
                                Admission.planned_weeks, Admission.discharged_on, Admission.discharge_type,
                                Admission.key_worker_id, Resident.primary_substance)
                         .join(Resident, Resident.id == Admission.resident_id)
                         .where(Admission.archived.is_(False), Admission.admitted_on <= today)
                         .order_by(Admission.admitted_on, Admission.id)).all()
        names: dict[str, str] = {i: name for i, name in s.execute(select(Account.id, Account.full_name))}
    if not adms:
        return
    d = defs.current()
    current = sorted((a for a in adms if a.discharged_on is None), key=lambda a: (a.admitted_on, a.id),
                     reverse=True)
    # The newest two admissions: nothing yet. The most recent one past its first 14 days: no start
    # TOP (overdue). The stay whose mid-way review passed most recently: no review TOP (overdue).
    fresh = {a.id for a in current[:2]}
    late_start = next((a.id for a in current[2:] if (today - a.admitted_on).days >= 15), None)
    passed = sorted((a for a in current if a.id not in fresh and a.id != late_start and _midway(a) < today),
                    key=_midway, reverse=True)
    late_review = passed[0].id if passed else None
    # A Star reading overdue: the most recent stay two months in, and about one in ten others.
    star_late = {a.id for a in current[3:] if rng.random() < 0.1}
    two_months = next((a.id for a in current[3:] if (today - a.admitted_on).days >= 60), None)
    if two_months:
        star_late.add(two_months)

    readings: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    tops: list[dict[str, Any]] = []
    subs: list[dict[str, Any]] = []

    def flush(done: int) -> None:
        with book._write() as s:
            insert_rows(s, StarReading, readings)
            insert_rows(s, StarScore, scores)
            insert_rows(s, Top, tops)
            insert_rows(s, TopSubstance, subs)
            append_audit(s, book, [AuditItem("demo.populate", "unit", None, None,
                                             {"batch": "outcomes", "star_readings": len(readings),
                                              "star_scores": len(scores), "tops": len(tops),
                                              "top_substances": len(subs), "done": done})])
        for rows in (readings, scores, tops, subs):
            rows.clear()

    for i, a in enumerate(adms, start=1):
        if a.id not in fresh:
            kw = a.key_worker_id or run.workers[0]
            _star(run, rng, d, a, names.get(kw, ""), readings, scores, late=a.id in star_late)
            _tops(run, rng, a, kw, tops, subs, skip_start=a.id == late_start, skip_review=a.id == late_review)
        if i % BATCH == 0 or i == len(adms):
            flush(i)
        if i % 100 == 0:
            run.tick(i, len(adms))


def _midway(a: Any) -> date:
    from keyworker import review_schedule as rs

    return rs.midway_date(a.admitted_on, a.planned_weeks)


def _star(run: DemoRun, rng: random.Random, d: defs.StarDefinition, a: Any, by: str,
          readings: list[dict[str, Any]], scores: list[dict[str, Any]], *, late: bool) -> None:
    today = run.today
    end = a.discharged_on or today
    planned_exit = a.discharged_on is not None and a.discharge_type == "planned"
    # Per area per reading: most stays move up, unplanned exits less, one in ten goes backwards.
    steps = (BACKWARDS if rng.random() < 0.1 else UNPLANNED if a.discharge_type == "unplanned" else FORWARDS)
    values = {x.key: rng.randint(1, 5) for x in d.areas}
    days = [a.admitted_on + timedelta(days=rng.randint(0, 6))]
    while (nxt := days[-1] + timedelta(days=STAR_EVERY + rng.randint(-4, 2))) <= end:
        days.append(nxt)
    while a.discharged_on is None and late and len(days) > 1 and days[-1] > today - timedelta(days=35):
        days.pop()  # the latest one was not taken: overdue
    days = [x for x in days if x <= end]
    if not days:
        return
    stages = ["admission"] + ["review"] * (len(days) - 1)
    if planned_exit:
        if days[-1] >= end - timedelta(days=7) and len(days) > 1:
            days.pop()
            stages.pop()
        days.append(end)
        stages.append("discharge")
    for n, (on, stage) in enumerate(zip(days, stages, strict=True)):
        if n:
            for k in values:
                values[k] = max(1, min(10, values[k] + rng.choice(steps)))
        row = stamp(run.book, {"resident_id": a.resident_id, "admission_id": a.id, "taken_on": on,
                               "stage": stage, "definition_id": d.id, "definition_version": d.version,
                               "completed_by": by, "note": None, "created_at": run.at(on, 14),
                               "created_by": a.key_worker_id or run.book.actor.id})
        readings.append(row)
        scores.extend({"reading_id": row["id"], "area_key": k, "score": v, "note": None}
                      for k, v in values.items())


def _tops(run: DemoRun, rng: random.Random, a: Any, kw: str, tops: list[dict[str, Any]],
          subs: list[dict[str, Any]], *, skip_start: bool, skip_review: bool) -> None:
    today = run.today
    end = a.discharged_on or today
    main = MAIN.get(a.primary_substance or "", MAIN["Alcohol"])
    psych, phys, qol = rng.randint(3, 10), rng.randint(5, 12), rng.randint(2, 9)
    gain = rng.choice((-2, 0, 1, 2) if a.discharge_type == "unplanned" else (-1, 1, 2, 2, 3, 3, 4))
    injects = main[0] in ("opiates", "crack") and rng.random() < 0.35
    held: list[tuple[str, date]] = []
    start_on = a.admitted_on + timedelta(days=rng.randint(1, 12))
    if not skip_start and start_on <= end:
        held.append(("start", start_on))
    stay = StayFacts(a.id, a.resident_id, kw, a.admitted_on, a.planned_weeks, a.discharged_on,
                     a.discharge_type)
    for _label, due_on, window in review_points(stay, today):
        on = due_on - timedelta(days=rng.randint(0, min(6, (due_on - window).days)))
        if on > end or on <= start_on or on > today:
            continue
        if skip_review and due_on <= today or rng.random() < MISSED_REVIEW:
            continue
        held.append(("review", on))
    if a.discharged_on is not None and (a.discharge_type == "planned" and rng.random() < 0.95
                                        or a.discharge_type != "planned" and rng.random() < 0.25):
        held.append(("exit", a.discharged_on))
        post = add_months(a.discharged_on, 6) + timedelta(days=rng.randint(0, 14))
        if a.discharge_type == "planned" and post <= today and rng.random() < 0.6:
            held.append(("post_treatment_exit", post))
    for n, (stage, on) in enumerate(held):
        if n:
            psych = max(0, min(20, psych + gain + rng.randint(-1, 2)))
            phys = max(0, min(20, phys + gain + rng.randint(-1, 2)))
            qol = max(0, min(20, qol + gain + rng.randint(-1, 2)))
        before = stage == "start"
        after = stage == "post_treatment_exit"
        using = before or (after and rng.random() < 0.4) or rng.random() < 0.12  # a lapse in treatment
        inj = rng.randint(1, 12) if injects and before else 0
        row = stamp(run.book, {
            "resident_id": a.resident_id, "admission_id": a.id, "stage": stage, "interview_on": on,
            "completed_by": kw,
            "tobacco_days": rng.choice((0, 28, 28, 28, rng.randint(10, 27))),
            "injecting_days": inj, "shared_needles": inj > 0 and rng.random() < 0.2,
            "shared_other_equipment": inj > 0 and rng.random() < 0.3,
            "shoplifting_days": rng.randint(0, 8) if before and rng.random() < 0.3 else 0,
            "drug_selling_days": rng.randint(0, 5) if before and rng.random() < 0.1 else 0,
            "vehicle_theft": before and rng.random() < 0.03, "property_theft": before and rng.random() < 0.06,
            "fraud": before and rng.random() < 0.03, "assault": before and rng.random() < 0.08,
            "psychological_health": psych, "physical_health": phys, "quality_of_life": qol,
            "paid_work_days": rng.randint(0, 20) if after and rng.random() < 0.4 else 0,
            "education_days": rng.randint(1, 8) if not before and rng.random() < 0.15 else 0,
            "acute_housing_problem": before and rng.random() < 0.2,
            "eviction_risk": before and rng.random() < 0.1,
            "created_at": run.at(on, 15), "created_by": kw})
        tops.append(row)
        if using:
            subs.append(_use(run, rng, row["id"], main, heavy=before))
            if before and rng.random() < 0.3:  # and something else now and then
                other = rng.choice([m for m in MAIN.values() if m[0] not in (main[0], "other")])
                subs.append(_use(run, rng, row["id"], other, heavy=False))


def _use(run: DemoRun, rng: random.Random, top_id: str, main: tuple[str, str, tuple[float, float]], *,
         heavy: bool) -> dict[str, Any]:
    code, unit, (low, high) = main
    weeks = [rng.randint(3, 7) if heavy else rng.choice((0, 0, 0, 1, 2)) for _ in range(4)]
    if sum(weeks) == 0:
        weeks[rng.randrange(4)] = 1
    return stamp(run.book, {"top_id": top_id, "substance": code,
                            "other_name": "benzodiazepines" if code == "other" else None,
                            "week1": weeks[0], "week2": weeks[1], "week3": weeks[2], "week4": weeks[3],
                            "total_days": sum(weeks), "average_amount": round(rng.uniform(low, high), 2),
                            "amount_unit": unit})
