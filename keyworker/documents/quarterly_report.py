"""The quarterly contract report as a PDF (issue 15): the unit's letterhead, our reference and the
date, who prepared it, a bar chart of the shares the contract holds the unit to, then one table
per section (count, of how many, share) with a chart where a manager would rather look than
read (admissions by setting, discharges by type). Unit figures only, no names."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from keyworker.charts.pdf import ChartFlowable
from keyworker.clock import format_date, to_local
from keyworker.documents.layout import fields, grid, heading, keep, markup, para, references, render, spacer
from keyworker.documents.layout import letterhead
from keyworker.reports import quarterly as q

if TYPE_CHECKING:
    from keyworker.unit_profile import UnitProfile

TITLE = q.TITLE
WIDTHS = [96, 22, 26, 26]


def reference(report: q.QuarterlyReport) -> str:
    return f"QR-{report.period.slug}"


def _empty_item(f: q.Figure) -> bool:
    """A line of a breakdown with nothing behind it (a Star area no resident had two readings in,
    a TOP measure nobody answered twice, a survey question unanswered): left out of the printed
    table, which would otherwise be a column of zeros on a quiet quarter. The CSV keeps every line."""
    return bool(f.group) and not f.count and not f.denominator and not f.value


def _rows(figures: list[q.Figure]) -> list[list[str | None]]:
    out: list[list[str | None]] = []
    group = None
    for f in figures:
        if f.group != group and f.group:
            out.append([f"{f.group}:", "", "", ""])
            if all(_empty_item(g) for g in figures if g.group == f.group):
                out.append(["\u00a0\u00a0\u00a0\u00a0None this quarter", "", "", ""])
        group = f.group
        if _empty_item(f):
            continue
        name = f"\u00a0\u00a0\u00a0\u00a0{f.name}" if f.group else f.name  # kept by the table
        count = "" if f.count is None else str(f.count)
        if f.value:
            count = f"{count} (mean {f.value})" if count else f.value
        out.append([name, count, "" if f.denominator is None else str(f.denominator), f.share_text or "—"
                    if f.denominator is not None else ""])
    return out


def _section(report: q.QuarterlyReport, name: str) -> list[Flowable]:
    figures = report.section(name)
    story: list[Flowable] = [heading(name),
                             grid(["Figure", "Count", "Of", "Share"], _rows(figures), WIDTHS)]
    charts = {q.ADMISSIONS: [("By setting", "Admissions by setting")],
              q.DISCHARGES: [("By type", "Discharges by type")],
              q.REFERRALS: [("Decline reasons", "Referrals declined, by reason")]}.get(name, [])
    for group, title in charts:
        chart = q.breakdown_chart(report, name, group, title)
        if chart is not None:
            story += [spacer(2), keep(ChartFlowable(chart, 170 * mm))]
    return story


def quarterly_report_pdf(report: q.QuarterlyReport, profile: UnitProfile, generated_at: datetime,
                         prepared_by: str) -> bytes:
    p = report.period
    unit = profile.unit_name or "the unit"
    story: list[Flowable] = [
        *letterhead(profile),
        references(reference(report), dated=to_local(generated_at).date()),
        spacer(3),
        markup(f"{TITLE}: {p.label}", "title"),
        para(f"The contract figures for {unit} from {format_date(p.start)} to {format_date(p.end)}: referrals, "
             "admissions, reviews and meetings, discharges, follow-ups, outcomes, incidents and safeguarding, "
             "and the protected characteristics of the residents in treatment. Each share is the count of how "
             "many it could have been; a dash means there was nothing to count. Unit figures only, no names."),
        fields([("Prepared by", prepared_by or "—")], label_width_mm=40),
        spacer(2),
        keep(ChartFlowable(q.shares_chart(report), 170 * mm)),
    ]
    for name in report.sections:
        story += _section(report, name)
    story += [spacer(3), para("How every figure is counted is set out in the unit's returns guide (The quarterly "
                              "report).", "small")]
    return render(story, title=f"{TITLE}, {p.quarter or p.slug}", unit_name=profile.unit_name,
                  generated_at=generated_at, subject=f"{TITLE}: {p.label}", profile=profile)
