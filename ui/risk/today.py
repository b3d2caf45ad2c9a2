"""Today sections for risk: "Risk reviews overdue" for those who record them (the review date has
passed, or an incident or relapse asked for one), and "High-risk residents" for out-of-hours staff,
each with the first thing to do if they leave. A row opens the resident's Risk tab."""
from __future__ import annotations

from typing import Any

from keyworker import risk_domains as rd
from keyworker.clock import local_today
from keyworker.security.permissions import Permission, Role
from ui.risk.words import level_text
from ui.today import MINE, TodayItem, register_today_section

HIGH_LIMIT = 100  # a unit has tens of residents


def risk_reviews_overdue(book: Any, scope: str = MINE) -> list[TodayItem]:
    """A passed review date is shown by the page as "overdue since"; an incident's or a relapse's
    request says itself what happened and when."""
    today = local_today(book.clock)
    items = []
    for d in book.risk.overdue(scope):
        head = f"{d.name} ({d.reference}) — {level_text(d.overall_level or None)}"
        if d.review_on is not None and d.review_on < today:
            items.append(TodayItem(head, d.resident_id, d.review_on, True, tab="risk"))
        else:
            items.append(TodayItem(f"{head} — {d.why}", d.resident_id, tab="risk"))
    return items


def contingency_headline(view: Any) -> str:
    c = view.contingency
    parts = [f"if they leave, tell {c.who_to_tell.strip()}" if c.who_to_tell.strip() else "",
             f"likely at {c.likely_destination.strip()}" if c.likely_destination.strip() else ""]
    said = "; ".join(p for p in parts if p)
    return said or "no contingency plan yet: see the Risk tab"


def high_risk_residents(book: Any) -> list[TodayItem]:
    """Current residents rated high, each with the contingency plan's headline (one audited read each)."""
    ids = book.caseload.ids(book.caseload.filter(sort_key="risk"))  # highest first
    high = [r for r in book.caseload.rows(ids[:HIGH_LIMIT]) if r.current and r.risk_level == rd.LEVELS[rd.HIGH]]
    items = []
    for row in high:
        view = book.risk.current(resident_id=row.resident_id)
        if view is None:
            continue
        items.append(TodayItem(f"{level_text(rd.HIGH)} — {row.name} ({row.reference}) — {contingency_headline(view)}",
                               row.resident_id, tab="risk"))
    return items


def register_sections() -> None:
    register_today_section("risk_reviews_overdue", "Risk reviews overdue", risk_reviews_overdue, 25,
                           permission=Permission.RECORD_RISK)
    register_today_section("high_risk_residents", "High-risk residents", high_risk_residents, 14,
                           roles=frozenset({Role.OUT_OF_HOURS}))


register_sections()
