"""Reports for the unit's managers and the Authority: `book.reports`. Producing any report is
audited with its period and size, never with a name from it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from keyworker.errors import ValidationError
from keyworker.input_types import typed_inputs
from keyworker.reports.declines import DeclineLine, DeclinesReport, declines_report_csv
from keyworker.reports.periods import Period, between, previous_quarter, quarter, quarter_of
from keyworker.security.permissions import Permission

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

OUTPUTS = ("view", "pdf", "csv", "print")


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

    def unit_name(self) -> str:
        # Open: the letterhead's unit name, as settings.get.
        return str(self._book.settings.get("unit_name") or "")


__all__ = [
    "ReportService",
    "DeclinesReport",
    "DeclineLine",
    "Period",
    "quarter",
    "quarter_of",
    "previous_quarter",
    "between",
    "declines_report_csv",
]
