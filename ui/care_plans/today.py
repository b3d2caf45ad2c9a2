"""Today section: the signed-in key worker's residents whose care plan is not complete yet
(it should be complete on admission, contract 4.1.5.1)."""
from __future__ import annotations

from typing import Any

from ui.today import TodayItem, register_today_section

_STATUS = {"not_started": "not started", "draft": "draft"}


def plans_incomplete(book: Any) -> list[TodayItem]:
    return [TodayItem(f"{p.resident_name} ({p.reference}) — plan {_STATUS.get(p.status, p.status)}",
                      p.resident_id, p.admitted_on, p.overdue)
            for p in book.care_plans.incomplete("mine")]


register_today_section("care_plans_incomplete", "Care plans incomplete", plans_incomplete, 20)
