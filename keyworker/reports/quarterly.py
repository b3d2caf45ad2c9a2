"""The quarterly contract report (issue 15; service specification 11): for a period (normally a
calendar quarter) the unit's activity figures, each with the count AND the share a manager is held
to. Unit figures only, never a name. docs/RETURNS.md "The quarterly report" says the same.

What is counted, and why (every date is a London day; "in the period" is its first to its last
day, both included; archived rows are never counted):
- **Referrals received**: referrals whose received time falls in the period.
- **Referrals decided** (accepted or declined): referrals whose decision time falls in the period,
  whenever they were received; "accepted" is a decision to accept (status accepted or admitted
  since), "declined" a decline. Decline reasons are keyworker/reports/declines.py's own rows and
  words (the same referrals the declined-referrals report lists).
- **Decided within 5 working days**: of the decisions in the period, those made on or before the
  referral's decision-due day (keyworker/working_days.py: 5 working days from the day it counts as
  received). Share = in time / decided.
- **Admissions**: stays whose admission day falls in the period, by setting and by strand.
- **Reviews held within 14 days**: every current review (corrections in, what they replaced out)
  held in the period, measured from the review before it in the same stay, or from admission for
  the first (review_schedule.REVIEW_INTERVAL_DAYS). Share = held within 14 days / held.
- **Mid-way and pre-discharge meetings**: current reviews of those kinds held in the period;
  "referrer invited" is a meeting not flagged as held without the referrer, or flagged and since
  put right as "had been invited" (keyworker/reviews.py).
- **Discharges**: discharges that ended a stay (freezes left out) and happened in the period, by
  path (planned, unplanned), by type and by reason (discharge_reasons.json labels).
- **Summaries within 24 hours**: of the unplanned discharges in the period, those whose complete
  summary was sent no more than 24 hours after the discharge.
- **Follow-ups**: follow-ups at 3 and at 6 months due in the period; "done" is closed as reached
  (status done) whenever it was recorded. Share = done / due.
- **Outcome Star, TOP and surveys**: keyworker/reports/outcomes.py's report for the same period,
  called, not copied; its rules are in its docstring.
- **Incidents and safeguarding referrals**: incidents that happened in the period, by type;
  safeguarding referrals (children, adults, MARAC) made in the period, by kind.
- **Protected characteristics**: the residents in treatment in the period (a stay open on at least
  one day of it, admitted in it or before), each counted once, by sex, gender identity, ethnicity,
  sexual orientation, religion, disability, pregnancy, marital status and age band (age on the
  period's last day). "Prefer not to say" is what the resident chose and is counted as such;
  "Not recorded" is an empty field; the two are never joined. Shares are of the residents.

Pure where it can be: `build` takes plain rows (`Rows`); `query` reads them in a few grouped
queries."""
from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from keyworker import discharge_reasons
from keyworker import reference_data as ref
from keyworker.clock import LONDON, to_local
from keyworker.db.care_plans import Review
from keyworker.db.caseload import Admission, Referral, Resident
from keyworker.db.discharges import Discharge, FollowUp
from keyworker.db.incidents import Incident, SafeguardingReferral
from keyworker.discharges import TYPE_LABELS as DISCHARGE_TYPES
from keyworker.incidents import INCIDENT_TYPES
from keyworker.reports import declines as declines_mod
from keyworker.reports.outcomes import OutcomesReport
from keyworker.reports.outcomes import num as _num
from keyworker.reports.periods import Period
from keyworker.review_schedule import MIDWAY, PRE_DISCHARGE, REVIEW_INTERVAL_DAYS
from keyworker.safeguarding import REFERRAL_KINDS
from keyworker.text import starts_like_formula

TITLE = "Quarterly contract report"
PREFER_NOT = "Prefer not to say"
NOT_RECORDED = "Not recorded"
SUMMARY_HOURS = 24
DECISION_DAYS = 5
CHARACTERISTICS = (("sex", "Sex"), ("gender_identity", "Gender identity"), ("ethnicity", "Ethnicity"),
                   ("sexual_orientation", "Sexual orientation"), ("religion", "Religion or belief"),
                   ("disability", "Disability"), ("pregnancy", "Pregnancy and maternity"),
                   ("marital_status", "Marriage and civil partnership"))
