"""The benchmark unit's everyday audit trail (`years` given): what most of a real unit's audit is.
Every day the staff sign in and unlock the app (key workers and the manager on weekdays, the night
worker every evening, the administrator now and then), and open residents' records: the key
worker most days, the manager and the night worker now and then. Generated day by day in time
order and merged into the chain as it is written (keyworker/demo/history.py), never all in memory.
Its own random stream: the rest of the unit stays the same for a seed."""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from keyworker.clock import LONDON
from keyworker.db.caseload import Admission
from keyworker.db.foundation import Account
from keyworker.demo.rows import DemoRun
from keyworker.imports.bulk import AuditItem

# A day of an episode: the chance the key worker opens the record (on a weekday), someone else does.
KEY_WORKER_VIEW = 0.26
OTHER_VIEW = 0.045
# What else is opened from the record now and then (else the record itself, "resident.view").
ALSO = [("medication.view", "resident", 0.05), ("consent.view", "resident", 0.02)]


def days(run: DemoRun) -> Iterator[AuditItem]:
    """The sign-ins and record views from the unit's first day to now, oldest first."""
    book, history = run.book, run.history
    rng = random.Random(run.seed * 92821 + 5)
    with book._read() as s:
        adms = s.execute(select(Admission.admitted_on, Admission.discharged_on, Admission.resident_id,
                                Admission.key_worker_id)
                         .where(Admission.archived.is_(False))
                         .order_by(Admission.admitted_on, Admission.id)).all()
        staff = s.execute(select(Account.id, Account.role).where(Account.disabled.is_(False))
                          .order_by(Account.username)).all()
    names = history.usernames
    day_staff = [a.id for a in staff if a.role in ("key_worker", "senior") and a.id in names]
    seniors = [a.id for a in staff if a.role == "senior" and a.id in names]
    nights = [a.id for a in staff if a.role == "out_of_hours" and a.id in names]
    admins = [a.id for a in staff if a.role == "admin" and a.id in names]
    if not adms or not day_staff:
        return
    others = seniors + nights or day_staff
    now = history.now
    day, last = run.start, run.today
    nxt, here = 0, []  # the next admission to arrive; the episodes in residence
    while day <= last:
        while nxt < len(adms) and adms[nxt].admitted_on <= day:
            here.append(adms[nxt])
            nxt += 1
        here = [a for a in here if a.discharged_on is None or a.discharged_on >= day]
        items: list[tuple[datetime, int, AuditItem]] = []
        weekday = day.weekday() < 5

        def note(at: datetime, actor: str, action: str, entity: str, entity_id: str | None,
                 resident_id: str | None = None) -> None:
            if at <= now:
                items.append((at, len(items), AuditItem(action, entity, entity_id, resident_id,
                                                        at=at, actor=(actor, names[actor]))))

        on_shift = day_staff if weekday else seniors[:1] if rng.random() < 0.3 else []
        for who in on_shift:
            start = _at(day, 8, rng.randint(15, 75))
            note(start, who, "sign_in", "account", who)
            for _ in range(rng.randint(1, 4)):  # back from a session, a group, lunch
                note(_at(day, rng.randint(10, 16), rng.randint(0, 59)), who, "unlock", "account", who)
        for who in nights:
            note(_at(day, 21, rng.randint(0, 30)), who, "sign_in", "account", who)
            for _ in range(rng.randint(0, 2)):
                note(_at(day, rng.choice((23, 2, 5)), rng.randint(0, 59)), who, "unlock", "account", who)
        if admins and day.weekday() == 0:
            note(_at(day, 9, rng.randint(0, 50)), admins[0], "sign_in", "account", admins[0])
        for a in here:
            kw = a.key_worker_id if a.key_worker_id in names else day_staff[0]
            if weekday and rng.random() < KEY_WORKER_VIEW:
                _view(note, rng, _at(day, rng.randint(9, 16), rng.randint(0, 59)), kw, a.resident_id)
            if rng.random() < OTHER_VIEW:
                who = rng.choice(others)
                hour = rng.choice((21, 22, 23, 1, 6)) if who in nights else rng.randint(9, 16)
                _view(note, rng, _at(day, hour, rng.randint(0, 59)), who, a.resident_id)
        items.sort(key=lambda t: (t[0], t[1]))
        for _, _, item in items:
            yield item
        day += timedelta(days=1)


def _view(note: Any, rng: random.Random, at: datetime, who: str, rid: str) -> None:
    note(at, who, "resident.view", "resident", rid, rid)
    for action, entity, chance in ALSO:
        if rng.random() < chance:
            note(at + timedelta(minutes=1), who, action, entity, rid, rid)


def _at(day: date, hour: int, minute: int) -> datetime:
    # Hours after midnight belong to the night that began the evening before: the next calendar day.
    if hour < 7:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, 0), LONDON) + timedelta(minutes=minute)
