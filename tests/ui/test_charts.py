"""The chart primitives paint the same picture on screen (QPainter) and in a PDF (ReportLab):
a test drawing is rendered both ways and the coloured pixels land in the same places."""
from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from keyworker.charts import Circle, Drawing, Line, Polygon, Text
from keyworker.charts.pdf import ChartFlowable, draw_on_canvas

DRAWING = Drawing(200, 100, (
    Polygon(((10, 10), (90, 10), (90, 90), (10, 90)), fill="#cc0000", stroke=None),  # red square, left
    Circle((150, 50), 30, fill="#0000cc"),  # blue disc, right
    Line(((0, 99), (200, 99)), color="#000000", width=1),
    Text((100, 60), "Mid", size=10, anchor="middle"),
), title="A test chart")


def _red_and_blue(pixel_at, w: int, h: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """The centres of the red and of the blue pixels, as fractions of width and height."""
    reds, blues = [], []
    for y in range(0, h, 2):
        for x in range(0, w, 2):
            r, g, b = pixel_at(x, y)
            if r > 180 and g < 80 and b < 80:
                reds.append((x / w, y / h))
            elif b > 180 and r < 80 and g < 80:
                blues.append((x / w, y / h))
    assert reds and blues, "both shapes are painted"
    mean = lambda pts: (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))  # noqa: E731
    return mean(reds), mean(blues)


def test_the_screen_painting_puts_each_shape_where_the_drawing_says(qapp) -> None:  # type: ignore[no-untyped-def]
    from ui.charts import render_image

    img = render_image(DRAWING, scale=2.0)
    assert (img.width(), img.height()) == (400, 200)
    red, blue = _red_and_blue(lambda x, y: (img.pixelColor(x, y).red(), img.pixelColor(x, y).green(),
                                            img.pixelColor(x, y).blue()), img.width(), img.height())
    assert red == pytest.approx((0.25, 0.5), abs=0.03) and blue == pytest.approx((0.75, 0.5), abs=0.03)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) renders the PDF")
def test_the_pdf_painting_matches_the_screen(tmp_path: Path) -> None:
    from PIL import Image

    pdf = tmp_path / "chart.pdf"
    c = Canvas(str(pdf), pagesize=(200, 100))
    draw_on_canvas(c, DRAWING, 0, 0)
    c.showPage()
    c.save()
    subprocess.run(["pdftoppm", "-png", "-r", "144", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    img = Image.open(tmp_path / "page.png").convert("RGB")
    red, blue = _red_and_blue(lambda x, y: img.getpixel((x, y)), img.width, img.height)
    assert red == pytest.approx((0.25, 0.5), abs=0.03) and blue == pytest.approx((0.75, 0.5), abs=0.03)


def test_a_chart_flowable_shrinks_to_the_frame_and_keeps_its_proportions() -> None:
    f = ChartFlowable(DRAWING, max_width=100)
    assert (f.width, f.height) == (100, 50)
    assert f.wrap(80, 500) == (80, 40)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    f.drawOn(c, 50, 500)
    c.save()
    assert buf.getvalue().startswith(b"%PDF")