AGE_BANDS = ((0, 17, "Under 18"), (18, 24, "18 to 24"), (25, 34, "25 to 34"), (35, 44, "35 to 44"),
             (45, 54, "45 to 54"), (55, 64, "55 to 64"), (65, 200, "65 and over"))
REFERRALS, ADMISSIONS, REVIEWS, DISCHARGES = "Referrals", "Admissions", "Reviews and meetings", "Discharges"
FOLLOW_UPS, SAFETY, PEOPLE, OUTCOMES = ("Follow-ups", "Incidents and safeguarding", "Protected characteristics",
                                        "Outcomes")


# -- plain rows (what `query` reads and `build` counts) -----------------------------------------
@dataclass(frozen=True)
class ReferralRow:
    received_on: date | None  # London day received, when in the period
    decided_on: date | None  # London day decided, when in the period
    status: str
    decision_due_on: date


@dataclass(frozen=True)
class ReviewRow:
    held_on: date
    previous_on: date  # the review before it in the stay, or the admission day
    kind: str
    referrer_invited: bool


@dataclass(frozen=True)
class DischargeRow:
    path: str  # planned / unplanned
    type: str
    reason_code: str | None
    occurred_at: datetime
    summary_sent_at: datetime | None


@dataclass(frozen=True)
class Rows:
    referrals: list[ReferralRow] = field(default_factory=list)
    declines: list[declines_mod.DeclineLine] = field(default_factory=list)
    admissions: list[tuple[str, str]] = field(default_factory=list)  # (setting, strand)
    reviews: list[ReviewRow] = field(default_factory=list)
    discharges: list[DischargeRow] = field(default_factory=list)
    follow_ups: list[tuple[int, str]] = field(default_factory=list)  # (months, status)
    incidents: list[str] = field(default_factory=list)  # kinds
    safeguarding: list[str] = field(default_factory=list)  # kinds
    residents: list[dict[str, object]] = field(default_factory=list)  # characteristics + date_of_birth


# -- the report -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    """One figure: a count, of a denominator when it is a share; `value` for a mean (outcomes)."""

    section: str
    group: str  # "" for a headline figure; "By reason", "Sex" ... for a breakdown
    name: str
    count: int | None
    denominator: int | None = None
    value: str = ""

    @property
    def share(self) -> float | None:
        if self.count is None or not self.denominator:
            return None
        return round(100.0 * self.count / self.denominator, 1)

    @property
    def share_text(self) -> str:
        return "" if self.share is None else f"{self.share:.1f}%"


@dataclass(frozen=True)
class QuarterlyReport:
    period: Period
    figures: tuple[Figure, ...]
    outcomes: OutcomesReport | None

    def section(self, name: str) -> list[Figure]:
        return [f for f in self.figures if f.section == name]

    def get(self, section: str, name: str, group: str = "") -> Figure:
        for f in self.figures:
            if (f.section, f.group, f.name) == (section, group, name):
                return f
        raise KeyError((section, group, name))

    @property
    def sections(self) -> list[str]:
        out: list[str] = []
        for f in self.figures:
            if f.section not in out:
                out.append(f.section)
        return out

    def headline_shares(self) -> list[tuple[str, Figure]]:
        """The shares a manager is held to, for the chart: (short label, figure)."""
        wanted = [(REFERRALS, "Decided within 5 working days", "Decided in 5 working days"),
                  (REVIEWS, "Reviews held within 14 days", "Reviews within 14 days"),
                  (REVIEWS, "Mid-way meetings with the referrer invited", "Mid-way: referrer invited"),
                  (REVIEWS, "Pre-discharge meetings with the referrer invited", "Pre-discharge: referrer invited"),
                  (DISCHARGES, "Unplanned: summary sent within 24 hours", "Summaries within 24 hours"),
                  (FOLLOW_UPS, "3-month follow-ups done", "3-month follow-ups done"),
                  (FOLLOW_UPS, "6-month follow-ups done", "6-month follow-ups done"),
                  (OUTCOMES, "TOP compliance", "TOP compliance")]
        out = []
        for section, name, label in wanted:
            try:
                out.append((label, self.get(section, name)))
            except KeyError:
                continue
        return out

    def breakdown(self, section: str, group: str) -> list[Figure]:
        return [f for f in self.figures if f.section == section and f.group == group]


