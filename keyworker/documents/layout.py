"""The house style for every PDF the unit sends: A4, unit name in the header (and, for a
resident's document, whose it is on every page), "Confidential" and page N of M in the footer,
one set of paragraph styles. Documents build a list of flowables and call `render()`; they never
set fonts or margins themselves.

Everything lines up on the page margin: the frame has no padding, and field labels have none on
the left, so headings, body text, tables and the header rule share one left edge."""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from keyworker.clock import format_datetime

if TYPE_CHECKING:
    from keyworker.unit_profile import UnitProfile

# DejaVu Sans ships in resources/fonts (Bitstream Vera licence): ReportLab's built-in Helvetica
# covers Latin-1 only, so names such as "Łukasz Wiśniewski" would print as black boxes.
FONTS_DIR = Path(__file__).resolve().parents[2] / "resources" / "fonts"
SANS, SANS_BOLD = "KwSans", "KwSans-Bold"
pdfmetrics.registerFont(TTFont(SANS, str(FONTS_DIR / "DejaVuSans.ttf")))
pdfmetrics.registerFont(TTFont(SANS_BOLD, str(FONTS_DIR / "DejaVuSans-Bold.ttf")))
pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS_BOLD)

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
ACCENT = colors.HexColor("#0b5d7a")
RULE = colors.HexColor("#cbd2d9")
DRAFT_INK = colors.HexColor("#f3d5d5")  # the DRAFT mark: light enough to read the text through
SHADE = colors.HexColor("#f0f4f8")

_base = getSampleStyleSheet()
STYLES = {
    "title": ParagraphStyle("title", parent=_base["Title"], fontName=SANS_BOLD, fontSize=17, leading=21,
                            textColor=ACCENT, alignment=0, spaceAfter=4 * mm),
    "h2": ParagraphStyle("h2", parent=_base["Heading2"], fontName=SANS_BOLD, fontSize=12, leading=15,
                         textColor=ACCENT, spaceBefore=5 * mm, spaceAfter=2 * mm),
    "h3": ParagraphStyle("h3", parent=_base["Heading3"], fontName=SANS_BOLD, fontSize=10.5, leading=13,
                         textColor=INK, spaceBefore=3 * mm, spaceAfter=1 * mm),
    "body": ParagraphStyle("body", parent=_base["BodyText"], fontName=SANS, fontSize=10, leading=14,
                           textColor=INK, spaceAfter=2 * mm),
    "small": ParagraphStyle("small", parent=_base["BodyText"], fontName=SANS, fontSize=8.5, leading=11,
                            textColor=MUTED),
    "cell": ParagraphStyle("cell", parent=_base["BodyText"], fontName=SANS, fontSize=9.5, leading=12.5,
                           textColor=INK),
    "label": ParagraphStyle("label", parent=_base["BodyText"], fontName=SANS_BOLD, fontSize=9.5,
                            leading=12.5, textColor=MUTED),
    "right": ParagraphStyle("right", parent=_base["BodyText"], fontName=SANS, fontSize=10, leading=14,
                            alignment=TA_RIGHT, textColor=INK),
    "unit": ParagraphStyle("unit", parent=_base["BodyText"], fontName=SANS_BOLD, fontSize=13, leading=16,
                           alignment=TA_RIGHT, textColor=ACCENT, spaceBefore=0, spaceAfter=1.5 * mm),
    "contact": ParagraphStyle("contact", parent=_base["BodyText"], fontName=SANS, fontSize=9, leading=11.5,
                              alignment=TA_RIGHT, textColor=INK, spaceBefore=0, spaceAfter=0),
    "address": ParagraphStyle("address", parent=_base["BodyText"], fontName=SANS, fontSize=10, leading=13.5,
                              textColor=INK),
    "footer": ParagraphStyle("footer", parent=_base["BodyText"], fontName=SANS, fontSize=7.5, leading=9.5,
                             textColor=MUTED),
}

PAGE_W, PAGE_H = A4
MARGIN = 20 * mm
CONTENT_W = PAGE_W - 2 * MARGIN  # the frame has no padding, so this is the width flowables get


