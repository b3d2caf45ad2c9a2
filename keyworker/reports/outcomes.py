"""The quarterly outcomes report (contract 11.1.4–11.1.12; issue 14 part Q1): for a period
(normally a calendar quarter), the Outcome Star distance travelled, TOP compliance and change,
and the satisfaction surveys. Unit figures only: means, shares and counts, never a name.

What is counted, and why (docs/OUTCOMES.md says the same):
- **Stays in the period**: every stay (not archived) that was open on at least one day of it
  (admitted on or before its last day, not discharged before its first day). A resident with
  two such stays is counted by the later one.
- **Outcome Star**: a resident "with star readings" has at least one reading (corrections in,
  what they replaced out) of that stay taken on or before the period's last day. The change per
  area is latest minus first of those readings, for residents with two or more and the area
  scored in both; "improved" is a change above 0; the share improved is of those residents.
  The radar shows the mean first against the mean latest score per area over the same residents.
- **TOP**: compliance is `book.top.compliance(start, end)` (due TOPs of the period completed, the
  90% target). Change is from the stay's start TOP to its latest later TOP of the stay (the exit
  TOP when there is one) held on or before the period's last day; post-treatment exit TOPs (after
  the stay) are left out. The three 0–20 scales are averaged over every such pair; days of use
  per substance over the pairs where it was used at the start (the people it concerns).
- **Surveys**: surveys dated in the period, counted by who answered (resident, carer or family
  member), with the mean of each rating over the people who answered it.

Pure where it can be: `build` takes plain rows; `query` reads them in a few grouped queries."""
from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from keyworker import outcome_star_definitions as defs
from keyworker.db.caseload import Admission
from keyworker.db.outcomes import StarReading, StarScore
from keyworker.db.surveys import Survey
from keyworker.db.top import Top, TopSubstance
from keyworker.reports.periods import Period
from keyworker.surveys import RATINGS
from keyworker.text import starts_like_formula
from keyworker.top import SCALES, SUBSTANCES, TopCompliance

STAR, TOP, SURVEYS = "Outcome Star", "TOP", "Satisfaction surveys"
CHUNK = 900  # ids per IN (...), inside SQLite's limit on bound values


@dataclass(frozen=True)
class AreaChange:
    key: str
    name: str
    residents: int  # with a first and a latest score in this area
    mean_first: float | None
    mean_latest: float | None
    mean_change: float | None
    improved: int

    @property
    def improved_pct(self) -> float | None:
        return None if not self.residents else round(100.0 * self.improved / self.residents, 1)


@dataclass(frozen=True)
class StarSection:
    definition_name: str
    residents_with_readings: int
    residents_compared: int  # with two or more readings
    areas: tuple[AreaChange, ...]


@dataclass(frozen=True)
class MeanChange:
    measure: str  # "Psychological health", "Opiates (days used)"
    people: int
    mean_start: float | None
    mean_latest: float | None

    @property
    def mean_change(self) -> float | None:
        if self.mean_start is None or self.mean_latest is None:
            return None
        return round(self.mean_latest - self.mean_start, 2)


@dataclass(frozen=True)
class TopSection:
    compliance: TopCompliance
    pairs: int  # stays with a start TOP and a later one
    scales: tuple[MeanChange, ...]
    days_of_use: tuple[MeanChange, ...]  # per substance, over those using it at the start


@dataclass(frozen=True)
class RatingMean:
    key: str
    label: str
    residents: float | None
    carers: float | None
    everyone: float | None
    answered: int


@dataclass(frozen=True)
class SurveySection:
    resident_surveys: int
    carer_surveys: int
    residents_surveyed: int  # distinct residents who answered themselves
    ratings: tuple[RatingMean, ...]


