"""The resident header's risk slot and its "Risk review overdue" warning (ui.resident.tabs
register_header_item): the overall level in words with a symbol, never colour alone."""
from __future__ import annotations

from typing import Any

from keyworker import risk_domains as rd
from keyworker.clock import format_date
from keyworker.errors import NotFound
from ui.resident.tabs import HeaderItem
from ui.risk.words import SYMBOLS

_SEVERITY = {rd.HIGH: "danger", rd.MEDIUM: "warning", rd.LOW: "info"}


def risk_items(book: Any, resident_id: str) -> list[HeaderItem] | None:
    """First the level ("▲ High risk" ...), then, if the review date has passed, a warning."""
    try:
        view = book.risk.current(resident_id=resident_id)
    except NotFound:  # never admitted: the header's own "not yet assessed" stands
        return None
    if view is None:
        return [HeaderItem("Risk: not yet assessed", "warning", "\u25cb",
                           "No risk assessment for this stay yet: see the Risk tab.")]
    level = view.overall_level
    items = [HeaderItem(f"{rd.level_label(level)} risk", _SEVERITY.get(level, "info"), SYMBOLS.get(level, ""),
                        view.summary + " Click to open the Risk tab.")]
    if view.overdue:
        items.append(HeaderItem("Risk review overdue", "warning", "\u26a0",
                                f"The risk review was due on {format_date(view.review_on)}."))
    return items
