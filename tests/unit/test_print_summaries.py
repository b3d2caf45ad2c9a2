"""Printing discharge summaries (keyworker/discharge_summaries.py and `print discharge-summaries`):
the discharges that ended a stay between two UK dates, each with its printable paper (the
complete summary; the out-of-hours summary behind a page saying the complete one is not made
yet); every read audited; files 0600, a new folder 0700; the command writes one PDF per
discharge, says so plainly when there are none, and refuses bad dates before a password."""
from __future__ import annotations

import io
import stat
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from keyworker import discharge_summaries as ds
from keyworker.casebook import Casebook
from keyworker.clock import LONDON, FixedClock
from keyworker.db.foundation import AuditEntry
from keyworker.errors import StorageError, ValidationError
from tests.conftest import STAFF_PW, open_as
from tests.unit.test_cli import assert_one_line_error, run
from tests.unit.test_unplanned_discharge import admitted, form, with_risk_and_medication


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages).split())


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def three_discharges(manager: Casebook, clock: FixedClock) -> dict[str, Any]:
    """6 Jan: a complete summary made; 7 Jan: only the brief one, and a freeze (not printed);
    20 Jan: the frozen stay ends."""
    out: dict[str, Any] = {}
    clock.set(datetime(2026, 1, 6, 12, 0))
    rid, aid = admitted(manager, given_name="Ann", family_name="Ash")
    with_risk_and_medication(manager, rid, aid)
    out["done"] = manager.discharges.record_unplanned(form(rid, occurred_at=datetime(2026, 1, 6, 11, 0,
                                                                                     tzinfo=LONDON)))
    manager.discharges.complete_summary(out["done"].id)
    clock.set(datetime(2026, 1, 7, 15, 0))
    rid2, aid2 = admitted(manager, given_name="Bob", family_name="Birch")
    with_risk_and_medication(manager, rid2, aid2)
    out["brief"] = manager.discharges.record_unplanned(form(rid2, occurred_at=datetime(2026, 1, 7, 14, 0, tzinfo=LONDON)))
    rid3, aid3 = admitted(manager, given_name="Cy", family_name="Cedar")
    with_risk_and_medication(manager, rid3, aid3)
    out["freeze"] = manager.discharges.record_unplanned(form(rid3, type="freeze_police",
                                                             occurred_at=datetime(2026, 1, 7, 14, 0, tzinfo=LONDON)))
    clock.set(datetime(2026, 1, 20, 15, 0))
    out["later"] = manager.discharges.record_unplanned(form(rid3, occurred_at=datetime(2026, 1, 20, 14, 0,
                                                                                       tzinfo=LONDON)))
    return out


def audits(book: Casebook, action: str) -> int:
    with book._read() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0)


def test_between_dates_each_with_its_paper(book_factory: Any, clock: FixedClock) -> None:
    manager = book_factory("manager")
    d = three_discharges(manager, clock)
    before = audits(manager, "document.print")
    items = ds.summaries_between(manager, "01/01/2026", date(2026, 1, 7))
    assert [r.id for r, _ in items] == [d["done"].id, d["brief"].id]  # the freeze and 20 Jan left out
    first, second = (text_of(pdf) for _, pdf in items)
    assert "Complete discharge summary" in first and "Ann Ash" in first
    assert ds.NOT_MADE_YET in second and "Unplanned discharge: out-of-hours summary" in second
    assert "Bob Birch" in second and "_" not in second
    assert audits(manager, "document.print") == before + 2  # every stored document read is audited
    only = ds.summaries_between(manager, "01/01/2026", "31/01/2026", ids={d["later"].id})
    assert [r.id for r, _ in only] == [d["later"].id]
    assert ds.summaries_between(manager, "01/02/2026", "28/02/2026") == []
    with pytest.raises(ValidationError) as e:
        ds.summaries_between(manager, "05/01/2026", "01/01/2026")
    assert "before the start" in e.value.fields["end"]
    with pytest.raises(ValidationError):
        ds.summaries_between(manager, "31/02/2026", "01/03/2026")


def test_files_are_0600_and_a_new_folder_0700(book_factory: Any, clock: FixedClock, tmp_path: Path) -> None:
    manager = book_factory("manager")
    three_discharges(manager, clock)
    items = ds.printed_between(manager, "01/01/2026", "31/01/2026", purpose="save")
    folder = tmp_path / "out" / "january"
    seen: list[tuple[int, int]] = []
    written = ds.save_each(items, folder, progress=lambda i, n: seen.append((i, n)))
    assert len(written) == 3 and seen[-1] == (3, 3)
    assert mode(folder) == 0o700
    assert all(mode(p) == 0o600 for p in written)
    assert all("Ash" not in p.name and p.name.startswith("discharge-summary-2026-01-") for p in written)
    with pytest.raises(StorageError, match="already exists"):
        ds.save_each(items, folder)
    ds.save_each(items, folder, overwrite=True)
    combined = ds.save_combined(items, tmp_path / "all.pdf")
    assert mode(combined) == 0o600
    pages = len(PdfReader(str(combined)).pages)
    assert pages == sum(len(PdfReader(io.BytesIO(i.pdf)).pages) for i in items)


def test_cli_writes_one_pdf_per_discharge(tmp_path: Path, db_path: Path, clock: FixedClock) -> None:
    book = open_as(db_path, "manager", clock)
    three_discharges(book, clock)
    book.close()
    out = tmp_path / "printed"
    res = run(tmp_path, "print", "discharge-summaries", "--db", str(db_path), "--from", "01/01/2026",
              "--to", "31/01/2026", "--out", str(out), password=STAFF_PW, user="manager")
    assert res.returncode == 0, res.stderr
    assert "3 discharge summaries written" in res.stdout
    files = sorted(out.iterdir())
    assert len(files) == 3 and mode(out) == 0o700 and all(mode(f) == 0o600 for f in files)
    assert "Complete discharge summary" in text_of(files[0].read_bytes())
    # Again: refused in one line, nothing replaced; with --overwrite, replaced.
    again = run(tmp_path, "print", "discharge-summaries", "--db", str(db_path), "--from", "01/01/2026",
                "--to", "31/01/2026", "--out", str(out), password=STAFF_PW, user="manager")
    assert_one_line_error(again, 1, "already exists")
    res = run(tmp_path, "print", "discharge-summaries", "--db", str(db_path), "--from", "01/01/2026",
              "--to", "31/01/2026", "--out", str(out), "--overwrite", password=STAFF_PW, user="manager")
    assert res.returncode == 0, res.stderr
    none = run(tmp_path, "print", "discharge-summaries", "--db", str(db_path), "--from", "01/03/2026",
               "--to", "31/03/2026", "--out", str(tmp_path / "empty"), password=STAFF_PW, user="manager")
    assert none.returncode == 0 and "No discharges from 01/03/2026 to 31/03/2026" in none.stdout
    assert not (tmp_path / "empty").exists()
    bad = run(tmp_path, "print", "discharge-summaries", "--db", str(db_path), "--from", "31/02/2026",
              "--to", "31/03/2026", "--out", str(out), password="wrong", user="manager")
    assert_one_line_error(bad, 2, "--from")
