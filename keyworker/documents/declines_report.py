"""The declined-referrals report as a PDF for the Authority's nominated person (specification
4.1.2.3): the period, the counts (by reason, by referrer organisation, in time or late against
the 5-working-day deadline), an overview table, then each referral's reasons in full."""

from __future__ import annotations

from datetime import datetime

from reportlab.platypus import Flowable

from keyworker.clock import format_date, format_datetime
from keyworker.documents.layout import fields, grid, heading, keep, markup, para, render, spacer
from keyworker.reports.declines import DeclinesReport

TITLE = "Declined referrals"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _summary(report: DeclinesReport) -> list[Flowable]:
    pct = report.in_time_pct
    counts = fields([
        ("Period", report.period.label),
        ("Referrals declined", str(report.total)),
        ("Decided within 5 working days", f"{report.in_time}" + (f" ({pct}%)" if pct is not None else "")),
        ("Decided late", str(report.late)),
    ], label_width_mm=62)
    if not report.rows:
        return [counts]
    return [
        counts,
        heading("By reason"),
        grid(["Reason", "Declined"], [[label, str(n)] for label, n in report.by_reason], [140, 30]),
        heading("By referrer organisation"),
        grid(["Referrer organisation", "Declined"], [[org, str(n)] for org, n in report.by_organisation],
             [140, 30]),
    ]


def _overview(report: DeclinesReport) -> list[Flowable]:
    rows = [
        [str(i), format_date(r.decided_at), r.name, r.organisation, r.reason_category_label,
         "Yes" if r.in_time else f"No (due {format_date(r.decision_due_on)})"]
        for i, r in enumerate(report.rows, start=1)
    ]
    return [
        heading("Declined referrals"),
        grid(["#", "Decided", "Name", "Referrer organisation", "Reason", "In time"], rows,
             [9, 25, 32, 34, 44, 26]),
    ]


def _in_full(report: DeclinesReport) -> list[Flowable]:
    # The spacer keeps this heading from being glued to the first kept block (layout joins a
    # heading to a following keep(), and a nested keep moved the pair to a new page half empty).
    story: list[Flowable] = [heading("Reasons in full"), spacer(0.5)]
    for i, r in enumerate(report.rows, start=1):
        timing = (f"Within the deadline ({_count(r.working_days_taken, 'working day', 'working days')})"
                  if r.in_time else
                  f"Late: due by {format_date(r.decision_due_on)}, decided after "
                  f"{_count(r.working_days_taken, 'working day', 'working days')}")
        story.append(keep(
            heading(f"{i}. {r.name}", 3),
            fields([
                ("Referral received", format_datetime(r.received_at)),
                ("Decided", format_datetime(r.decided_at) + (f" by {r.decided_by}" if r.decided_by else "")),
                ("5 working days", timing),
                ("Referrer", f"{r.referrer_name}, {r.organisation}"),
                ("Community Treatment Provider", r.community_treatment_provider),
                ("Admission category", r.admission_category),
                ("Reason", r.reason_category_label),
                ("Reasons given in writing", r.reasons),
            ], label_width_mm=62),
        ))
        story.append(spacer(2))
    return story


def _short(report: DeclinesReport) -> str:
    p = report.period
    return f"{p.quarter[:4]} {p.quarter[4:]}" if p.quarter else f"{format_date(p.start)} to {format_date(p.end)}"


def declines_report_pdf(report: DeclinesReport, unit_name: str, generated_at: datetime) -> bytes:
    unit = unit_name or "the unit"
    story: list[Flowable] = [
        markup(TITLE, "title"),
        para(
            f"Referrals that {unit} did not accept, decided between {format_date(report.period.start)} and "
            f"{format_date(report.period.end)}, with the reasons given to each referrer in writing "
            "(service specification 4.1.2.3). A decision is in time when it was made within 5 working days "
            "of the referral being received."
        ),
        spacer(2),
        *_summary(report),
    ]
    if report.rows:
        story += _overview(report) + _in_full(report)
    else:
        story.append(spacer())
        story.append(para("No referrals were declined in this period."))
    return render(
        story,
        title=f"{TITLE}, {_short(report)}",
        unit_name=unit_name,
        generated_at=generated_at,
        subject=f"{TITLE}: {report.period.label}",
    )