@dataclass(frozen=True)
class OutcomesReport:
    period: Period
    stays: int  # stays open on a day of the period
    star: StarSection
    top: TopSection
    surveys: SurveySection

    def figures(self) -> list[tuple[str, str, str]]:
        """(section, measure, value) for every figure, in the PDF's order; "" where there is none."""
        out: list[tuple[str, str, str]] = [("Period", "From", self.period.start.strftime("%d/%m/%Y")),
                                           ("Period", "To", self.period.end.strftime("%d/%m/%Y")),
                                           ("Period", "Stays open in the period", str(self.stays))]
        st = self.star
        out += [(STAR, "Residents with star readings", str(st.residents_with_readings)),
                (STAR, "Residents with two or more readings", str(st.residents_compared))]
        for a in st.areas:
            out += [(STAR, f"{a.name}: mean first score", num(a.mean_first)),
                    (STAR, f"{a.name}: mean latest score", num(a.mean_latest)),
                    (STAR, f"{a.name}: mean change", num(a.mean_change, signed=True)),
                    (STAR, f"{a.name}: share improved (%)", num(a.improved_pct, 1))]
        c = self.top.compliance
        out += [(TOP, "TOPs due", str(c.due)), (TOP, "TOPs completed", str(c.completed)),
                (TOP, "Compliance (%)", num(c.pct, 1)), (TOP, "Target (%)", f"{c.target_pct:.0f}"),
                (TOP, "Stays with a start TOP and a later TOP", str(self.top.pairs))]
        for m in self.top.scales + self.top.days_of_use:
            out += [(TOP, f"{m.measure}: people", str(m.people)),
                    (TOP, f"{m.measure}: mean at start", num(m.mean_start)),
                    (TOP, f"{m.measure}: mean latest", num(m.mean_latest)),
                    (TOP, f"{m.measure}: mean change", num(m.mean_change, signed=True))]
        sv = self.surveys
        out += [(SURVEYS, "Surveys from residents", str(sv.resident_surveys)),
                (SURVEYS, "Surveys from carers or family members", str(sv.carer_surveys)),
                (SURVEYS, "Residents surveyed", str(sv.residents_surveyed))]
        for r in sv.ratings:
            out += [(SURVEYS, f"{r.label}: mean rating, residents (1-5)", num(r.residents)),
                    (SURVEYS, f"{r.label}: mean rating, carers or family (1-5)", num(r.carers)),
                    (SURVEYS, f"{r.label}: mean rating, everyone (1-5)", num(r.everyone))]
        return out


def num(v: float | None, places: int = 2, *, signed: bool = False) -> str:
    if v is None:
        return ""
    text = f"{v:+.{places}f}" if signed else f"{v:.{places}f}"
    return "0.00" if signed and text in ("+0.00", "-0.00") else text