def para(text: str | None, style: str = "body") -> Paragraph:
    """A paragraph of user text: escaped (so '<' in a note cannot break the PDF), newlines kept."""
    safe = escape(text or "").replace("\n", "<br/>")
    return Paragraph(safe or "&nbsp;", STYLES[style])


def markup(text: str, style: str = "body") -> Paragraph:
    """A paragraph of our own markup (bold, line breaks). Never pass user text here."""
    return Paragraph(text, STYLES[style])


def heading(text: str, level: int = 2) -> Paragraph:
    """A section heading; `render()` never leaves one alone at the foot of a page."""
    return para(text, "h2" if level == 2 else "h3")


HEADING_STYLES = ("h2", "h3")
# Room a heading needs below it (its own lines plus the first few of what follows), or it starts
# the next page. Not keepWithNext: that moves a heading and a long table to a new page whole,
# leaving a blank page, where the table can split with its header repeated.
HEADING_ROOM = 35 * mm


def _is_heading(f: Flowable) -> bool:
    return isinstance(f, Paragraph) and f.style.name in HEADING_STYLES


def _headings_kept_with_text(flowables: Iterable[Flowable]) -> list[Flowable]:
    """A heading before a block kept together (`keep()`) joins that block, so both move to the
    next page together; before anything else it asks for HEADING_ROOM below it."""
    items = list(flowables)
    story: list[Flowable] = []
    i = 0
    while i < len(items):
        f = items[i]
        if _is_heading(f):
            following = items[i + 1] if i + 1 < len(items) else None
            if isinstance(following, KeepTogether):
                story.append(KeepTogether([f, following]))
                i += 2
                continue
            story.append(CondPageBreak(HEADING_ROOM))
        story.append(f)
        i += 1
    return story


def spacer(height_mm: float = 4) -> Spacer:
    return Spacer(1, height_mm * mm)


class _Table(Table):
    """A table that moves a short row to the next page whole, and splits inside a row (a long
    free-text answer) only when the row is tall: without that a value longer than a page fails
    the whole document, and with plain splitInRow a two-line label is cut in half."""

    TALL_ROW = 60 * mm  # a row taller than this may be split rather than moved
    MIN_PIECE = 25 * mm  # ... if at least this much of it fits here

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        self.splitInRow = 0
        parts: list[Flowable] = super().split(availWidth, availHeight)
        if parts or not self._rowHeights:
            return parts
        # No whole row fits below the header rows here: the first body row is too tall.
        head = self.repeatRows if isinstance(self.repeatRows, int) else max(self.repeatRows) + 1
        if head >= len(self._rowHeights):
            return parts
        room = availHeight - sum(self._rowHeights[:head])
        if self._rowHeights[head] > self.TALL_ROW and room >= self.MIN_PIECE:
            self.splitInRow = 1
            parts = super().split(availWidth, availHeight)
        return parts


def fields(rows: Sequence[tuple[str, str | None]], label_width_mm: float = 48) -> Table:
    """Label / value pairs as a two-column table; empty values show as a dash. A value longer
    than a page splits across pages instead of failing the whole document."""
    data = [[para(label, "label"), para(value if value not in (None, "") else "—", "cell")] for label, value in rows]
    t = _Table(data, colWidths=[label_width_mm * mm, CONTENT_W - label_width_mm * mm], hAlign="LEFT")
    t.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (0, -1), 0),  # labels line up with headings on the margin
        ("LEFTPADDING", (1, 0), (1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]))
    return t


def grid(header: Sequence[str], rows: Sequence[Sequence[str | None]], widths_mm: Sequence[float]) -> Table:
    """A table with a shaded header row that repeats on each page; a row longer than a page
    splits across pages instead of failing the whole document."""
    data = [[para(h, "label") for h in header]] + [[para(c, "cell") for c in r] for r in rows]
    t = _Table(data, colWidths=[w * mm for w in widths_mm], repeatRows=1, hAlign="LEFT")
    t.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return t


