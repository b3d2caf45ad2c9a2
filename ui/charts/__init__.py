"""Paint a `keyworker.charts.Drawing` with QPainter (the same drawing the PDFs use), and a small
widget that shows one scaled to its size."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QImage, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from keyworker.charts.primitives import Circle, Drawing, Line, Polygon, Text


def _color(value: str, alpha: float = 1.0) -> QColor:
    c = QColor(value)
    c.setAlphaF(max(0.0, min(1.0, alpha)))
    return c


def paint(painter: QPainter, drawing: Drawing, target: QRectF) -> None:
    """Paint `drawing` scaled to fit `target`, keeping its proportions, centred."""
    scale = min(target.width() / drawing.width, target.height() / drawing.height)
    dx = target.x() + (target.width() - drawing.width * scale) / 2
    dy = target.y() + (target.height() - drawing.height * scale) / 2
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.translate(dx, dy)
    painter.scale(scale, scale)
    for shape in drawing.shapes:
        if isinstance(shape, Line):
            pen = QPen(_color(shape.color), shape.width)
            if shape.dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPolyline(QPolygonF([QPointF(*p) for p in shape.points]))
        elif isinstance(shape, Polygon):
            painter.setPen(QPen(_color(shape.stroke), shape.width) if shape.stroke else Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(_color(shape.fill, shape.alpha)) if shape.fill else Qt.BrushStyle.NoBrush)
            painter.drawPolygon(QPolygonF([QPointF(*p) for p in shape.points]))
        elif isinstance(shape, Circle):
            painter.setPen(QPen(_color(shape.stroke), shape.width) if shape.stroke else Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(_color(shape.fill)) if shape.fill else Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(*shape.center), shape.radius, shape.radius)
        elif isinstance(shape, Text):
            font = QFont("Helvetica")
            font.setPointSizeF(shape.size)
            font.setBold(shape.bold)
            painter.setFont(font)
            painter.setPen(_color(shape.color))
            width = QFontMetricsF(font).horizontalAdvance(shape.text)
            x = shape.at[0] - {"start": 0.0, "middle": width / 2, "end": width}[shape.anchor]
            painter.drawText(QPointF(x, shape.at[1]), shape.text)
    painter.restore()


def render_image(drawing: Drawing, scale: float = 2.0) -> QImage:
    """The drawing as an image (white background): for tests comparing pixels and for export."""
    image = QImage(int(drawing.width * scale), int(drawing.height * scale), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    paint(painter, drawing, QRectF(0, 0, image.width(), image.height()))
    painter.end()
    return image


class ChartView(QWidget):
    """Shows one drawing, scaled to the widget; `set_drawing(None)` shows nothing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._drawing: Drawing | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 200)

    def set_drawing(self, drawing: Drawing | None) -> None:
        self._drawing = drawing
        self.setAccessibleName(drawing.title if drawing else "")
        self.update()

    def drawing(self) -> Drawing | None:
        return self._drawing

    def sizeHint(self) -> QSize:
        return QSize(420, 360)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._drawing is None:
            return
        painter = QPainter(self)
        paint(painter, self._drawing, QRectF(self.rect()).adjusted(4, 4, -4, -4))
        painter.end()
