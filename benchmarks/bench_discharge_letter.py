"""How long one planned discharge letter takes to build (issue 13's target: under 250 ms per letter,
with its chart once the outcomes issue adds one). The builder alone, with a realistic long stay:
every intervention type, six care plan goals, four reviews, the contingency plan, long free text.
Run by hand: python benchmarks/bench_discharge_letter.py"""
from __future__ import annotations

import statistics
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import timed  # noqa: E402
from keyworker.discharge_plans import Aftercare, Attendee  # noqa: E402
from keyworker.documents import discharge_letter as dl  # noqa: E402
from keyworker.key_work import InterventionSummary, TypeCount  # noqa: E402
from keyworker.unit_profile import UnitProfile  # noqa: E402


def letter_data() -> dl.LetterData:
    start = date(2026, 1, 5)
    kinds = ["One-to-one key work", "Psychosocial intervention", "Relapse prevention group", "Mutual aid",
             "Life skills", "Family session", "Health and wellbeing", "Education, training and employment"]
    types = tuple(TypeCount(f"k{i}", k, 10 + i, start + timedelta(days=i), start + timedelta(days=80 + i))
                  for i, k in enumerate(kinds))
    iv = InterventionSummary("a", "r", types, 120, 6, 3, 2, start, start + timedelta(days=84))
    text = "Worked steadily on relapse prevention and rebuilt contact with family. " * 12
    return dl.LetterData(
        resident_name="Jane Doe", reference="R-00001", date_of_birth=date(1990, 3, 4), nhs_number="9434765919",
        gp_practice="Fishergate Surgery", admitted_on=start, discharged_on=start + timedelta(weeks=12),
        planned_date=start + timedelta(weeks=12), setting="24-hour staffed residential", strand="Level 1 (core)",
        key_worker="Sam Worker", referrer="Pat Fielding", referrer_reference="LCC-12345",
        meeting_on=start + timedelta(weeks=10),
        attendees=(Attendee("Jane Doe", "Resident"), Attendee("Sam Worker", "Key worker"),
                   Attendee("Pat Fielding", "Social worker (referrer)")),
        referrer_invited=True, route="Completed programme, to community services",
        reason="Treatment completed: drug-free", interventions=iv, care_plan="Care plan version 4, agreed.",
        goals=tuple(dl.GoalLine("Substance use", f"Goal number {i} in my own words.", "Achieved") for i in range(6)),
        reviews=tuple((start + timedelta(days=14 * i), "Review") for i in range(1, 5)), goals_achieved=text,
        risk=dl.RiskLine("Medium", datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
                         tuple((f"Contingency {i}", "Naloxone kit and advice given; CTP told.") for i in range(5))),
        medication="Buprenorphine: 8 mg, once daily, under the tongue", recommendations=text,
        aftercare=Aftercare(("SMART Recovery, Tuesdays", "AA, Thursdays"), "Inspire Lancashire, 02/04/2026",
                            "Own tenancy", True, True, "Fishergate Surgery", "Peer mentor from the RIO"),
        follow_ups=(date(2026, 6, 30), date(2026, 9, 30)),
        key_worker_sign=dl.SignOff("Sam Worker", "Recovery Worker", date(2026, 3, 30)),
        senior_sign=dl.SignOff("Morgan Manager", "Registered Manager", date(2026, 3, 30)))


def outcomes() -> list:  # type: ignore[type-arg]
    """The "Outcome Star and TOP" section of a 12-week stay: four readings (the chart of the first
    and the latest, the distance per area) and the start and exit TOPs. Fresh flowables per build."""
    from keyworker import outcome_star_definitions as defs
    from keyworker.documents.letter_outcomes import TopFigures, star_flowables, top_flowables
    from keyworker.outcome_star import AreaScore, StarReadingView

    d = defs.current()

    def reading(rid: str, on: date, base: int) -> StarReadingView:
        scores = tuple(AreaScore(a.key, a.name, min(10, base + i % 4), d.stage_for(min(10, base + i % 4)).name, "")
                       for i, a in enumerate(d.areas))
        return StarReadingView(rid, "r", "a", on, "review", d.id, d.version, d.name, scores, "Sam Worker", "",
                               datetime(2026, 3, 30, tzinfo=UTC), "Sam Worker")

    start = date(2026, 1, 5)
    first, latest = reading("s1", start, 2), reading("s4", start + timedelta(weeks=12), 5)
    t1 = TopFigures("start", start + timedelta(days=2), 8, 10, 6, {"alcohol": 25, "opiates": 6, "cannabis": 4})
    t2 = TopFigures("exit", start + timedelta(weeks=12), 14, 15, 12, {"alcohol": 1})
    return star_flowables(first, latest, 4) + top_flowables(t1, t2)


