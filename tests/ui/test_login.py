"""Login: right and wrong passwords, the throttle after five failures (kept across a restart),
Enter submits, and the recovery-key path."""
from __future__ import annotations

from PySide6.QtCore import Qt

from keyworker.casebook import Casebook
from keyworker.security.vault import FAST_KDF
from tests.conftest import ADMIN_PW, STAFF_PW
from ui.login import LoginWindow


def make(qtbot, db_path, tasks, clock, **kw) -> LoginWindow:  # type: ignore[no-untyped-def]
    w = LoginWindow(db_path, tasks, clock=clock, **kw)
    qtbot.addWidget(w)
    w.show()
    return w


def test_enter_signs_in(qtbot, db_path, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    w = make(qtbot, db_path, tasks, clock, username="worker")
    assert w.panel.password_edit.hasFocus() or w.focusWidget() is w.panel.password_edit
    qtbot.keyClicks(w.panel.password_edit, STAFF_PW)
    with qtbot.waitSignal(w.signed_in) as sig:
        qtbot.keyClick(w.panel.password_edit, Qt.Key.Key_Return)
    book, must_change = sig.args
    assert book.actor.username == "worker"
    assert must_change is True  # created by an administrator: choose your own password
    book.close()


def test_wrong_password_gives_one_clear_message(qtbot, db_path, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    w = make(qtbot, db_path, tasks, clock, username="worker")
    qtbot.keyClicks(w.panel.password_edit, "not-the-password")
    qtbot.keyClick(w.panel.password_edit, Qt.Key.Key_Return)
    assert w.panel.problem.isVisible()
    assert w.panel.problem.text() == "The user name or password is not correct."
    assert w.panel.password_edit.text() == ""  # cleared for the next try
    assert w.panel.user_edit.text() == "worker"
    assert w.book is None
    # an unknown user gets exactly the same message
    w.panel.user_edit.setText("nobody")
    qtbot.keyClicks(w.panel.password_edit, "whatever-it-is")
    qtbot.keyClick(w.panel.password_edit, Qt.Key.Key_Return)
    assert w.panel.problem.text() == "The user name or password is not correct."


def test_empty_fields_are_explained(qtbot, db_path, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    w = make(qtbot, db_path, tasks, clock)
    qtbot.mouseClick(w.panel.submit, Qt.MouseButton.LeftButton)
    assert w.panel.problem.text() == "Enter your user name."
    assert tasks.calls == 0


def test_throttle_after_five_failures_survives_restart(qtbot, db_path, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    w = make(qtbot, db_path, tasks, clock, username="worker")
    for _ in range(5):
        w.sign_in("worker", "wrong-password-here")
        assert "not correct" in w.panel.problem.text()
    w.sign_in("worker", STAFF_PW)  # even the right password waits now
    assert w.panel.problem.text().startswith("Too many failed sign-ins")
    assert w.book is None
    assert not w.panel.submit.isEnabled() and w.panel.wait_left == 30
    w.panel._tick()
    assert w.panel.problem.text() == "Too many failed sign-ins for this user. Try again in 29 seconds."
    w.panel.wait_left = 1
    w.panel._tick()
    assert w.panel.submit.isEnabled() and w.panel.problem.text() == "You can try again now."
    w.close()
    restarted = make(qtbot, db_path, tasks, clock, username="worker")
    restarted.sign_in("worker", STAFF_PW)
    assert restarted.panel.problem.text().startswith("Too many failed sign-ins")
    clock.advance(minutes=6)
    with qtbot.waitSignal(restarted.signed_in) as sig:
        restarted.sign_in("worker", STAFF_PW)
    sig.args[0].close()


def test_demo_hint_and_prefilled_user(qtbot, db_path, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    from ui.app import demo_hint

    w = make(qtbot, db_path, tasks, clock, username="worker", hint=demo_hint())
    assert w.hint.isVisible() and "worker" in w.hint.text() and "manager" in w.hint.text()
    assert w.panel.user_edit.text() == "worker"


def test_recovery_key_resets_an_administrator_password(qtbot, new_db, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    book, key = Casebook.create(new_db, admin_username="admin", admin_full_name="Ada Admin", password=ADMIN_PW,
                                kdf=FAST_KDF, clock=clock)
    book.close()
    w = make(qtbot, new_db, tasks, clock)
    w.use_recovery_key()
    dlg = w.recovery_dialog
    dlg.key_edit.setText("AAAAA-" * 7 + "AAAAA")
    dlg.submit()
    assert "not correct" in dlg.problem.text()
    dlg.key_edit.setText(key.lower().replace("-", " "))  # forgiving about case and separators
    dlg.submit()
    assert dlg.pages.currentIndex() == 1 and dlg.admin_combo.count() == 1
    new_pw = "Saffron-Tunnel-Quartz-19"
    dlg.new.password.setText(new_pw)
    dlg.new.confirm.setText(new_pw)
    with qtbot.waitSignal(dlg.password_reset):
        dlg.submit()
    assert w.panel.user_edit.text() == "admin"
    with qtbot.waitSignal(w.signed_in) as sig:
        w.sign_in("admin", new_pw)
    assert sig.args[1] is True  # asked to choose a password of their own
    sig.args[0].close()


def test_demo_start_creates_unit_then_shows_prefilled_login(qtbot, new_db, tasks, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ui.main_window as mw
    from keyworker.demo import DEMO_PASSWORD
    from ui.app import AppController
    from ui.main_window import MainWindow

    monkeypatch.delenv("KEYWORKER_PASSWORD", raising=False)
    monkeypatch.setattr(mw, "FEATURE_MODULES", ("ui.today", "ui.admin.page"))
    app = AppController(new_db, tasks, demo=True, kdf=FAST_KDF, residents=0)
    app.start()
    login = app.window
    assert isinstance(login, LoginWindow) and new_db.exists()
    qtbot.addWidget(login)
    assert login.panel.user_edit.text() == "worker"
    assert DEMO_PASSWORD in login.hint.text() and "nights" in login.hint.text()
    login.panel.password_edit.setText(DEMO_PASSWORD)
    login.panel.submit.click()
    main = app.window
    assert isinstance(main, MainWindow)
    qtbot.addWidget(main)
    assert main.ctx.book.actor.username == "worker"
    from ui.admin.password_dialog import ChangePasswordDialog

    assert main.findChild(ChangePasswordDialog) is None  # the demo does not force a password change
    main.lock.watcher.stop()
    app.ctx.book.close()


def test_must_change_password_is_asked_after_sign_in(qtbot, db_path, tasks, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ui.main_window as mw
    from ui.admin.password_dialog import ChangePasswordDialog
    from ui.app import AppController

    monkeypatch.setattr(mw, "FEATURE_MODULES", ("ui.today", "ui.admin.page"))
    app = AppController(db_path, tasks)
    app.start()
    login = app.window
    qtbot.addWidget(login)
    login.sign_in("worker", STAFF_PW)
    main = app.window
    qtbot.addWidget(main)
    dlg = main.findChild(ChangePasswordDialog)
    assert dlg is not None and dlg.isVisible()
    dlg.reject()
    main.lock.watcher.stop()
    app.ctx.book.close()


def test_sign_in_runs_off_the_ui_thread_with_a_busy_indicator(qtbot, db_path, clock) -> None:  # type: ignore[no-untyped-def]
    from ui.tasks import TaskRunner

    runner = TaskRunner()
    w = LoginWindow(db_path, runner, clock=clock, username="worker")
    qtbot.addWidget(w)
    w.show()
    w.panel.password_edit.setText(STAFF_PW)
    with qtbot.waitSignal(w.signed_in, timeout=10_000) as sig:
        w.panel.submit.click()
        assert w.panel.busy.isVisible() and not w.panel.submit.isEnabled()
    assert not w.panel.busy.isVisible()
    sig.args[0].close()
    runner.shutdown()


def test_the_sign_in_window_names_the_unit_not_the_file(qtbot, db_path, tasks, clock, book_factory) -> None:  # type: ignore[no-untyped-def]
    import json

    from keyworker.security.vault import vault_path_for

    w = make(qtbot, db_path, tasks, clock)
    # Read before anyone signs in: the test unit's profile is named "Test Unit"
    assert w.windowTitle() == "Sign in to Test Unit — Keyworker"
    assert w.where.text() == "Test Unit" and "unit.kwdb" not in w.where.text()
    # A new name in the unit profile is the name the next sign-in window shows
    book_factory("admin").unit_profile.update({"unit_name": "Ribble House"})
    again = make(qtbot, db_path, tasks, clock)
    assert again.where.text() == "Ribble House" and "Ribble House" in again.windowTitle()
    # A unit whose vault has no name yet (made before this) shows its file, and has its name after a sign-in
    vpath = vault_path_for(db_path)
    data = json.loads(vpath.read_text(encoding="utf-8"))
    del data["unit_name"]
    vpath.write_text(json.dumps(data), encoding="utf-8")
    assert make(qtbot, db_path, tasks, clock).where.text() == "Unit database: unit.kwdb"
    book_factory("worker")
    assert make(qtbot, db_path, tasks, clock).where.text() == "Ribble House"


def test_the_login_window_shows_before_the_database_layer_is_loaded(db_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A cold start shows the login window without importing SQLAlchemy, Alembic and the services
    (about 0.3 s of a 0.6 s start): they load while the password is typed."""
    import os
    import subprocess
    import sys

    from tests.unit.test_cli import ROOT

    child = ("import sys\nfrom pathlib import Path\nfrom ui.app import AppController, make_application\n"
             "from ui.tasks import TaskRunner\napp = make_application()\n"
             "ctl = AppController(Path(sys.argv[1]), TaskRunner())\nctl.start()\n"
             "print(type(ctl.window).__name__, 'sqlalchemy' in sys.modules, 'keyworker.casebook' in sys.modules)\n"
             "import os; os._exit(0)\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "KEYWORKER_OUTBOX_WORKER": "off"}
    out = subprocess.run([sys.executable, "-c", child, str(db_path)], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.split() == ["LoginWindow", "False", "False"], out.stdout + out.stderr[-1500:]
