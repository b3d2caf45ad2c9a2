"""Today sections for reviews: overdue reviews and those due this week, of the signed-in key
worker's residents or the whole unit's (a senior's Unit view), and mid-way or pre-discharge
meetings held without the referrer invited, until put right. A row opens the Reviews tab."""
from __future__ import annotations

from typing import Any

from keyworker import review_schedule as rs
from keyworker.clock import format_date
from keyworker.security.permissions import Permission
from ui.today import MINE, TodayItem, register_today_section


def _item(d: Any, scope: str) -> TodayItem:
    kind = "" if d.kind == rs.REGULAR else f" — {d.kind_label}"
    who = f" · key worker {d.key_worker_name}" if scope != MINE and d.key_worker_name else ""
    return TodayItem(f"{d.resident_name} ({d.reference}){kind}{who}", d.resident_id, d.due_on,
                     d.status == rs.OVERDUE, tab="reviews")


def reviews_overdue(book: Any, scope: str = MINE) -> list[TodayItem]:
    return [_item(d, scope) for d in book.reviews.due(scope) if d.status == rs.OVERDUE]


def reviews_this_week(book: Any, scope: str = MINE) -> list[TodayItem]:
    return [_item(d, scope) for d in book.reviews.due(scope) if d.status in (rs.DUE_TODAY, rs.DUE_THIS_WEEK)]


def referrer_not_invited(book: Any, scope: str = MINE) -> list[TodayItem]:
    """Open until it is put right on the resident's Reviews tab ("Put right…")."""
    return [TodayItem(f"Referrer not invited to the {f.kind_label.lower()} of {format_date(f.held_on)} — "
                      f"{f.resident_name} ({f.reference})"
                      + (f" · {f.key_worker_name}" if scope != MINE and f.key_worker_name else ""),
                      f.resident_id, tab="reviews")
            for f in book.reviews.referrer_flags(scope)]


register_today_section("reviews_overdue", "Reviews overdue", reviews_overdue, 30, permission=Permission.RECORD_REVIEWS)
register_today_section("reviews_due_week", "Reviews due this week", reviews_this_week, 31,
                       permission=Permission.RECORD_REVIEWS)
register_today_section("referrer_not_invited", "Referrer not invited", referrer_not_invited, 32,
                       permission=Permission.RECORD_REVIEWS)
