"""How the domestic abuse checklist's result and a referral's links read on screen."""
from __future__ import annotations

from typing import Any

from keyworker import da_checklist as da
from keyworker.clock import format_date
from keyworker.safeguarding import MARAC_GROUNDS


def level_words(level: str, yes_count: int, visible_level: str) -> str:
    """ "Visible high risk (15 of 24)", "High risk by professional judgement (6 of 24 “yes”)" ..."""
    of = f"{yes_count} of {da.QUESTION_COUNT}"
    if level == da.HIGH and visible_level == da.HIGH:
        return f"Visible high risk ({of})"
    if level != visible_level:
        return f"{da.LEVELS[level]} risk by professional judgement ({of} “yes”)"
    return f"{da.LEVELS[level]} risk ({of})"


def checklist_words(c: Any) -> str:
    return level_words(c.level, c.yes_count, c.visible_level)


def escalation_words(esc: Any) -> str:
    n = len(esc.incident_days)
    text = (f"{n} domestic abuse incident{'s' if n != 1 else ''} in the 12 months since "
            f"{format_date(esc.window_start)}")
    return ("⚠ " + text + ": potential escalation") if esc.prompted else text


def link_options(incidents: list[Any], checklists: list[Any], risk: Any | None) -> list[tuple[str, str]]:
    """What a referral may be linked to, newest first in each kind: ("incident:<id>", words) ..."""
    out = [(f"incident:{x.id}", f"Incident: {x.kind_label}, {x.when_text}") for x in incidents]
    out += [(f"checklist:{c.id}", f"Checklist of {format_date(c.completed_on)}: {checklist_words(c)}")
            for c in checklists]
    if risk is not None:
        out.append((f"risk:{risk.assessment_id}", f"Risk assessment (version {risk.number}, "
                                                  f"{format_date(risk.saved_at)}): {risk.overall_label}"))
    return out


def raised_by_words(r: Any, options: list[tuple[str, str]]) -> str:
    """What raised a referral, with its date, from the resident's own list (else plainly)."""
    labels = dict(options)
    for prefix, value, plain in (("incident", r.incident_id, "An incident"),
                                 ("checklist", r.checklist_id, "A domestic abuse checklist"),
                                 ("risk", r.risk_assessment_id, "A risk assessment")):
        if value:
            return labels.get(f"{prefix}:{value}", plain)
    return "—"


def grounds_words(grounds: str | None) -> str:
    return MARAC_GROUNDS.get(grounds or "", "")
