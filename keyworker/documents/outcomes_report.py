"""The quarterly outcomes report as a PDF (contract 11.1.4–11.1.12; issue 14 part Q1): the
unit's letterhead, the period, then a table per section: the Outcome Star (with the radar of
the unit's mean first and latest reading), TOP compliance and change, satisfaction surveys.
Unit figures only, no names."""
from __future__ import annotations

from datetime import datetime

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from keyworker.charts.pdf import ChartFlowable
from keyworker.clock import format_date
from keyworker.documents.layout import fields, grid, heading, keep, markup, para, render, spacer
from keyworker.reports.outcomes import OutcomesReport, unit_star_chart
from keyworker.reports.outcomes import num as _num

TITLE = "Quarterly outcomes report"


def num(v: float | None, places: int = 2, *, signed: bool = False) -> str:
    """A figure, or a dash where there is none (nobody to average over)."""
    return _num(v, places, signed=signed) or "—"


def _short(report: OutcomesReport) -> str:
    p = report.period
    return f"{p.quarter[:4]} {p.quarter[4:]}" if p.quarter else f"{format_date(p.start)} to {format_date(p.end)}"


def _star(report: OutcomesReport) -> list[Flowable]:
    st = report.star
    story: list[Flowable] = [
        heading(f"Outcome Star ({st.definition_name})"),
        fields([("Residents with star readings", str(st.residents_with_readings)),
                ("With two or more readings", str(st.residents_compared))], label_width_mm=62),
        spacer(2),
    ]
    if not st.residents_compared:
        story.append(para("No resident had two readings by the end of the period, so no change can be shown."))
        return story
    rows = [[a.name, str(a.residents), num(a.mean_first), num(a.mean_latest), num(a.mean_change, signed=True),
             f"{num(a.improved_pct, 1)}%" if a.improved_pct is not None else "—",
             ] for a in st.areas]
    story.append(grid(["Area", "Residents", "Mean first", "Mean latest", "Mean change", "Improved"], rows,
                      [46, 25, 22, 24, 25, 24]))
    chart = unit_star_chart(report)
    if chart is not None:
        story += [spacer(3), keep(ChartFlowable(chart, 105 * mm),
                                  para("Filled: the mean latest score per area; dashed: the mean first score, "
                                       "over the residents with two or more readings.", "small"))]
    return story


def _top(report: OutcomesReport) -> list[Flowable]:
    t = report.top
    c = t.compliance
    story: list[Flowable] = [
        heading("Treatment Outcomes Profile (TOP)"),
        fields([("TOPs due in the period", str(c.due)), ("Completed", str(c.completed)),
                ("Compliance", f"{c.pct:.1f}% (target {c.target_pct:.0f}%)" if c.pct is not None else
                 "No TOPs were due"),
                ("Stays with a start TOP and a later TOP", str(t.pairs))], label_width_mm=62),
        para(c.summary, "small"),
        spacer(2),
    ]
    if not t.pairs:
        story.append(para("No stay had a start TOP and a later TOP by the end of the period."))
        return story
    head = ["Measure", "People", "Mean at start", "Mean latest", "Mean change"]
    widths = [62, 22, 28, 28, 27]
    story.append(grid(head, [[m.measure + " (0–20)", str(m.people), num(m.mean_start), num(m.mean_latest),
                              num(m.mean_change, signed=True)] for m in t.scales], widths))
    story += [spacer(2), para("Days of use in the past 28 days, for the people using each substance at the "
                              "start TOP:", "small")]
    story.append(grid(head, [[m.measure, str(m.people), num(m.mean_start), num(m.mean_latest),
                              num(m.mean_change, signed=True)] for m in t.days_of_use], widths))
    return story


def _surveys(report: OutcomesReport) -> list[Flowable]:
    sv = report.surveys
    story: list[Flowable] = [
        heading("Satisfaction surveys"),
        fields([("Surveys from residents", str(sv.resident_surveys)),
                ("Surveys from carers or family members", str(sv.carer_surveys)),
                ("Residents surveyed", str(sv.residents_surveyed))], label_width_mm=62),
        spacer(2),
    ]
    if not (sv.resident_surveys or sv.carer_surveys):
        story.append(para("No satisfaction surveys were recorded in this period."))
        return story
    story.append(grid(["Question (1 to 5)", "Residents", "Carers or family", "Everyone", "Answers"],
                      [[r.label, num(r.residents), num(r.carers), num(r.everyone), str(r.answered)]
                       for r in sv.ratings], [62, 25, 32, 25, 23]))
    return story


def outcomes_report_pdf(report: OutcomesReport, unit_name: str, generated_at: datetime) -> bytes:
    unit = unit_name or "the unit"
    p = report.period
    story: list[Flowable] = [
        markup(TITLE, "title"),
        para(f"Outcomes for {unit} from {format_date(p.start)} to {format_date(p.end)} (service specification "
             f"11.1.4 to 11.1.12): distance travelled on the Outcome Star, Treatment Outcomes Profile compliance "
             f"and change, and satisfaction surveys. {report.stays} stay{'' if report.stays == 1 else 's'} "
             "were open on at least one day of the period; readings and TOPs count up to its last day."),
        spacer(2),
        *_star(report),
        *_top(report),
        *_surveys(report),
    ]
    return render(story, title=f"{TITLE}, {_short(report)}", unit_name=unit_name, generated_at=generated_at,
                  subject=f"{TITLE}: {p.label}")
