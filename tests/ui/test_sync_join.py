"""Join a unit hub from the first-run window (ui/sync/join.py): against a real `hub serve` on
loopback and a real enrolled laptop A. The join succeeds and the sign-in window opens for the new
file; a wrong code shows the hub's refusal under the code; a wrong fingerprint says so under the
fingerprint; nothing typed is lost; the window stays responsive while the unit arrives."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from keyworker.casebook import Casebook
from keyworker.security.vault import FAST_KDF, vault_path_for
from keyworker.sync import enrol
from tests.conftest import ADMIN_PW
from tests.e2e_sync.helpers import bootstrap, pin_of
from ui.app import AppController
from ui.login import LoginWindow
from ui.setup_window import SetupWindow
from ui.sync.join import EXISTS, NOT_MATCHING, JoinHubDialog
from ui.tasks import TaskRunner


@pytest.fixture
def laptop_a(hub, certs, db_path: Path, clock):  # type: ignore[no-untyped-def]
    """The unit's first laptop, enrolled and synced; signed in as its administrator."""
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    yield unit, a
    a.close()


@pytest.fixture(autouse=True)
def _new_device(monkeypatch: pytest.MonkeyPatch) -> None:
    """This 'laptop' (the test process) has a device id of its own: the hub keys devices by id."""
    monkeypatch.setenv("KEYWORKER_DEVICE_ID", str(uuid.uuid4()))


def _fill(qtbot, dlg: JoinHubDialog, url: str, pin: str, code: str, name: str = "Night office") -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dlg.hub_edit, url)
    qtbot.keyClicks(dlg.pin_edit, pin)
    qtbot.keyClicks(dlg.code_edit, code)
    dlg.name_edit.clear()
    qtbot.keyClicks(dlg.name_edit, name)


def test_joining_from_the_first_run_window_opens_sign_in_for_the_new_file(  # type: ignore[no-untyped-def]
        qtbot, laptop_a, tmp_path: Path) -> None:
    unit, a = laptop_a
    code = enrol.make_code(a).text
    new = tmp_path / "joined" / "unit.kwdb"
    tasks = TaskRunner()  # the real threads: the window must stay responsive while the unit arrives
    controller = AppController(new, tasks, kdf=FAST_KDF)
    try:
        controller.start()
        setup = controller.window
        assert isinstance(setup, SetupWindow)  # the controller closes it: not qtbot's to close
        qtbot.mouseClick(setup.join_hub_button, Qt.MouseButton.LeftButton)
        dlg = setup.join_dialog
        assert dlg.isVisible() and dlg.path_edit.text() == str(new)  # the file the app opens next time
        # colons and lower case as `openssl x509 -fingerprint` or a person types them
        _fill(qtbot, dlg, unit.url, ":".join(unit.pin[i:i + 2] for i in range(0, 64, 2)), code.lower())
        steps: list[tuple[int, int]] = []
        dlg._progress.step.connect(lambda d, t: steps.append((d, t)))
        qtbot.keyClick(dlg.code_edit, Qt.Key.Key_Return)  # Enter joins
        assert dlg.joining and dlg.progress.isVisible() and not dlg.join_button.isEnabled()
        dlg.reject()  # Esc while joining does not close it
        assert dlg.isVisible()
        qtbot.waitUntil(lambda: isinstance(controller.window, LoginWindow), timeout=120_000)
        login = controller.window
        assert isinstance(login, LoginWindow) and login.db_path == new
        assert steps and steps[-1][0] == steps[-1][1]  # progress came through, to the end
        assert new.exists() and vault_path_for(new).exists()
    finally:
        if isinstance(controller.window, LoginWindow):
            controller.window.close()
        tasks.shutdown(wait=True)
    # each person signs in on the new laptop with their own password
    Casebook.open(new, "admin", ADMIN_PW, kdf=FAST_KDF).close()


