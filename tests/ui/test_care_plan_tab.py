"""The resident's Care plan tab on a real encrypted unit: sections from the definitions with
done/missing indicators, "Mark complete" refused with a list that jumps to each section, drafts
autosaved without losing undo, versions with a reason and the diff between them, the resident's
agreement, the printed copy, and unsaved work kept across lock/unlock."""
from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from keyworker.plan_sections import SECTIONS
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit, assess_risk, full_content
from ui.care_plans.agreement import Agreement, AgreementDialog
from ui.care_plans.editor import CarePlanTab
from ui.care_plans.sections import DONE_MARK, MISSING_MARK
from ui.care_plans.today import plans_incomplete


@pytest.fixture
def setup(qtbot, book_factory, tasks):  # type: ignore[no-untyped-def]
    book = book_factory("worker")
    rid, aid = admit(book)
    ctx = make_ctx(book, tasks)
    tab = CarePlanTab(ctx, rid)
    qtbot.addWidget(tab)
    tab.resize(1200, 900)
    tab.show()
    qtbot.waitExposed(tab)
    return book, ctx, tab, rid, aid


def fill_everything(tab: CarePlanTab) -> None:
    """As if typed: every editable section gets the helper's complete content."""
    content = full_content()
    for box in tab.sections.values():
        box.fill(content)


def test_sections_come_from_the_definitions_with_done_or_missing(setup) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, tab, _rid, _aid = setup
    assert list(tab.sections) == [s.key for s in SECTIONS]
    assert tab.panel.count() == len(SECTIONS)
    # from the record: the key worker and the demographics (sex and ethnicity recorded)
    assert tab.panel.state_of("key_worker") == "done"
    assert tab.panel.state_of("demographics") == "done"
    assert tab.sections["key_worker"].values["name"].text() == "Sam Worker"
    assert tab.panel.state_of("goals") == "missing"
    assert tab.sections["goals"].state.text().startswith(MISSING_MARK + " Not done yet: missing")
    assert "Missing" in tab.panel.item(0).text()  # words, not colour alone
    assert "Draft" in tab.status.text() or "not started" in tab.status.text()


