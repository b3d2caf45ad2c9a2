"""Today sections for reviews: the signed-in key worker's overdue reviews and those due this week."""
from __future__ import annotations

from typing import Any

from keyworker import review_schedule as rs
from ui.today import TodayItem, register_today_section


def _item(d: Any) -> TodayItem:
    kind = "" if d.kind == rs.REGULAR else f" — {d.kind_label}"
    return TodayItem(f"{d.resident_name} ({d.reference}){kind}", d.resident_id, d.due_on, d.status == rs.OVERDUE)


def reviews_overdue(book: Any) -> list[TodayItem]:
    return [_item(d) for d in book.reviews.due("mine") if d.status == rs.OVERDUE]


def reviews_this_week(book: Any) -> list[TodayItem]:
    return [_item(d) for d in book.reviews.due("mine") if d.status in (rs.DUE_TODAY, rs.DUE_THIS_WEEK)]


register_today_section("reviews_overdue", "Reviews overdue", reviews_overdue, 30)
register_today_section("reviews_due_week", "Reviews due this week", reviews_this_week, 31)
