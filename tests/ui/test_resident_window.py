"""The resident record window on a real encrypted unit: one window per resident, the header, the
tab registry, the Overview form validating on the spot and saving only what changed, "Prefer not
to say" kept apart from "Not recorded", unsaved work asked about on close and kept across a lock,
medication start/change/stop with history, consents, documents and the audit history."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from keyworker.reference_data import consent_kinds
import ui.outcomes  # noqa: F401,E402 - registers the Outcomes tab, as the app does at start
from keyworker.clock import LONDON
from keyworker.db.caseload import PREFER_NOT_TO_SAY
from tests.ui.conftest import make_ctx
from ui.forms import Unsaved
from ui.resident.consents import ConsentDialog
from ui.resident.medication import MedicationDialog, StopMedicationDialog
from ui.resident.tabs import HeaderItem, register_header_item, register_resident_tab, unregister_header_item, \
    unregister_resident_tab
from ui.resident.window import ResidentWindow, close_resident_windows, open_resident_window


def admit_resident(book: Any, **resident: Any) -> str:
    """A referral recorded, accepted and admitted through the services (the manager may do all three)."""
    r = book.referrals.record(dict(received_at=datetime(2026, 1, 2, 10, 0, tzinfo=LONDON), given_name="Cara",
                                   family_name="Lee", referrer_name="Pat Referrer", referrer_email="pat@lancashire.gov.uk",
                                   community_treatment_provider="Inspire Preston", category="routine",
                                   assessment_summary="Assessed and suitable for residential rehabilitation."))
    book.referrals.accept(r.id)
    details = dict(given_name="Cara", family_name="Lee", preferred_name="Caz", date_of_birth=date(1990, 2, 3),
                   sex="Female", postcode="PR1 2AB", district="Preston", primary_substance="Alcohol")
    details.update(resident)
    rec = book.referrals.admit(r.id, dict(admitted_on=date(2026, 1, 5), setting="24h_residential", strand="level_1",
                                          planned_weeks=12, key_worker_id=book.actor.id), details)
    return rec.id


@pytest.fixture
def opened(qtbot, manager_book, tasks) -> Iterator:  # type: ignore[no-untyped-def]
    rid = admit_resident(manager_book)
    ctx = make_ctx(manager_book, tasks)
    win = open_resident_window(ctx, rid)
    qtbot.waitExposed(win)
    win.confirm_unsaved = lambda _w: Unsaved.DISCARD  # teardown closes it; a test may ask otherwise
    yield manager_book, ctx, win, rid
    close_resident_windows(ctx)  # windows delete themselves on close


def test_one_window_per_resident(opened) -> None:  # type: ignore[no-untyped-def]
    _book, ctx, win, rid = opened
    assert ctx.resident_windows[rid] is win
    assert open_resident_window(ctx, rid) is win
    ctx.open_resident(rid)  # the contract's entry point reaches the same window
    assert len(ctx.resident_windows) == 1


def test_header_shows_who_key_worker_week_and_risk(opened) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, win, _rid = opened
    h = win.header
    assert h.name.text().startswith("Caz Lee") and "Cara Lee" in h.name.text()
    assert h.reference.text() == "R-00001"
    details = h.details.text().replace("\u00a0", " ")  # no line break inside a part
    assert "Key worker: Morgan Manager" in details
    assert "Week 1 of 12" in details
    assert h.risk.text() == "\u25cb Risk: not yet assessed"  # a symbol, not colour alone
    assert "R-00001" in win.windowTitle()


def test_risk_and_alerts_come_from_registered_header_items(qtbot, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    rid = admit_resident(manager_book, age_override_reason=None)
    register_header_item("risk", lambda book, r: HeaderItem("Risk: high", "danger", "\u25b2"))
    register_header_item("test_alert", lambda book, r: [HeaderItem("Review overdue", "warning")])
    register_header_item("broken", lambda book, r: 1 / 0)
    try:
        win = open_resident_window(make_ctx(manager_book, tasks), rid)
        qtbot.addWidget(win)
        assert win.header.risk.text() == "\u25b2 Risk: high"
        assert "Review overdue" in win.header.alert_texts()
    finally:
        for key in ("risk", "test_alert", "broken"):
            unregister_header_item(key)


def test_tabs_come_from_the_registry_and_only_existing_features_show(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    _book, ctx, win, rid = opened
    titles = [win.tabs.tabText(i) for i in range(win.tabs.count())]
    for t in ("Overview", "Medication", "Documents", "History", "Outcomes"):  # Outcomes since issue 14
        assert t in titles
    assert list(win.pages) == ["overview"]  # the others are made when first shown
    register_resident_tab("extra", "Extra", lambda c, r: QLabel(f"extra {r}"), 65)
    try:
        other = ResidentWindow(ctx, rid)
        qtbot.addWidget(other)
        keys = [s.key for s in other.specs]
        assert keys.index("medication") < keys.index("extra") < keys.index("documents")
        assert other.show_tab("extra").text() == f"extra {rid}"
    finally:
        unregister_resident_tab("extra")


def _overview(win: ResidentWindow) -> Any:
    return win.show_tab("overview")


def test_overview_validates_on_the_spot_and_saves_only_changes(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, win, rid = opened
    ov = _overview(win)
    pc = ov.binder.fields["postcode"].editor
    assert pc.text() == "PR1 2AB"
    assert not ov.save_button.isEnabled()  # nothing changed yet
    pc.selectAll()
    qtbot.keyClicks(pc, "PR1 2A")
    assert "not a UK postcode" in ov.binder.shown_error("postcode")
    assert "not a UK postcode" in pc.accessibleDescription()
    assert not ov.save_button.isEnabled()
    qtbot.keyClicks(pc, "Z")
    assert ov.binder.shown_error("postcode") == ""
    assert ov.save_button.isEnabled()
    qtbot.keyClick(pc, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert book.residents.get(rid).postcode == "PR1 2AZ"
    assert not ov.is_dirty()
    update = next(e for e in book.audit.recent(resident_id=rid) if e.action == "resident.update")
    assert update.detail == {"fields": ["postcode"]}


def test_nhs_number_check_digit(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, win, _rid = opened
    ov = _overview(win)
    nhs = ov.binder.fields["nhs_number"].editor
    qtbot.keyClicks(nhs, "9434765918")
    assert "check digit" in ov.binder.shown_error("nhs_number")
    nhs.clear()
    qtbot.keyClicks(nhs, "9434765919")
    assert ov.binder.shown_error("nhs_number") == ""


def test_prefer_not_to_say_is_saved_apart_from_not_recorded(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, win, rid = opened
    ov = _overview(win)
    ov.binder.fields["religion"].editor.set_value(PREFER_NOT_TO_SAY)
    ov.binder.fields["sex"].editor.setCurrentIndex(0)  # back to "Not recorded"
    ov.save()
    rec = book.residents.get(rid)
    assert rec.religion == PREFER_NOT_TO_SAY
    assert rec.sex is None
    assert ov.binder.fields["religion"].editor.currentText() == PREFER_NOT_TO_SAY
    assert ov.binder.fields["sex"].editor.currentText() == "Not recorded"


def test_a_date_of_birth_under_18_is_refused_with_no_way_round(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, win, rid = opened
    ov = _overview(win)
    assert "age_override_reason" not in ov.binder.fields  # the contract allows no exception (5.1.1.1)
    ov.binder.fields["date_of_birth"].editor.set_value(date(2010, 6, 1))
    assert ov.binder.shown_error("date_of_birth") == (
        "Under 18 on the admission date (05/01/2026): they turn 18 on 01/06/2028. "
        "Only people aged 18 or over on the date of admission can be admitted.")
    assert not ov.save_button.isEnabled()
    assert book.residents.get(rid).date_of_birth == date(1990, 2, 3)

def test_undo_my_changes_puts_back_the_saved_record(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, win, _rid = opened
    ov = _overview(win)
    gp = ov.binder.fields["gp_practice"].editor
    qtbot.keyClicks(gp, "Fishergate")
    assert ov.revert_button.isEnabled()
    qtbot.mouseClick(ov.revert_button, Qt.MouseButton.LeftButton)
    assert gp.text() == "" and not ov.is_dirty()


def test_closing_with_unsaved_changes_asks(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    book, ctx, win, rid = opened
    ov = _overview(win)
    qtbot.keyClicks(ov.binder.fields["gp_practice"].editor, "Fishergate Surgery")
    asked: list[bool] = []
    win.confirm_unsaved = lambda _w: asked.append(True) or Unsaved.CANCEL
    qtbot.keyClick(win, Qt.Key.Key_Escape)
    assert asked and win.isVisible()
    assert ov.binder.fields["gp_practice"].editor.text() == "Fishergate Surgery"
    win.confirm_unsaved = lambda _w: Unsaved.SAVE
    win.close()
    assert book.residents.get(rid).gp_practice == "Fishergate Surgery"
    qtbot.waitUntil(lambda: rid not in ctx.resident_windows)


def test_discard_closes_without_saving(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    book, ctx, win, rid = opened
    ov = _overview(win)
    qtbot.keyClicks(ov.binder.fields["gp_practice"].editor, "Fishergate")
    win.confirm_unsaved = lambda _w: Unsaved.DISCARD
    assert close_resident_windows(ctx)
    assert book.residents.get(rid).gp_practice is None
    assert ctx.resident_windows == {}


def test_lock_hides_the_record_and_keeps_what_was_typed(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    _book, ctx, win, _rid = opened
    ov = _overview(win)
    gp = ov.binder.fields["gp_practice"].editor
    qtbot.keyClicks(gp, "Half-typed")
    ctx.state.set_locked(True)
    assert win.body.isHidden() and not win.cover.isHidden()
    win.confirm_unsaved = lambda _w: pytest.fail("never ask over the lock screen")
    assert not win.close()  # a locked window with unsaved work stays
    ctx.state.set_locked(False)
    assert not win.body.isHidden()
    assert gp.text() == "Half-typed" and ov.is_dirty()
    win.confirm_unsaved = lambda _w: Unsaved.DISCARD


def test_a_change_elsewhere_does_not_overwrite_typing(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    book, ctx, win, rid = opened
    ov = _overview(win)
    qtbot.keyClicks(ov.binder.fields["gp_practice"].editor, "Typing")
    book.residents.update(rid, {"next_of_kin_name": "Jo Lee"})
    ctx.state.data_changed.emit("residents")
    assert ov.binder.fields["gp_practice"].editor.text() == "Typing"
    assert ov.pending_record is not None and ov.pending_record.next_of_kin_name == "Jo Lee"


def test_medication_start_change_stop_keeps_history(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    _book, ctx, win, rid = opened
    tab = win.show_tab("medication")
    assert tab.empty.isVisibleTo(tab)
    d = MedicationDialog(tab, ctx, rid)
    qtbot.addWidget(d)
    qtbot.keyClicks(d.binder.fields["name"].editor, "Acamprosate")
    qtbot.keyClicks(d.binder.fields["dose"].editor, "666 mg")
    qtbot.keyClicks(d.binder.fields["frequency"].editor, "three times daily")
    d.binder.fields["route"].editor.set_value("oral")
    d.save()
    assert d.result_value.name == "Acamprosate"
    tab.refresh()
    assert tab.current.rowCount() == 1 and tab.current.item(0, 1).text() == "666 mg"
    course = tab.selected_course()
    c = MedicationDialog(tab, ctx, rid, course)
    qtbot.addWidget(c)
    assert not c.save_button.isEnabled()  # nothing changed yet
    dose = c.binder.fields["dose"].editor
    dose.selectAll()
    qtbot.keyClicks(dose, "333 mg")
    c.save()
    s = StopMedicationDialog(tab, ctx, tab.selected_course() or course)
    qtbot.addWidget(s)
    s.save()
    tab.refresh()
    assert tab.current.isHidden() and not tab.empty.isHidden()
    events = [tab.history.item(i, 1).text() for i in range(tab.history.rowCount())]
    assert sorted(events) == ["Changed", "Started", "Stopped"]


def test_change_cannot_be_dated_before_the_start(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    book, ctx, win, rid = opened
    course = book.residents.start_medication(rid, {"name": "Thiamine", "effective_on": date(2026, 1, 5),
                                                     "dose": "100 mg", "frequency": "once daily", "route": "oral"})
    c = MedicationDialog(None, ctx, rid, course)
    qtbot.addWidget(c)
    c.confirm_unsaved = lambda _w: Unsaved.DISCARD
    c.binder.fields["effective_on"].editor.set_value(date(2026, 1, 1))
    assert "before the start" in c.binder.errors()["effective_on"]


def test_consents_record_with_named_parties(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    book, ctx, win, rid = opened
    panel = _overview(win).consents
    # four kinds: NDTMS consent added (issue 15)
    assert panel.table.rowCount() == 4 and panel.table.item(0, 1).text() == "Not recorded"
    d = ConsentDialog(panel, ctx, rid, "information_sharing")
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    assert d.windowTitle() == "Record consent — Caz Lee (R-00001)"  # the reference shows everywhere
    d.given.set_value("yes")
    d.binder.reveal_all()
    assert "Name the people" in d.binder.shown_error("parties")
    d.parties.set_value(["Fishergate Surgery", "Inspire Preston"])
    d.save()
    assert d.result_value.given and d.result_value.recorded_by_name == "Morgan Manager"
    panel.refresh()
    row = next(i for i in range(panel.table.rowCount()) if panel.table.item(i, 0).text().startswith("Sharing"))
    assert panel.table.item(row, 1).text() == "\u2714 Given"
    assert panel.table.item(row, 2).text() == ("With: Fishergate Surgery, Inspire Preston. "
                                               "05/01/2026, recorded by Morgan Manager")


def test_documents_tab_lists_and_opens(opened, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.test_forms import _pdf
    from ui.documents import PdfDialog

    book, _ctx, win, rid = opened
    with book._write() as s:
        doc_id = book.documents._store(s, kind="care_plan", title="Care plan v1", content=_pdf(1), resident_id=rid).id
    tab = win.show_tab("documents")
    tab.refresh()
    assert tab.table.rowCount() == 1 and tab.table.item(0, 1).text() == "Care plan"
    opened_windows: list[PdfDialog] = []

    def viewer(parent: Any, ctx: Any, title: str, source: Any) -> PdfDialog:
        d = PdfDialog(parent, ctx, title, source)
        d.choose_save_path = lambda _p, _s: str(tmp_path / "saved.pdf")
        opened_windows.append(d)
        return d

    tab.viewer = viewer
    tab.open_selected("save")
    assert opened_windows[0].document_id == doc_id
    assert (tmp_path / "saved.pdf").read_bytes().startswith(b"%PDF")
    actions = {e.action for e in book.audit.recent(resident_id=rid)}
    assert {"document.view", "document.save"} <= actions
    opened_windows[0].close()


def test_history_shows_changes_and_optionally_views(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, win, rid = opened
    book.residents.update(rid, {"gp_practice": "Fishergate Surgery"})
    tab = win.show_tab("history")
    tab.refresh()
    shown = tab.visible_actions()
    assert "Record changed" in shown and "Admitted" in shown
    assert "Record opened" not in shown
    tab.views.setChecked(True)
    assert "Record opened" in tab.visible_actions()
    tab.filter.setText("changed")
    assert set(tab.visible_actions()) == {"Record changed"}


def test_out_of_hours_can_read_but_not_edit(qtbot, manager_book, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    rid = admit_resident(manager_book)
    nights = book_factory("nights")
    win = open_resident_window(make_ctx(nights, tasks), rid)
    qtbot.addWidget(win)
    ov = _overview(win)
    assert ov.binder.fields["given_name"].editor.isReadOnly()  # read-only, not greyed out
    assert not ov.binder.fields["sex"].editor.isEnabled()
    assert ov.binder.fields["other_substances"].editor.add_button.isHidden()
    assert ov.save_button.isHidden()
    assert win.show_tab("medication").start_button.isHidden()


def test_opens_with_the_real_task_runner(qtbot, manager_book) -> None:  # type: ignore[no-untyped-def]
    from ui.tasks import TaskRunner

    rid = admit_resident(manager_book)
    runner = TaskRunner()
    ctx = make_ctx(manager_book, runner)
    try:
        win = open_resident_window(ctx, rid)
        qtbot.waitUntil(lambda: win.record is not None)
        assert win.header.reference.text() == "R-00001"
        ov = win.pages["overview"]
        qtbot.waitUntil(lambda: ov.consents.table.rowCount() == len(consent_kinds()))
        ov.binder.fields["gp_practice"].editor.setText("Fishergate Surgery")
        win.save_current()
        qtbot.waitUntil(lambda: not ov.is_dirty())
        close_resident_windows(ctx)
    finally:
        runner.shutdown()
    assert manager_book.residents.get(rid).gp_practice == "Fishergate Surgery"


def test_another_user_signing_in_gets_tabs_for_their_role(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import STAFF_PW

    book, ctx, win, _rid = opened
    assert not _overview(win).save_button.isHidden()
    ctx.state.set_locked(True)
    book.lock()
    book.unlock("nights", STAFF_PW)
    ctx.state.set_locked(False)
    ctx.state.actor_changed.emit()
    ov = _overview(win)
    assert ov.save_button.isHidden() and ov.binder.fields["given_name"].editor.isReadOnly()


@pytest.fixture
def threaded(qtbot, manager_book) -> Iterator:  # type: ignore[no-untyped-def]
    """A resident's record with the real threaded task runner, loaded, the Overview shown."""
    from ui.tasks import TaskRunner

    rid = admit_resident(manager_book)
    runner = TaskRunner()
    ctx = make_ctx(manager_book, runner)
    win = open_resident_window(ctx, rid)
    qtbot.waitUntil(lambda: win.record is not None and not runner.busy)
    yield manager_book, ctx, win, rid, runner
    for w in list(ctx.resident_windows.values()):
        w.confirm_unsaved = lambda _w: Unsaved.DISCARD
    close_resident_windows(ctx)
    qtbot.waitUntil(lambda: not runner.busy)
    runner.shutdown()


