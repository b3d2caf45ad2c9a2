"""Sync conflicts as a key worker and a senior use it, on real laptops with real conflicts:
both sides in words, Keep this / Keep that changing the record and emptying the list, the empty
state, search as you type, choosing and merging a forked plan, merging a probable duplicate, the
keyboard shortcuts, the record's flag and Today's section."""
from __future__ import annotations

import json
import os

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

import ui.main_window as mw
from keyworker.db.care_plans import CarePlan, CarePlanVersion
from keyworker.db.caseload import Resident
from tests.ui.conftest import make_ctx
from tests.ui.sync_helpers import Unit, enrolled, sync_unit  # noqa: F401 - fixtures
from ui.sync.conflicts import EMPTY, ConflictsPage

SHOTS = os.environ.get("SYNC_SHOTS")  # a folder: save what the screens look like


def _shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        widget.grab().save(os.path.join(SHOTS, f"{name}.png"))


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mw, "FEATURE_MODULES", ("ui.today", "ui.admin.page", "ui.resident.window", "ui.risk",
                                                "ui.care_plans", "ui.sync"))


def _page(qtbot: QtBot, book, tasks, size=(1280, 800)) -> ConflictsPage:  # type: ignore[no-untyped-def]
    page = ConflictsPage(make_ctx(book, tasks))
    qtbot.addWidget(page)
    page.resize(*size)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()  # shortcuts reach an active window only
    qtbot.waitUntil(page.isActiveWindow)
    return page


def _postcode(book, rid: str) -> str | None:  # type: ignore[no-untyped-def]
    with book._read() as s:
        return s.scalar(select(Resident.postcode).where(Resident.id == rid))


@pytest.mark.parametrize("size", [(1280, 800), (1024, 768)])
def test_a_key_worker_keeps_the_earlier_value_and_the_conflict_goes(qtbot: QtBot, sync_unit: Unit, tasks,  # noqa: F811
                                                                     size) -> None:
    sync_unit.postcode_conflict()
    book = sync_unit.books["A"]
    page = _page(qtbot, book, tasks, size)
    assert page.model.rowCount() == 1 and page.detail.isVisible()
    assert page.heading.text().startswith("Lee Park (R-") and page.heading.text().endswith("— Postcode")
    left, right = page.cards
    assert left.value.text() == "PR2 9ZZ" and right.value.text() == "BB1 1AA"
    assert "Sam Worker" in left.who.text() and "this laptop" in left.who.text()
    assert "Morgan Manager" in right.who.text() and "05/01/2026 09:00" in right.who.text()
    assert right.stands.text() == "● The record shows this now" and left.stands.text() == "○ Kept, not shown"
    assert (left.button.text(), right.button.text()) == ("&Keep this", "Keep &that")
    _shot(page, f"conflicts-field-{size[0]}x{size[1]}")
    qtbot.mouseClick(left.button, Qt.MouseButton.LeftButton)
    assert _postcode(book, sync_unit.resident_id) == "PR2 9ZZ"  # the record changed
    assert page.model.rowCount() == 0 and page.stack.currentIndex() == 1
    assert page.empty.text() == EMPTY and page.empty.isVisible()
    assert "Kept “PR2 9ZZ” as Lee Park's postcode" in page.message.text()
    _shot(page, f"conflicts-empty-{size[0]}x{size[1]}")
    sync_unit.settle()
    assert _postcode(sync_unit.books["B"], sync_unit.resident_id) == "PR2 9ZZ"  # and went to the others


def test_the_empty_page_says_nothing_is_waiting(qtbot: QtBot, worker_book, tasks) -> None:  # type: ignore[no-untyped-def]
    page = _page(qtbot, worker_book, tasks)
    assert page.stack.currentIndex() == 1 and page.empty.isVisible()
    assert page.empty.text().startswith("Nothing is waiting.")


def test_search_as_you_type_and_alt_2_keeps_that(qtbot: QtBot, sync_unit: Unit, tasks) -> None:  # noqa: F811
    sync_unit.postcode_conflict()
    page = _page(qtbot, sync_unit.books["A"], tasks)
    qtbot.keyClicks(page.search, "nobody")
    assert page.proxy.rowCount() == 0
    page.search.clear()
    qtbot.keyClicks(page.search, "bb1")  # a value
    assert page.proxy.rowCount() == 1
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert _postcode(sync_unit.books["A"], sync_unit.resident_id) == "BB1 1AA"
    assert page.model.rowCount() == 0