def _mean(values: list[float] | list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _open_in(period: Period):  # type: ignore[no-untyped-def]
    return and_(Admission.archived.is_(False), Admission.admitted_on <= period.end,
                or_(Admission.discharged_on.is_(None), Admission.discharged_on >= period.start))


def _latest_stays(s: Session, period: Period) -> dict[str, str]:
    """resident -> the latest stay open in the period."""
    rows = s.execute(select(Admission.resident_id, Admission.id, Admission.admitted_on)
                     .where(_open_in(period))).all()
    best: dict[str, tuple[date, str]] = {}
    for rid, aid, on in rows:
        if rid not in best or (on, aid) > best[rid]:
            best[rid] = (on, aid)
    return {rid: v[1] for rid, v in best.items()}


# -- the Outcome Star --------------------------------------------------------------------------
def star_section(s: Session, period: Period, stays: dict[str, str]) -> StarSection:
    try:
        d = defs.current()
        areas = [(a.key, a.name) for a in d.areas]
        dname = d.name
    except defs.OutcomeStarDefinitionError:
        areas, dname = [], "Outcome Star"
    wanted = sorted(set(stays.values()))
    order = (StarReading.taken_on, StarReading.created_at, StarReading.id)
    firsts: dict[str, dict[str, int]] = defaultdict(dict)
    lasts: dict[str, dict[str, int]] = defaultdict(dict)
    with_readings: set[str] = set()
    for i in range(0, len(wanted), CHUNK):  # by stay: the admission index, never every reading
        ranked = (select(StarReading.id.label("rid"), StarReading.admission_id.label("aid"),
                         func.row_number().over(partition_by=StarReading.admission_id, order_by=order).label("rf"),
                         func.row_number().over(partition_by=StarReading.admission_id,
                                                order_by=[o.desc() for o in order]).label("rl"))
                  .where(StarReading.admission_id.in_(wanted[i:i + CHUNK]), StarReading.archived.is_(False),
                         StarReading.superseded_by_id.is_(None), StarReading.taken_on <= period.end)
                  .subquery())
        # The first and the latest reading of each stay with their scores (a stay with one reading
        # has it as both: counted with readings, not compared).
        for aid, rf, rl, key, score in s.connection().execute(  # Core rows: no ORM per-row cost
                select(ranked.c.aid, ranked.c.rf, ranked.c.rl, StarScore.area_key, StarScore.score)
                .join(StarScore, StarScore.reading_id == ranked.c.rid)
                .where(or_(ranked.c.rf == 1, ranked.c.rl == 1))):
            with_readings.add(aid)
            if rf == 1 and rl == 1:
                continue
            (firsts if rf == 1 else lasts)[aid][key] = score
    compared = set(firsts) & set(lasts)
    known = {k for k, _n in areas}
    extra = sorted({k for aid in compared for k in firsts[aid]} - known)
    out = []
    for key, name in areas + [(k, k.replace("_", " ").capitalize()) for k in extra]:
        pairs = [(firsts[a][key], lasts[a][key]) for a in compared if key in firsts[a] and key in lasts[a]]
        out.append(AreaChange(key, name, len(pairs), _mean([f for f, _l in pairs]), _mean([lt for _f, lt in pairs]),
                              _mean([lt - f for f, lt in pairs]), sum(1 for f, lt in pairs if lt > f)))
    return StarSection(dname, len(with_readings), len(compared), tuple(out))


# -- TOP ---------------------------------------------------------------------------------------
def top_section(s: Session, period: Period, stays: dict[str, str], compliance: TopCompliance) -> TopSection:
    wanted = sorted(set(stays.values()))
    by_stay: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for i in range(0, len(wanted), CHUNK):
        for row in s.execute(select(Top.id, Top.admission_id, Top.stage, Top.interview_on, Top.created_at,
                                    Top.psychological_health, Top.physical_health, Top.quality_of_life)
                             .where(Top.admission_id.in_(wanted[i:i + CHUNK]), Top.archived.is_(False),
                                    Top.interview_on <= period.end, Top.stage.in_(("start", "review", "exit")))
                             .order_by(Top.interview_on, Top.created_at, Top.id)):
            by_stay[row.admission_id].append(row)
    pairs = []
    for rows in by_stay.values():
        start = next((r for r in rows if r.stage == "start"), None)
        if start is None:
            continue
        later = [r for r in rows if r.id != start.id and (r.interview_on, r.created_at) >= (start.interview_on,
                                                                                          start.created_at)]
        if not later:
            continue
        exits = [r for r in later if r.stage == "exit"]
        latest = exits[0] if exits else max(later, key=lambda r: (r.interview_on, r.created_at, r.id))
        pairs.append((start, latest))
    scales = tuple(MeanChange(label, len(pairs), _mean([getattr(a, f) for a, _b in pairs]),
                              _mean([getattr(b, f) for _a, b in pairs])) for f, label in SCALES)
    ids = [t.id for p in pairs for t in p]
    days: dict[str, dict[str, int]] = defaultdict(dict)
    for i in range(0, len(ids), CHUNK):
        for tid, sub, total in s.execute(select(TopSubstance.top_id, TopSubstance.substance, TopSubstance.total_days)
                                         .where(TopSubstance.top_id.in_(ids[i:i + CHUNK]),
                                                TopSubstance.archived.is_(False))):
            days[tid][sub] = total
    use = []
    for sub in SUBSTANCES:
        using = [(days[a.id].get(sub.code, 0), days[b.id].get(sub.code, 0)) for a, b in pairs
                 if days[a.id].get(sub.code, 0) > 0]
        use.append(MeanChange(f"{sub.label} (days used of 28)", len(using), _mean([x for x, _y in using]),
                              _mean([y for _x, y in using])))
    return TopSection(compliance, len(pairs), scales, tuple(use))


# -- surveys -----------------------------------------------------------------------------------
def survey_section(s: Session, period: Period) -> SurveySection:
    cols = [getattr(Survey, k) for k, _l in RATINGS]
    rows = s.execute(select(Survey.resident_id, Survey.respondent, *cols)
                     .where(Survey.archived.is_(False), Survey.taken_on >= period.start,
                            Survey.taken_on <= period.end)).all()
    res = [r for r in rows if r.respondent == "resident"]
    car = [r for r in rows if r.respondent == "carer"]
    ratings = []
    for i, (key, label) in enumerate(RATINGS, start=2):
        mine = [r[i] for r in res if r[i] is not None]
        theirs = [r[i] for r in car if r[i] is not None]
        ratings.append(RatingMean(key, label, _mean(mine), _mean(theirs), _mean(mine + theirs),
                                  len(mine) + len(theirs)))
    return SurveySection(len(res), len(car), len({r.resident_id for r in res}), tuple(ratings))


def query(s: Session, period: Period, compliance: TopCompliance) -> OutcomesReport:
    stays = _latest_stays(s, period)
    return OutcomesReport(period, len(stays), star_section(s, period, stays),
                          top_section(s, period, stays, compliance), survey_section(s, period))


# -- CSV ---------------------------------------------------------------------------------------
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _cell(value: str) -> str:
    return "'" + value if starts_like_formula(value) else value


def _value(value: str) -> str:
    """A figure is written as a plain number a spreadsheet adds up ("+1.50" as 1.50, "-0.67" as
    itself: a number, not a formula); anything else is text, guarded as text."""
    if _NUMBER.match(value):
        return value.lstrip("+")
    return _cell(value)


def outcomes_report_csv(report: OutcomesReport) -> bytes:
    """One row per figure (section, measure, value), UTF-8 with a byte-order mark for Excel. The
    value is a plain number; the words (a licensed definition's area names among them) are guarded
    against formula injection like every CSV the app writes."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(("Section", "Measure", "Value"))
    for section, measure, value in report.figures():
        w.writerow((_cell(section), _cell(measure), _value(value)))
    return buf.getvalue().encode("utf-8-sig")


def generated_on(at: datetime) -> str:
    return at.strftime("%d/%m/%Y")


# -- the unit's radar ----------------------------------------------------------------------------
@dataclass
class _MeanReading:
    """The unit's mean scores per area, shaped as a reading for `star_chart`."""

    taken_on: date
    means: dict[str, float]

    def score_of(self, key: str) -> float | None:  # a mean, not a whole score: drawn where it falls
        return self.means.get(key)


def unit_star_chart(report: OutcomesReport, width: float = 420, height: float = 360):  # type: ignore[no-untyped-def]
    """The Outcome Star radar of the unit's mean latest (filled) against mean first (dashed) score
    per area, over the residents compared: `star_chart` itself, with the legend saying so. None
    when nobody has two readings or the definition cannot be read."""
    from keyworker.charts.primitives import Drawing, Text
    from keyworker.charts.radar import Reading, star_chart

    if not report.star.residents_compared:
        return None
    try:
        d = defs.current()
    except defs.OutcomeStarDefinitionError:
        return None
    first = _MeanReading(report.period.start, {a.key: a.mean_first for a in report.star.areas
                                               if a.mean_first is not None})
    latest = _MeanReading(report.period.end, {a.key: a.mean_latest for a in report.star.areas
                                              if a.mean_latest is not None})
    # star_chart's Reading gives whole scores; a mean is drawn where it falls the same way (v / 10).
    chart = star_chart(d, cast("Reading", latest), cast("Reading", first), width, height)
    n = report.star.residents_compared
    words = {"Latest:": f"Mean latest reading ({n} resident{'' if n == 1 else 's'})",
             "Compared with:": "Mean first reading"}
    shapes = tuple(Text(x.at, next(w for k, w in words.items() if x.text.startswith(k)), x.size, x.color, x.anchor,
                        x.bold) if isinstance(x, Text) and any(x.text.startswith(k) for k in words) else x
                   for x in chart.shapes)
    return Drawing(chart.width, chart.height, shapes,
                   f"{d.name} Star: the unit's mean latest score per area (filled) against the mean first "
                   f"score (dashed), {n} resident{'' if n == 1 else 's'}, {report.period.label}")
