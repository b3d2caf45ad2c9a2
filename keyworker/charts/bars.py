"""Horizontal bar charts drawn by our own code (pure: a `Drawing`, no Qt, no ReportLab): one bar
per row, its label on the left, its value in words at the bar's end (colour is never the only
cue), a light grid at quarters of the maximum. A row without a value (nothing to share) shows its
words and no bar."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from keyworker.charts.primitives import Drawing, Line, Polygon, Shape, Text

BAR = "#1f5f9e"
GRID = "#d0d5da"
INK = "#222222"
ROW_H = 20.0
LABEL_W = 200.0
VALUE_W = 96.0
TOP = 26.0
LABEL_MAX = 40  # characters


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    words: str  # what is written at the bar's end: "75.0% (3 of 4)"


def _short(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[:LABEL_MAX - 1] + "…"


def bar_chart(bars: Sequence[Bar], *, title: str, maximum: float, width: float = 480, alt: str = "") -> Drawing:
    height = TOP + ROW_H * max(1, len(bars)) + 18
    left, right = LABEL_W, width - VALUE_W
    shapes: list[Shape] = [Text((4, 13), title, size=9.5, bold=True, color=INK)]
    bottom = TOP + ROW_H * max(1, len(bars))
    for q in range(5):
        x = left + (right - left) * q / 4
        shapes.append(Line(((x, TOP - 2), (x, bottom)), color=GRID, width=0.6))
        shapes.append(Text((x, bottom + 11), f"{maximum * q / 4:g}", size=7, anchor="middle", color=INK))
    if not bars:
        shapes.append(Text(((left + right) / 2, TOP + 13), "Nothing to show for this period.", size=8.5,
                           anchor="middle", color=INK))
    for i, b in enumerate(bars):
        y = TOP + ROW_H * i
        shapes.append(Text((left - 6, y + 13), _short(b.label), size=8, anchor="end", color=INK))
        end = left
        if b.value is not None and maximum > 0:
            end = left + (right - left) * max(0.0, min(b.value, maximum)) / maximum
            if end > left:
                shapes.append(Polygon(((left, y + 4), (end, y + 4), (end, y + ROW_H - 4), (left, y + ROW_H - 4)),
                                      fill=BAR, stroke=None))
        shapes.append(Text((end + 4, y + 13), b.words, size=7.5, color=INK))
    shapes.append(Line(((left, TOP - 2), (left, bottom)), color=INK, width=0.8))
    words = "; ".join(f"{b.label}: {b.words}" for b in bars)
    return Drawing(width, height, tuple(shapes), f"{alt or title}. {words}")