def _ordered(counter: Counter[str], order: list[str]) -> list[tuple[str, int]]:
    """Every value in the reference order (those with a count), then any other value by name."""
    known = [(k, counter[k]) for k in order if counter.get(k)]
    return known + sorted((k, n) for k, n in counter.items() if k not in order and n)


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_band(born: date | None, on: date) -> str:
    if born is None:
        return NOT_RECORDED
    age = age_on(born, on)
    return next((label for lo, hi, label in AGE_BANDS if lo <= age <= hi), NOT_RECORDED)


def build(rows: Rows, period: Period, outcomes: OutcomesReport | None = None) -> QuarterlyReport:
    """Every figure of the report from plain rows already limited to the period."""
    F = Figure
    out: list[Figure] = []
    # referrals
    received = sum(1 for r in rows.referrals if r.received_on is not None)
    decided = [r for r in rows.referrals if r.decided_on is not None and r.status in ("accepted", "admitted",
                                                                                        "declined")]
    accepted = sum(1 for r in decided if r.status in ("accepted", "admitted"))
    declined = sum(1 for r in decided if r.status == "declined")
    in_time = sum(1 for r in decided if r.decided_on is not None and r.decided_on <= r.decision_due_on)
    out += [F(REFERRALS, "", "Referrals received", received),
            F(REFERRALS, "", "Referrals decided", len(decided)),
            F(REFERRALS, "", "Accepted", accepted, len(decided)),
            F(REFERRALS, "", "Declined", declined, len(decided)),
            F(REFERRALS, "", "Decided within 5 working days", in_time, len(decided))]
    dec = declines_mod.build(rows.declines, period)
    out += [F(REFERRALS, "Decline reasons", label, n, dec.total) for label, n in dec.by_reason]
    # admissions
    n_adm = len(rows.admissions)
    out.append(F(ADMISSIONS, "", "Admissions", n_adm))
    settings = Counter(ref.label(ref.settings(), s) for s, _ in rows.admissions)
    strands = Counter(ref.label(ref.strands(), t) for _, t in rows.admissions)
    out += [F(ADMISSIONS, "By setting", k, n, n_adm)
            for k, n in _ordered(settings, [o.label for o in ref.settings()])]
    out += [F(ADMISSIONS, "By strand", k, n, n_adm)
            for k, n in _ordered(strands, [o.label for o in ref.strands()])]
    # reviews and meetings
    held = len(rows.reviews)
    on_time = sum(1 for r in rows.reviews if (r.held_on - r.previous_on).days <= REVIEW_INTERVAL_DAYS)
    out += [F(REVIEWS, "", "Reviews held", held),
            F(REVIEWS, "", "Reviews held within 14 days", on_time, held)]
    for kind, words in ((MIDWAY, "Mid-way meetings"), (PRE_DISCHARGE, "Pre-discharge meetings")):
        mine = [r for r in rows.reviews if r.kind == kind]
        out += [F(REVIEWS, "", f"{words} held", len(mine)),
                F(REVIEWS, "", f"{words} with the referrer invited", sum(1 for r in mine if r.referrer_invited),
                  len(mine))]
    # discharges
    ds = rows.discharges
    planned = [d for d in ds if d.path == "planned"]
    unplanned = [d for d in ds if d.path == "unplanned"]
    limit = timedelta(hours=SUMMARY_HOURS)
    sent = sum(1 for d in unplanned if d.summary_sent_at is not None
               and d.summary_sent_at.astimezone(UTC) - d.occurred_at.astimezone(UTC) <= limit)
    out += [F(DISCHARGES, "", "Discharges", len(ds)),
            F(DISCHARGES, "", "Planned", len(planned), len(ds)),
            F(DISCHARGES, "", "Unplanned", len(unplanned), len(ds)),
            F(DISCHARGES, "", "Unplanned: summary sent within 24 hours", sent, len(unplanned))]
    types = Counter(DISCHARGE_TYPES.get(d.type, "Other") for d in ds)
    out += [F(DISCHARGES, "By type", k, n, len(ds)) for k, n in _ordered(types, list(DISCHARGE_TYPES.values()))]
    labels = {r.code: r.label for r in discharge_reasons.reasons()}
    reasons = Counter(labels.get(d.reason_code or "", NOT_RECORDED) if d.reason_code else NOT_RECORDED for d in ds)
    out += [F(DISCHARGES, "By reason", k, n, len(ds))
            for k, n in _ordered(reasons, list(labels.values()) + [NOT_RECORDED])]
    # follow-ups
    for months in (3, 6):
        states = [st for m, st in rows.follow_ups if m == months]
        out += [F(FOLLOW_UPS, "", f"{months}-month follow-ups due", len(states)),
                F(FOLLOW_UPS, "", f"{months}-month follow-ups done", states.count("done"), len(states)),
                F(FOLLOW_UPS, "", f"{months}-month follow-ups not contactable", states.count("not_contactable"),
                  len(states)),
                F(FOLLOW_UPS, "", f"{months}-month follow-ups declined", states.count("declined"), len(states)),
                F(FOLLOW_UPS, "", f"{months}-month follow-ups still open", states.count("due"), len(states))]
    # outcomes (reused: keyworker/reports/outcomes.py)
    if outcomes is not None:
        st, tp, sv = outcomes.star, outcomes.top, outcomes.surveys
        c = tp.compliance
        out += [F(OUTCOMES, "", "Residents with Outcome Star readings", st.residents_with_readings),
                F(OUTCOMES, "", "Residents with two or more star readings", st.residents_compared),
                F(OUTCOMES, "", "TOP compliance", c.completed, c.due),
                F(OUTCOMES, "", "Stays with a start TOP and a later TOP", tp.pairs),
                F(OUTCOMES, "", "Surveys from residents", sv.resident_surveys),
                F(OUTCOMES, "", "Surveys from carers or family members", sv.carer_surveys)]
        out += [F(OUTCOMES, "Outcome Star: improved per area", a.name, a.improved, a.residents,
                  _num(a.mean_change, signed=True)) for a in st.areas]
        out += [F(OUTCOMES, "TOP: mean change (start to latest)", m.measure, m.people, None,
                  _num(m.mean_change, signed=True)) for m in tp.scales]
        out += [F(OUTCOMES, "Surveys: mean rating (1 to 5)", r.label, r.answered, None, _num(r.everyone))
                for r in sv.ratings]
    # incidents and safeguarding
    out.append(F(SAFETY, "", "Incidents", len(rows.incidents)))
    out += [F(SAFETY, "Incidents by type", o.label, rows.incidents.count(o.code), len(rows.incidents))
            for o in INCIDENT_TYPES if rows.incidents.count(o.code)]
    out.append(F(SAFETY, "", "Safeguarding referrals", len(rows.safeguarding)))
    out += [F(SAFETY, "Safeguarding referrals by kind", o.label, rows.safeguarding.count(o.code),
              len(rows.safeguarding)) for o in REFERRAL_KINDS if rows.safeguarding.count(o.code)]
    # protected characteristics
    people = rows.residents
    out.append(F(PEOPLE, "", "Residents in treatment in the period", len(people)))
    lists = ref_lists()
    for key, words in CHARACTERISTICS:
        counts = Counter(_value(p.get(key)) for p in people)
        order = [v for v in lists.get(key, []) if v != PREFER_NOT] + [PREFER_NOT, NOT_RECORDED]
        out += [F(PEOPLE, words, k, n, len(people)) for k, n in _ordered(counts, order)]
    bands = Counter(age_band(p.get("date_of_birth"), period.end) for p in people)  # type: ignore[arg-type]
    out += [F(PEOPLE, "Age band", k, n, len(people))
            for k, n in _ordered(bands, [b[2] for b in AGE_BANDS] + [NOT_RECORDED])]
    return QuarterlyReport(period, tuple(out), outcomes)


