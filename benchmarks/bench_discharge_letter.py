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


def through_the_service(n: int) -> list[float]:
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
    service = through_the_service(n)
    print(f"preview_letter through the service (reads, audit, build): median {statistics.median(service):.1f} ms, "
          f"max {max(service):.1f} ms over {n}")


if __name__ == "__main__":
    main()
