"""The risk assessment printed (issue 10): the unit's letterhead, whose assessment it is on every
page, the version and who saved it, the contingency plan for an unplanned discharge first (a
night worker acts on it), then the overall level, every domain with its evidence, the risk
management plan and the review date. Built with keyworker/documents/layout.py as the care plan is."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from reportlab.platypus import Flowable

from keyworker import risk_domains as rd
from keyworker.clock import format_date, format_datetime
from keyworker.documents.layout import fields, grid, heading, letterhead, para, render, spacer

if TYPE_CHECKING:
    from keyworker.risk import RiskView
    from keyworker.unit_profile import UnitProfile

TITLE = "Risk assessment and risk management plan"


def build(view: RiskView, *, profile: UnitProfile, generated_at: datetime) -> bytes:
    """The letterhead on page 1; the resident's name and reference and the unit's footer on every page."""
    return render([*letterhead(profile), *_story(view)], title=TITLE, profile=profile, generated_at=generated_at,
                  subject=f"{TITLE}: {view.reference}", running_header=running_header(view))


def running_header(view: RiskView) -> str:
    """Whose assessment this is, on every page, so a loose page can be put back."""
    return f"{view.resident_name}  ·  {view.reference}"


def _story(view: RiskView) -> list[Flowable]:
    story: list[Flowable] = [para(TITLE, "title")]
    review = format_date(view.review_on) + (" (overdue)" if view.overdue else "")
    rows: list[tuple[str, str | None]] = [
        ("Resident", view.resident_name),
        ("Reference", view.reference),
        ("Version", f"{view.number}, saved {format_datetime(view.saved_at)} by {view.saved_by or 'unknown'}"
                    + ("" if view.is_current else " (not the current version)")),
        ("Reason for this version", view.reason),
        ("Overall risk", view.overall_label),
        ("Suggested level", f"{rd.level_label(view.suggested_level)} (the highest rating)"),
    ]
    if view.overall_reason:
        rows.append(("Why the overall level is lower", view.overall_reason))
    rows.append(("Next review by", review))
    if view.review_reason:
        rows.append(("Why the review can wait", view.review_reason))
    story.append(fields(rows))
    story.append(heading("Contingency plan for an unplanned discharge"))
    story.append(fields([(label, getattr(view.contingency, key) or "Not yet agreed")
                         for key, label in rd.CONTINGENCY_FIELDS.items()]))
    story.append(heading("Risk areas"))
    story.append(grid(["Risk area", "Rating", "Evidence"],
                      [[d.label, d.rating_label, d.evidence] for d in view.domains], [44, 20, 106]))
    story.append(heading("Risk management plan"))
    if view.actions:
        story.append(grid(["What will be done", "Who", "By when"],
                          [[a.what, a.who, format_date(a.by_when)] for a in view.actions], [100, 44, 26]))
    else:
        story.append(para("No actions recorded.", "small"))
    if view.prompts:
        story.append(heading("Why a review is due"))
        for p in view.prompts:
            story.append(para(p.text))
    story.append(spacer(2))
    return story
