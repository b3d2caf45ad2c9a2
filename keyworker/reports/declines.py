"""The declined-referrals report (specification 4.1.2.3): every referral the unit declined in a
period with its reasons in full, counted by reason, by referrer organisation, and by whether the
decision met the 5-working-day deadline. For the Authority's nominated person and the quarterly
report on activity. The PDF is keyworker/documents/declines_report.py; the CSV is here."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker import reference_data as ref
from keyworker import working_days as wd
from keyworker.clock import LONDON, format_date, format_datetime, to_local
from keyworker.db.caseload import Referral
from keyworker.db.foundation import Account
from keyworker.reports.periods import Period
from keyworker.text import starts_like_formula

DECLINED = "declined"
NOT_RECORDED = "Not recorded"


@dataclass(frozen=True)
class DeclineLine:
    """One declined referral as the report shows it (plain values, no ORM)."""

    referral_id: str
    received_at: datetime
    decision_due_on: date
    decided_at: datetime
    working_days_taken: int  # from the day it counts as received to the decision day
    in_time: bool
    given_name: str
    family_name: str
    referrer_name: str
    referrer_organisation: str | None
    community_treatment_provider: str | None
    admission_category: str  # emergency / priority / routine, as a label
    reason_category: str
    reason_category_label: str
    reasons: str
    decided_by: str | None  # the senior's full name

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def organisation(self) -> str:
        return self.referrer_organisation or NOT_RECORDED


@dataclass(frozen=True)
class DeclinesReport:
    period: Period
    rows: tuple[DeclineLine, ...]
    by_reason: tuple[tuple[str, int], ...]  # (category label, count), most first
    by_organisation: tuple[tuple[str, int], ...]  # (referrer organisation, count), most first
    in_time: int
    late: int

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def in_time_pct(self) -> int | None:
        return round(100 * self.in_time / self.total) if self.rows else None


def _ranked(counter: Counter[str], order: list[str] | None = None) -> tuple[tuple[str, int], ...]:
    """Most first; ties in the reference order (or by name), so the report reads the same each time."""
    rank = {k: i for i, k in enumerate(order or [])}
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], rank.get(kv[0], len(rank)), kv[0])))


def build(rows: list[DeclineLine], period: Period) -> DeclinesReport:
    """The summary counts over `rows` (already limited to the period)."""
    labels = [o.label for o in ref.decline_categories()]
    in_time = sum(1 for r in rows if r.in_time)
    return DeclinesReport(
        period=period,
        rows=tuple(rows),
        by_reason=_ranked(Counter(r.reason_category_label for r in rows), labels),
        by_organisation=_ranked(Counter(r.organisation for r in rows)),
        in_time=in_time,
        late=len(rows) - in_time,
    )


def query(s: Session, period: Period) -> list[DeclineLine]:
    """Declined referrals whose decision fell on a London day inside the period, oldest first."""
    start = datetime.combine(period.start, time(0), LONDON)
    end = datetime.combine(period.end + timedelta(days=1), time(0), LONDON)
    found = s.execute(
        select(Referral, Account.full_name)
        .outerjoin(Account, Account.id == Referral.decided_by)
        .where(
            Referral.status == DECLINED,
            Referral.archived.is_(False),
            Referral.decided_at >= start,
            Referral.decided_at < end,
        )
        .order_by(Referral.decided_at, Referral.id)
    ).all()
    lines = []
    for r, decider in found:
        if r.decided_at is None:  # pragma: no cover - excluded by the query
            continue
        decided_on = to_local(r.decided_at).date()
        lines.append(
            DeclineLine(
                referral_id=r.id,
                received_at=r.received_at,
                decision_due_on=r.decision_due_on,
                decided_at=r.decided_at,
                working_days_taken=max(0, wd.working_days_between(wd.counts_as_received_on(r.received_at),
                                                                  decided_on)),
                in_time=decided_on <= r.decision_due_on,
                given_name=r.given_name,
                family_name=r.family_name,
                referrer_name=r.referrer_name,
                referrer_organisation=r.referrer_organisation,
                community_treatment_provider=r.community_treatment_provider,
                admission_category=ref.label(ref.admission_categories(), r.category),
                reason_category=r.decline_category or "",
                reason_category_label=ref.label(ref.decline_categories(), r.decline_category) or NOT_RECORDED,
                reasons=r.decline_reason or "",
                decided_by=decider,
            )
        )
    return lines


# -- CSV -------------------------------------------------------------------------------------
CSV_COLUMNS = (
    "Referral received", "Decision due by", "Decided", "Working days to decide", "Decided in time",
    "Given name", "Family name", "Referrer", "Referrer organisation", "Community Treatment Provider",
    "Admission category", "Reason category", "Reasons in full", "Decided by",
)
def _cell(value: str | None) -> str:
    """Free text that starts like a formula is prefixed with an apostrophe, so a spreadsheet shows
    it instead of running it (a referrer's note is not ours to trust)."""
    text = value or ""
    return "'" + text if starts_like_formula(text) else text


def declines_report_csv(report: DeclinesReport) -> bytes:
    """One row per declined referral, UTF-8 with a byte-order mark so Excel reads the accents."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for r in report.rows:
        w.writerow([
            format_datetime(r.received_at), format_date(r.decision_due_on), format_datetime(r.decided_at),
            str(r.working_days_taken), "Yes" if r.in_time else "No",
            _cell(r.given_name), _cell(r.family_name), _cell(r.referrer_name), _cell(r.referrer_organisation),
            _cell(r.community_treatment_provider), r.admission_category, r.reason_category_label,
            _cell(r.reasons), _cell(r.decided_by),
        ])
    return buf.getvalue().encode("utf-8-sig")
