"""The Outcome Star as a radar chart, drawn by our own code (the same Drawing on screen and in
PDFs): one spoke per area, rings 1–10, the latest reading filled, a compared reading (the first,
or any chosen) as a dashed outline, and a legend with both dates. Pure: no Qt, no ReportLab.

Labels sit outside the outer ring, anchored away from the plot (right of the centre they start at
the label point, left of it they end there, top and bottom they are centred) and long names are
wrapped onto two lines, so no label crosses the plot at 420×360 on screen or 12 cm wide in print."""
from __future__ import annotations

import math
from datetime import date
from typing import Protocol

from keyworker.charts.primitives import Circle, Drawing, Line, Polygon, Shape, Text
from keyworker.clock import format_date
from keyworker.outcome_star_definitions import StarDefinition

LATEST = "#1f5f9e"  # blue, filled
COMPARE = "#b34700"  # dark orange, dashed: the two differ in shape (fill vs dash) as well as colour
RING = "#d4d4d4"
RING_STRONG = "#9a9a9a"
INK = "#222222"
LABEL_SIZE = 9.0
WRAP_AT = 13  # characters per label line
CHAR_WIDTH = 0.6  # of the font size: a generous average advance (the screen's fallback font is wider
# than the PDF's Helvetica), for placing labels without a font


class Reading(Protocol):
    taken_on: date

    def score_of(self, key: str) -> int | None: ...


def wrap_label(text: str, width: int = WRAP_AT) -> list[str]:
    """A label on at most two lines, broken at a space (Meaningful / use of time)."""
    if len(text) <= width or " " not in text:
        return [text]
    words = text.split(" ")
    best: list[str] = [text]
    best_len = len(text)
    for i in range(1, len(words)):
        a, b = " ".join(words[:i]), " ".join(words[i:])
        longest = max(len(a), len(b))
        if longest < best_len:
            best, best_len = [a, b], longest
    return best


def text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def _point(cx: float, cy: float, radius: float, angle: float) -> tuple[float, float]:
    return (cx + radius * math.cos(angle), cy + radius * math.sin(angle))


def star_chart(definition: StarDefinition, latest: Reading | None, compare: Reading | None = None,
               width: float = 420, height: float = 360) -> Drawing:
    areas = definition.areas
    n = len(areas)
    shapes: list[Shape] = []
    legend_h = 38.0
    labels = [wrap_label(a.name) for a in areas]
    gap = 7.0
    line_h = LABEL_SIZE * 1.15
    cx = width / 2
    plot_top = legend_h
    cy = plot_top + (height - plot_top) / 2
    angles = [-math.pi / 2 + 2 * math.pi * i / n for i in range(n)]
    # The largest radius for which every label fits inside the drawing.
    radius = min(width / 2, (height - plot_top) / 2)
    for ang, lines in zip(angles, labels, strict=True):
        c, s = math.cos(ang), math.sin(ang)
        w = max(text_width(line, LABEL_SIZE) for line in lines)
        h = line_h * len(lines)
        if abs(c) > 0.25:  # side labels: their width is outside the radius
            room = (width / 2 - w - gap - 4) / abs(c)
            radius = min(radius, room)
        if abs(s) > 0.25:
            room = ((height - plot_top) / 2 - (h if abs(c) <= 0.25 else h / 2) - gap - 2) / abs(s)
            radius = min(radius, room)
    radius = max(radius, 40.0)

    # rings 1..10 (decagons, as the spokes are straight), 5 and 10 stronger
    for ring in range(1, 11):
        r = radius * ring / 10
        pts = tuple(_point(cx, cy, r, a) for a in angles)
        shapes.append(Line(pts + (pts[0],), color=RING_STRONG if ring in (5, 10) else RING,
                           width=0.9 if ring in (5, 10) else 0.6))
    for a in angles:
        shapes.append(Line(((cx, cy), _point(cx, cy, radius, a)), color=RING, width=0.6))

    def outline(reading: Reading) -> tuple[tuple[float, float], ...]:
        pts = []
        for area, ang in zip(areas, angles, strict=True):
            v = reading.score_of(area.key) or 0
            pts.append(_point(cx, cy, radius * max(0, min(10, v)) / 10, ang))
        return tuple(pts)

    if latest is not None:
        pts = outline(latest)
        shapes.append(Polygon(pts, fill=LATEST, stroke=LATEST, width=1.6, alpha=0.3))
        for p in pts:
            shapes.append(Circle(p, 2.4, fill=LATEST))
    if compare is not None:
        pts = outline(compare)
        shapes.append(Line(pts + (pts[0],), color=COMPARE, width=1.6, dashed=True))

    # ring numbers up the first spoke, small, beside it
    for ring in (2, 4, 6, 8, 10):
        y = cy - radius * ring / 10
        shapes.append(Text((cx + 3, y + 3), str(ring), size=7, color="#777777"))

    # area labels
    for ang, lines in zip(angles, labels, strict=True):
        c, s = math.cos(ang), math.sin(ang)
        x, y = _point(cx, cy, radius + gap, ang)
        anchor = "start" if c > 0.25 else "end" if c < -0.25 else "middle"
        h = line_h * len(lines)
        if abs(c) <= 0.25:  # top or bottom: the block sits above or below the point
            top = y - h if s < 0 else y + 2
        else:
            top = y - h / 2 + s * h / 2  # upper labels move up, lower ones down: away from the plot
        for i, line in enumerate(lines):
            shapes.append(Text((x, top + line_h * (i + 1) - 2), line, size=LABEL_SIZE, color=INK, anchor=anchor))

    # legend, top left: a filled swatch for the latest, a dashed line for the compared one
    lx, ly = 6.0, 12.0
    if latest is not None:
        shapes.append(Polygon(((lx, ly - 7), (lx + 16, ly - 7), (lx + 16, ly + 1), (lx, ly + 1)),
                              fill=LATEST, stroke=LATEST, width=1.2, alpha=0.3))
        shapes.append(Text((lx + 22, ly), f"Latest: {format_date(latest.taken_on)}", size=LABEL_SIZE, color=INK))
        if compare is not None:
            ly2 = ly + 14
            shapes.append(Line(((lx, ly2 - 3), (lx + 16, ly2 - 3)), color=COMPARE, width=1.6, dashed=True))
            shapes.append(Text((lx + 22, ly2), f"Compared with: {format_date(compare.taken_on)}",
                               size=LABEL_SIZE, color=INK))
    else:
        shapes.append(Text((cx, cy - 4), "No reading recorded yet", size=10, color="#555555", anchor="middle"))
    shapes.append(Text((width - 6, ly), definition.name + " Star", size=LABEL_SIZE, color="#555555", anchor="end"))

    if latest is None:
        title = f"{definition.name} Star: no reading recorded yet"
    elif compare is None:
        title = f"{definition.name} Star: reading of {format_date(latest.taken_on)}"
    else:
        title = (f"{definition.name} Star: reading of {format_date(latest.taken_on)} (filled) compared with "
                 f"{format_date(compare.taken_on)} (dashed)")
    return Drawing(width, height, tuple(shapes), title)
