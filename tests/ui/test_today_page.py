"""The Today page as each role uses it, on a real encrypted unit: a senior's Mine/Unit switch
(remembered), rows that open what they name, first steps on a new unit, the night list."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

import ui.main_window as mw
from keyworker.casebook import Casebook
from keyworker.risk import example_input
from keyworker.clock import FixedClock
from keyworker.security.permissions import Role
from keyworker.security.vault import FAST_KDF
from tests.caseload_helpers import add_referral, add_resident, complete_plan
from tests.ui.conftest import make_ctx
from ui.main_window import MainWindow
from ui.tasks import SyncTaskRunner
from ui.today import TodayPage

ALL_PAGES = ("ui.today", "ui.admin.page", "ui.caseload.page", "ui.referrals.page", "ui.reviews.page",
             "ui.care_plans", "ui.resident.window")


@pytest.fixture
def app_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's own pages and Today sections (not the shell-only set of the other UI tests)."""
    monkeypatch.setattr(mw, "FEATURE_MODULES", ALL_PAGES)


@pytest.fixture
def unit(admin_book: Casebook) -> dict[str, str]:
    """Monday 05/01/2026. Ann (Sam Worker's) and Cat (Jo Second's) both have a review overdue
    (admitted 01/12/2025: due 15/12/2025); Ann's plan is complete, Cat's is not."""
    ids = {"ann": add_resident(admin_book, "Ann", "Baker", admitted_on=date(2025, 12, 1), key_worker="worker"),
           "cat": add_resident(admin_book, "Cat", "Clarke", admitted_on=date(2025, 12, 1), key_worker="worker2")}
    complete_plan(admin_book, ids["ann"])
    ids["referral"] = add_referral(admin_book, "Rae", "Referred", due=date(2026, 1, 2))
    return ids


@pytest.fixture
def window_for(book_factory, app_pages, shown_window):  # type: ignore[no-untyped-def]
    return lambda username: shown_window(make_ctx(book_factory(username), SyncTaskRunner()))


def texts(page: TodayPage, key: str) -> list[str]:
    lst = page.lists.get(key)
    return [] if lst is None else [lst.item(i).text() for i in range(lst.count())]


def test_senior_sees_the_whole_unit_and_can_switch_to_mine(qtbot, unit, window_for) -> None:  # type: ignore[no-untyped-def]
    w = window_for("manager")
    page = w.pages["today"]
    assert page.scope_box.isVisible() and page.unit_button.isChecked()  # a senior starts on the whole unit
    overdue = texts(page, "reviews_overdue")
    assert any("Cat Clarke" in t and "Jo Second" in t for t in overdue)  # another worker's, named
    assert any("Ann Baker" in t and "Sam Worker" in t for t in overdue)
    assert "the whole unit" in page.subheading.text()
    page.mine_button.click()
    assert not any("Cat Clarke" in t for t in texts(page, "reviews_overdue"))  # the manager has no residents
    labels = [lab.text() for lab in page.findChildren(QLabel)]
    assert any(t.startswith("Nothing due:") and "Reviews overdue" in t for t in labels)


def test_the_choice_is_remembered_for_that_user(qtbot, unit, window_for) -> None:  # type: ignore[no-untyped-def]
    window_for("manager").pages["today"].mine_button.click()
    again = window_for("manager").pages["today"]  # as after a restart
    assert again.mine_button.isChecked() and not any("Cat Clarke" in t for t in texts(again, "reviews_overdue"))


def test_key_worker_sees_only_their_own_without_a_switch(qtbot, unit, window_for) -> None:  # type: ignore[no-untyped-def]
    page = window_for("worker").pages["today"]
    assert not page.scope_box.isVisible()
    overdue = texts(page, "reviews_overdue")
    assert len(overdue) == 1 and "Ann Baker" in overdue[0] and "Sam Worker" not in overdue[0]
    assert "referral_decisions" not in page.lists  # a key worker does not decide referrals
    labels = [lab.text() for lab in page.findChildren(QLabel)]
    assert not any("Referral decisions" in t for t in labels)


def test_a_referral_row_opens_its_decision_dialog(qtbot, unit, window_for) -> None:  # type: ignore[no-untyped-def]
    from ui.referrals.dialogs import DecisionDialog

    page = window_for("manager").pages["today"]
    lst = page.lists["referral_decisions"]
    assert "Rae Referred" in lst.item(0).text()
    lst.itemActivated.emit(lst.item(0))
    dialogs = [d for d in QApplication.topLevelWidgets() if isinstance(d, DecisionDialog) and d.isVisible()]
    assert len(dialogs) == 1 and dialogs[0].referral.id == unit["referral"]
    dialogs[0].choice.set_value("accept")
    dialogs[0].save()
    assert not dialogs[0].isVisible()
    assert "referral_decisions" not in page.lists  # decided: the section refreshed, nothing left


