"""The resident record as a key worker and night staff use it (issue 9): it opens with focus in its
content, the History tab tells the story in people's words, NHS numbers read 3-3-4, the boxes fit
their text at 1024 px, and medication says how it is taken."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from tests.ui.conftest import make_ctx
from tests.ui.test_resident_window import admit_resident
from tests.unit.care_helpers import full_content
from ui.forms import Unsaved
from ui.resident.window import close_resident_windows, open_resident_window


@pytest.fixture
def record(qtbot, manager_book, tasks) -> Iterator:  # type: ignore[no-untyped-def]
    rid = admit_resident(manager_book, nhs_number="9434765919", ethnicity="White: Irish")
    ctx = make_ctx(manager_book, tasks)
    opened = []

    def _open():  # type: ignore[no-untyped-def]
        win = open_resident_window(ctx, rid)
        qtbot.waitExposed(win)
        win.confirm_unsaved = lambda _w: Unsaved.DISCARD
        opened.append(win)
        return win

    yield manager_book, ctx, rid, _open
    close_resident_windows(ctx)


def test_history_tells_the_story_in_peoples_words(record) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, rid, open_ = record
    adm = book.residents.get(rid).current_admission
    plan = book.care_plans.save_draft(adm.id, full_content())
    book.care_plans.mark_complete(plan.plan_id)
    book.care_plans.record_agreement(plan.plan_id, date(2026, 1, 5), "signed_paper")
    book.residents.update(rid, {"gp_practice": "Fishergate Surgery"})
    win = open_()
    tab = win.show_tab("history")
    tab.refresh()
    rows = [[tab.proxy.index(i, c).data() for c in range(4)] for i in range(tab.proxy.rowCount())]
    agreed = next(r for r in rows if r[2] == "Care plan version 1 agreed")
    assert agreed[1] == "Morgan Manager"  # the full name, not the user name "manager"
    assert agreed[3] == "Signed paper copy; on 05/01/2026"
    changed = next(r for r in rows if r[2] == "Record changed")
    assert changed[3] == "Changed: GP practice"
    assert "Care plan version 1 marked complete" in [r[2] for r in rows]
    for r in rows:
        text = " ".join(r[1:])
        assert "Kind:" not in text and "_" not in text and "manager" not in r[1], r
