"""How a risk level reads on screen: words with a symbol (never colour alone), and one assessment
as HTML for the Risk tab and an old version's read-only view."""
from __future__ import annotations

import html

from keyworker import risk_domains as rd
from keyworker.clock import format_date, format_datetime
from keyworker.risk import RiskView

# A shape for each level, so the level reads without colour: ▲ high, ◆ medium, ● low, ○ not assessed.
SYMBOLS = {rd.HIGH: "\u25b2", rd.MEDIUM: "\u25c6", rd.LOW: "\u25cf"}
NOT_ASSESSED_SYMBOL = "\u25cb"
LABEL_TO_LEVEL = {label: level for level, label in rd.LEVELS.items()}


def level_text(level: str | None) -> str:
    """"▲ High", "◆ Medium", "● Low" or "○ Not assessed"."""
    return f"{SYMBOLS.get(level or '', NOT_ASSESSED_SYMBOL)} {rd.level_label(level)}"


def label_text(label: str) -> str:
    """The same from a level's label ("High"), as the caseload row carries it."""
    return level_text(LABEL_TO_LEVEL.get(label))


def _lines(text: str) -> str:
    return html.escape(text).replace("\n", "<br/>")


def contingency_html(view: RiskView) -> str:
    rows = "".join(
        f"<tr><td width='38%' style='padding:2px 12px 2px 0'><b>{html.escape(label)}</b></td>"
        f"<td style='padding:2px 0'>{_lines(getattr(view.contingency, key)) or '<i>Not yet agreed</i>'}</td></tr>"
        for key, label in rd.CONTINGENCY_FIELDS.items())
    return f"<table width='100%' cellspacing='0' cellpadding='4' bgcolor='#fff4dc'>{rows}</table>"


def assessment_html(view: RiskView) -> str:
    """The whole assessment, in the order a night worker needs it: the contingency plan first."""
    e = html.escape
    parts = ["<h3>If the resident leaves unplanned: the contingency plan</h3>", contingency_html(view)]
    if not view.has_contingency:
        parts.append("<p><b>\u26a0 The contingency plan is not complete yet.</b></p>")
    parts.append("<h3>Overall level</h3>")
    parts.append(f"<p><b>{e(level_text(view.overall_level))}</b> (suggested from the ratings: "
                 f"{e(rd.level_label(view.suggested_level))})</p>")
    if view.overall_reason:
        parts.append(f"<p>Set below the highest rating because: {_lines(view.overall_reason)}</p>")
    parts.append("<h3>Risk areas</h3><table width='100%' cellspacing='0' cellpadding='3'>")
    for d in view.domains:
        parts.append(f"<tr><td valign='top' width='28%'><b>{e(d.label)}</b><br/>{e(level_text(d.rating))}</td>"
                     f"<td valign='top'>{_lines(d.evidence)}</td></tr>")
    parts.append("</table><h3>Risk management plan</h3>")
    if view.actions:
        parts.append("<table width='100%' cellspacing='0' cellpadding='3'><tr><th align='left'>What</th>"
                     "<th align='left'>Who</th><th align='left'>By when</th></tr>")
        for a in view.actions:
            parts.append(f"<tr><td valign='top'>{_lines(a.what)}</td><td valign='top'>{e(a.who)}</td>"
                         f"<td valign='top'>{format_date(a.by_when)}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p><i>No actions recorded.</i></p>")
    review = f"Next review by {format_date(view.review_on)}"
    if view.review_reason:
        review += f" (later than usual because: {e(view.review_reason)})"
    parts.append(f"<h3>Review</h3><p>{review}</p>")
    why = f" Why: {e(view.reason)}" if view.reason else ""
    parts.append(f"<p><i>Version {view.number}, saved {format_datetime(view.saved_at)} by "
                 f"{e(view.saved_by or 'unknown')}.{why}</i></p>")
    return "".join(parts)