def signature_lines(labels: Sequence[str], label_width_mm: float = 48) -> Table:
    """Lines to sign on by hand: each label with a ruled space tall enough for a signature."""
    t = Table([[para(label, "label"), ""] for label in labels],
              colWidths=[label_width_mm * mm, CONTENT_W - label_width_mm * mm],
              rowHeights=[12 * mm] * len(labels), hAlign="LEFT")
    t.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LINEBELOW", (1, 0), (1, -1), 0.5, MUTED),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return t


def keep(*flowables: Flowable) -> KeepTogether:
    return KeepTogether(list(flowables))


# -- letters ---------------------------------------------------------------------------------
LOGO_MAX_W, LOGO_MAX_H = 60 * mm, 25 * mm


def long_date(d: date) -> str:
    """A letter's date as people write it: 1 December 2026."""
    return f"{d.day} {d.strftime('%B %Y')}"


def _logo(png: bytes) -> Image | None:
    from reportlab.lib.utils import ImageReader

    try:
        w, h = ImageReader(io.BytesIO(png)).getSize()
    except Exception:  # noqa: BLE001 - a damaged stored logo prints no logo rather than no letter
        return None
    scale = min(LOGO_MAX_W / w, LOGO_MAX_H / h)
    return Image(io.BytesIO(png), width=w * scale, height=h * scale, hAlign="LEFT")


def letterhead(profile: UnitProfile) -> list[Flowable]:
    """The top of a letter's first page: the logo on the left; the unit's name, postal address,
    phone and secure email on the right. Parts not set in the profile are left out."""
    contact = [para(profile.unit_name or "", "unit")] if profile.unit_name else []
    # The address on one line (it wraps if long) and phone and email on one: a tall letterhead
    # pushes the sign-off of an ordinary letter onto a second page.
    address = ", ".join(line.strip() for line in profile.address_block if line.strip())
    if address:
        contact.append(para(address, "contact"))
    reach = [f"Tel: {profile.phone}" if profile.phone else "",
             f"Secure email: {profile.secure_email}" if profile.secure_email else ""]
    if any(reach):
        contact.append(para("   ·   ".join(r for r in reach if r), "contact"))
    logo = _logo(profile.logo) if profile.logo else None
    left_w = LOGO_MAX_W + 4 * mm if logo is not None else 1 * mm
    t = Table([[logo or "", contact]], colWidths=[left_w, CONTENT_W - left_w], hAlign="LEFT")
    t.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
    ]))
    return [t, spacer(8)]


def addressee(lines: Sequence[str]) -> Flowable:
    """Whom the letter goes to, one line per line (name, role, organisation, postal address or
    email), where a window envelope shows it."""
    safe = "<br/>".join(escape(ln.strip()) for ln in lines if ln and ln.strip())
    return Paragraph(safe or "&nbsp;", STYLES["address"])


def references(ours: str, theirs: str | None = None, *, dated: date) -> Flowable:
    """Our reference, theirs if they gave one, and the date the letter is written."""
    rows = [("Our reference", ours)]
    if theirs:
        rows.append(("Your reference", theirs))
    rows.append(("Date", long_date(dated)))
    t = Table([[para(label, "label"), para(value, "cell")] for label, value in rows],
              colWidths=[32 * mm, CONTENT_W - 32 * mm], hAlign="LEFT")
    t.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
    ]))
    return t


def signatory(name: str, job_title: str | None, unit_name: str, *, closing: str = "Yours sincerely,") -> Flowable:
    """The sign-off, kept on one page: closing words, room to sign, name, job title and unit."""
    parts: list[Flowable] = [para(closing), spacer(12), markup(f"<b>{escape(name)}</b>", "body")]
    for line in (job_title, unit_name):
        if line:
            parts.append(para(line, "cell"))
    return KeepTogether(parts)


