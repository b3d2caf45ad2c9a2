"""The "Outcome Star and TOP" section of the planned discharge letter (issue 14), built from the
stay's own records inside the letter's session: the radar chart of the stay's first and latest
Outcome Star readings (our own drawing, `keyworker.charts.radar.star_chart`, 12 cm wide), the
distance travelled per area, and the TOP change between the start TOP and the exit TOP (or the
latest one held during the stay): the three 0–20 scales and the days used in the past 28 of
every substance used at either. Nothing at all when the stay has no reading and no TOP.

Only our own short labels appear: no licensed Star descriptors and no TOP form wording."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, cast

from reportlab.lib.units import cm
from reportlab.platypus import Flowable
from sqlalchemy import select

from keyworker.clock import format_date
from keyworker.db.caseload import Admission
from keyworker.db.top import Top, TopSubstance
from keyworker.documents.layout import grid, heading, keep, para, spacer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from keyworker.charts.radar import Reading
    from keyworker.outcome_star import StarReadingView

CHART_WIDTH = 12 * cm
SCALE_FIELDS = (("psychological_health", "Psychological health (0–20)"),
                ("physical_health", "Physical health (0–20)"),
                ("quality_of_life", "Overall quality of life (0–20)"))


def change_text(a: int, b: int) -> str:
    d = b - a
    return f"+{d}" if d > 0 else str(d) if d else "no change"


def star_part(session: Session, adm: Admission) -> list[Flowable]:
    from keyworker import outcome_star as star

    rows = star._readings_of(session, adm.resident_id, adm.id)
    if not rows:
        return []
    first_row, latest_row = rows[0], rows[-1]
    views = star._views(session, [first_row] if first_row.id == latest_row.id else [first_row, latest_row])
    return star_flowables(views[0], views[-1], len(rows))


def star_flowables(first: StarReadingView, latest: StarReadingView, count: int) -> list[Flowable]:
    """The Star part from the stay's first and latest readings (the same one when only one was
    taken) and how many readings the stay has (no database)."""
    from keyworker import outcome_star as star
    from keyworker.charts.pdf import ChartFlowable
    from keyworker.charts.radar import star_chart

    one = first.id == latest.id
    out: list[Flowable] = [heading("Outcome Star", 3)]
    if one:
        out.append(para(f"One Outcome Star reading was taken during the stay: {_when(latest)}. The distance "
                        "travelled is shown once a second reading is taken."))
    else:
        dist = star.distance_between(first, latest)
        out.append(para(f"{count} Outcome Star readings were taken during the stay. From the first, "
                        f"{_when(first)}, to the latest, {_when(latest)}, the total score moved from "
                        f"{first.total} to {latest.total} ({change_text(first.total, latest.total)}); "
                        f"{dist.improved} of {len(dist.areas)} areas improved."))
    d = star._definition(latest.definition_id, latest.definition_version)
    if d is not None:  # a definition no longer installed: the figures without the chart
        # (the views are frozen, so they meet the chart's Reading protocol read-only)
        chart = star_chart(d, cast("Reading", latest), None if one else cast("Reading", first))
        out.append(ChartFlowable(chart, CHART_WIDTH))
        out.append(spacer(3))
    if one:
        out.append(grid(["Area", format_date(latest.taken_on), "Stage"],
                        [[a.name, str(a.score), a.stage] for a in latest.scores], [48, 26, 96]))
    else:
        # (the two dates are in the sentence above, so the columns stay narrow)
        out.append(keep(grid(["Area", "First", "Latest", "Change", "Stage"],  # one table, on one page
                             [[a.name, str(a.first), str(a.latest), a.change_text, a.stage_text]
                              for a in dist.areas], [48, 18, 18, 22, 64])))
    return out


def _when(r: StarReadingView) -> str:
    return f"{format_date(r.taken_on)} ({r.stage_label.lower()})"


def _pick(tops: Sequence[Top]) -> tuple[Top, Top | None]:
    """The stay's start TOP (else its earliest) and its exit TOP (else the latest held during the
    stay); a post-treatment exit TOP is six months later and not part of the stay's change."""
    during = [t for t in tops if t.stage != "post_treatment_exit"] or list(tops)
    first = next((t for t in during if t.stage == "start"), during[0])
    last = next((t for t in during if t.stage == "exit"), during[-1])
    return first, (None if last.id == first.id else last)


