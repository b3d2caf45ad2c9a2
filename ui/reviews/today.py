"""Today sections for reviews: the signed-in key worker's overdue reviews and those due this week,
and mid-way or pre-discharge meetings held without the referrer invited, until put right."""
from __future__ import annotations

from typing import Any

from keyworker import review_schedule as rs
from keyworker.clock import format_date
from ui.today import TodayItem, register_today_section


def _item(d: Any) -> TodayItem:
    kind = "" if d.kind == rs.REGULAR else f" — {d.kind_label}"
    return TodayItem(f"{d.resident_name} ({d.reference}){kind}", d.resident_id, d.due_on, d.status == rs.OVERDUE)


def reviews_overdue(book: Any) -> list[TodayItem]:
    return [_item(d) for d in book.reviews.due("mine") if d.status == rs.OVERDUE]


def reviews_this_week(book: Any) -> list[TodayItem]:
    return [_item(d) for d in book.reviews.due("mine") if d.status in (rs.DUE_TODAY, rs.DUE_THIS_WEEK)]


def referrer_not_invited(book: Any, scope: str = "mine") -> list[TodayItem]:
    """Open until it is put right on the resident's Reviews tab ("Put right…")."""
    return [TodayItem(f"Referrer not invited to the {f.kind_label.lower()} of {format_date(f.held_on)} — "
                      f"{f.resident_name} ({f.reference})", f.resident_id)
            for f in book.reviews.referrer_flags(scope)]


register_today_section("reviews_overdue", "Reviews overdue", reviews_overdue, 30)
register_today_section("reviews_due_week", "Reviews due this week", reviews_this_week, 31)
register_today_section("referrer_not_invited", "Referrer not invited", referrer_not_invited, 32)