class _NumberedCanvas(Canvas):
    """Holds each finished page until the end, so the footer can say 'page N of M' in one layout
    pass (laying a story out twice breaks ReportLab's split flowables on long documents)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - ReportLab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(SANS, 8)
            self.setFillColor(MUTED)
            self.drawRightString(PAGE_W - MARGIN, MARGIN - 8 * mm, f"Page {number} of {total}")
            super().showPage()
        super().save()


class _Doc(BaseDocTemplate):
    def __init__(self, buf: io.BytesIO, *, title: str, unit_name: str, generated: str, subject: str,
                 running_header: str, footer_lines: Sequence[str] = (), draft: bool = False) -> None:
        # The unit's footer (provider, CQC location, its own text) sits above the confidentiality
        # line; the body ends higher by as much as it needs, so nothing is drawn over text.
        self._footer = para("\n".join(footer_lines), "footer") if footer_lines else None
        self._footer_h = self._footer.wrap(CONTENT_W, PAGE_H)[1] + 2 * mm if self._footer else 0.0
        super().__init__(buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 8 * mm,
                         bottomMargin=MARGIN + self._footer_h, title=title, author=unit_name or "Keyworker",
                         subject=subject, creator="Keyworker")
        self._unit = unit_name
        self._generated = generated
        self._doc_title = f"DRAFT: {title}" if draft else title
        self._running = running_header
        self._draft = draft
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])

    def _decorate(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        if self._draft:
            # Drawn before the page's text, so a light mark under it: visible, never hiding a word.
            canvas.saveState()
            canvas.setFillColor(DRAFT_INK)
            canvas.setFont(SANS_BOLD, 110)
            canvas.translate(PAGE_W / 2, PAGE_H / 2)
            canvas.rotate(50)
            canvas.drawCentredString(0, -38, "DRAFT")
            canvas.restoreState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        rule = PAGE_H - MARGIN - 0.5 * mm
        # With a running header the unit/title line moves up a line, so the rule (and the body)
        # stay where they are on every document.
        top = rule + (7 * mm if self._running else 2.5 * mm)
        canvas.setFont(SANS_BOLD, 9)
        canvas.setFillColor(ACCENT)
        canvas.drawString(MARGIN, top, self._unit or "Keyworker")
        canvas.setFont(SANS, 9)
        canvas.setFillColor(MUTED)
        canvas.drawRightString(PAGE_W - MARGIN, top, self._doc_title)
        if self._running:
            canvas.setFont(SANS_BOLD, 9)
            canvas.setFillColor(INK)
            canvas.drawString(MARGIN, rule + 2.5 * mm, self._running)
        canvas.line(MARGIN, rule, PAGE_W - MARGIN, rule)
        if self._footer is not None:
            self._footer.drawOn(canvas, MARGIN, MARGIN - 4 * mm + 1.5 * mm)
            canvas.line(MARGIN, MARGIN - 4 * mm + self._footer_h, PAGE_W - MARGIN, MARGIN - 4 * mm + self._footer_h)
        else:
            canvas.line(MARGIN, MARGIN - 4 * mm, PAGE_W - MARGIN, MARGIN - 4 * mm)
        canvas.setFont(SANS, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, MARGIN - 8 * mm,
                          f"CONFIDENTIAL: special category health data. Generated {self._generated}")
        canvas.restoreState()


def render(flowables: Iterable[Flowable], *, title: str, generated_at: datetime, unit_name: str = "",
           subject: str = "", running_header: str = "", profile: UnitProfile | None = None,
           draft: bool = False) -> bytes:
    """Lay the story out once on A4 with the house header and footer; returns the PDF bytes.

    `running_header` (optional) is one more header line on every page, under the unit name: for
    a resident's document, whose it is (name and reference), so a loose page can be put back.
    With `profile`, the header names its unit (unless `unit_name` is given) and the footer of
    every page carries its provider, CQC location and footer text. With `draft`, every page
    carries a large DRAFT mark and the header title says DRAFT."""
    buf = io.BytesIO()
    unit = unit_name or (profile.unit_name if profile is not None else "")
    doc = _Doc(buf, title=title, unit_name=unit, generated=format_datetime(generated_at), subject=subject,
               running_header=running_header, footer_lines=profile.footer_lines if profile is not None else (),
               draft=draft)
    doc.build(_headings_kept_with_text(flowables), canvasmaker=_NumberedCanvas)
    return buf.getvalue()
