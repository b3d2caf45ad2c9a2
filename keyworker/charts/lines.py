"""A resident's TOP scores over time, as line charts drawn by our own code (pure: a `Drawing`, no
Qt, no ReportLab). Two panels sharing one time axis: the three 0–20 scales (psychological health,
physical health, quality of life), and the days of use in the past 28 of each substance used at
any TOP. Each point is a TOP interview, placed by its date and labelled dd/mm/yy beneath; a
legend names every line (colour is never the only cue: the legend and the last value at each
line's end say which is which)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from keyworker.charts.primitives import Circle, Drawing, Line, Shape, Text

if TYPE_CHECKING:
    from keyworker.top import TopView

WIDTH, HEIGHT = 560.0, 380.0
LEFT, RIGHT_LEGEND = 40.0, 150.0
PLOT_RIGHT = WIDTH - RIGHT_LEGEND
GRID = "#d0d5da"
INK = "#333333"
SCALE_COLOURS = ("#1b6ca8", "#c0392b", "#2e8b57")  # psychological, physical, quality of life
SUBSTANCE_COLOURS = ("#7b3fa0", "#d35400", "#16a085", "#8e6c00", "#34495e", "#b03a6f", "#5d6d7e")
SCALE_FIELDS = (("psychological_health", "Psychological health"), ("physical_health", "Physical health"),
                ("quality_of_life", "Quality of life"))


def _x_of(days: Sequence[date]) -> dict[date, float]:
    """Each date's x: proportional to time between the first and last, centred when one."""
    first, last = min(days), max(days)
    span = (last - first).days
    inner_left, inner_right = LEFT + 14, PLOT_RIGHT - 14
    if span == 0:
        return {d: (inner_left + inner_right) / 2 for d in days}
    return {d: inner_left + (inner_right - inner_left) * (d - first).days / span for d in days}


def _panel(shapes: list[Shape], title: str, top: float, bottom: float, high: int, step: int,
           xs: dict[date, float]) -> None:
    shapes.append(Text((LEFT, top - 10), title, size=9.5, bold=True, color=INK))
    for v in range(0, high + 1, step):
        y = bottom - (bottom - top) * v / high
        shapes.append(Line(((LEFT, y), (PLOT_RIGHT, y)), color=GRID, width=0.6))
        shapes.append(Text((LEFT - 5, y + 3), str(v), size=7, anchor="end", color=INK))
    shapes.append(Line(((LEFT, top), (LEFT, bottom)), color=INK, width=0.8))
    shapes.append(Line(((LEFT, bottom), (PLOT_RIGHT, bottom)), color=INK, width=0.8))
    last_label_x = -1e9
    for d, x in sorted(xs.items()):
        shapes.append(Line(((x, bottom), (x, bottom + 3)), color=INK, width=0.8))
        if x - last_label_x >= 40:  # dates closer than that would overlap: the points still show
            shapes.append(Text((x, bottom + 13), d.strftime("%d/%m/%y"), size=7, anchor="middle", color=INK))
            last_label_x = x


def _series(shapes: list[Shape], legend: list[tuple[str, str]], ends: list[tuple[float, float, int, str]],
            name: str, colour: str, points: list[tuple[float, float, int]], dashed: bool) -> None:
    if len(points) > 1:
        shapes.append(Line(tuple((x, y) for x, y, _v in points), color=colour, width=2.0, dashed=dashed))
    for x, y, _v in points:
        shapes.append(Circle((x, y), 3.2, fill=colour, stroke="#ffffff", width=0.8))
    x, y, v = points[-1]
    ends.append((x, y, v, colour))
    legend.append((name, colour))