def through_the_service(n: int, with_outcomes: bool = False) -> list[float]:
    """`book.discharge_plans.preview_letter` on a real unit file: the reads (stay, referral, sessions,
    care plan, reviews, risk, follow-ups), the audit entry and the build, for a 12-week stay."""
    import tempfile

    from keyworker.casebook import Casebook
    from keyworker.clock import FixedClock
    from keyworker.key_work_input import SessionInput
    from keyworker.risk import example_input
    from keyworker.security.permissions import Role
    from keyworker.security.vault import FAST_KDF
    from tests.fixtures.caseload import admit
    from tests.unit.care_helpers import full_content
    from tests.unit.test_discharge_plans import plan_input

    clock = FixedClock(datetime(2026, 1, 5, 9, 0))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "unit.kwdb"
        admin, _ = Casebook.create(path, admin_username="admin", admin_full_name="Ada Admin",
                                   password="Quiet-Harbour-Lamp-42", kdf=FAST_KDF, clock=clock, unit_name="Test Unit")
        for username, name, role in (("manager", "Morgan Manager", Role.SENIOR), ("worker", "Sam Worker",
                                                                                  Role.KEY_WORKER)):
            admin.accounts.create(username, name, role, "Orange-Kettle-Sky-77", job_title="Recovery Worker")
        admin.close()
        book = Casebook.open(path, "manager", "Orange-Kettle-Sky-77", clock=clock, kdf=FAST_KDF)
        rec = admit(book, gp_practice="Fishergate Surgery")
        rid, aid = rec.id, rec.admissions[0].id
        book.risk.record(aid, example_input(date(2026, 1, 5), "medium"))
        book.care_plans.save_draft(aid, full_content(3))
        clock.set(datetime(2026, 3, 30, 11, 0))
        for w in range(11):
            book.key_work.record(SessionInput(resident_id=rid, held_on=date(2026, 1, 6) + timedelta(days=7 * w),
                                              start_time="10:30", duration_minutes=50, kind="one_to_one",
                                              outcome="attended", notes="Talked about cravings at weekends."))
        book.discharge_plans.save(plan_input(rid))
        if with_outcomes:  # four Star readings and the start, review and exit TOPs
            from keyworker import outcome_star_definitions as defs
            from keyworker.outcome_star import StarReadingInput
            from keyworker.top import SubstanceUse, TopInput

            keys = [a.key for a in defs.current().areas]
            for w, stage in ((0, "admission"), (4, "review"), (8, "review"), (11, "discharge")):
                book.outcome_star.record(StarReadingInput(rid, {k: min(10, 2 + w // 2 + i % 3)
                                                                for i, k in enumerate(keys)},
                                                          date(2026, 1, 6) + timedelta(weeks=w), stage))
            for on, stage, p, days in ((date(2026, 1, 7), "start", 8, 24), (date(2026, 2, 16), "review", 11, 3),
                                       (date(2026, 3, 27), "exit", 14, 0)):
                book.top.record(TopInput(rid, stage, on, p, p + 1, p - 1,
                                         [SubstanceUse("alcohol", total_days=days)] if days else []))
        book.discharge_plans.preview_letter(rid)
        times, _ = timed(lambda: book.discharge_plans.preview_letter(rid), n)
        book.close()
    return times


def main(n: int = 30) -> None:
    data = letter_data()
    profile = UnitProfile(unit_name="Test Unit", address_lines=("Test House", "1 Example Street"), postcode="PR1 2AB",
                          phone="01772 123456", secure_email="test.unit@nhs.net")
    now = datetime(2026, 3, 30, 11, 0, tzinfo=UTC)
    dl.build(data, profile=profile, generated_at=now, draft=False)  # warm the fonts
    times, pdf = timed(lambda: dl.build(data, profile=profile, generated_at=now, draft=False), n)
    drafts, _ = timed(lambda: dl.build(data, profile=profile, generated_at=now, draft=True), n)
    print(f"discharge letter ({len(pdf) // 1024} KB): median {statistics.median(times):.1f} ms, "
          f"max {max(times):.1f} ms over {n} (target < 250 ms)")
    print(f"draft letter: median {statistics.median(drafts):.1f} ms")
    dl.build(data, profile=profile, generated_at=now, draft=False, outcomes=outcomes())
    charted, pdf = timed(lambda: dl.build(data, profile=profile, generated_at=now, draft=False, outcomes=outcomes()), n)
    print(f"with the Outcome Star chart and TOP ({len(pdf) // 1024} KB): median {statistics.median(charted):.1f} ms, "
          f"p95 {sorted(charted)[int(0.95 * (n - 1))]:.1f} ms, max {max(charted):.1f} ms over {n} (target < 250 ms)")
    service = through_the_service(n)
    print(f"preview_letter through the service (reads, audit, build): median {statistics.median(service):.1f} ms, "
          f"max {max(service):.1f} ms over {n}")
    service = through_the_service(n, with_outcomes=True)
    print(f"  the same with readings and TOPs (the section read and drawn): median "
          f"{statistics.median(service):.1f} ms, max {max(service):.1f} ms over {n}")
    if statistics.median(charted) > 250:
        sys.exit(1)


if __name__ == "__main__":
    main()
