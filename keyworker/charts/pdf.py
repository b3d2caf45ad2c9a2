"""Paint a `Drawing` on a ReportLab canvas, or wrap it as a flowable for a letter's story."""
from __future__ import annotations

from typing import Any

from reportlab.lib.colors import HexColor
from reportlab.platypus import Flowable

from keyworker.charts.primitives import Circle, Drawing, Line, Polygon, Text

_FONTS = {False: "Helvetica", True: "Helvetica-Bold"}


def draw_on_canvas(canvas: Any, drawing: Drawing, x: float, y: float, scale: float = 1.0) -> None:
    """Paint with the drawing's top-left corner at (x, y + height*scale) in PDF space, i.e. the
    drawing occupies x..x+w, y..y+h (y up) like any flowable drawn at (x, y)."""
    canvas.saveState()
    canvas.translate(x, y + drawing.height * scale)
    canvas.scale(scale, -scale)  # y down, as the primitives are defined
    for shape in drawing.shapes:
        if isinstance(shape, Line):
            canvas.setStrokeColor(HexColor(shape.color))
            canvas.setLineWidth(shape.width)
            canvas.setDash(3, 2) if shape.dashed else canvas.setDash()
            path = canvas.beginPath()
            path.moveTo(*shape.points[0])
            for p in shape.points[1:]:
                path.lineTo(*p)
            canvas.drawPath(path, stroke=1, fill=0)
        elif isinstance(shape, Polygon):
            path = canvas.beginPath()
            path.moveTo(*shape.points[0])
            for p in shape.points[1:]:
                path.lineTo(*p)
            path.close()
            canvas.setDash()
            if shape.fill:
                canvas.setFillColor(HexColor(shape.fill), alpha=shape.alpha)
            if shape.stroke:
                canvas.setStrokeColor(HexColor(shape.stroke))
                canvas.setLineWidth(shape.width)
            canvas.drawPath(path, stroke=1 if shape.stroke else 0, fill=1 if shape.fill else 0)
        elif isinstance(shape, Circle):
            if shape.fill:
                canvas.setFillColor(HexColor(shape.fill))
            if shape.stroke:
                canvas.setStrokeColor(HexColor(shape.stroke))
                canvas.setLineWidth(shape.width)
            canvas.circle(shape.center[0], shape.center[1], shape.radius,
                          stroke=1 if shape.stroke else 0, fill=1 if shape.fill else 0)
        elif isinstance(shape, Text):
            canvas.saveState()
            canvas.translate(*shape.at)
            canvas.scale(1, -1)  # text upright again
            canvas.setFillColor(HexColor(shape.color))
            canvas.setFont(_FONTS[shape.bold], shape.size)
            draw = {"start": canvas.drawString, "middle": canvas.drawCentredString,
                    "end": canvas.drawRightString}[shape.anchor]
            draw(0, 0, shape.text)
            canvas.restoreState()
    canvas.restoreState()


class ChartFlowable(Flowable):
    """A chart in a platypus story, scaled to fit `max_width` (never enlarged)."""

    def __init__(self, drawing: Drawing, max_width: float | None = None) -> None:
        super().__init__()
        self.drawing = drawing
        self.scale = min(1.0, (max_width or drawing.width) / drawing.width)
        self.width, self.height = drawing.width * self.scale, drawing.height * self.scale

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.scale = min(self.scale, available_width / self.drawing.width)
        self.width, self.height = self.drawing.width * self.scale, self.drawing.height * self.scale
        return self.width, self.height

    def draw(self) -> None:
        draw_on_canvas(self.canv, self.drawing, 0, 0, self.scale)