def test_a_senior_chooses_a_version_of_a_forked_plan(qtbot: QtBot, sync_unit: Unit, tasks) -> None:  # noqa: F811
    sync_unit.plan_fork()
    book = sync_unit.books["B"]
    page = _page(qtbot, book, tasks)
    assert page.heading.text().endswith("— Care plan: two versions")
    assert page.merge_button.isVisible() and not page.apart_button.isVisible()
    texts = [c.value.text() for c in page.cards]
    assert all(t.startswith("Version 2: Goal updated on laptop ") for t in texts)
    _shot(page, "conflicts-fork-1280x800")
    n = next(i for i, t in enumerate(texts) if t.endswith("laptop A"))
    chosen = page.current().sides[n].key
    qtbot.mouseClick(page.cards[n].button, Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 0
    with book._read() as s:
        plan = s.get(CarePlan, sync_unit.plan_id)
        v = s.get(CarePlanVersion, plan.current_version_id)
        assert v.parent_version_id == chosen and v.number == 3
        assert json.loads(v.content)["goals"][0]["status"] == "in_progress"


def test_merge_opens_both_versions_with_an_editor_seeded_from_the_chosen_one(qtbot: QtBot, sync_unit: Unit,  # noqa: F811
                                                                             tasks) -> None:
    from ui.sync.merge_dialog import MergeDialog

    sync_unit.plan_fork()
    book = sync_unit.books["B"]
    page = _page(qtbot, book, tasks)
    item = page.current()
    a_side = next(s for s in item.sides if s.value.endswith("laptop A"))
    dlg = MergeDialog(item, start_from=a_side.key)
    qtbot.addWidget(dlg)
    dlg.resize(1024, 640)
    dlg.show()
    assert len(dlg.editors) == 1  # only the goal's status differs
    (path, editor), = dlg.editors.items()
    assert editor.currentText() == "In progress"  # seeded from the version started from, in words
    _shot(dlg, "merge-dialog-1024x640")
    editor.setCurrentIndex(editor.findData("achieved"))
    page.merge_dialog = lambda _parent, _item: (dlg.merged(), dlg.start)
    qtbot.keyClick(page.table, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert page.model.rowCount() == 0 and "merged version" in page.message.text()
    with book._read() as s:
        plan = s.get(CarePlan, sync_unit.plan_id)
        v = s.get(CarePlanVersion, plan.current_version_id)
        assert v.parent_version_id == a_side.key
        assert json.loads(v.content)["goals"][0]["status"] == "achieved"


def test_a_senior_merges_a_probable_duplicate(qtbot: QtBot, sync_unit: Unit, tasks) -> None:  # noqa: F811
    ra, rb = sync_unit.duplicate()
    book = sync_unit.books["B"]
    page = _page(qtbot, book, tasks)
    page.search.setText("probable")
    assert page.proxy.rowCount() == 1
    assert page.apart_button.isVisible() and not page.merge_button.isVisible()
    assert page.cards[0].button.text() == "Merge records, &keeping this one"
    _shot(page, "conflicts-duplicate-1280x800")
    asked = []
    page.confirm = lambda _p, title, text: asked.append((title, text)) or True
    keep = page.current().sides[0].key
    qtbot.mouseClick(page.cards[0].button, Qt.MouseButton.LeftButton)
    assert asked and "archived" in asked[0][1]
    with book._read() as s:
        other = rb if keep == ra else ra
        assert s.get(Resident, other).archived and not s.get(Resident, keep).archived
    page.search.clear()
    assert page.model.rowCount() == 0  # the reference clash about the same pair went too


def test_a_senior_keeps_one_of_two_discharges_of_one_stay(qtbot: QtBot, sync_unit: Unit, tasks) -> None:  # noqa: F811
    from keyworker.db.discharges import Discharge

    sync_unit.two_discharges()
    book = sync_unit.books["B"]
    page = _page(qtbot, book, tasks)
    page.search.setText("two discharges")
    assert page.proxy.rowCount() == 1
    page.table.selectRow(0)
    assert page.heading.text().endswith("— Two discharges")
    assert "recorded for one stay on different laptops" in page.explanation.text()
    left, right = page.cards
    assert left.value.text().startswith("Unplanned self-discharge") and right.value.text().startswith("Absconded")
    assert "this laptop" in left.who.text() and "Morgan Manager" in right.who.text()
    assert "Destination: Not known" in right.differs.text() and right.differs.isVisible()
    assert (left.button.text(), right.button.text()) == ("&Keep this one", "Keep the &other")
    assert not page.merge_button.isVisible() and not page.apart_button.isVisible()
    _shot(page, "conflicts-twice-1280x800")
    asked = []
    page.confirm = lambda _p, title, text: asked.append((title, text)) or True
    qtbot.mouseClick(right.button, Qt.MouseButton.LeftButton)
    assert asked and asked[0][0] == "Keep this discharge?"
    assert "Kept Absconded" in page.message.text()
    with book._read() as s:
        (d,) = s.scalars(select(Discharge).where(Discharge.admission_id == sync_unit.admission_id,
                                                 Discharge.ends_stay.is_(True))).all()
        assert (d.type, d.destination) == ("absconded", "Not known")
    page.search.setText("two discharges")
    assert page.proxy.rowCount() == 0


def test_today_and_the_record_flag_lead_to_the_conflict(qtbot: QtBot, sync_unit: Unit, tasks, pages,  # noqa: F811
                                                        shown_window) -> None:
    from ui.today import TodayPage

    sync_unit.postcode_conflict()
    window = shown_window(make_ctx(sync_unit.books["A"], tasks), (1280, 800))
    today = window.show_page("today")
    assert isinstance(today, TodayPage)
    texts = today.section_texts() if hasattr(today, "section_texts") else None
    from ui.sync.today import conflicts_waiting

    (item,) = conflicts_waiting(sync_unit.books["A"], "mine")
    assert item.text.startswith("Lee Park (R-") and "Postcode: “PR2 9ZZ” or “BB1 1AA”" in item.text
    item.open(window.ctx, window)
    assert window.current_key() == "sync_conflicts"
    page = window.pages["sync_conflicts"]
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)  # Find lands in the search
    assert page.search.hasFocus()
    _shot(window, "main-window-conflicts-1280x800")
    window.ctx.open_resident(sync_unit.resident_id)
    rec = window.ctx.resident_windows[sync_unit.resident_id]
    qtbot.waitUntil(lambda: "1 sync conflict waiting" in rec.header.alert_texts())
    rec.resize(1280, 800)
    qtbot.wait(50)
    _shot(rec, "record-flag-1280x800")
    chip = next(w for w in rec.header.findChildren(type(rec.header.name)) if "sync conflict" in w.text())
    window.show_page("today")
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    assert window.current_key() == "sync_conflicts"
    page = window.pages["sync_conflicts"]
    assert page.search.text().startswith("R-") and page.proxy.rowCount() == 1
    del texts
