"""The primitives a chart is made of. Coordinates are points (1/72 inch), origin top left, y down
(as on screen; the PDF painter flips). Colours are "#rrggbb" strings; `alpha` is 0..1."""
from __future__ import annotations

from dataclasses import dataclass, field

Point = tuple[float, float]


@dataclass(frozen=True)
class Line:
    points: tuple[Point, ...]  # a polyline: two or more points
    color: str = "#333333"
    width: float = 1.0
    dashed: bool = False


@dataclass(frozen=True)
class Polygon:
    points: tuple[Point, ...]  # closed automatically
    fill: str | None = None
    stroke: str | None = "#333333"
    width: float = 1.0
    alpha: float = 1.0  # of the fill


@dataclass(frozen=True)
class Circle:
    center: Point
    radius: float
    fill: str | None = "#333333"
    stroke: str | None = None
    width: float = 1.0


@dataclass(frozen=True)
class Text:
    at: Point  # the anchor point; the text's baseline sits at at[1]
    text: str
    size: float = 8.0
    color: str = "#333333"
    anchor: str = "start"  # start / middle / end (horizontal)
    bold: bool = False


Shape = Line | Polygon | Circle | Text


@dataclass(frozen=True)
class Drawing:
    width: float
    height: float
    shapes: tuple[Shape, ...] = field(default_factory=tuple)
    title: str = ""  # for screen readers and the PDF's alt text
