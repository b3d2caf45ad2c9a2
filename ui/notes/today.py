"""Today: a night worker sees the handover (since the start of the previous shift); key workers
and seniors see the notes flagged for the next shift (their residents', or the unit's)."""
from __future__ import annotations

from typing import Any

from keyworker.security.permissions import Permission, Role
from ui.today import MINE, TodayItem, register_today_section


def _flag_text(name: str, reference: str, title: str, by: str) -> str:
    return f"{name} ({reference}): {title.lower()}" + (f" from {by}" if by else "")


def handover_items(book: Any) -> list[TodayItem]:
    h = book.notes.handover()
    return [TodayItem(("⚑ " if i.flagged else "") + f"{i.resident_name} ({i.reference}), {i.when_text}: "
                      f"{i.title} — {i.text[:120]}{'…' if len(i.text) > 120 else ''}", i.resident_id, tab="notes")
            for i in h.items]


def flagged_items(book: Any, scope: str = MINE) -> list[TodayItem]:
    return [TodayItem("⚑ " + _flag_text(i.resident_name, i.reference, i.title, i.by_name), i.resident_id,
                      tab="notes") for i in book.notes.open_flags(scope)]


register_today_section("handover", "Handover since the previous shift", handover_items, 5,
                       permission=Permission.WRITE_NOTES, roles=frozenset({Role.OUT_OF_HOURS}))
register_today_section("handover_flags", "Flagged for the next shift", flagged_items, 6,
                       permission=Permission.WRITE_NOTES, roles=frozenset({Role.KEY_WORKER, Role.SENIOR}))