def _end_labels(shapes: list[Shape], ends: list[tuple[float, float, int, str]], top: float, bottom: float) -> None:
    """The last value of each line beside its end, nudged apart so none covers another."""
    gap = 9.0
    placed: list[float] = []
    for x, y, v, colour in sorted(ends, key=lambda e: e[1]):
        at = max(y + 3, (placed[-1] + gap) if placed else top)
        placed.append(at)
    overflow = placed[-1] - (bottom + 3) if placed else 0
    if overflow > 0:  # pushed below the axis: shift the stack up
        placed = [p - overflow for p in placed]
    for (x, _y, v, colour), at in zip(sorted(ends, key=lambda e: e[1]), placed, strict=True):
        shapes.append(Text((x + 7, at), str(v), size=7.5, color=colour, bold=True))


def _legend(shapes: list[Shape], entries: list[tuple[str, str]], top: float) -> None:
    x = PLOT_RIGHT + 22
    for i, (name, colour) in enumerate(entries):
        y = top + 4 + i * 14
        shapes.append(Line(((x, y), (x + 16, y)), color=colour, width=2.0))
        shapes.append(Circle((x + 8, y), 2.6, fill=colour))
        shapes.append(Text((x + 21, y + 3), name if len(name) <= 20 else name[:19] + "…", size=7.5, color=INK))


def top_chart(tops: Sequence[TopView], *, title: str = "TOP scores over time") -> Drawing:
    """The resident's TOPs (any order) as two line panels; an empty drawing says so in words."""
    tops = sorted(tops, key=lambda t: (t.interview_on, t.id))
    if not tops:
        return Drawing(WIDTH, 60.0, (Text((WIDTH / 2, 34), "No TOPs recorded yet.", size=10, anchor="middle"),),
                       title=f"{title}: no TOPs recorded yet")
    xs = _x_of([t.interview_on for t in tops])
    shapes: list[Shape] = []
    # Panel 1: the 0–20 scales.
    top1, bottom1 = 34.0, 160.0
    _panel(shapes, "Health and quality of life (0 poor – 20 good)", top1, bottom1, 20, 5, xs)
    legend1: list[tuple[str, str]] = []
    ends1: list[tuple[float, float, int, str]] = []
    for (field, name), colour, dashed in zip(SCALE_FIELDS, SCALE_COLOURS, (False, True, False), strict=True):
        pts = [(xs[t.interview_on], bottom1 - (bottom1 - top1) * getattr(t, field) / 20, getattr(t, field))
               for t in tops]
        _series(shapes, legend1, ends1, name, colour, pts, dashed)
    _end_labels(shapes, ends1, top1, bottom1)
    _legend(shapes, legend1, top1)
    # Panel 2: days of use in the past 28, each substance used at any TOP.
    top2, bottom2 = 224.0, 350.0
    _panel(shapes, "Days used in the past 28", top2, bottom2, 28, 7, xs)
    used: dict[str, str] = {}
    for t in tops:
        for s in t.substances:
            if s.total_days > 0:
                used.setdefault(s.substance, s.short_label)
    legend2: list[tuple[str, str]] = []
    ends2: list[tuple[float, float, int, str]] = []
    if not used:
        shapes.append(Text(((LEFT + PLOT_RIGHT) / 2, (top2 + bottom2) / 2), "No substance use recorded.",
                           size=9, anchor="middle", color=INK))
    for i, (code, name) in enumerate(used.items()):
        colour = SUBSTANCE_COLOURS[i % len(SUBSTANCE_COLOURS)]
        pts = [(xs[t.interview_on], bottom2 - (bottom2 - top2) * t.days_of(code) / 28, t.days_of(code))
               for t in tops]
        _series(shapes, legend2, ends2, name, colour, pts, i % 2 == 1)
    _end_labels(shapes, ends2, top2, bottom2)
    _legend(shapes, legend2, top2)
    words = "; ".join(f"{t.interview_on:%d/%m/%Y} {t.stage_label}: psychological {t.psychological_health}, "
                      f"physical {t.physical_health}, quality of life {t.quality_of_life}" for t in tops)
    return Drawing(WIDTH, HEIGHT, tuple(shapes), title=f"{title}. {words}")