def _value(v: object) -> str:
    text = str(v).strip() if v is not None else ""
    return text or NOT_RECORDED


def ref_lists() -> dict[str, list[str]]:
    """The demographics option lists (resources/reference/demographics.json), in their order."""
    out: dict[str, list[str]] = {}
    for key, _w in CHARACTERISTICS:
        try:
            out[key] = list(ref.demographic_options(key))
        except KeyError:
            out[key] = []
    return out


# -- reading the rows ---------------------------------------------------------------------------
def _utc_bounds(period: Period) -> tuple[datetime, datetime]:
    lo = datetime.combine(period.start, time(0), LONDON).astimezone(UTC)
    hi = datetime.combine(period.end + timedelta(days=1), time(0), LONDON).astimezone(UTC)
    return lo, hi


def _day_in(at: datetime | None, period: Period) -> date | None:
    if at is None:
        return None
    d = to_local(at).date()
    return d if period.start <= d <= period.end else None


def query(s: Session, period: Period) -> Rows:
    lo, hi = _utc_bounds(period)
    live = Referral.archived.is_(False)
    referrals = [ReferralRow(_day_in(r.received_at, period), _day_in(r.decided_at, period), r.status,
                             r.decision_due_on)
                 for r in s.execute(select(Referral.received_at, Referral.decided_at, Referral.status,
                                           Referral.decision_due_on)
                                    .where(live, or_(and_(Referral.received_at >= lo, Referral.received_at < hi),
                                                     and_(Referral.decided_at >= lo, Referral.decided_at < hi))))]
    declines = declines_mod.query(s, period)
    admissions = [(a, b) for a, b in s.execute(
        select(Admission.setting, Admission.strand)
        .where(Admission.archived.is_(False), Admission.admitted_on >= period.start,
               Admission.admitted_on <= period.end))]
    # reviews: the current ones of every stay with one held in the period, to find each one's previous.
    # A review is held within its stay (keyworker/reviews.py refuses one before admission or after
    # discharge), so those stays are among the stays open at some time in the period: found through
    # the admissions (24,683 rows on the five-year benchmark unit) instead of a scan of every review
    # (283,776), 0.97 s to 65 ms. Stays with no review in the period add no row below.
    stays = select(Admission.id).where(Admission.archived.is_(False), Admission.admitted_on <= period.end,
                                       or_(Admission.discharged_on.is_(None),
                                           Admission.discharged_on >= period.start))
    by_stay: dict[str, list[tuple[date, str, bool, str | None]]] = defaultdict(list)
    admitted: dict[str, date] = {}
    for aid, held, kind, missing, followup, adm_on in s.execute(
            select(Review.admission_id, Review.held_on, Review.kind, Review.referrer_missing,
                   Review.referrer_followup, Admission.admitted_on)
            .join(Admission, Admission.id == Review.admission_id)
            .where(Review.archived.is_(False), Review.superseded_by_id.is_(None), Review.held_on <= period.end,
                   Review.admission_id.in_(stays))):
        by_stay[aid].append((held, kind, bool(missing), followup))
        admitted[aid] = adm_on
    reviews = []
    for aid, items in by_stay.items():
        items.sort(key=lambda x: x[0])
        prev = admitted[aid]
        for held, kind, missing, followup in items:
            if held >= period.start:
                reviews.append(ReviewRow(held, prev, kind, not missing or followup == "invited"))
            prev = held
    discharges = [DischargeRow(*r) for r in s.execute(
        select(Discharge.path, Discharge.type, Discharge.reason_code, Discharge.occurred_at, Discharge.summary_sent_at)
        .where(Discharge.archived.is_(False), Discharge.ends_stay.is_(True), Discharge.occurred_at >= lo,
               Discharge.occurred_at < hi))]
    follow_ups = [(int(m), st) for m, st in s.execute(
        select(FollowUp.months, FollowUp.status)
        .where(FollowUp.archived.is_(False), FollowUp.due_on >= period.start, FollowUp.due_on <= period.end))]
    incidents = list(s.scalars(select(Incident.kind).where(Incident.archived.is_(False), Incident.occurred_at >= lo,
                                                            Incident.occurred_at < hi)))
    safeguarding = list(s.scalars(select(SafeguardingReferral.kind)
                                  .where(SafeguardingReferral.archived.is_(False),
                                         SafeguardingReferral.referred_on >= period.start,
                                         SafeguardingReferral.referred_on <= period.end)))
    open_in = select(Admission.resident_id).where(
        Admission.archived.is_(False), Admission.admitted_on <= period.end,
        or_(Admission.discharged_on.is_(None), Admission.discharged_on >= period.start))
    cols = [getattr(Resident, k) for k, _w in CHARACTERISTICS]
    residents = [dict(zip([k for k, _w in CHARACTERISTICS] + ["date_of_birth"], r, strict=True))
                 for r in s.execute(select(*cols, Resident.date_of_birth)
                                    .where(Resident.archived.is_(False), Resident.id.in_(open_in)))]
    return Rows(referrals, declines, admissions, reviews, discharges, follow_ups, incidents, safeguarding,
                residents)


