"""The unit's Incidents page and the Today sections: hidden from a key worker, shown to a senior;
the last 30 days by default, filters by type and a search by name; activating a row opens the
resident on the Incidents tab; Today lists MARAC referrals due and the last 24 hours' incidents."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from keyworker import da_checklist as da
from keyworker.clock import LONDON
from keyworker.incidents import IncidentInput
from keyworker.safeguarding import ChecklistInput
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit
from ui.incidents.page import UnitIncidentsPage
from ui.incidents.tab import IncidentsTab


def _nav_keys(w) -> list[str]:  # type: ignore[no-untyped-def]
    return [w.nav.item(i).data(Qt.ItemDataRole.UserRole) for i in range(w.nav.count()) if not w.nav.item(i).isHidden()]


def _unit(book_factory, clock):  # type: ignore[no-untyped-def]
    worker = book_factory("worker")
    a, _ = admit(worker, given="Ana", family="Alder")
    b, _ = admit(worker, given="Ben", family="Birch")
    clock.set(datetime(2025, 11, 20, 10, 0, tzinfo=LONDON))
    worker.incidents.record(IncidentInput(a, "20/11/2025 09:00", "violence", "Long ago"))  # before the 30 days
    clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=LONDON))
    worker.incidents.record(IncidentInput(a, "20/12/2025 21:00", "self_harm", "Cut on the arm"))
    worker.incidents.record(IncidentInput(b, "05/01/2026 02:30", "absconding", "Left at night", police_involved=True))
    return a, b


def test_the_unit_page_is_for_seniors_and_its_filters_work(  # type: ignore[no-untyped-def]
        qtbot: QtBot, book_factory, tasks, clock, shown_window) -> None:
    a, b = _unit(book_factory, clock)
    assert "incidents" not in _nav_keys(shown_window(make_ctx(book_factory("worker"), tasks)))
    w = shown_window(make_ctx(book_factory("manager"), tasks), (1024, 768))
    assert "incidents" in _nav_keys(w)
    page = w.go_to("incidents")
    assert isinstance(page, UnitIncidentsPage)
    for lab in page.filters.findChildren(QLabel):  # at 1024 px "To" was cut to "Tc"
        assert lab.width() >= lab.fontMetrics().horizontalAdvance(lab.text().replace("&", "")), lab.text()
    assert page.filters.date_from.text() == "06/12/2025" and page.filters.date_to.text() == "05/01/2026"
    model = page.proxy
    rows = [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]
    assert [r[1:4] for r in rows] == [["Ben Birch", rows[0][2], "Absconding"], ["Ana Alder", rows[1][2], "Self-harm"]]
    assert rows[0][0] == "05/01/2026 02:30" and rows[0][4] == "✓ Police"
    page.filters.kind.set_value("self_harm")
    assert model.rowCount() == 1 and model.index(0, 1).data() == "Ana Alder"
    page.filters.kind.set_value(None)
    page.filters.date_from.set_value(None)  # every date: the old one too
    assert model.rowCount() == 3
    qtbot.keyClicks(page.search, "birch")
    assert model.rowCount() == 1 and page.subtitle.text() == "1 incident of 3 in these dates"
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    win = w.ctx.resident_windows[b]
    assert isinstance(win.current_page(), IncidentsTab)
    assert win.current_page().table.item(0, 1).text() == "Absconding"
    w.grab().save("/tmp/incui/unit_page_1024.png")


def test_today_lists_marac_due_and_the_last_day_s_incidents_and_opens_their_tabs(  # type: ignore[no-untyped-def]
        qtbot: QtBot, book_factory, tasks, clock, shown_window) -> None:
    a, b = _unit(book_factory, clock)
    book_factory("worker").safeguarding.record_checklist(
        ChecklistInput(a, "05/01/2026", {n: ("yes" if n <= 14 else "no") for n in da.QUESTIONS}))
    w = shown_window(make_ctx(book_factory("manager"), tasks), (1280, 800))
    today = w.go_to("today")
    today.unit_button.setChecked(True)
    marac = today.lists["marac_due"]
    assert marac.count() == 1 and marac.item(0).text().startswith("Ana Alder (")
    assert "make a MARAC referral: visible high risk" in marac.item(0).text()
    recent = today.lists["incidents_24h"]
    assert [recent.item(i).text().split(": ")[0] for i in range(recent.count())] == ["05/01/2026 02:30 — Absconding"]
    assert recent.item(0).text().endswith("· police")
    today._open("marac_due", marac.item(0))
    assert w.ctx.resident_windows[a].current_page().objectName() == "safeguardingTab"
    today._open("incidents_24h", recent.item(0))
    assert isinstance(w.ctx.resident_windows[b].current_page(), IncidentsTab)
    w.grab().save("/tmp/incui/today_1280.png")
    # a key worker has MARAC due for their own residents, not the unit's incidents
    kw = shown_window(make_ctx(book_factory("worker"), tasks))
    kw_today = kw.go_to("today")
    assert "marac_due" in kw_today.lists and "incidents_24h" not in kw_today.lists


def test_night_staff_see_tonight_s_incidents_on_today(  # type: ignore[no-untyped-def]
        qtbot: QtBot, book_factory, tasks, clock, shown_window) -> None:
    a, b = _unit(book_factory, clock)
    clock.set(datetime(2026, 1, 5, 23, 30, tzinfo=LONDON))
    book_factory("worker").incidents.record(IncidentInput(a, "05/01/2026 19:10", "violence", "Shouting at staff"))
    w = shown_window(make_ctx(book_factory("nights"), tasks))
    today = w.go_to("today")
    tonight = today.lists["incidents_tonight"]  # since 18:00: not the 02:30 one of last night
    assert [tonight.item(i).text() for i in range(tonight.count())] == [
        f"05/01/2026 19:10 — Violence or threat: Ana Alder ({tonight.item(0).text().split('(')[1]}"]
    assert "incidents_24h" not in today.lists and "marac_due" not in today.lists
    today._open("incidents_tonight", tonight.item(0))
    assert isinstance(w.ctx.resident_windows[a].current_page(), IncidentsTab)
