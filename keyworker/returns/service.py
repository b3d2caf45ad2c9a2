"""`book.returns`: the returns to the commissioner (issue 15). The NDTMS monthly return holds
line-level clinical data (initials, date of birth, postcode, substances, TOP answers), so making
or sending it is the senior's (`make_ndtms_return`); the administrator, who does not read clinical
records, sees the compliance figures only (`view_reports`). See docs/PERMISSIONS.md."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keyworker.clock import local_today
from keyworker.errors import ValidationError
from keyworker.input_types import typed_inputs
from keyworker.returns import mapping as mapping_mod
from keyworker.returns import ndtms as nd
from keyworker.security.permissions import Permission

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

OUTPUTS = ("view", "csv", "pdf", "print", "send")
KIND = "ndtms_return"


@dataclass(frozen=True)
class NdtmsSent:
    """The return and its data-quality report queued for the NDTMS destination. `created` is
    False when exactly this return was already queued (nothing added)."""

    month: str
    return_item_id: str
    quality_item_id: str
    rows: int
    problems: int
    no_destination: bool
    created: bool = True


class ReturnsService:
    def __init__(self, book: Casebook) -> None:
        self._book = book
        # A unit's corrected copy may be tried without replacing the shipped file (tests use it too).
        self.mapping_path: Path | None = None

    def _mapping(self) -> mapping_mod.Mapping:
        return mapping_mod.current(self.mapping_path)

    def _month(self, month: str | None) -> tuple[str, nd.Period]:
        if month is None:
            today = local_today(self._book.clock)
            month = f"{today.year:04d}-{today.month:02d}"
        return nd.month_period(month)

    def _build(self, month: str | None) -> tuple[nd.NdtmsReturn, mapping_mod.Mapping]:
        slug, period = self._month(month)
        m = self._mapping()
        today = local_today(self._book.clock)
        with self._book._read() as s:
            eps = nd.episodes(s, m, period)
            top = self._top_compliance(s, period, today) if period.start <= today else None
        return nd.make_return(slug, period, m, eps, top), m

    def _top_compliance(self, s: Any, period: nd.Period, today: date) -> tuple[int, int]:
        """(due, completed) as `book.top.compliance(month start, month end)` counts them for the unit,
        scheduling only the stays that can have a TOP due in the month (keyworker.top.stays_due_between)."""
        from keyworker.top import stays_due_between, tally

        end = min(period.end, today)
        items = [(stay.key_worker_id, d)
                 for stay, d in self._book.top._schedule(s, today, stays_due_between(period.start, end))]
        due, done, _per = tally(items, period.start, end)
        return due, done

    @typed_inputs(requires=Permission.MAKE_NDTMS_RETURN)
    def ndtms(self, month: str, *, output: str = "view") -> nd.NdtmsReturn:
        """The NDTMS return for `month` ("2026-03"): its rows (one per residential rehabilitation
        episode active in the month), the data-quality problems and the compliance figures.
        Audited `returns.ndtms` with the month, the counts and what it is for (`output`)."""
        if output not in OUTPUTS:
            raise ValidationError({"output": f"Unknown output '{output}'."})
        ret, _m = self._build(month)
        with self._book._write() as s:
            self._book._record(s, "returns.ndtms", "report", None, detail={
                "month": ret.month, "rows": len(ret.rows), "problems": len(ret.problems), "output": output})
        return ret

    @typed_inputs(requires=Permission.VIEW_REPORTS)
    def ndtms_compliance(self, month: str | None = None) -> nd.Compliance:
        """Numbers only (no resident data): core-field compliance against 100% and TOP compliance
        against 90% for `month` (None: this month), for Today and the administrator."""
        return self._build(month)[0].compliance

    @typed_inputs(requires=Permission.MAKE_NDTMS_RETURN)
    def send_ndtms(self, month: str) -> NdtmsSent:
        """Queue the return (CSV) for its destination (outbox kind "ndtms_return"), with the
        data-quality report (CSV, residents by reference only) beside it as its own item, in one
        transaction, audited `returns.ndtms_send`. The same return queued twice adds nothing."""
        from keyworker.outbox.queue import enqueue_once

        ret, _m = self._build(month)
        body = nd.return_csv(ret)
        quality = nd.quality_csv(ret, names=False)
        digest = hashlib.sha256(body).hexdigest()[:32]
        with self._book._write() as s:
            item, created = enqueue_once(
                self._book, s, kind=KIND, subject=f"ndtms_return|{ret.month}|{digest}", recipient=None,
                title=f"NDTMS return {ret.month}", payload=body, filename=f"ndtms-{ret.month}.csv",
                mime_type="text/csv")
            qitem, _ = enqueue_once(
                self._book, s, kind=KIND, subject=f"ndtms_quality|{ret.month}|{digest}", recipient=None,
                title=f"NDTMS data quality {ret.month}", payload=quality,
                filename=f"ndtms-{ret.month}-data-quality.csv", mime_type="text/csv")
            if created:
                self._book._record(s, "returns.ndtms_send", "report", item.id, detail={
                    "month": ret.month, "rows": len(ret.rows), "problems": len(ret.problems)})
            return NdtmsSent(ret.month, item.id, qitem.id, len(ret.rows), len(ret.problems),
                             item.destination_id is None, created)