@dataclass(frozen=True)
class TopFigures:
    """What the letter shows of one TOP: its stage, date, the three scales and days used."""

    stage: str
    interview_on: date
    psychological_health: int
    physical_health: int
    quality_of_life: int
    days: Mapping[str, int]  # substance code -> days used in the past 28 (left out: 0)


def top_part(session: Session, adm: Admission) -> list[Flowable]:
    tops = list(session.scalars(select(Top).where(Top.admission_id == adm.id, Top.archived.is_(False))
                                .order_by(Top.interview_on, Top.created_at)))
    if not tops:
        return []
    first, last = _pick(tops)
    chosen = [first] + ([last] if last is not None else [])
    days: dict[str, dict[str, int]] = {t.id: {} for t in chosen}
    other = ""
    for r in session.scalars(select(TopSubstance).where(TopSubstance.top_id.in_(list(days)),
                                                        TopSubstance.archived.is_(False))):
        days[r.top_id][r.substance] = r.total_days
        if r.substance == "other" and r.other_name:
            other = r.other_name
    figures = [TopFigures(t.stage, t.interview_on, t.psychological_health, t.physical_health,
                          t.quality_of_life, days[t.id]) for t in chosen]
    return top_flowables(figures[0], figures[1] if len(figures) > 1 else None, other)


def top_flowables(first: TopFigures, last: TopFigures | None, other_name: str = "") -> list[Flowable]:
    """The TOP part: the start TOP (or the only one) against the exit or latest one (no database)."""
    from keyworker.top import STAGE_LABELS, SUBSTANCE_LABELS, SUBSTANCES

    chosen = [first] + ([last] if last is not None else [])
    used = [s.code for s in SUBSTANCES if any(t.days.get(s.code, 0) > 0 for t in chosen)]
    label = {**SUBSTANCE_LABELS, **({"other": f"Other substance ({other_name})"} if other_name else {})}

    def when(t: TopFigures) -> str:
        return f"{STAGE_LABELS.get(t.stage, 'TOP').lower()} TOP of {format_date(t.interview_on)}"

    out: list[Flowable] = [heading("Treatment Outcomes Profile (TOP)", 3)]
    if last is None:
        out.append(para(f"One TOP was held during the stay: the {when(first)}. The change is shown once a "
                        "second TOP is held."))
        rows = [[name, str(getattr(first, f))] for f, name in SCALE_FIELDS]
        rows += [[f"{label[c]}: days used in the past 28", str(first.days.get(c, 0))] for c in used]
        out.append(grid(["Measure", format_date(first.interview_on)], rows, [110, 30]))
        return out
    out.append(para(f"From the {when(first)} to the {when(last)}."
                    + ("" if used else " No substance use was reported at either.")))
    rows = [[name, str(getattr(first, f)), str(getattr(last, f)),
             change_text(getattr(first, f), getattr(last, f))] for f, name in SCALE_FIELDS]
    for c in used:
        a, b = first.days.get(c, 0), last.days.get(c, 0)
        rows.append([f"{label[c]}: days used in the past 28", str(a), str(b), change_text(a, b)])
    header = ["Measure", format_date(first.interview_on), format_date(last.interview_on), "Change"]
    out.append(grid(header, rows, [86, 28, 28, 28]))
    return out


def section(session: Session, admission_id: str) -> list[Flowable] | None:
    adm = session.get(Admission, admission_id)
    if adm is None:
        return None
    out = star_part(session, adm) + top_part(session, adm)
    return out or None
