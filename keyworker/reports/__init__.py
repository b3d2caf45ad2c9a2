"""Reports for the unit's managers and the Authority: `book.reports`. Producing any report is
audited with its period and size, never with a name from it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from collections.abc import Callable
from typing import TYPE_CHECKING

from keyworker.errors import ValidationError
from keyworker.input_types import typed_inputs
from keyworker.clock import local_today
from keyworker.reports.declines import DeclineLine, DeclinesReport, declines_report_csv
from keyworker.reports.outcomes import OutcomesReport, outcomes_report_csv
from keyworker.reports.quarterly import QuarterlyReport, quarterly_report_csv
from keyworker.reports.periods import Period, between, previous_quarter, quarter, quarter_of
from keyworker.security.permissions import Permission

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from keyworker.casebook import Casebook
    from keyworker.top import TopCompliance
    from keyworker.unit_profile import UnitProfile

OUTPUTS = ("view", "pdf", "csv", "print")
DECLINES_KIND = "declines_report"  # the document's and the outbox item's kind
QUARTERLY_KIND = "quarterly_report"  # aggregate figures only, never line level


@dataclass(frozen=True)
class ReportSent:
    """A report filed and waiting in the outbox for the Authority's nominated person. `created`
    is False when exactly this report (same period, same referrals and reasons) was already
    queued: nothing was added and the earlier item is named."""

    document_id: str | None
    item_id: str
    rows: int
    recipient_name: str
    recipient_email: str | None
    no_destination: bool
    created: bool = True


class ReportService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    @typed_inputs(requires=Permission.VIEW_REPORTS)
    def declines(self, period: Period, *, output: str = "view") -> DeclinesReport:
        """Declined referrals decided in `period` with their reasons and counts (4.1.2.3).
        `output` says what the report is for (view, pdf, csv, print), for the audit trail."""
        from keyworker.reports import declines as mod

        if output not in OUTPUTS:
            raise ValidationError({"output": f"Unknown report output '{output}'."})
        with self._book._write() as s:
            report = mod.build(mod.query(s, period), period)
            self._book._record(
                s,
                "report.declines",
                "report",
                None,
                detail={
                    "from": period.start.isoformat(),
                    "to": period.end.isoformat(),
                    "rows": report.total,
                    "output": output,
                },
            )
        return report

    @typed_inputs(requires=Permission.DECIDE_REFERRALS)
    def send_declines(self, period: Period) -> ReportSent:
        """Send the declined-referrals report for `period` to the Authority's nominated person
        (the unit profile's `authority_name` / `authority_email`, 4.1.2.3): the PDF is filed as a
        document and put in the outbox ("declines_report") in one transaction, audited
        `report.declines_send`. A senior's act: the decisions in it are theirs. The same report
        sent twice (nothing changed in the period) adds no second item."""
        from keyworker.documents.declines_report import declines_report_pdf
        from keyworker.reports import declines as mod

        with self._book._write() as s:
            profile = _authority_profile(s)
            report = mod.build(mod.query(s, period), period)
            return self._queue_for_authority(
                s, profile, kind=DECLINES_KIND, period=period, csv=declines_report_csv(report), rows=report.total,
                title=f"Declined referrals {period.slug}", action="report.declines_send",
                pdf=lambda: declines_report_pdf(report, profile.unit_name, self._book.clock.now()))

    @typed_inputs(requires=Permission.VIEW_REPORTS)
    def outcomes(self, period: Period, *, output: str = "view") -> OutcomesReport:
        """The quarterly outcomes report for `period` (keyworker/reports/outcomes.py: the Outcome
        Star's change per area, TOP compliance and change, satisfaction surveys). Unit figures
        only; audited `report.outcomes` with the period, the residents counted and `output`."""
        from keyworker.reports import outcomes as mod

        if output not in OUTPUTS:
            raise ValidationError({"output": f"Unknown report output '{output}'."})
        compliance = self._compliance(period)
        with self._book._write() as s:
            report = mod.query(s, period, compliance)
            self._book._record(
                s,
                "report.outcomes",
                "report",
                None,
                detail={
                    "from": period.start.isoformat(),
                    "to": period.end.isoformat(),
                    "residents": report.star.residents_with_readings,
                    "output": output,
                },
            )
        return report

    @typed_inputs(requires=Permission.VIEW_REPORTS)
    def quarterly(self, period: Period, *, output: str = "view") -> QuarterlyReport:
        """The quarterly contract report for `period` (keyworker/reports/quarterly.py: referrals,
        admissions, reviews and meetings, discharges, follow-ups, outcomes, incidents and
        safeguarding, protected characteristics), unit figures only. The outcomes figures are
        `outcomes`' own. Audited `report.quarterly` with the period, the residents in treatment and
        `output` (view, pdf, csv, print)."""
        from keyworker.reports import quarterly as mod

        if output not in OUTPUTS:
            raise ValidationError({"output": f"Unknown report output '{output}'."})
        compliance = self._compliance(period)
        with self._book._write() as s:
            report = _quarterly_report(s, period, compliance)
            self._book._record(s, "report.quarterly", "report", None,
                               detail={"from": period.start.isoformat(), "to": period.end.isoformat(),
                                       "residents": report.get(mod.PEOPLE, "Residents in treatment in the period")
                                       .count, "output": output})
        return report

    @typed_inputs(requires=Permission.VIEW_REPORTS)
    def quarterly_pdf(self, period: Period) -> bytes:
        """The quarterly report as a PDF on the unit's letterhead, prepared by the signed-in person
        (audited as a PDF). The caller saves it with `write_private`."""
        from keyworker.documents.quarterly_report import quarterly_report_pdf

        report = self.quarterly(period, output="pdf")
        return quarterly_report_pdf(report, self._book.unit_profile.get(), self._book.clock.now(),
                                    self.prepared_by())

    @typed_inputs(requires=Permission.VIEW_REPORTS)
    def quarterly_csv(self, period: Period) -> bytes:
        """The quarterly report as CSV, one row per figure (audited as a CSV)."""
        return quarterly_report_csv(self.quarterly(period, output="csv"))

    @typed_inputs(requires=Permission.DECIDE_REFERRALS)
    def send_quarterly(self, period: Period) -> ReportSent:
        """Send the quarterly report for `period` to the Authority's nominated person, like the
        declined-referrals report: the PDF filed as a document and queued in the outbox
        ("quarterly_report": aggregate figures, no line-level data) in one transaction, audited
        `report.quarterly_send`. The same figures sent twice add no second item."""
        from keyworker.documents.quarterly_report import quarterly_report_pdf

        compliance = self._compliance(period)
        with self._book._write() as s:
            profile = _authority_profile(s)
            report = _quarterly_report(s, period, compliance)
            return self._queue_for_authority(
                s, profile, kind=QUARTERLY_KIND, period=period, csv=quarterly_report_csv(report),
                rows=len(report.figures), title=f"Quarterly report {period.slug}", action="report.quarterly_send",
                pdf=lambda: quarterly_report_pdf(report, profile, self._book.clock.now(), self.prepared_by()))

    def _queue_for_authority(self, s: Session, profile: UnitProfile, *, kind: str, period: Period, csv: bytes,
                             rows: int, title: str, action: str, pdf: Callable[[], bytes]) -> ReportSent:
        """File a report's PDF and queue it for the Authority's nominated person, in the caller's
        transaction, unless exactly this report was queued before. Same period and the same CSV
        (which carries no time of making): the same report, so no second item."""
        from keyworker.outbox.queue import Recipient, document_fields, enqueue_once, existing_item

        recipient = Recipient(profile.authority_name or None, profile.authority_email or None, "authority")
        subject = f"{kind}|{period.slug}|{hashlib.sha256(csv).hexdigest()[:32]}"
        existing = existing_item(s, kind=kind, subject=subject, recipient=recipient)
        if existing is not None:
            return ReportSent(existing.document_id, existing.id, rows, profile.authority_name, recipient.email,
                              existing.destination_id is None, created=False)
        doc = self._book.documents._store(s, kind=kind, title=title, content=pdf(), subject_id=period.slug)
        item, _ = enqueue_once(self._book, s, kind=kind, subject=subject, recipient=recipient, **document_fields(doc))
        self._book._record(s, action, "report", doc.id,
                           detail={"from": period.start.isoformat(), "to": period.end.isoformat(), "rows": rows})
        return ReportSent(doc.id, item.id, rows, profile.authority_name, recipient.email, item.destination_id is None)

    def _compliance(self, period: Period) -> TopCompliance:
        """TOP compliance up to today for a period that has started (the outcomes figures need it)."""
        today = local_today(self._book.clock)
        if period.start > today:
            raise ValidationError({"quarter": f"{period.label} has not started yet: choose a period up to today."})
        return self._book.top.compliance(period.start, min(period.end, today))

    def prepared_by(self) -> str:
        # Open: the signed-in person's own name, for "Prepared by" on a report they make.
        actor = self._book.actor
        return (actor.full_name or actor.username) if actor is not None else ""

    def unit_name(self) -> str:
        # Open: the letterhead's unit name, as settings.get.
        return str(self._book.settings.get("unit_name") or "")


__all__ = [
    "ReportService",
    "ReportSent",
    "DeclinesReport",
    "DeclineLine",
    "Period",
    "quarter",
    "quarter_of",
    "previous_quarter",
    "between",
    "declines_report_csv",
    "OutcomesReport",
    "outcomes_report_csv",
    "QuarterlyReport",
    "quarterly_report_csv",
]


def _authority_profile(s: Session) -> UnitProfile:
    """The unit profile, which must name the Authority's nominated person: reports are sent to them."""
    from keyworker.unit_profile import read_profile

    profile = read_profile(s)
    if not (profile.authority_name or profile.authority_email):
        raise ValidationError({"authority_email": "Add the Authority's nominated person (name and email) "
                                                  "in Administration → Unit profile first: the report is "
                                                  "sent to them."})
    return profile


def _quarterly_report(s: Session, period: Period, compliance: TopCompliance) -> QuarterlyReport:
    """The quarterly contract report with the outcomes report's own figures."""
    from keyworker.reports import outcomes as outcomes_mod
    from keyworker.reports import quarterly as mod

    return mod.build(mod.query(s, period), period, outcomes_mod.query(s, period, compliance))
