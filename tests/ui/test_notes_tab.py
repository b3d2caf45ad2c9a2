"""The Notes tab, the note and contact dialogs and the Handover page, on a real unit: a note typed
and saved by keyboard alone appears on the timeline, Ctrl+Shift+N opens the note dialog,
search as you type narrows the list, a correction is shown struck through with its reason, the
contact dialog says the resident has not consented before anything is typed, the Handover page
shows flagged notes first and acknowledges them, and a night worker sees the handover on Today."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QShortcut
from PySide6.QtTest import QTest

from keyworker.clock import LONDON
from keyworker.notes import NoteInput
from tests.ui.conftest import make_ctx
from tests.unit import care_helpers
from ui.forms import Unsaved
from ui.notes.contact_dialog import ContactDialog
from ui.notes.handover import HandoverPage
from ui.notes.note_dialog import NoteDialog
from ui.notes.tab import NotesTab
from ui.resident.window import close_resident_windows, open_resident_window


@pytest.fixture
def record(qtbot, manager_book, tasks) -> Iterator[tuple[Any, Any, Any, str]]:  # type: ignore[no-untyped-def]
    rid, _ = care_helpers.admit(manager_book, given="Dana", family="Whitfield")
    ctx = make_ctx(manager_book, tasks)
    win = open_resident_window(ctx, rid)
    win.confirm_unsaved = lambda _w: Unsaved.DISCARD
    qtbot.waitExposed(win)
    tab = win.show_tab("notes")
    assert isinstance(tab, NotesTab)
    yield manager_book, ctx, tab, rid
    close_resident_windows(ctx)


def _texts(tab: NotesTab) -> list[str]:
    return [e.text for e in tab.list.model_.entries]


def test_a_note_typed_and_saved_by_keyboard_alone_appears_on_the_timeline(qtbot, record) -> None:  # type: ignore[no-untyped-def]
    book, ctx, tab, rid = record
    d = NoteDialog(tab, ctx, rid)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    qtbot.addWidget(d)
    d.show()
    d.activateWindow()
    qtbot.waitActive(d)
    assert d.focusWidget() is d.text  # typing goes straight into the note
    QTest.keyClicks(d.focusWidget(), "Asked for help with a housing form.")
    QTest.keyClick(d.focusWidget(), Qt.Key.Key_Tab)
    assert d.focusWidget() is d.category
    QTest.keyClicks(d.focusWidget(), "Ha")  # Handover, by its first letters
    QTest.keyClick(d.focusWidget(), Qt.Key.Key_Tab)
    assert d.focusWidget() is d.next_shift  # the time (now) comes last: it is rarely changed
    QTest.keyClick(d.focusWidget(), Qt.Key.Key_Space)
    QTest.keyClick(d.focusWidget(), Qt.Key.Key_Return)  # Save is the dialog's default button
    assert d.result() == NoteDialog.DialogCode.Accepted
    saved = d.result_value
    assert (saved.text, saved.category, saved.for_next_shift) == ("Asked for help with a housing form.", "handover", True)
    tab.refresh()
    first = tab.list.model_.entries[0]
    assert (first.text, first.title, first.flagged) == ("Asked for help with a housing form.", "Handover note", True)
    assert tab.count.text() == "1 entry"


def test_ctrl_shift_n_opens_the_note_dialog_for_this_resident(qtbot, record) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, tab, rid = record
    opened: list[str] = []
    tab.open_note = lambda ctx, parent, resident_id, correcting=None: opened.append(resident_id)
    shortcut = next(s for s in tab.findChildren(QShortcut) if s.key().toString() == "Ctrl+Shift+N")
    assert shortcut.isEnabled() and tab.new_note.toolTip() == "Ctrl+Shift+N"
    shortcut.activated.emit()  # offscreen key presses do not reach window shortcuts reliably
    assert opened == [rid]


def test_search_as_you_type_narrows_the_timeline_and_a_correction_is_struck_through(qtbot, record) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, tab, rid = record
    a = book.notes.write(NoteInput(rid, "Went to the allotment with Ann."))
    book.notes.write(NoteInput(rid, "Quiet evening."))
    book.notes.correct(a.id, NoteInput(rid, "Went to the allotment alone.", about_at=a.about_at), "Ann was not there")
    tab.refresh()
    assert len(tab.list.model_.entries) == 3
    old = next(e for e in tab.list.model_.entries if e.record_id == a.id)
    index = tab.list.model_.index(tab.list.model_.entries.index(old))
    spoken = index.data(Qt.ItemDataRole.AccessibleTextRole)
    assert "Corrected — no longer current: Ann was not there" in spoken and "with Ann" in spoken
    QTest.keyClicks(tab.search, "allot")
    qtbot.waitUntil(lambda: tab.count.text() == "1 entry found")  # after the typing pause, off the UI thread
    assert _texts(tab) == ["Went to the allotment alone."]
    tab.search.clear()
    tab.refresh()
    assert len(_texts(tab)) == 3


def test_a_long_record_opens_on_the_newest_200_and_show_older_entries_loads_the_rest(  # type: ignore[no-untyped-def]
        qtbot, record) -> None:
    book, _ctx, tab, rid = record
    for i in range(230):  # note 0 is the oldest: 230 hours before now
        book.notes.write(NoteInput(rid, f"Entry {i}" + (" walked to the allotment" if i == 0 else ""),
                                   about_at=book.clock.now().replace(microsecond=0) - _hours(230 - i)))
    tab.refresh()
    qtbot.waitUntil(lambda: tab.count.text() == "200 of 230 shown")
    assert _texts(tab)[0] == "Entry 229" and _texts(tab)[-1] == "Entry 30"  # the newest 200, newest first
    assert tab.show_older.isVisible()
    assert tab.show_older.text().replace("&", "") == "Show older entries (30 more)"
    tab.list.setCurrentIndex(tab.list.model_.index(0))
    qtbot.mouseClick(tab.show_older, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.count.text() == "230 entries")
    assert _texts(tab)[-1] == "Entry 0 walked to the allotment" and len(set(_texts(tab))) == 230
    assert not tab.show_older.isVisible()
    current = tab.list.current_entry()
    assert current is not None and current.text == "Entry 229"  # the selection is kept
    # search finds a word in an old entry, beyond the first page
    tab.refresh()
    qtbot.waitUntil(lambda: tab.count.text() == "200 of 230 shown")
    QTest.keyClicks(tab.search, "allotment")
    qtbot.waitUntil(lambda: tab.count.text() == "1 entry found")
    assert _texts(tab) == ["Entry 0 walked to the allotment"] and not tab.show_older.isVisible()
    # a filter keeps paging: only notes, still the newest 200 first
    tab.search.clear()
    tab.kind.setCurrentIndex(tab.kind.findData("note"))
    qtbot.waitUntil(lambda: tab.count.text() == "200 of 230 shown")


def _hours(n: int) -> Any:
    from datetime import timedelta

    return timedelta(hours=n)


def test_correct_opens_the_selected_note_and_saves_a_superseding_one(qtbot, record) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, tab, rid = record
    book.notes.write(NoteInput(rid, "Saw the GP."))
    tab.refresh()
    tab.list.setCurrentIndex(tab.list.model_.index(0))
    assert tab.correct_button.isEnabled()
    seen: list[Any] = []
    tab.open_note = lambda ctx, parent, resident_id, correcting=None: seen.append(correcting) or None
    tab.correct_button.click()
    assert seen and seen[0].text == "Saw the GP."


def test_the_contact_dialog_says_there_is_no_consent_before_anything_is_typed(qtbot, record) -> None:  # type: ignore[no-untyped-def]
    book, ctx, tab, rid = record
    d = ContactDialog(tab, ctx, rid)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    d.party.set_value("family")
    assert d.consent.isVisible()
    assert d.consent.message().startswith("Dana has not consented to contact with family: see Consents.")
    d.safeguarding.setChecked(True)
    assert not d.consent.isVisible() and d.sg_reason.isVisibleTo(d)
    book.residents.record_consent(rid, "contact_next_of_kin", True, parties=[], recorded_on=None, notes=None)
    d.safeguarding.setChecked(False)
    d.party.set_value("carer")
    assert not d.consent.isVisible()


def test_the_handover_page_lists_flagged_notes_first_and_acknowledges_them(
        qtbot, manager_book, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    rid, _ = care_helpers.admit(manager_book, given="Dana", family="Whitfield")
    clock.set(datetime(2026, 1, 6, 8, 0))
    manager_book.notes.write(NoteInput(rid, "Slept well.", about_at=datetime(2026, 1, 6, 1, 0, tzinfo=LONDON)))
    flagged = manager_book.notes.write(NoteInput(rid, "Ask about the dentist.", for_next_shift=True,
                                                 about_at=datetime(2026, 1, 5, 23, 0, tzinfo=LONDON)))
    page = HandoverPage(make_ctx(manager_book, tasks))
    qtbot.addWidget(page)
    page.resize(1024, 600)
    page.show()
    assert page.summary.text() == ("Since the start of the night shift (21:30 on 05/01/2026): 2 entries, "
                                   "1 for the next shift (shown first).")
    assert [r.text for r in page.model.rows] == ["Ask about the dentist.", "Slept well."]
    assert page.model.index(0, 2).data().startswith("⚑ For the next shift")
    assert page.model.index(0, 0).data() == f"Dana Whitfield\n{page.model.rows[0].reference}"  # the note keeps the width
    page.table.setCurrentIndex(page.model.index(0, 0))
    assert page.ack.isEnabled()
    page.ack.click()
    assert manager_book.notes.open_flags("unit") == []
    assert not any(r.flagged for r in page.model.rows) and flagged.id in {r.record_id for r in page.model.rows}


def test_a_night_worker_sees_the_handover_on_today_and_a_key_worker_the_flags(
        manager_book, book_factory, tasks, shown_window, clock) -> None:  # type: ignore[no-untyped-def]
    rid, _ = care_helpers.admit(manager_book, given="Dana", family="Whitfield")
    clock.set(datetime(2026, 1, 6, 2, 0))
    manager_book.notes.write(NoteInput(rid, "Ask about the dentist.", for_next_shift=True))
    from ui.today import TodayPage

    for user, heading in (("nights", "Handover since the previous shift"), ("worker", "Flagged for the next shift")):
        win = shown_window(make_ctx(book_factory(user), tasks), (1024, 768))
        page = win.show_page("today")
        assert isinstance(page, TodayPage)
        texts = page_texts(page)
        assert any(heading in t for t in texts), texts
        assert any("Dana Whitfield" in t for t in texts)


def page_texts(page: Any) -> list[str]:
    from PySide6.QtWidgets import QLabel, QListWidget

    out = [lab.text() for lab in page.findChildren(QLabel) if lab.isVisibleTo(page)]
    for lw in page.findChildren(QListWidget):
        out += [lw.item(i).text() for i in range(lw.count())]
    return out


def test_a_correction_without_a_reason_is_not_sent_and_says_so_at_the_reason(qtbot, record) -> None:  # type: ignore[no-untyped-def]
    book, ctx, tab, rid = record
    note = book.notes.write(NoteInput(rid, "Saw the GP."))
    d = NoteDialog(tab, ctx, rid, note)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    d.text.setPlainText("Saw the practice nurse.")
    d.save()
    assert d.isVisible() and d.binder.shown_error("correction_reason")  # asked for, where it is typed
    assert [v.text for v in book.notes.history(note.id)] == ["Saw the GP."]  # nothing sent
    d.close()
