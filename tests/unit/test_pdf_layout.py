"""The house PDF layout: long documents paginate with 'Page N of M'; user text cannot break markup."""
from __future__ import annotations

import io
from datetime import UTC, datetime

from pypdf import PdfReader

from keyworker.documents.layout import grid, para, render


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
