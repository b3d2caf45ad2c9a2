"""Charts drawn by our own code, once, for the screen and for PDFs alike.

A chart is built as a `Drawing` of a few primitives (lines, polygons, circles, text) in points
with the origin at the top left; `keyworker.charts.pdf.draw_on_canvas` paints it with ReportLab
and `ui.charts.paint` paints it with QPainter, so a reading looks the same in the Outcomes tab and
in the discharge letter. Builders (the Outcome Star radar, the TOP lines) live beside this module
and know nothing of Qt or ReportLab."""
from keyworker.charts.primitives import Circle, Drawing, Line, Polygon, Text

__all__ = ["Circle", "Drawing", "Line", "Polygon", "Text"]
