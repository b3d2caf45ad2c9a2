"""The review dialogs as opened from a resident's record: the title names the resident once, and
the long review form keeps its buttons on the screen."""
from __future__ import annotations

from datetime import datetime

import ui.reviews.page  # noqa: F401 - registers the Reviews tab
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit, assess_risk, full_content
from ui.resident.window import open_resident_window
from ui.reviews.review_dialog import ReviewDialog


def test_review_dialogs_opened_from_the_record_name_the_resident_once_and_fit_the_screen(  # type: ignore[no-untyped-def]
        qtbot, book_factory, tasks, clock) -> None:
    book = book_factory("worker")
    rid, aid = admit(book)
    assess_risk(book, aid)
    book.care_plans.mark_complete(book.care_plans.save_draft(aid, full_content()).plan_id)
    clock.set(datetime(2026, 1, 16, 10, 0))
    ctx = make_ctx(book, tasks)
    win = open_resident_window(ctx, rid)
    qtbot.addWidget(win)
    tab = win.show_tab("reviews")
    reference = book.residents.get(rid).reference
    tab.record_review()
    dlg = tab.dialog
    assert isinstance(dlg, ReviewDialog)
    assert dlg.windowTitle() == f"Record a review — Dana Whitfield ({reference})"
    room = dlg.screen().availableGeometry()
    assert dlg.height() <= room.height() - 60 and dlg.width() <= room.width()
    dlg.done(0)
    tab.invite()
    assert tab.dialog.windowTitle() == f"Invitation to a review meeting — Dana Whitfield ({reference})"
    tab.dialog.done(0)
