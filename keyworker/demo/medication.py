"""Demo medication: up to three courses per current resident, started before or on admission,
some changed or stopped since; each says how it is taken (route, dose and frequency or "as directed")."""
from __future__ import annotations

from datetime import date, timedelta

from keyworker.demo.rows import DemoRun
from keyworker.demo.vocabulary import MEDICINES, PRESCRIBERS
from keyworker.ids import new_id
from keyworker.imports.bulk import stamp


def medication(run: DemoRun, rid: str, admitted_on: date, key_worker: str) -> None:
    """Courses as the key worker records them from the admission on (audited as the service does)."""
    rng, story = run.rng, run.history
    for name, dose, freq, route in rng.sample(MEDICINES, rng.randint(0, 3)):
        course = new_id()
        started = admitted_on - timedelta(days=rng.randint(0, 200))
        common = {
            "resident_id": rid,
            "course_id": course,
            "name": name,
            "frequency": freq,
            "prescriber": rng.choice(PRESCRIBERS),
            "notes": None,
            "route": route,
            "as_directed": dose is None,
        }
        run.meds.append(
            stamp(
                run.book,
                {
                    "id": course,
                    "event": "start",
                    "effective_on": started,
                    "dose": dose,
                    **common,
                    "created_at": run.at(admitted_on),
                    "created_by": key_worker,
                },
            )
        )
        story.record(story.minutes(run.at(admitted_on, 11)), key_worker, "medication.start", "medication", course,
                     rid)
        later = min(run.today, admitted_on + timedelta(days=rng.randint(1, 60)))
        roll = rng.random()
        if roll < 0.25 and later > started and dose is not None:
            run.meds.append(
                stamp(
                    run.book,
                    {
                        "event": "change",
                        "effective_on": later,
                        **common,
                        "dose": f"2 x {dose}",
                        "notes": "Dose increased at review.",
                        "created_at": run.at(later),
                        "created_by": key_worker,
                    },
                )
            )
            story.record(story.minutes(run.at(later, 12)), key_worker, "medication.change", "medication", course,
                         rid)
        elif roll < 0.4 and later > started:
            run.meds.append(
                stamp(
                    run.book,
                    {
                        "event": "stop",
                        "effective_on": later,
                        "dose": dose,
                        **common,
                        "created_at": run.at(later),
                        "created_by": key_worker,
                    },
                )
            )
            story.record(story.minutes(run.at(later, 12)), key_worker, "medication.stop", "medication", course,
                         rid)