# -- CSV ---------------------------------------------------------------------------------------
CSV_COLUMNS = ("Section", "Figure", "Count", "Denominator", "Share (%)", "Value")


def _cell(value: str) -> str:
    return "'" + value if starts_like_formula(value) else value


def section_words(f: Figure) -> str:
    """The CSV's Section cell: the section, and the breakdown a figure belongs to."""
    return f"{f.section}: {f.group}" if f.group else f.section


def quarterly_report_csv(report: QuarterlyReport) -> bytes:
    """One row per figure (section, figure, count, denominator, share; a mean in Value), UTF-8 with
    a byte-order mark for Excel. A breakdown's figure is its value as recorded ("Prefer not to
    say", a religion written in) under "Section: breakdown"; words that start like a formula are
    neutralised. The first rows give the period (dd/mm/yyyy)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    p = report.period
    w.writerow(("Period", "From", "", "", "", p.start.strftime("%d/%m/%Y")))
    w.writerow(("Period", "To", "", "", "", p.end.strftime("%d/%m/%Y")))
    for f in report.figures:
        share = f.share
        w.writerow((_cell(section_words(f)), _cell(f.name), "" if f.count is None else str(f.count),
                    "" if f.denominator is None else str(f.denominator), "" if share is None else f"{share:.1f}",
                    f.value.lstrip("+") if f.value else ""))
    return buf.getvalue().encode("utf-8-sig")


# -- charts ------------------------------------------------------------------------------------
def shares_chart(report: QuarterlyReport, width: float = 480):  # type: ignore[no-untyped-def]
    """The shares a manager is held to, as horizontal bars from 0 to 100%."""
    from keyworker.charts.bars import Bar, bar_chart

    bars = [Bar(label, f.share, f"{f.share_text} ({f.count} of {f.denominator})" if f.share is not None
                else "none due") for label, f in report.headline_shares()]
    return bar_chart(bars, title="The shares the contract holds the unit to (%)", maximum=100.0, width=width,
                     alt=f"{TITLE}, {report.period.label}: shares")


def breakdown_chart(report: QuarterlyReport, section: str, group: str, title: str,
                    width: float = 480):  # type: ignore[no-untyped-def]
    """A breakdown (admissions by setting, discharges by type) as counted bars; None when empty."""
    from keyworker.charts.bars import Bar, bar_chart

    rows = report.breakdown(section, group)
    if not rows:
        return None
    top = max(f.count or 0 for f in rows)
    maximum = 4 * max(1, -(-top // 4))  # a multiple of 4: the grid's quarters are whole numbers
    return bar_chart([Bar(f.name, float(f.count or 0), str(f.count)) for f in rows], title=title,
                     maximum=float(maximum), width=width, alt=f"{title}, {report.period.label}")
