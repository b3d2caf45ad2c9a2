"""Today section: residents whose care plan is not complete yet (it should be complete on
admission, contract 4.1.5.1): the signed-in key worker's, or the whole unit's for a senior.
A row opens the resident's record on the Care plan tab."""
from __future__ import annotations

from typing import Any

from keyworker.security.permissions import Permission
from ui.today import MINE, TodayItem, register_today_section

_STATUS = {"not_started": "not started", "draft": "draft"}


def plans_incomplete(book: Any, scope: str = MINE) -> list[TodayItem]:
    plans = book.care_plans.incomplete(scope)
    workers = {} if scope == MINE else {a.id: a.full_name for a in book.accounts.list()}
    items = []
    for p in plans:
        who = f" · key worker {workers[p.key_worker_id]}" if p.key_worker_id in workers else ""
        items.append(TodayItem(f"{p.resident_name} ({p.reference}) — plan {_STATUS.get(p.status, p.status)}{who}",
                               p.resident_id, p.admitted_on, p.overdue, tab="care_plan"))
    return items


register_today_section("care_plans_incomplete", "Care plans incomplete", plans_incomplete, 20,
                       permission=Permission.EDIT_CARE_PLANS)