def test_plan_and_review_rows_open_the_record_on_their_tab(qtbot, unit, window_for) -> None:  # type: ignore[no-untyped-def]
    w = window_for("manager")
    page = w.pages["today"]
    plans = page.lists["care_plans_incomplete"]
    assert "Cat Clarke" in plans.item(0).text()
    plans.itemActivated.emit(plans.item(0))
    record = w.ctx.resident_windows[unit["cat"]]
    assert record.isVisible() and record.specs[record.tabs.currentIndex()].key == "care_plan"
    reviews = page.lists["reviews_overdue"]
    row = next(reviews.item(i) for i in range(reviews.count()) if "Ann Baker" in reviews.item(i).text())
    reviews.itemActivated.emit(row)
    record = w.ctx.resident_windows[unit["ann"]]
    assert record.isVisible() and record.specs[record.tabs.currentIndex()].key == "reviews"


def test_an_account_row_opens_it_in_administration(qtbot, window_for) -> None:  # type: ignore[no-untyped-def]
    w = window_for("admin")
    page = w.pages["today"]
    lst = page.lists["accounts_not_yet_used"]
    row = next(lst.item(i) for i in range(lst.count()) if "Nico Nights" in lst.item(i).text())
    lst.itemActivated.emit(row)
    assert w.current_key() == "admin"
    admin = w.pages["admin"]
    assert admin.tabs.currentIndex() == 0 and admin.selected().username == "nights"


def test_night_staff_see_the_residents_in_the_unit_with_their_alerts(qtbot, admin_book, unit,
                                                                      window_for) -> None:  # type: ignore[no-untyped-def]
    add_resident(admin_book, "Dan", "Dawson", admitted_on=date(2025, 6, 1), discharged_on=date(2025, 9, 1))
    w = window_for("nights")
    page = w.pages["today"]
    rows = texts(page, "residents_now")
    assert len(rows) == 2  # the current residents, not the discharged one
    assert rows[0].startswith("Baker, Ann (R-00001) · Week 6 of 12 · key worker Sam Worker — ⚠ Review overdue")
    assert "Plan incomplete" in rows[1] and "Review overdue" in rows[1]
    assert not page.scope_box.isVisible()
    assert "reviews_overdue" not in page.lists and "care_plans_incomplete" not in page.lists  # daytime work
    lst = page.lists["residents_now"]
    lst.itemActivated.emit(lst.item(1))
    assert w.ctx.resident_windows[unit["cat"]].isVisible()


def test_only_night_staff_get_the_night_list(qtbot, unit, window_for) -> None:  # type: ignore[no-untyped-def]
    assert "residents_now" not in window_for("manager").pages["today"].lists
    assert "residents_now" not in window_for("worker").pages["today"].lists


@pytest.fixture
def fresh_window(qtbot, tmp_path: Path, app_pages):  # type: ignore[no-untyped-def]
    """A unit just made by its first administrator: no staff, no profile, no residents, no referrals."""
    book, _ = Casebook.create(tmp_path / "new.kwdb", admin_username="admin", admin_full_name="Ada Admin",
                              password="Quiet-Harbour-Lamp-42", kdf=FAST_KDF,
                              clock=FixedClock(datetime(2026, 1, 5, 9, 0)), unit_name="Ribble House")
    w = MainWindow(make_ctx(book, SyncTaskRunner()))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.lock.watcher.stop()
    book.close()


def test_a_new_units_administrator_gets_first_steps(qtbot, fresh_window) -> None:  # type: ignore[no-untyped-def]
    w = fresh_window
    page = w.pages["today"]
    steps = page.first_steps
    assert steps is not None and steps.isVisible()
    assert steps.done == {"staff": False, "profile": False, "import": False, "referral": False}
    labels = [lab.text() for lab in page.findChildren(QLabel)]
    assert "Nothing due." not in labels and "Nothing needs your attention right now." not in labels
    assert any("senior or key worker records referrals" in t for t in labels)  # an administrator cannot
    assert set(steps.buttons) == {"staff", "profile", "import"}
    steps.buttons["profile"].click()
    admin = w.pages["admin"]
    assert w.current_key() == "admin" and admin.tabs.currentWidget() is admin.unit_screen
    w.show_page("today")
    steps = page.first_steps
    steps.buttons["staff"].click()
    assert w.current_key() == "admin" and admin.tabs.currentIndex() == 0
    from ui.admin.account_dialog import AddAccountDialog

    [dialog] = [d for d in admin.findChildren(AddAccountDialog) if d.isVisible()]
    dialog.reject()
    w.ctx.book.accounts.create("sam", "Sam Worker", Role.KEY_WORKER, "Orange-Kettle-Sky-77")
    w.ctx.state.data_changed.emit("accounts")
    assert not page.first_steps.done["staff"]  # Today is hidden behind Administration: read when shown
    w.show_page("today")
    steps = page.first_steps
    assert steps is not None and steps.done["staff"]  # ticked off
    mark = [lab.text() for lab in steps.findChildren(QLabel)]
    assert mark.count("✓ Done") == 1


