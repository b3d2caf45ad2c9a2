"""Reports for the unit's managers and the Authority: `book.reports`. Producing any report is
audited with its period and size, never with a name from it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
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
    from keyworker.casebook import Casebook

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
        from keyworker.outbox.queue import Recipient, document_fields, enqueue_once, existing_item
        from keyworker.reports import declines as mod
        from keyworker.unit_profile import read_profile

        with self._book._write() as s:
            profile = read_profile(s)
            if not (profile.authority_name or profile.authority_email):
                raise ValidationError({"authority_email": "Add the Authority's nominated person (name and email) "
                                                          "in Administration → Unit profile first: the report is "
                                                          "sent to them."})
            report = mod.build(mod.query(s, period), period)
            recipient = Recipient(profile.authority_name or None, profile.authority_email or None, "authority")
            # Same period and the same referrals, reasons and decisions: the same report (the CSV
            # carries no time of making, so its digest says so).
            subject = f"{DECLINES_KIND}|{period.slug}|{hashlib.sha256(declines_report_csv(report)).hexdigest()[:32]}"
            existing = existing_item(s, kind=DECLINES_KIND, subject=subject, recipient=recipient)
            if existing is not None:
                return ReportSent(existing.document_id, existing.id, report.total, profile.authority_name,
                                  recipient.email, existing.destination_id is None, created=False)
            pdf = declines_report_pdf(report, profile.unit_name, self._book.clock.now())
            doc = self._book.documents._store(s, kind=DECLINES_KIND, title=f"Declined referrals {period.slug}",
                                              content=pdf, subject_id=period.slug)
            item, _ = enqueue_once(self._book, s, kind=DECLINES_KIND, subject=subject, recipient=recipient,
                                   **document_fields(doc))
            self._book._record(s, "report.declines_send", "report", doc.id,
                               detail={"from": period.start.isoformat(), "to": period.end.isoformat(),
                                       "rows": report.total})
            return ReportSent(doc.id, item.id, report.total, profile.authority_name, recipient.email,
                              item.destination_id is None)

    @typed_inputs(requires=Permission.VIEW_REPORTS)
    def outcomes(self, period: Period, *, output: str = "view") -> OutcomesReport:
        """The quarterly outcomes report for `period` (keyworker/reports/outcomes.py: the Outcome
        Star's change per area, TOP compliance and change, satisfaction surveys). Unit figures
        only; audited `report.outcomes` with the period, the residents counted and `output`."""
        from keyworker.reports import outcomes as mod

        if output not in OUTPUTS:
            raise ValidationError({"output": f"Unknown report output '{output}'."})
        today = local_today(self._book.clock)
        if period.start > today:
            raise ValidationError({"quarter": f"{period.label} has not started yet: choose a period up to today."})
        compliance = self._book.top.compliance(period.start, min(period.end, today))
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
        from keyworker.reports import outcomes as outcomes_mod
        from keyworker.reports import quarterly as mod

        if output not in OUTPUTS:
            raise ValidationError({"output": f"Unknown report output '{output}'."})
        today = local_today(self._book.clock)
        if period.start > today:
            raise ValidationError({"quarter": f"{period.label} has not started yet: choose a period up to today."})
        compliance = self._book.top.compliance(period.start, min(period.end, today))
        with self._book._write() as s:
            report = mod.build(mod.query(s, period), period, outcomes_mod.query(s, period, compliance))
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
        from keyworker.reports.quarterly import quarterly_report_csv

        return quarterly_report_csv(self.quarterly(period, output="csv"))

    @typed_inputs(requires=Permission.DECIDE_REFERRALS)
    def send_quarterly(self, period: Period) -> ReportSent:
        """Send the quarterly report for `period` to the Authority's nominated person, like the
        declined-referrals report: the PDF filed as a document and queued in the outbox
        ("quarterly_report": aggregate figures, no line-level data) in one transaction, audited
        `report.quarterly_send`. The same figures sent twice add no second item."""
        from keyworker.documents.quarterly_report import quarterly_report_pdf
        from keyworker.outbox.queue import Recipient, document_fields, enqueue_once, existing_item
        from keyworker.reports import outcomes as outcomes_mod
        from keyworker.reports import quarterly as mod
        from keyworker.unit_profile import read_profile

        today = local_today(self._book.clock)
        if period.start > today:
            raise ValidationError({"quarter": f"{period.label} has not started yet: choose a period up to today."})
        compliance = self._book.top.compliance(period.start, min(period.end, today))
        with self._book._write() as s:
            profile = read_profile(s)
            if not (profile.authority_name or profile.authority_email):
                raise ValidationError({"authority_email": "Add the Authority's nominated person (name and email) "
                                                          "in Administration → Unit profile first: the report is "
                                                          "sent to them."})
            report = mod.build(mod.query(s, period), period, outcomes_mod.query(s, period, compliance))
            figures = len(report.figures)
            recipient = Recipient(profile.authority_name or None, profile.authority_email or None, "authority")
            digest = hashlib.sha256(mod.quarterly_report_csv(report)).hexdigest()[:32]
            subject = f"{QUARTERLY_KIND}|{period.slug}|{digest}"
            existing = existing_item(s, kind=QUARTERLY_KIND, subject=subject, recipient=recipient)
            if existing is not None:
                return ReportSent(existing.document_id, existing.id, figures, profile.authority_name,
                                  recipient.email, existing.destination_id is None, created=False)
            pdf = quarterly_report_pdf(report, profile, self._book.clock.now(), self.prepared_by())
            doc = self._book.documents._store(s, kind=QUARTERLY_KIND, title=f"Quarterly report {period.slug}",
                                              content=pdf, subject_id=period.slug)
            item, _ = enqueue_once(self._book, s, kind=QUARTERLY_KIND, subject=subject, recipient=recipient,
                                   **document_fields(doc))
            self._book._record(s, "report.quarterly_send", "report", doc.id,
                               detail={"from": period.start.isoformat(), "to": period.end.isoformat(),
                                       "rows": figures})
            return ReportSent(doc.id, item.id, figures, profile.authority_name, recipient.email,
                              item.destination_id is None)

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