def test_record_sections_follow_the_record(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, tab, rid, _aid = setup
    tab.sections["goals"].editors["aims"].setPlainText("Unsaved aims")  # dirty: typed text is kept
    book.residents.update(rid, {"ethnicity": "Prefer not to say"})
    tab.refresh()
    assert tab.sections["demographics"].values["ethnicity"].text() == "Prefer not to say"
    assert tab.sections["goals"].editors["aims"].toPlainText() == "Unsaved aims"


def test_mark_complete_is_refused_with_a_list_that_jumps_to_each_section(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, tab, rid, _aid = setup
    qtbot.mouseClick(tab.complete_button, Qt.MouseButton.LeftButton)
    assert tab.banner.isVisible()
    keys = [tab.missing_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(tab.missing_list.count())]
    assert keys == ["goals", "risk_contingency", "confidentiality", "domains", "mutual_aid_relapse",
                    "follow_ups", "induction_conduct"]
    assert "cannot be marked complete" in tab.banner_text.text()
    item = tab.missing_list.item(keys.index("follow_ups"))
    rect = tab.missing_list.visualItemRect(item)
    qtbot.mouseClick(tab.missing_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    target = tab.sections["follow_ups"].editors["arrangements"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is target)
    assert book.care_plans.get(rid).status != "complete"


def test_complete_plan_then_a_change_makes_a_version_with_its_reason(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    book, ctx, tab, rid, _aid = setup
    assess_risk(book, _aid)  # completing the plan needs a current risk assessment
    changed: list[str] = []
    ctx.state.data_changed.connect(changed.append)
    fill_everything(tab)
    assert tab.is_dirty()
    assert all(tab.panel.state_of(s.key) == "done" for s in SECTIONS)
    assert tab.sections["domains"].state.text() == f"{DONE_MARK} Done"
    qtbot.mouseClick(tab.complete_button, Qt.MouseButton.LeftButton)
    view = book.care_plans.get(rid)
    assert view.complete and view.version.number == 1
    assert not tab.is_dirty() and "Complete — version 1" in tab.status.text()
    assert "care_plans" in changed
    assert not tab.complete_button.isVisible()
    assert tab.save_button.text() == "&Save as new version…"

    # a change after completion asks why, and becomes version 2
    field = tab.sections["follow_ups"].editors["arrangements"]
    assert isinstance(field, QPlainTextEdit)
    field.setPlainText("Video calls at 3 and 6 months by the aftercare worker.")
    assert tab.is_dirty() and not tab.autosave.isActive()  # complete plans are never autosaved
    tab.ask_reason = lambda parent: None  # cancelled: nothing saved, still dirty
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert tab.is_dirty() and book.care_plans.get(rid).version.number == 1
    tab.ask_reason = lambda parent: "Resident asked for video calls"
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    view = book.care_plans.get(rid)
    assert view.version.number == 2 and view.version.reason == "Resident asked for video calls"
    assert not tab.is_dirty()

    # the history lists both versions with who and why, and shows what changed
    qtbot.mouseClick(tab.history_button, Qt.MouseButton.LeftButton)
    history = tab.versions_dialog.history
    qtbot.addWidget(tab.versions_dialog)
    assert history.table.rowCount() == 2
    assert history.table.item(0, 0).text() == "2" and history.table.item(0, 2).text() == "Sam Worker"
    assert history.table.item(0, 3).text() == "Resident asked for video calls"
    text = history.diff.plain_text()
    assert "Follow-ups at 3 and 6 months" in text and "Video calls" in text and "Phone calls" in text
    history.diff.inline.setChecked(True)
    assert "Video" in history.diff.plain_text()
    history.compare(history.versions[0].id, history.versions[0].id)
    assert "Choose two different versions" in history.diff.plain_text()
    # any version can be printed from the history
    history.table.setCurrentCell(1, 0)
    qtbot.mouseClick(tab.versions_dialog.print_button, Qt.MouseButton.LeftButton)
    qtbot.addWidget(tab.versions_dialog.pdf_dialog)
    assert "version 1" in tab.versions_dialog.pdf_dialog.windowTitle()


def test_draft_autosaves_without_losing_undo(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, tab, rid, _aid = setup
    field = tab.sections["goals"].editors["aims"]
    field.setFocus()
    qtbot.keyClicks(field, "Stay well")
    assert tab.is_dirty() and tab.autosave.isActive()
    tab.autosave.timeout.emit()  # what the timer does after two quiet seconds
    assert not tab.is_dirty()
    view = book.care_plans.get(rid)
    assert view.status == "draft" and view.content.value("goals", "aims") == "Stay well"
    assert field.toPlainText() == "Stay well"
    field.undo()  # the editor was not reloaded, so undo still works
    assert field.toPlainText() != "Stay well"
    assert tab.is_dirty()
    # the first autosave created the plan (others are told); later autosaves of the draft stay quiet
    heard: list[str] = []
    _ctx.state.data_changed.connect(heard.append)
    field.setPlainText("Stay well and see my daughter")
    tab.autosave.timeout.emit()
    assert not tab.is_dirty() and heard == []
    assert book.care_plans.get(rid).content.value("goals", "aims") == "Stay well and see my daughter"


def test_unsaved_changes_survive_lock_and_unlock(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    book, ctx, tab, rid, _aid = setup
    assess_risk(book, _aid)  # completing the plan needs a current risk assessment
    fill_everything(tab)
    tab.mark_complete()
    field = tab.sections["induction_conduct"].editors["boundaries"]
    field.setPlainText("Half-typed new boundary")
    ctx.state.set_locked(True)
    tab.refresh()  # anything that reloads while locked must not wipe the editors
    ctx.state.set_locked(False)
    tab.refresh()
    assert field.toPlainText() == "Half-typed new boundary" and tab.is_dirty()
    assert book.care_plans.get(rid).version.number == 1
    # the resident window asks before closing; "save" then runs its continuation
    done: list[bool] = []
    tab.ask_reason = lambda parent: "New boundary agreed"
    tab.save(lambda: done.append(True))
    assert done == [True] and book.care_plans.get(rid).version.number == 2


def test_a_dirty_draft_is_saved_when_the_unit_locks(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    book, ctx, tab, rid, _aid = setup
    tab.sections["confidentiality"].editors["share_with"].setPlainText("GP and referrer")
    ctx.state.set_locked(True)
    assert book.care_plans.get(rid).content.value("confidentiality", "share_with") == "GP and referrer"
    ctx.state.set_locked(False)
    assert tab.sections["confidentiality"].editors["share_with"].toPlainText() == "GP and referrer"


def test_agreement_and_printed_copy(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, tab, rid, _aid = setup
    assess_risk(book, _aid)  # completing the plan needs a current risk assessment
    fill_everything(tab)
    tab.mark_complete()
    assert "not recorded yet" in tab.agreement.text()
    tab.ask_agreement = lambda parent, today, label: Agreement(today, "declined", "Wants to read it with family")
    qtbot.mouseClick(tab.agree_button, Qt.MouseButton.LeftButton)
    view = book.care_plans.get(rid)
    assert view.agreement.method == "declined" and view.agreement.note == "Wants to read it with family"
    assert "Declined to sign on 05/01/2026" in tab.agreement.text()
    qtbot.mouseClick(tab.print_button, Qt.MouseButton.LeftButton)
    dlg = tab.pdf_dialog
    qtbot.addWidget(dlg)
    assert dlg.isVisible() and "version 1" in dlg.windowTitle()


def test_agreement_dialog_needs_a_reason_when_declined(qtbot) -> None:  # type: ignore[no-untyped-def]
    dlg = AgreementDialog(date(2026, 1, 5), "version 1")
    qtbot.addWidget(dlg)
    dlg.show()
    assert not dlg.reason.isVisible()
    dlg.methods["declined"].setChecked(True)
    assert dlg.reason.isVisible()
    dlg._accept()
    assert dlg.problem.isVisible() and "reason" in dlg.problem.text()
    dlg.reason.setPlainText("Wants time to think")
    dlg._accept()
    assert dlg.result() == AgreementDialog.DialogCode.Accepted
    assert dlg.value() == Agreement(date(2026, 1, 5), "declined", "Wants time to think")


def test_goals_editor_keeps_goal_ids_and_actions(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, tab, rid, _aid = setup
    goals = tab.sections["goals"].goals
    qtbot.mouseClick(goals.add_button, Qt.MouseButton.LeftButton)
    card = goals.cards[0]
    card.domain.setCurrentIndex(card.domain.findData("housing"))
    card.goal.setPlainText("I want my own flat — near my mum")  # non-ASCII: set directly
    card.actions.add_action("Housing options referral", "Sam Worker", date(2026, 2, 2))
    tab.save_now()
    saved = book.care_plans.get(rid).content.goals
    assert len(saved) == 1 and saved[0].domain == "housing" and saved[0].id == card.goal_id
    assert saved[0].actions[0].by_when == date(2026, 2, 2)
    assert card.actions.item(0, 2).text() == "02/02/2026"


def test_today_lists_my_incomplete_plans(setup) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, tab, _rid, _aid = setup
    assess_risk(book, _aid)  # completing the plan needs a current risk assessment
    items = plans_incomplete(book)
    assert len(items) == 1 and "Dana Whitfield" in items[0].text and "not started" in items[0].text
    fill_everything(tab)
    tab.mark_complete()
    assert plans_incomplete(book) == []


def test_in_the_resident_window_closing_with_unsaved_changes_asks_and_saves(qtbot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    import ui.care_plans  # noqa: F401 - what the shell imports at start-up
    import ui.reviews.page  # noqa: F401
    from ui.forms import Unsaved
    from ui.resident.window import open_resident_window

    book = book_factory("worker")
    rid, _aid = admit(book)
    draft = book.care_plans.save_draft(_aid, full_content())
    assess_risk(book, _aid)
    book.care_plans.mark_complete(draft.plan_id)
    ctx = make_ctx(book, tasks)
    win = open_resident_window(ctx, rid)  # deletes itself on close
    tab = win.show_tab("care_plan")
    assert isinstance(tab, CarePlanTab)
    reviews = win.show_tab("reviews")
    assert reviews is not None and reviews.objectName() == "reviewsTab"
    win.show_tab("care_plan")
    tab.sections["follow_ups"].editors["contact_consent"].setText("Consents; prefers text messages")
    asked: list[bool] = []

    def answer(_parent):  # type: ignore[no-untyped-def]
        asked.append(True)
        return Unsaved.SAVE

    win.confirm_unsaved = answer
    tab.ask_reason = lambda parent: "Prefers text messages"
    win.close()
    assert asked == [True]
    view = book.care_plans.get(rid)
    assert view.version.number == 2 and view.content.value("follow_ups", "contact_consent").endswith("text messages")
    assert not tab.is_dirty()
    # (With inline tasks the window's own re-close happens inside its closeEvent, which Qt ignores;
    # closing again now closes without asking, as nothing is unsaved.)
    win.close()
    assert not win.isVisible() and asked == [True]


def test_discard_asks_first_and_puts_back_the_saved_plan(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, tab, _rid, _aid = setup
    field = tab.sections["goals"].editors["aims"]
    field.setPlainText("Typed but not wanted")
    tab.confirm_discard = lambda parent: False
    qtbot.mouseClick(tab.discard_button, Qt.MouseButton.LeftButton)
    assert field.toPlainText() == "Typed but not wanted" and tab.is_dirty()
    tab.confirm_discard = lambda parent: True
    qtbot.mouseClick(tab.discard_button, Qt.MouseButton.LeftButton)
    assert field.toPlainText() == "" and not tab.is_dirty()


def test_night_staff_see_the_plan_read_only(qtbot, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    worker = book_factory("worker")
    rid, aid = admit(worker)
    worker.care_plans.save_draft(aid, full_content())
    tab = CarePlanTab(make_ctx(book_factory("nights"), tasks), rid)
    qtbot.addWidget(tab)
    assert tab.sections["goals"].editors["aims"].isReadOnly()
    assert not tab.save_button.isEnabled() and not tab.complete_button.isEnabled()
    assert not tab.sections["goals"].goals.add_button.isEnabled()
    assert tab.print_button.isEnabled()


def test_removing_a_goal_with_text_asks_first(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, tab, _rid, _aid = setup
    goals = tab.sections["goals"].goals
    blank = goals.add_goal()
    qtbot.mouseClick(blank.remove_button, Qt.MouseButton.LeftButton)  # nothing typed: no question
    assert goals.cards == []
    card = goals.add_goal()
    card.goal.setPlainText("Keep my tenancy")
    goals.confirm_remove = lambda parent, title: False
    qtbot.mouseClick(card.remove_button, Qt.MouseButton.LeftButton)
    assert goals.cards == [card]
    goals.confirm_remove = lambda parent, title: title == "Goal 1"
    qtbot.mouseClick(card.remove_button, Qt.MouseButton.LeftButton)
    assert goals.cards == []


def test_with_the_real_task_runner_work_comes_back_on_the_ui_thread(qtbot, book_factory) -> None:  # type: ignore[no-untyped-def]
    from ui.context import AppContext
    from ui.tasks import TaskRunner

    book = book_factory("worker")
    rid, _aid = admit(book)
    assess_risk(book, _aid)  # completing the plan needs a current risk assessment
    runner = TaskRunner()
    try:
        tab = CarePlanTab(AppContext(book, runner), rid)
        qtbot.addWidget(tab)
        qtbot.waitUntil(lambda: tab.view is not None)
        fill_everything(tab)
        tab.mark_complete()
        qtbot.waitUntil(lambda: tab.complete and not runner.busy)
        assert "Complete — version 1" in tab.status.text() and not tab.is_dirty()
    finally:
        runner.shutdown()


@pytest.mark.parametrize("panel_width", [260, 150])
def test_the_sections_panel_wraps_headings_and_always_shows_the_state(setup, qtbot, panel_width) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, tab, _rid, _aid = setup
    panel = tab.panel
    tab.split.setSizes([panel_width, 1200 - panel_width])
    # the panel goes no narrower than its longest heading word needs
    qtbot.waitUntil(lambda: panel.width() == max(panel_width, panel.minimumWidth()))
    assert panel.horizontalScrollBar().maximum() == 0  # items are as wide as the panel, never wider
    line = panel.fontMetrics().height()
    wrapped = 0
    for row in range(panel.count()):
        item_rect = panel.visualRect(panel.model().index(row, 0))
        parts = panel.parts_of(row)
        assert parts.word in ("Done", "Missing", "Optional")
        assert parts.word in panel.item(row).text()  # in words, not the icon alone
        assert item_rect.right() < panel.viewport().width()
        # the heading gets every line it wraps to, and the state word its own line below it
        assert item_rect.contains(parts.heading_rect) and item_rect.contains(parts.state)
        assert parts.state.top() > parts.heading_rect.bottom() and parts.state.height() >= line
        longest = max(QFontMetrics(parts.font).horizontalAdvance(w) for w in parts.heading.split())
        assert longest <= parts.heading_rect.width()  # words wrap between them, none is cut
        wrapped += parts.heading_rect.height() > 1.5 * line
    assert wrapped >= 1  # the case that lost its state line: a heading on two lines or more
