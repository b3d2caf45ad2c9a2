"""The pseudonymised extract dialog (Reports → Pseudonymised extract…) on a real unit database,
tasks inline: last quarter by default, Save writes the two CSVs owner-only, Queue to send puts two
items in the outbox and says where, and refusals (no destination, email) are shown in words."""
from __future__ import annotations

import stat
from datetime import date, datetime
from pathlib import Path

import pytest

from keyworker.errors import ValidationError
from keyworker.returns import pseudonymised as ps
from tests.fixtures.caseload import admit
from tests.fixtures.outbox_servers import add_destination
from tests.ui.conftest import make_ctx
from ui.reports.page import ReportsPage
from ui.reports.pseudonymised import PseudonymisedDialog


def dialog(qtbot, book, tasks) -> PseudonymisedDialog:  # type: ignore[no-untyped-def]
    dlg = PseudonymisedDialog(make_ctx(book, tasks))
    qtbot.addWidget(dlg)
    return dlg


def test_the_reports_page_opens_it(qtbot, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    page = ReportsPage(make_ctx(manager_book, tasks))
    qtbot.addWidget(page)
    page.pseudonymised_button.click()
    assert isinstance(page.pseudonymised_dialog, PseudonymisedDialog)
    page.pseudonymised_dialog.close()


def test_save_writes_both_files_owner_only(qtbot, manager_book, tasks, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    admit(manager_book)
    clock.set(datetime(2026, 4, 2, 10, 0))
    dlg = dialog(qtbot, manager_book, tasks)
    assert (dlg.from_edit.value(), dlg.to_edit.value()) == (date(2026, 1, 1), date(2026, 3, 31))
    dlg.choose_file = lambda _p, _s: str(tmp_path / "q1.csv")
    dlg.save()
    for f in (tmp_path / "q1.csv", tmp_path / "q1-summary.csv"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert "1 stays saved" in dlg.status.text() and "not encrypted" in dlg.status.text()
    assert b"Jane" not in (tmp_path / "q1.csv").read_bytes()


def test_queue_refused_in_words_then_sent_to_sftp(qtbot, manager_book, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    admit(manager_book)
    clock.set(datetime(2026, 4, 2, 10, 0))
    dlg = dialog(qtbot, manager_book, tasks)
    dlg.queue()
    assert "No destination is set" in dlg.status.text()
    email = add_destination(manager_book, "smtp", {"host": "127.0.0.1", "port": 2525, "security": "starttls",
                                                   "from_address": "unit@example.nhs.uk", "default_recipients": []},
                            "x", name="Council email")
    with pytest.raises(ValidationError, match="not sent by email"):
        manager_book.destinations.set_route(ps.KIND, email)  # the route to email is refused itself
    from keyworker.db.outbox import OutboxRoute

    with manager_book._write() as s:  # a route to email from before that rule: queueing refuses it too
        s.add(OutboxRoute(kind=ps.KIND, destination_id=email))
    dlg.queue()
    assert "not sent by email" in dlg.status.text()
    sftp = add_destination(manager_book, "sftp", {"host": "127.0.0.1", "port": 2222, "username": "unit",
                                                  "remote_folder": "in", "host_key": "ssh-ed25519 AAAA"},
                           "x", name="Authority drop")
    manager_book.destinations.set_route(ps.KIND, sftp)
    changed: list[str] = []
    dlg.ctx.state.data_changed.connect(changed.append)
    dlg.queue()
    assert "queued to send to Authority drop (SFTP drop)" in dlg.status.text()
    assert changed == ["outbox"] and dlg.save_button.isEnabled() and not dlg.bar.isVisible()


def test_the_bar_shows_only_after_half_a_second(qtbot, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    dlg = dialog(qtbot, manager_book, tasks)
    dlg.show()
    dlg._start("Making the extract…")  # as a slow task leaves it
    assert not dlg.bar.isVisible() and not dlg.queue_button.isEnabled()
    qtbot.waitUntil(dlg.bar.isVisible, timeout=3000)
    dlg._stop()
    assert not dlg.bar.isVisible() and dlg.queue_button.isEnabled()
