"""Sharing the agreed care plan from the care plan tab: the line says who it was shared with and
when, Share plan… waits for the resident's agreement to this version, and a service the
resident has not consented to is refused beside the row that names it."""
from __future__ import annotations

from datetime import date

from tests.ui.conftest import make_ctx
from tests.unit import care_helpers
import ui.care_plans  # noqa: F401 - registers the care plan tab
from ui.forms import Unsaved
from ui.notes.share import ShareDialog
from ui.resident.window import close_resident_windows, open_resident_window


def test_the_care_plan_tab_shares_the_agreed_plan_and_says_with_whom(qtbot, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    book = manager_book
    rid, aid = care_helpers.admit(book, given="Dana")
    view = book.care_plans.save_draft(aid, care_helpers.full_content())
    care_helpers.assess_risk(book, aid)
    done = book.care_plans.mark_complete(view.plan_id or "")
    assert done.version is not None
    ctx = make_ctx(book, tasks)
    win = open_resident_window(ctx, rid)
    win.confirm_unsaved = lambda _w: Unsaved.DISCARD
    try:
        tab = win.show_tab("care_plan")
        panel = tab.sharing
        assert panel.view is not None, tab.status.text()
        assert panel.isVisibleTo(tab) and not panel.button.isEnabled()
        assert panel.label.text() == "The plan can be shared with services once the resident has agreed this version."
        book.care_plans.record_agreement(done.plan_id or "", date(2026, 1, 5), "signed_paper")
        tab.refresh()
        assert panel.button.isEnabled() and panel.label.text() == "Not shared with any service yet."

        d = ShareDialog(panel, ctx, done.version.id, done.version.number)
        d.confirm_unsaved = lambda _w: Unsaved.DISCARD
        d.show()
        code, tick, name = d.rows[1]  # the Community Treatment Provider
        assert code == "ctp"
        tick.setChecked(True)
        name.setText("Inspire Preston")
        d.save()
        assert d.result() != ShareDialog.DialogCode.Accepted
        assert d.binder.shown_error("recipients.2.name").startswith(
            "Dana has not consented to sharing information with the Community Treatment Provider")
        book.residents.record_consent(rid, "information_sharing", True, parties=["Community Treatment Provider"],
                                      recorded_on=date(2026, 1, 5), notes=None)
        name.clear()
        name.setText("Inspire Preston")  # changing the field clears the message it had
        d.save()
        assert d.result() == ShareDialog.DialogCode.Accepted
        panel.set_view(panel.view)
        assert panel.label.text() == "Shared with Inspire Preston (Community Treatment Provider) on 05/01/2026."
    finally:
        close_resident_windows(ctx)
