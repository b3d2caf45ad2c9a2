"""No resident-data query runs on the UI thread: opening a resident's record, switching its tabs,
saving the Overview, and the caseload, referrals and import screens, with the real threaded task
runner. Every SQL statement the engine executes is noted with the thread it ran on."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from tests.ui.conftest import make_ctx
from tests.ui.test_resident_window import admit_resident
from ui.forms import Unsaved
from ui.resident.window import close_resident_windows, open_resident_window
from ui.tasks import TaskRunner


class StatementThreads:
    """Listens on the engine: which statements ran on the UI (main) thread."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.on_ui_thread: list[str] = []
        self.total = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        self.total += 1
        if threading.current_thread() is threading.main_thread():
            self.on_ui_thread.append(" ".join(statement.split())[:120])

    def stop(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    r = TaskRunner()
    yield r
    r.shutdown()


@pytest.fixture
def watched(manager_book) -> Iterator[StatementThreads]:  # type: ignore[no-untyped-def]
    w = StatementThreads(manager_book._engine)
    yield w
    w.stop()


def test_resident_window_open_tabs_and_save_stay_off_the_ui_thread(qtbot, manager_book, runner,
                                                                    watched) -> None:  # type: ignore[no-untyped-def]
    rid = admit_resident(manager_book)
    watched.on_ui_thread.clear()
    ctx = make_ctx(manager_book, runner)
    win = open_resident_window(ctx, rid)
    win.confirm_unsaved = lambda _w: Unsaved.DISCARD
    qtbot.waitUntil(lambda: win.record is not None and not runner.busy)
    for spec in win.specs:
        win.show_tab(spec.key)
        qtbot.waitUntil(lambda: not runner.busy)
    win.show_tab("overview")
    ov = win.pages["overview"]
    ov.binder.fields["gp_practice"].editor.setText("Fishergate Surgery")
    win.save_current()
    qtbot.waitUntil(lambda: not ov.is_dirty() and not runner.busy)
    close_resident_windows(ctx)
    assert watched.total > 0
    assert watched.on_ui_thread == []


def test_main_window_pages_and_opening_from_the_caseload_stay_off_the_ui_thread(
        qtbot, manager_book, runner, watched) -> None:  # type: ignore[no-untyped-def]
    from ui.main_window import MainWindow

    rid = admit_resident(manager_book)
    watched.on_ui_thread.clear()
    w = MainWindow(make_ctx(manager_book, runner))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: not runner.busy)
    for key in ("caseload", "referrals", "reviews_due", "today"):
        w.show_page(key)
        qtbot.waitUntil(lambda: not runner.busy)
    w.ctx.open_resident(rid)
    win = w.ctx.resident_windows[rid]
    win.confirm_unsaved = lambda _w: Unsaved.DISCARD
    qtbot.waitUntil(lambda: win.record is not None and not runner.busy)
    for spec in win.specs:
        win.show_tab(spec.key)
        qtbot.waitUntil(lambda: not runner.busy)
    close_resident_windows(w.ctx)
    w.lock.watcher.stop()
    print(sorted(s.key for s in win.specs))
    assert watched.on_ui_thread == []


def test_referral_dialogs_caseload_search_and_import_stay_off_the_ui_thread(
        qtbot, manager_book, runner, watched, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    from keyworker.clock import LONDON
    from ui.caseload.page import CaseloadPage
    from ui.imports import ImportDialog
    from ui.referrals.dialogs import AdmitDialog, DecisionDialog, ReferralDialog

    admit_resident(manager_book)
    referral = manager_book.referrals.record(dict(
        received_at=datetime(2026, 1, 2, 10, 0, tzinfo=LONDON), given_name="Dee", family_name="Kay",
        referrer_name="Pat Referrer", referrer_email="pat@lancashire.gov.uk",
        community_treatment_provider="Inspire Preston", category="routine",
        assessment_summary="Assessed and suitable for residential rehabilitation."))
    view = manager_book.referrals.get(referral.id)  # as the page opens it for a dialog
    watched.on_ui_thread.clear()
    ctx = make_ctx(manager_book, runner)

    page = CaseloadPage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: not runner.busy)
    page.search.setText("lee")
    qtbot.waitUntil(lambda: page.model.filter.text == "lee" and not runner.busy)  # typed, debounced, answered
    assert page.model.rowCount() == 1

    for make in (lambda: ReferralDialog(None, ctx), lambda: ReferralDialog(None, ctx, view),
                 lambda: DecisionDialog(None, ctx, view)):
        d = make()
        qtbot.addWidget(d)
        d.show()
        qtbot.waitUntil(lambda: not runner.busy)
        d.binder.revalidate()
        d.confirm_unsaved = lambda _w: Unsaved.DISCARD
        d.reject()
    manager_book.referrals.accept(referral.id)
    accepted = manager_book.referrals.get(referral.id)
    watched.on_ui_thread.clear()
    admit = AdmitDialog(None, ctx, accepted)
    qtbot.addWidget(admit)
    admit.show()
    qtbot.waitUntil(lambda: not runner.busy)
    admit.binder.revalidate()
    admit.confirm_unsaved = lambda _w: Unsaved.DISCARD
    admit.reject()

    csv = tmp_path / "few.csv"
    csv.write_text("given_name,family_name,date_of_birth,postcode,sex\nAlex,Smith,04/03/1985,PR1 2AB,Male\n",
                   encoding="utf-8")
    imp = ImportDialog(None, ctx)
    qtbot.addWidget(imp)
    imp.set_file(csv)
    qtbot.waitUntil(lambda: imp.report is not None)
    imp.run_import(valid_only=False)
    qtbot.waitUntil(lambda: imp.final is not None and not runner.busy)  # the caseload's refresh too
    assert watched.on_ui_thread == []
    page.close()
    page.deleteLater()  # nothing of it may run after the runner is shut down
