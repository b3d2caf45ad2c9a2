"""Files that leave the app from a window are owner-only (0600) whatever path wrote them (the
viewer's Save as PDF, a print dialog's "Print to file", the recovery key), and a previewed document
is filed in Documents only when it is printed or saved."""
from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt

from tests.ui.conftest import make_ctx
from tests.ui.test_forms import _to_file
from tests.unit.care_helpers import admit, full_content
from ui.documents import show_pdf
from ui.setup_window import SetupWindow

GOOD_PW = "Copper-Meadow-Violin-58"


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """A laptop's usual umask, under which Qt writes a print-to-file PDF world-readable (0644)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def test_a_previewed_plan_is_filed_when_printed_to_file_and_every_file_is_owner_only(
        qtbot, worker_book, tasks, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rid, aid = admit(worker_book)
    view = worker_book.care_plans.save_draft(aid, full_content(1))
    win = show_pdf(None, make_ctx(worker_book, tasks), "Care plan", worker_book.care_plans.pdf(view.plan_id))
    qtbot.addWidget(win)
    assert win.document.pageCount() >= 2
    assert worker_book.documents.list(resident_id=rid) == []  # looking is not filing

    win.choose_printer = _to_file(tmp_path / "printed.pdf")
    win.print_document()
    printed = tmp_path / "printed.pdf"
    assert printed.read_bytes() == win.pdf and "DRAFT" in _text(printed.read_bytes())
    assert _mode(printed) == 0o600
    assert win.saved_to == printed and win.pages_printed == win.document.pageCount()
    docs = worker_book.documents.list(resident_id=rid)
    assert [d.kind for d in docs] == ["care_plan"]

    win.choose_save_path = lambda _p, suggested: str(tmp_path / suggested)
    win.save_document()
    assert win.saved_to is not None and _mode(win.saved_to) == 0o600
    assert [d.id for d in worker_book.documents.list(resident_id=rid)] == [docs[0].id]  # one copy filed
    from sqlalchemy import select

    from keyworker.db.foundation import AuditEntry

    with worker_book._read() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == docs[0].id)))
    assert actions.count("document.save") == 2 and actions.count("document.create") == 1


def test_print_to_file_of_a_stored_document_is_owner_only(qtbot, manager_book, tasks, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from keyworker.documents.layout import para, render

    pdf = render([para("A letter. " * 300)], title="Letter", unit_name="Test Unit",
                 generated_at=datetime(2026, 1, 5, tzinfo=UTC))
    with manager_book._write() as s:
        doc_id = manager_book.documents._store(s, kind="test", title="Stored", content=pdf).id
    win = show_pdf(None, make_ctx(manager_book, tasks), "Stored", doc_id)
    qtbot.addWidget(win)
    target = tmp_path / "letter.pdf"
    target.write_bytes(b"old")
    os.chmod(target, 0o644)
    win.choose_printer = _to_file(target)
    win.print_document()
    assert target.read_bytes() == pdf and _mode(target) == 0o600


def test_the_invitation_from_the_review_dialog_is_a_preview_until_printed(
        qtbot, worker_book, tasks, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    rid, aid = admit(worker_book, planned_weeks=18)
    preview = worker_book.reviews.invitation_letter(aid, date(2026, 1, 26)).document
    win = show_pdf(None, make_ctx(worker_book, tasks), preview.title, preview)
    qtbot.addWidget(win)
    assert worker_book.documents.list(resident_id=rid) == []
    win.choose_printer = _to_file(tmp_path / "invitation.pdf")
    win.print_document()
    assert [d.kind for d in worker_book.documents.list(resident_id=rid)] == ["review_invitation"]
    assert _mode(tmp_path / "invitation.pdf") == 0o600


def test_the_recovery_key_printout_is_owner_only_and_says_what_to_do(qtbot, new_db, tasks, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from keyworker.security.vault import FAST_KDF
    from ui.login import LoginWindow

    w = SetupWindow(new_db, tasks, clock=clock, kdf=FAST_KDF)
    qtbot.addWidget(w)
    w.show()
    qtbot.keyClicks(w.unit_edit, "Ribble House")
    qtbot.keyClicks(w.name_edit, "Ada Lovelace")
    qtbot.keyClicks(w.password.password, GOOD_PW)
    qtbot.keyClicks(w.password.confirm, GOOD_PW)
    qtbot.mouseClick(w.create_button, Qt.MouseButton.LeftButton)
    key = w.key_label.text()
    w.choose_printer = _to_file(tmp_path / "recovery-key.pdf")
    qtbot.mouseClick(w.print_button, Qt.MouseButton.LeftButton)
    sheet = tmp_path / "recovery-key.pdf"
    assert w.printed_to == sheet and _mode(sheet) == 0o600
    text = _text(sheet.read_bytes())
    today = clock.now()
    for expected in ("Ribble House", f"{today.day} {today:%B %Y}", "Ada Lovelace", new_db.name,
                     " ".join(key.split("-")[:4]), "What this key is for", "Where to keep it", "How to use it"):
        assert expected in text, expected
    # the steps name the sign-in window's real button and the recovery dialog's real steps
    login = LoginWindow(new_db, tasks, clock=clock)
    qtbot.addWidget(login)
    assert login.recovery_button.text().replace("&", "") in text
    from ui.recovery import RecoveryDialog

    for step in RecoveryDialog.STEPS:
        assert re.sub(r":.*", "", step) in text
    w.book.close()


def test_keeping_a_printout_while_the_unit_profile_is_incomplete_asks_first(
        qtbot, book_factory, tasks, tmp_path) -> None:  # type: ignore[no-untyped-def]
    manager = book_factory("manager")
    manager.unit_profile.update({"phone": "", "secure_email": ""})
    worker = book_factory("worker")
    rid, aid = admit(worker)
    view = worker.care_plans.save_draft(aid, full_content(1))
    win = show_pdf(None, make_ctx(worker, tasks), "Care plan", worker.care_plans.pdf(view.plan_id))
    qtbot.addWidget(win)
    asked: list[str] = []
    win.confirm_incomplete = lambda _w, text: asked.append(text) or False  # "Go back"
    win.choose_printer = _to_file(tmp_path / "printed.pdf")
    win.print_document()
    assert asked and "phone" in asked[0] and "secure email" in asked[0]
    assert worker.documents.list(resident_id=rid) == [] and not (tmp_path / "printed.pdf").exists()
    win.confirm_incomplete = lambda _w, text: True  # "Keep it anyway"
    win.print_document()
    assert [d.kind for d in worker.documents.list(resident_id=rid)] == ["care_plan"]
    assert (tmp_path / "printed.pdf").exists()