def _dialog(qtbot, tasks, path: Path) -> JoinHubDialog:  # type: ignore[no-untyped-def]
    dlg = JoinHubDialog(path, tasks)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_a_wrong_code_shows_the_hubs_refusal_under_the_code(qtbot, tasks, laptop_a, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    unit, a = laptop_a
    code = enrol.make_code(a).text.replace("-", "")
    wrong = code[:8] + ("0" if code[8] != "0" else "1") + code[9:]  # the right name, another secret
    new = tmp_path / "b.kwdb"
    dlg = _dialog(qtbot, tasks, new)
    _fill(qtbot, dlg, unit.url, unit.pin, wrong)
    qtbot.mouseClick(dlg.join_button, Qt.MouseButton.LeftButton)
    assert dlg.shown_problems() == {"code": "This enrolment code is not right: check it and type it again"}
    assert dlg.isVisible() and dlg.focusWidget() is dlg.code_edit
    # nothing typed is lost, and nothing was written
    assert (dlg.hub_edit.text(), dlg.pin_edit.text(), dlg.code_edit.text()) == (unit.url, unit.pin, wrong)
    assert dlg.name_edit.text() == "Night office" and dlg.path_edit.text() == str(new)
    assert not new.exists() and not vault_path_for(new).exists()
    # typing in the field takes its message away; the right code (not used up by the wrong one) joins
    dlg.code_edit.clear()
    qtbot.keyClicks(dlg.code_edit, code)
    assert dlg.shown_problems() == {}
    with qtbot.waitSignal(dlg.joined, timeout=120_000) as sig:
        qtbot.mouseClick(dlg.join_button, Qt.MouseButton.LeftButton)
    assert sig.args[0] == new and not dlg.isVisible()


def test_a_wrong_fingerprint_says_so_and_sends_nothing(qtbot, tasks, laptop_a, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    unit, a = laptop_a
    code = enrol.make_code(a).text
    dlg = _dialog(qtbot, tasks, tmp_path / "c.kwdb")
    _fill(qtbot, dlg, unit.url, "ab" * 32, code)
    qtbot.keyClick(dlg.name_edit, Qt.Key.Key_Return)
    assert dlg.shown_problems() == {"cert_sha256": NOT_MATCHING}
    # the code was never sent: it still joins with the right fingerprint
    dlg.pin_edit.clear()
    qtbot.keyClicks(dlg.pin_edit, unit.pin)
    with qtbot.waitSignal(dlg.joined, timeout=120_000):
        qtbot.mouseClick(dlg.join_button, Qt.MouseButton.LeftButton)


def test_each_field_says_what_is_wrong_with_it(qtbot, tasks, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dlg = _dialog(qtbot, tasks, db_path)  # a unit file is already there
    dlg.name_edit.clear()
    qtbot.keyClick(dlg.hub_edit, Qt.Key.Key_Return)
    shown = dlg.shown_problems()
    assert set(shown) == {"hub", "cert_sha256", "code", "path", "name"} and shown["path"] == EXISTS
    assert dlg.focusWidget() is dlg.hub_edit
    # the core's own checks of the formats, each under its field
    dlg.path_edit.setText(str(tmp_path / "d.kwdb"))
    qtbot.keyClicks(dlg.hub_edit, "http://hub.example.org")
    qtbot.keyClicks(dlg.pin_edit, "12:34")
    qtbot.keyClicks(dlg.code_edit, "ABC")
    qtbot.keyClicks(dlg.name_edit, "Office")
    qtbot.mouseClick(dlg.join_button, Qt.MouseButton.LeftButton)
    shown = dlg.shown_problems()
    assert set(shown) <= {"hub", "cert_sha256", "code"} and "hub" in shown
    assert "https://" in shown["hub"]
    dlg.hub_edit.setText("https://hub.example.org")
    qtbot.mouseClick(dlg.join_button, Qt.MouseButton.LeftButton)
    assert list(dlg.shown_problems()) == ["code"] and "25 letters" in dlg.shown_problems()["code"]
    dlg.code_edit.setText("0" * 25)
    qtbot.mouseClick(dlg.join_button, Qt.MouseButton.LeftButton)
    assert list(dlg.shown_problems()) == ["cert_sha256"] and "64 hex digits" in dlg.shown_problems()["cert_sha256"]
    assert not (tmp_path / "d.kwdb").exists()
    # Esc closes it when nothing runs
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    assert not dlg.isVisible()


def test_an_unreachable_hub_is_said_under_the_address(qtbot, tasks, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.hub.servers import free_port

    dlg = _dialog(qtbot, tasks, tmp_path / "e.kwdb")
    _fill(qtbot, dlg, f"https://127.0.0.1:{free_port()}", "ab" * 32, "0" * 25)
    qtbot.mouseClick(dlg.join_button, Qt.MouseButton.LeftButton)
    assert list(dlg.shown_problems()) == ["hub"] and "cannot be reached" in dlg.shown_problems()["hub"]


def test_the_join_window_fits_at_1024_by_768(qtbot, tasks, new_db: Path) -> None:  # type: ignore[no-untyped-def]
    setup = SetupWindow(new_db, tasks, kdf=FAST_KDF)
    qtbot.addWidget(setup)
    setup.resize(1024, 768)
    setup.show()
    qtbot.waitExposed(setup)
    setup.grab().save("/tmp/join-setup.png")
    setup.open_join()
    dlg = setup.join_dialog
    qtbot.waitExposed(dlg)
    dlg.show_problem("code", "This enrolment code is not right: check it and type it again")
    dlg.show_problem("cert_sha256", NOT_MATCHING)
    assert dlg.width() <= 1024 and dlg.height() <= 768
    for box in dlg.boxes.values():
        assert box.editor.width() >= box.editor.sizeHint().width() * 0.9 or box.editor.width() > 300
    dlg.grab().save("/tmp/join.png")
