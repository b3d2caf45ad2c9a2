"""The printed risk assessment, parsed back with pypdf: the unit's letterhead, the resident's name
and reference on every page of a long assessment, every part of the content in words (never an
internal name), and filed in the resident's documents only when printed."""
from __future__ import annotations

import dataclasses
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from keyworker import risk_domains as rd
from keyworker.casebook import Casebook
from keyworker.clock import local_today
from keyworker.errors import NotFound
from keyworker.risk import DomainRating, RiskAction, example_input
from tests.unit.care_helpers import admit


def _pages(pdf: bytes) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def _long_input(today):  # type: ignore[no-untyped-def]
    data = example_input(today, "medium")
    long = " ".join(["Long account of what was discussed at the assessment and since."] * 25)
    return dataclasses.replace(
        data, domains=[DomainRating(d.key, "high" if d.key == "overdose_relapse" else "medium", f"{d.label}: {long}")
                       for d in rd.DOMAINS],
        overall_level="high",
        actions=[RiskAction(f"Action number {i}", "Key worker", today + timedelta(days=i)) for i in range(1, 9)])


def test_the_printed_assessment_has_the_letterhead_and_whose_it_is_on_every_page(worker_book: Casebook) -> None:
    rid, aid = admit(worker_book, given="Dana", family="O'Neill <Jr>")
    today = local_today(worker_book.clock)
    view = worker_book.risk.record(aid, _long_input(today))
    preview = worker_book.risk.pdf(aid)
    assert preview.kind == "risk_assessment" and preview.content.startswith(b"%PDF")
    pages = _pages(preview.content)
    assert len(pages) >= 3  # long enough to prove "every page"
    for n, text in enumerate(pages, 1):
        assert "Dana O'Neill <Jr>" in text and view.reference in text, n
        assert f"Page {n} of {len(pages)}" in text
    text = " ".join(pages)
    assert "Test House" in text and "01772 123456" in text and "Test Recovery Services Ltd" in text  # letterhead, footer
    assert "Risk assessment and risk management plan" in text
    assert "Sam Worker" in text and "Version 1" in text.replace("Version1", "Version 1")
    assert "Contingency plan for an unplanned discharge" in text
    for label in rd.CONTINGENCY_FIELDS.values():
        assert label in text
    for d in rd.DOMAINS:
        assert d.label in text
    assert "Action number 8" in text and "Mother's address in Preston." in text
    assert "Overall risk High" in text
    for internal in ("overdose_relapse", "self_harm", "ctp_referral", "who_to_tell", "likely_destination"):
        assert internal not in text
    assert worker_book.documents.list(resident_id=rid, kind="risk_assessment") == []  # preview is not storage
    worker_book.documents.keep(preview, "print")
    docs = worker_book.documents.list(resident_id=rid, kind="risk_assessment")
    assert len(docs) == 1 and docs[0].subject_id == view.version_id


def test_an_old_version_prints_as_it_was_and_nothing_prints_before_an_assessment(worker_book: Casebook) -> None:
    _rid, aid = admit(worker_book)
    with pytest.raises(NotFound):
        worker_book.risk.pdf(aid)
    today = local_today(worker_book.clock)
    v1 = worker_book.risk.record(aid, example_input(today))
    worker_book.risk.revise(aid, dataclasses.replace(example_input(today, "medium")), "Relapse on leave")
    old = " ".join(_pages(worker_book.risk.pdf(aid, v1.version_id).content))
    assert "not the current version" in old and "Overall risk Low" in old
    new = " ".join(_pages(worker_book.risk.pdf(aid).content))
    assert "Relapse on leave" in new and "Overall risk Medium" in new


def test_out_of_hours_may_print_the_assessment(book_factory) -> None:  # type: ignore[no-untyped-def]
    worker = book_factory("worker")
    _rid, aid = admit(worker)
    worker.risk.record(aid, example_input(local_today(worker.clock)))
    nights = book_factory("nights")
    assert nights.risk.pdf(aid).content.startswith(b"%PDF")
