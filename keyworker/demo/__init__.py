"""The demo unit (`main.py demo`, `main.py --demo`): synthetic residents for trying the app and for
benchmarks. Everything in it is invented; the same seed gives the same unit.

One module per area. `create_demo` makes the unit (`unit.py`: files, marker, accounts), sets its
letterhead (`profile.py`), then runs POPULATORS in order, each `populate(run)` adding its area's
records to the shared DemoRun (`rows.py`). A new area adds `keyworker/demo/<area>.py` with a
`populate(run)` and one line to POPULATORS, after the areas it builds on."""
from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from keyworker.clock import local_today
from keyworker.db.foundation import Account
from keyworker.demo import care_plans, discharges, incidents, key_work, notes, outcomes, people, referrals, risk
from keyworker.demo.history import History
from keyworker.demo.rows import DemoRun
from keyworker.demo.unit import DEMO_ACCOUNTS, DEMO_PASSWORD, build_demo, create_unit

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "POPULATORS", "create_demo", "populate"]

# In order: residents and admissions first (with the referral behind each), then the referrals
# still open or declined, then risk assessments (which the care plans link), then care plans and
# their reviews, then incidents and safeguarding, then key work (sessions link to plan goals), then case
# notes and contacts, then outcomes (Star readings and TOPs, before the discharge letters that show
# them), then discharges (the past stays' discharges, freezes and follow-ups).
POPULATORS: list[Callable[[DemoRun], None]] = [people.populate, referrals.populate, risk.populate,
                                               care_plans.populate, incidents.populate, key_work.populate,
                                               notes.populate, outcomes.populate, discharges.populate]


def create_demo(path: Path, residents: int, seed: int, pw: str, *, kdf: Any = None,
                progress: Callable[[int, int], None] | None = None, force: bool = False,
                years: int | None = None) -> None:
    """The demo unit: four accounts sharing one password, then synthetic residents. Built under a
    temporary name and renamed into place when complete (keyworker.demo.unit): a build that fails
    or is killed leaves nothing at `path`; `force` replaces only a unit marked as a demo.
    `years`: a unit with that many years of history (see `populate`); None, the plain demo."""

    def build_into(build: Path) -> None:
        from keyworker.demo.profile import apply_demo_profile

        book = create_unit(build, pw, kdf)
        try:
            apply_demo_profile(book)  # the letterhead and signatories' job titles
            if residents > 0:
                populate(book, residents, seed, progress, years=years)
        finally:
            book.close()

    build_demo(Path(path), build_into, force=force)


def populate(book: Casebook, n: int, seed: int, progress: Callable[[int, int], None] | None = None, *,
             years: int | None = None) -> None:
    """Add `n` synthetic residents (and referrals, plans and reviews around them) to an open unit.

    Without `years`, the plain demo: four years, few returning residents, progress as (residents
    done, n). With `years` (the benchmark unit, keyworker.bench.unit): history reaching that far
    back, residents coming back for second and third stays, full-length stays, every key-work
    session in the audit trail, and the staff's sign-ins and record views day by day
    (keyworker/demo/activity.py); progress as (thousandths of the whole build, 1000)."""
    today = local_today(book.clock)
    with book._read() as s:
        staff = s.execute(select(Account.id, Account.role)
                          .where(Account.role.in_(("key_worker", "senior")), Account.disabled.is_(False))
                          .order_by(Account.username)).all()
    # Residents are held by the key workers; the manager holds a caseload only where there is no one else.
    workers = [a.id for a in staff if a.role == "key_worker"] or [a.id for a in staff]
    run = DemoRun(book=book, n=n, seed=seed, rng=random.Random(seed), today=today,
                  workers=workers or [book.actor.id], history=History.of(book, seed),
                  unit_name=book.settings.get("unit_name"), progress=progress, years=years)
    for populate_area in POPULATORS:
        run.phase = populate_area.__module__.rsplit(".", 1)[-1]
        populate_area(run)
        run.tick(1, 1)
    if run.long_history:
        from keyworker.demo import activity

        run.phase = "activity"
        # Who did what and when, oldest first, with the sign-ins and record views of every day between.
        run.history.write(book, activity.days(run), tick=run.tick)
        if progress:
            progress(1000, 1000)
        return
    run.history.write(book)  # who did what and when, oldest first (keyworker/demo/history.py)
    if progress:
        progress(n, n)
