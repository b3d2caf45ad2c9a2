"""First run: the setup window creates the unit and its administrator and shows the recovery key once."""
from __future__ import annotations

import re

from PySide6.QtCore import Qt

from keyworker.casebook import Casebook
from keyworker.security.vault import FAST_KDF, vault_path_for
from ui.setup_window import SetupWindow, suggest_username

GOOD_PW = "Copper-Meadow-Violin-58"


def make(qtbot, new_db, tasks, clock) -> SetupWindow:  # type: ignore[no-untyped-def]
    w = SetupWindow(new_db, tasks, clock=clock, kdf=FAST_KDF)
    qtbot.addWidget(w)
    w.show()
    return w


def test_setup_creates_unit_and_shows_recovery_key_once(qtbot, new_db, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    w = make(qtbot, new_db, tasks, clock)
    qtbot.keyClicks(w.unit_edit, "Ribble House")
    qtbot.keyClicks(w.name_edit, "Ada Lovelace")
    assert w.user_edit.text() == "ada.lovelace"  # suggested from the name
    qtbot.keyClicks(w.password.password, GOOD_PW)
    assert w.password.meter.word.text() in ("Strong", "Very strong")
    qtbot.keyClicks(w.password.confirm, GOOD_PW)
    qtbot.mouseClick(w.create_button, Qt.MouseButton.LeftButton)

    assert w.pages.currentIndex() == 1
    key = w.key_label.text()
    assert re.fullmatch(r"([A-Z2-7]{5}-){7}[A-Z2-7]{5}", key)
    assert not w.continue_button.isEnabled()
    w.kept_box.setChecked(True)
    with qtbot.waitSignal(w.finished) as sig:
        qtbot.mouseClick(w.continue_button, Qt.MouseButton.LeftButton)
    book = sig.args[0]
    assert book.actor.username == "ada.lovelace" and book.actor.role.value == "admin"
    assert book.settings.get("unit_name") == "Ribble House"
    assert w.key_label.text() == ""  # the key is not left on screen
    book.close()
    again = Casebook.open(new_db, "ada.lovelace", GOOD_PW, clock=clock)
    again.close()
    Casebook.open_with_recovery_key(new_db, key, clock=clock).close()


def test_setup_refuses_short_password_with_feedback(qtbot, new_db, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    w = make(qtbot, new_db, tasks, clock)
    qtbot.keyClicks(w.name_edit, "Ada Lovelace")
    qtbot.keyClicks(w.password.password, "short1")
    assert w.password.meter.word.text() == "Not accepted"
    assert "12 characters" in w.password.meter.hint.text()
    qtbot.keyClicks(w.password.confirm, "short1")
    qtbot.keyClick(w.password.confirm, Qt.Key.Key_Return)
    assert w.problem.isVisible() and "12 characters" in w.problem.text()
    assert w.pages.currentIndex() == 0
    assert not new_db.exists() and not vault_path_for(new_db).exists()


def test_setup_refuses_mismatched_confirmation(qtbot, new_db, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    w = make(qtbot, new_db, tasks, clock)
    qtbot.keyClicks(w.name_edit, "Ada Lovelace")
    qtbot.keyClicks(w.password.password, GOOD_PW)
    qtbot.keyClicks(w.password.confirm, GOOD_PW + "x")
    w.create()
    assert "different" in w.problem.text()
    assert not new_db.exists()


def test_setup_tab_order_and_accessible_names(qtbot, new_db, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    w = make(qtbot, new_db, tasks, clock)
    chain = [w.unit_edit, w.name_edit, w.user_edit, w.password.password, w.password.confirm, w.create_button]
    for a, b in zip(chain, chain[1:]):
        assert a.nextInFocusChain() is b or a.nextInFocusChain().focusProxy() is b or _next_focusable(a) is b
    for field in chain:
        assert field.accessibleName()


def _next_focusable(widget):  # type: ignore[no-untyped-def]
    nxt = widget.nextInFocusChain()
    while nxt is not widget and not (nxt.focusPolicy() & Qt.FocusPolicy.TabFocus):
        nxt = nxt.nextInFocusChain()
    return nxt


def test_the_red_password_problem_goes_once_the_password_is_strong(qtbot, new_db, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    w = make(qtbot, new_db, tasks, clock)
    qtbot.keyClicks(w.name_edit, "Ada Lovelace")
    qtbot.keyClicks(w.password.password, "short")
    qtbot.mouseClick(w.create_button, Qt.MouseButton.LeftButton)
    assert w.problem.isVisible() and w.problem.text() == "Use at least 12 characters (5 so far)."
    qtbot.keyClicks(w.password.password, "-ab")  # longer, still too short: the message keeps count
    assert w.problem.isVisible() and w.problem.text() == "Use at least 12 characters (8 so far)."
    w.password.password.clear()
    qtbot.keyClicks(w.password.password, GOOD_PW)  # strong now: the red message has gone
    assert not w.problem.isVisible()
    assert w.password.meter.word.text() in ("Strong", "Very strong")
    # the next problem is said when Create is pressed again, not while typing
    qtbot.mouseClick(w.create_button, Qt.MouseButton.LeftButton)
    assert w.problem.isVisible() and w.problem.text() == "The two passwords are different."
    qtbot.keyClicks(w.password.confirm, GOOD_PW)
    assert not w.problem.isVisible()


def test_suggest_username() -> None:
    assert suggest_username("Ada Lovelace") == "ada.lovelace"
    assert suggest_username("  ") == ""
    assert suggest_username("1st Person") == ""


def test_first_run_goes_from_setup_to_main_window(qtbot, new_db, tasks, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ui.main_window as mw
    from ui.app import AppController
    from ui.main_window import MainWindow

    monkeypatch.setattr(mw, "FEATURE_MODULES", ("ui.today", "ui.admin.page"))
    app = AppController(new_db, tasks, kdf=FAST_KDF)
    app.start()
    setup = app.window
    assert isinstance(setup, SetupWindow) and setup.isVisible()
    assert setup.windowTitle() == "Set up Keyworker"
    setup.name_edit.setText("Ada Lovelace")
    setup._name_edited("Ada Lovelace")
    setup.password.password.setText(GOOD_PW)
    setup.password.confirm.setText(GOOD_PW)
    setup.create()
    setup.kept_box.setChecked(True)
    setup.continue_button.click()
    main = app.window
    assert isinstance(main, MainWindow) and main.isVisible()
    qtbot.addWidget(main)
    assert main.ctx.book.actor.username == "ada.lovelace"
    assert main.current_key() == "today"
    main.lock.watcher.stop()
    app.ctx.book.close()