def test_first_steps_import_button_opens_the_import(qtbot, fresh_window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ui.imports.dialog as imports

    opened: list[object] = []
    monkeypatch.setattr(imports, "open_import_dialog", lambda ctx, parent=None: opened.append(ctx))
    fresh_window.pages["today"].first_steps.buttons["import"].click()
    assert opened == [fresh_window.ctx]


def test_first_steps_go_once_all_are_done(qtbot, admin_book, unit, window_for) -> None:  # type: ignore[no-untyped-def]
    """The test unit has staff, a profile, residents and a referral: no first steps."""
    page = window_for("admin").pages["today"]
    assert page.first_steps is None
    assert [b.text() for b in page.findChildren(QPushButton) if b.text().startswith("Add &staff")] == []


def test_long_rows_wrap_instead_of_scrolling_sideways_at_1024(qtbot, window_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ui.today as today
    from ui.today import TodayItem, register_today_section

    monkeypatch.setattr(today, "_SECTIONS", {})
    long = "Decide on the referral for Ryan Crossley-Whittington (Routine, from Jordan Ainsworth-Smith of " \
           "Lancashire and South Cumbria Community Recovery Services)"
    register_today_section("long", "Referral decisions due", lambda book: [TodayItem(long, None, date(2026, 1, 2), True),
                                                                           TodayItem("Short row", None)], 10)
    register_today_section("other", "Reviews due", lambda book: [TodayItem("Another row", None)], 20)
    w = window_for("worker")
    w.resize(1024, 768)
    page = w.pages["today"]
    lst = page.lists["long"]
    qtbot.waitUntil(lambda: lst.width() < 800)
    rect = lst.visualItemRect(lst.item(0))
    assert rect.right() <= lst.viewport().width()  # the whole row is on screen ...
    assert rect.height() >= 2 * lst.fontMetrics().height()  # ... on two lines
    assert lst.visualItemRect(lst.item(1)).bottom() <= lst.viewport().height()  # and the next row still shows


def test_the_night_list_is_shown_whole(qtbot, admin_book, window_for) -> None:  # type: ignore[no-untyped-def]
    for i in range(12):
        add_resident(admin_book, f"Person{i:02d}", "Resident", admitted_on=date(2025, 12, 1))
    page = window_for("nights").pages["today"]
    lst = page.lists["residents_now"]
    assert lst.count() == 12
    assert all(lst.visualItemRect(lst.item(i)).bottom() <= lst.viewport().height() for i in range(12))


def test_first_steps_can_be_hidden_for_good(qtbot, fresh_window, app_pages) -> None:  # type: ignore[no-untyped-def]
    page = fresh_window.pages["today"]
    page.first_steps.hide_button.click()
    assert page.first_steps is None
    again = MainWindow(make_ctx(fresh_window.ctx.book, SyncTaskRunner()))  # the next sign-in
    qtbot.addWidget(again)
    assert again.pages["today"].first_steps is None
    again.lock.watcher.stop()


def test_switching_leaves_no_old_rows_on_screen(qtbot, unit, window_for) -> None:  # type: ignore[no-untyped-def]
    page = window_for("manager").pages["today"]
    before = list(page.lists.values())
    assert before and all(lst.isVisible() for lst in before)
    page.mine_button.click()  # the page is rebuilt at once; the old lists must not linger until deleted
    assert all(lst.isHidden() for lst in before)


def test_night_staff_read_high_risk_first_in_the_residents_list(qtbot, unit, book_factory,
                                                                window_for) -> None:  # type: ignore[no-untyped-def]
    jo = book_factory("worker2")  # Cat's key worker
    record = jo.residents.get(unit["cat"])
    assert record.current_admission is not None
    jo.risk.record(record.current_admission.id, example_input(date(2026, 1, 5), "high"))
    rows = texts(window_for("nights").pages["today"], "residents_now")
    cat = next(r for r in rows if r.startswith("Clarke, Cat"))
    assert "— ⚠ High risk, " in cat  # before the flags, in words
    assert "High risk" not in next(r for r in rows if r.startswith("Baker, Ann"))


def test_a_hidden_today_is_read_again_when_shown_not_on_every_change(qtbot, fresh_window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    w = fresh_window
    page = w.pages["today"]
    runs: list[int] = []
    real = page.refresh
    monkeypatch.setattr(page, "refresh", lambda: (runs.append(1), real())[1])
    w.show_page("admin")
    for area in ("accounts", "residents", "reviews"):
        w.ctx.state.data_changed.emit(area)
    assert runs == []  # three changes while hidden: no reads queued on the database thread
    w.show_page("today")
    assert runs == [1]  # one read when it is seen
    w.ctx.state.data_changed.emit("reviews")
    assert runs == [1, 1]  # shown: every change still refreshes it