def _error_boxes() -> list[Any]:
    from PySide6.QtWidgets import QApplication, QMessageBox

    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == "errorBox" and w.isVisible()]


def test_save_on_close_closes_once_saved_with_the_real_task_runner(threaded, qtbot) -> None:  # type: ignore[no-untyped-def]
    book, ctx, win, rid, runner = threaded
    _overview(win).binder.fields["gp_practice"].editor.setText("Fishergate Surgery")
    win.confirm_unsaved = lambda _w: Unsaved.SAVE
    assert not win.close()  # not yet: the save runs on the database thread first
    qtbot.waitUntil(lambda: rid not in ctx.resident_windows and not runner.busy)
    assert book.residents.get(rid).gp_practice == "Fishergate Surgery"


def test_save_on_close_while_a_save_is_already_running_still_closes(threaded, qtbot) -> None:  # type: ignore[no-untyped-def]
    book, ctx, win, rid, runner = threaded
    ov = _overview(win)
    ov.binder.fields["gp_practice"].editor.setText("Fishergate Surgery")
    win.save_current()  # Ctrl+S, then at once Ctrl+W: the first save is still on the database thread
    assert ov._saving  # noqa: SLF001
    win.confirm_unsaved = lambda _w: Unsaved.SAVE
    win.close()
    qtbot.waitUntil(lambda: rid not in ctx.resident_windows and not runner.busy)
    assert book.residents.get(rid).gp_practice == "Fishergate Surgery"


def test_failed_save_on_close_keeps_the_window_the_text_and_shows_why(threaded, qtbot) -> None:  # type: ignore[no-untyped-def]
    book, ctx, win, rid, runner = threaded
    ov = _overview(win)
    gp = ov.binder.fields["gp_practice"].editor
    gp.setText("Fishergate Surgery")
    book.lock()  # the database refuses the write (UnitLocked) while this window still shows
    win.confirm_unsaved = lambda _w: Unsaved.SAVE
    assert not win.close()
    qtbot.waitUntil(lambda: bool(_error_boxes()) and not runner.busy)
    box = _error_boxes()[0]
    assert box.parent().window() is win and "locked" in box.text().lower()
    assert ctx.resident_windows.get(rid) is win and win.isVisible()
    assert gp.text() == "Fishergate Surgery" and ov.is_dirty()
    box.close()
    from tests.conftest import STAFF_PW

    book.unlock("manager", STAFF_PW)
    win.close()  # asked again, saved this time, then closed
    qtbot.waitUntil(lambda: rid not in ctx.resident_windows and not runner.busy)
    assert book.residents.get(rid).gp_practice == "Fishergate Surgery"
