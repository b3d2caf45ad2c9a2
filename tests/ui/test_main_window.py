"""The main window shell: navigation and page registry, Today sections, menus and status bar."""
from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtWidgets import QLabel, QWidget

import ui.main_window as mw
import ui.today as today
from ui.today import TodayItem, register_today_section

TITLES = ["Today", "Caseload", "Referrals", "Reviews due", "Handover", "Incidents", "Discharges & follow-ups",
          "Outbox", "Sync conflicts", "Reports", "Administration", "NDTMS return"]
ALL_AREAS = mw.FEATURE_MODULES  # the app's own list, before a fixture narrows it to the shell's pages


@pytest.fixture
def clean_registries(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(mw, "_PAGES", dict(mw._PAGES))
    monkeypatch.setattr(today, "_SECTIONS", {})


def nav_titles(w) -> list[str]:  # type: ignore[no-untyped-def]
    return [w.nav.item(i).text() for i in range(w.nav.count()) if not w.nav.item(i).isHidden()]


@pytest.fixture
def every_area(main_window_for, monkeypatch):  # type: ignore[no-untyped-def]
    """main_window_for with every area's pages, as the app loads them."""
    monkeypatch.setattr(mw, "FEATURE_MODULES", ALL_AREAS)
    return main_window_for


def test_navigation_lists_only_what_is_built(qtbot, every_area) -> None:  # type: ignore[no-untyped-def]
    w = every_area("manager")
    assert nav_titles(w) == TITLES  # Administration shows a senior its Unit tab only
    assert w.current_key() == "today"
    assert w.show_page("not_built_yet") is None  # an area still to come is not a page to click into
    assert not [lab for lab in w.findChildren(QLabel) if "later release" in lab.text()]
    w.show_page("referrals")
    assert w.windowTitle().startswith("Referrals — ")
    for spec, shortcut in zip(w.specs, ("Ctrl+1", "Ctrl+2")):
        assert w.page_actions[spec.key].shortcut().toString() == shortcut
    w.page_actions["referrals"].trigger()
    assert w.current_key() == "referrals"


def test_menus_and_accessible_names(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    w = admin_window
    menus = [a.text() for a in w.menuBar().actions()]
    assert menus == ["&File", "&Edit", "&View", "&Resident", "&Help"]
    for widget in (w.nav, w.toolbar, w.status.user_label, w.status.outbox_label, w.status.online_label):
        assert widget.accessibleName()
    for widget in w.findChildren(QWidget):
        if widget.isVisible() and widget.focusPolicy() != widget.focusPolicy().NoFocus and widget.isEnabled():
            name = widget.accessibleName() or getattr(widget, "text", lambda: "")()
            assert name or widget.inherits("QScrollBar") or widget.inherits("QAbstractScrollArea") \
                or widget.inherits("QToolButton") or widget.inherits("QMenuBar"), widget.metaObject().className()


def test_status_bar(qtbot, main_window_for) -> None:  # type: ignore[no-untyped-def]
    w = main_window_for("worker")
    assert w.status.user_label.text() == "Signed in: Sam Worker (worker) · Key worker"
    assert w.status.lock_label.text() == "Unlocked"
    # measured from the unit (tests/ui/test_status_bar_outbox.py has the rest)
    assert w.status.outbox_label.text() == "Outbox: 0 waiting" and not w.status.outbox_label.isHidden()
    assert w.status.online_label.text() == "No destination set"


def test_roles_see_their_pages(qtbot, every_area) -> None:  # type: ignore[no-untyped-def]
    assert "Administration" not in nav_titles(every_area("worker"))
    assert "Reports" not in nav_titles(every_area("nights"))
    assert "Reports" in nav_titles(every_area("manager"))


def test_administrator_signs_in_to_the_system_pages_without_clinical_records(qtbot, every_area) -> None:  # type: ignore[no-untyped-def]
    """Caldicott need-to-know (docs/PERMISSIONS.md): no caseload, referrals or reviews, no error on sign-in."""
    from PySide6.QtWidgets import QApplication, QListWidget

    w = every_area("admin")
    assert nav_titles(w) == ["Today", "Reports", "Administration"]
    assert QApplication.activeModalWidget() is None
    assert not w.act_open_resident.isVisible() and not w.page_actions["caseload"].isVisible()
    assert not w.resident_menu.menuAction().isVisible()  # no empty Resident menu
    assert w.show_page("caseload") is None and w.current_key() == "today"
    page = w.pages["today"]
    texts = [lab.text() for lab in page.findChildren(QLabel)]
    assert "New accounts not yet signed in (4)" in texts
    assert not any(t.startswith(("Reviews", "Care plans", "Referral decisions")) for t in texts)
    assert "This section could not be loaded. Try Refresh." not in texts
    [accounts] = [lst for lst in page.findChildren(QListWidget) if lst.objectName() == "today_accounts_not_yet_used"]
    assert "Sam Worker (worker) · Key worker" in accounts.item(0).text() + accounts.item(1).text() \
        + accounts.item(2).text() + accounts.item(3).text()


def test_a_registered_page_takes_its_place_in_the_navigation(clean_registries, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def factory(ctx):  # type: ignore[no-untyped-def]
        return QWidget()

    monkeypatch.setattr(mw, "FEATURE_MODULES", ALL_AREAS)
    mw.load_feature_modules()
    mw.register_page("outbox", "Outbox", factory, 60)
    keys = [p.key for p in mw.page_specs()]
    # after Reviews due (40), Handover (42), Incidents (45) and Discharges (50), before Sync conflicts (65)
    assert keys.index("outbox") == keys.index("discharges") + 1 == keys.index("reviews_due") + 4
    assert keys.index("sync_conflicts") == keys.index("outbox") + 1 == keys.index("reports") - 1
    assert mw.page_specs()[keys.index("outbox")].factory is factory


def test_registered_page_is_built_lazily(qtbot, clean_registries, main_window_for) -> None:  # type: ignore[no-untyped-def]
    calls: list[object] = []

    def factory(ctx):  # type: ignore[no-untyped-def]
        calls.append(ctx)
        return QLabel("Outbox page")

    mw.register_page("outbox", "Outbox", factory, 60)
    w = main_window_for("manager")
    assert calls == []
    page = w.show_page("outbox")
    assert calls == [w.ctx] and isinstance(page, QLabel)
    w.show_page("today")
    assert w.show_page("outbox") is page and len(calls) == 1


def test_today_sections(qtbot, clean_registries, main_window_for) -> None:  # type: ignore[no-untyped-def]
    opened: list[str] = []
    register_today_section("reviews", "Reviews due", lambda book: [
        TodayItem("Review for R-0001", "res-1", date(2026, 1, 2), True),
        TodayItem("Review for R-0002", "res-2", date(2026, 1, 9), False)], 20)
    register_today_section("broken", "Broken section", lambda book: 1 / 0, 30)
    register_today_section("empty", "Follow-ups due", lambda book: [], 10)
    w = main_window_for("worker")
    w.ctx.open_resident = opened.append  # type: ignore[method-assign]
    page = w.pages["today"]
    lst = page.lists["reviews"]
    assert lst.item(0).text() == "⚠ Overdue: Review for R-0001 — overdue since 02/01/2026"
    assert lst.item(1).text() == "Review for R-0002 — due 09/01/2026"
    labels = [lab.text() for lab in page.findChildren(QLabel)]
    assert "Reviews due (2)" in labels
    # empty sections are named once, not each with its own "Nothing due."
    assert "Nothing due: Follow-ups due." in labels and "Nothing due." not in labels
    assert "This section could not be loaded. Try Refresh." in labels
    lst.itemActivated.emit(lst.item(1))
    assert opened == ["res-2"]
    assert page.heading.text() == "Today — Sam Worker"
    assert page.subheading.text() == "Monday 05/01/2026"


def test_today_lists_show_every_item_without_scrolling_up_to_eight(qtbot, clean_registries,
                                                                   main_window_for) -> None:  # type: ignore[no-untyped-def]
    eight = [TodayItem(f"Decide on referral {i}", None, date(2026, 1, i + 1), i < 3) for i in range(8)]
    register_today_section("decisions", "Referral decisions due", lambda book: eight, 10)
    register_today_section("many", "Reviews due", lambda book: eight + eight, 20)
    w = main_window_for("worker")
    page = w.pages["today"]
    fits, scrolls = page.lists["decisions"], page.lists["many"]
    qtbot.waitUntil(lambda: fits.isVisible())
    assert fits.verticalScrollBar().maximum() == 0  # all eight rows visible, none hidden by a scrollbar
    assert all(fits.visualItemRect(fits.item(i)).bottom() <= fits.viewport().height() for i in range(8))
    assert scrolls.verticalScrollBar().maximum() > 0 and scrolls.height() == fits.height()


def test_open_resident_without_resident_module(qtbot, admin_window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib

    from PySide6.QtWidgets import QMessageBox

    real = importlib.import_module

    def fake(name, *a):  # type: ignore[no-untyped-def]
        if name == "ui.resident.window":
            raise ModuleNotFoundError(name=name)
        return real(name, *a)

    shown: list[str] = []
    monkeypatch.setattr(importlib, "import_module", fake)
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    admin_window.ctx.open_resident("res-1")
    assert shown and "later release" in shown[0]


def test_load_feature_modules_skips_only_missing_modules(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(mw, "FEATURE_MODULES", ("ui.no_such_area.page",))
    mw.load_feature_modules()  # missing: skipped
    monkeypatch.setattr(mw, "FEATURE_MODULES", ("tests.ui.broken_feature_module",))
    with pytest.raises(ModuleNotFoundError):
        mw.load_feature_modules()  # the module exists but imports something missing: a real bug, reported


def test_show_error_never_shows_a_traceback(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    from keyworker.errors import ValidationError
    from ui.errors import show_error

    try:
        raise RuntimeError("resident Pat Example, NHS 943 476 5919")
    except RuntimeError as exc:
        box = show_error(admin_window, exc)
    assert box is not None and "Traceback" not in box.text() and "Pat Example" not in box.text()
    box.close()
    box = show_error(admin_window, ValidationError({"full_name": "Enter the person's full name."}))
    assert box.text() == "Full name: Enter the person's full name."
    box.close()


def unnamed_controls(root: QWidget) -> list[str]:
    """Visible, enabled controls that take keyboard focus but have no accessible name or text."""
    from PySide6.QtCore import Qt

    missing = []
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible() or not w.isEnabled() or not (w.focusPolicy() & Qt.FocusPolicy.TabFocus):
            continue
        if w.inherits("QScrollBar") or w.inherits("QScrollArea") or w.inherits("QToolButton") \
                or w.objectName().startswith("qt_"):
            continue
        text = getattr(w, "text", None)
        if not w.accessibleName() and not (callable(text) and text()):
            missing.append(f"{w.metaObject().className()} {w.objectName()}")
    return missing


def test_every_control_has_an_accessible_name(qtbot, admin_window, db_path, new_db, clock) -> None:  # type: ignore[no-untyped-def]
    from keyworker.security.vault import FAST_KDF
    from ui.login import LoginWindow
    from ui.setup_window import SetupWindow
    from ui.tasks import SyncTaskRunner

    login = LoginWindow(db_path, SyncTaskRunner(), clock=clock, hint="hint")
    setup = SetupWindow(new_db, SyncTaskRunner(), clock=clock, kdf=FAST_KDF)
    for w in (login, setup):
        qtbot.addWidget(w)
        w.show()
        assert unnamed_controls(w) == []
    page = admin_window.show_page("admin")
    assert unnamed_controls(admin_window) == []
    dlg = page.add_account()
    qtbot.waitExposed(dlg)
    assert unnamed_controls(dlg) == []
    dlg.reject()
    admin_window.lock.lock_now()
    assert unnamed_controls(admin_window) == []


def test_login_tab_order(qtbot, db_path, clock) -> None:  # type: ignore[no-untyped-def]
    from ui.login import LoginWindow
    from ui.tasks import SyncTaskRunner

    w = LoginWindow(db_path, SyncTaskRunner(), clock=clock)
    qtbot.addWidget(w)
    w.show()
    chain = [w.panel.user_edit, w.panel.password_edit, w.panel.submit, w.recovery_button]
    for a, b in zip(chain, chain[1:]):
        nxt = a.nextInFocusChain()
        while not (nxt.focusPolicy() & nxt.focusPolicy().TabFocus) or not nxt.isVisible():
            nxt = nxt.nextInFocusChain()
        assert nxt is b, (a.objectName(), nxt.metaObject().className())
    assert w.focusWidget() is w.panel.user_edit  # empty user name: start there


def test_edit_menu_acts_on_the_focused_field(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    page = admin_window.show_page("admin")
    dlg = page.add_account()
    qtbot.waitExposed(dlg)
    dlg.name_edit.setText("Robin")
    dlg.name_edit.setFocus()
    qtbot.waitUntil(dlg.name_edit.hasFocus)
    admin_window._edit("selectAll")
    assert dlg.name_edit.selectedText() == "Robin"
    dlg.reject()


def test_import_menu_only_for_roles_that_may_import(qtbot, book_factory) -> None:
    """File → Import is offered to an administrator or senior, not to a key worker (the service refuses too)."""
    from ui.context import AppContext
    from ui.main_window import MainWindow
    from ui.tasks import SyncTaskRunner

    for user, expected in (("admin", True), ("manager", True), ("worker", False)):
        ctx = AppContext(book_factory(user), SyncTaskRunner())
        win = MainWindow(ctx)
        qtbot.addWidget(win)
        assert win.act_import.isVisible() is expected, user


def test_page_shortcuts_follow_the_pages_this_user_sees(qtbot, every_area) -> None:  # type: ignore[no-untyped-def]
    w = every_area("admin")  # sees Today, Reports, Administration: Ctrl+1, 2, 3 go there
    shown = [s.key for s in w.specs if not w.nav.item(w.specs.index(s)).isHidden()]
    assert [w.page_actions[k].shortcut().toString() for k in shown[:3]] == ["Ctrl+1", "Ctrl+2", "Ctrl+3"]
    assert "admin" in shown and w.page_actions["admin"].shortcut().toString() == f"Ctrl+{shown.index('admin') + 1}"
    hidden = [s.key for s in w.specs if s.key not in shown]
    assert hidden and all(w.page_actions[k].shortcut().isEmpty() for k in hidden)
