"""The house PDF layout: long documents paginate with 'Page N of M'; user text cannot break markup."""
from __future__ import annotations

import io
from datetime import UTC, datetime

from pypdf import PdfReader

from keyworker.documents.layout import fields, grid, heading, keep, para, render, spacer


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_long_document_paginates_with_page_n_of_m() -> None:
    story = [para("Care plan", "title")] + [para(f"Progress note {i}") for i in range(150)]
    story.append(grid(["Goal", "Status"], [[f"Goal {i}", "In progress"] for i in range(60)], [60, 100]))
    pages = _text(render(story, title="Plan", unit_name="Ribble House", generated_at=datetime(2026, 1, 5, tzinfo=UTC)))
    assert len(pages) > 2
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Ribble House" in text and "CONFIDENTIAL" in text
    assert "Goal 59" in pages[-1]


def test_user_text_with_markup_characters_is_printed_as_typed() -> None:
    pdf = render([para("Uses <b>cocaine</b> & alcohol < daily")], title="T", unit_name="U",
                 generated_at=datetime(2026, 1, 5, tzinfo=UTC))
    assert "Uses <b>cocaine</b> & alcohol < daily" in _text(pdf)[0]


def _lines(pdf: bytes) -> list[list[tuple[float, float, str]]]:
    """Each page's text runs as (x, y, text), read back from the PDF."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        runs: list[tuple[float, float, str]] = []

        def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
            if text.strip():
                runs.append((tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5], text.strip()))
        page.extract_text(visitor_text=visit)
        pages.append(runs)
    return pages


def _x_of(pages: list[list[tuple[float, float, str]]], text: str) -> float:
    return next(x for runs in pages for x, _, t in runs if t.startswith(text))


def test_the_running_header_is_on_every_page_and_optional() -> None:
    def story() -> list:  # flowables are used up by a build: a fresh story each time
        return [para("Plan", "title")] + [para(f"Progress note {i}") for i in range(120)]

    when = datetime(2026, 1, 5, tzinfo=UTC)
    pages = _text(render(story(), title="Plan", unit_name="Ribble House", generated_at=when,
                         running_header="Dana Whitfield  ·  R-01001"))
    assert len(pages) > 1
    assert all("Dana Whitfield" in text and "R-01001" in text and "Ribble House" in text for text in pages)
    plain = _text(render(story(), title="Plan", unit_name="Ribble House", generated_at=when))
    assert len(plain) == len(pages) and all("R-01001" not in text for text in plain)


def test_a_free_text_answer_longer_than_a_page_splits_across_pages() -> None:
    long = " ".join(f"Sentence {i} of a risk management plan that goes on." for i in range(400))
    story = [para("Plan", "title"), heading("Risk"), fields([("Risk management plan", long), ("Next", "Short")]),
             heading("Domains"), grid(["Domain", "Needs"], [["Housing", long], ["Offending", "None"]], [50, 120])]
    pages = _text(render(story, title="Plan", unit_name="U", generated_at=datetime(2026, 1, 5, tzinfo=UTC)))
    text = " ".join(" ".join(p.split()) for p in pages)
    assert len(pages) > 4
    assert text.count("Sentence 399 of a risk management plan") == 2
    assert "Risk management plan Sentence 0 of" in " ".join(pages[0].split())  # no blank first page


def test_a_short_row_moves_to_the_next_page_whole_and_table_headers_repeat() -> None:
    rows = [[f"Domain {i}", "Need\nwith a second line\nand a third"] for i in range(60)]
    story = [para("Plan", "title"), grid(["Domain", "Needs"], rows, [50, 120])]
    pages = _lines(render(story, title="Plan", unit_name="U", generated_at=datetime(2026, 1, 5, tzinfo=UTC)))
    assert len(pages) > 2
    for runs in pages:
        texts = [t for _, _, t in runs]
        assert "Needs" in texts  # the header row on every page
        # every row on the page has all three of its lines (none cut across the page break)
        assert texts.count("Need") == texts.count("with a second line") == texts.count("and a third")


def test_headings_body_text_and_tables_share_the_left_margin() -> None:
    story = [para("Care plan", "title"), heading("Goals"), fields([("Resident", "Dana")]), para("Body text"),
             heading("Agreement"), grid(["Domain", "Needs"], [["Housing", "x"]], [50, 120])]
    pages = _lines(render(story, title="Plan", unit_name="Ribble House", generated_at=datetime(2026, 1, 5, tzinfo=UTC)))
    margin = _x_of(pages, "Ribble House")
    assert _x_of(pages, "Housing") > margin  # inside the grid's box
    for text in ("Care plan", "Goals", "Resident", "Body text", "Agreement"):
        assert abs(_x_of(pages, text) - margin) < 0.5, text


def test_a_heading_is_never_the_last_thing_on_a_page() -> None:
    story: list = [para("Plan", "title")]
    for i in range(12):
        story += [heading(f"Section {i}"), fields([(f"Label {i}.{j}", "A value") for j in range(5)])]
    pages = _lines(render(story, title="Plan", unit_name="U", generated_at=datetime(2026, 1, 5, tzinfo=UTC)))
    assert len(pages) > 1
    for runs in pages:
        body = [t for _, y, t in sorted(runs, key=lambda r: r[1]) if 60 < y < 780]
        assert not body[0].startswith("Section"), body[:3]


def test_a_heading_moves_with_the_kept_together_block_after_it() -> None:
    # the heading lands with about 45 mm left on page 1: room for it, not for the block after it
    story: list = [para("Report", "title"), spacer(187), heading("Reasons in full")]
    for i in range(4):
        story.append(keep(heading(f"{i + 1}. Resident {i}", 3), fields([(f"Field {j}", "Value") for j in range(9)])))
    pages = _lines(render(story, title="Report", unit_name="U", generated_at=datetime(2026, 1, 5, tzinfo=UTC)))
    where = {t: n for n, runs in enumerate(pages) for _, _, t in runs}
    assert where["Reasons in full"] == where["1. Resident 0"]


def test_names_beyond_latin_1_print_as_written() -> None:
    """Polish, Romanian and Irish names are common on a caseload; Helvetica would print boxes."""
    names = "Łukasz Wiśniewski, Ștefan Dumitrescu, Siobhán Ó Súilleabháin"
    pdf = render([para(names), para(names, "label")], title="T", unit_name="Ribble House",
                 generated_at=datetime(2026, 1, 5, tzinfo=UTC))
    assert _text(pdf)[0].count("Łukasz Wiśniewski") == 2
    assert "Ștefan Dumitrescu" in _text(pdf)[0]
