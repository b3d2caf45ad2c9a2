"""Administration → Laptops, "Rotate the unit's database key", against a real hub process and real
SQLCipher laptops (tests/e2e_sync/helpers.py): its confirmation says what it does and cannot do;
cancelling does nothing; it runs off the UI thread and says what it did; the page says this laptop
re-keys at its next sign-in and lists the accounts still to sign in; the laptop still enrolled takes the
key at its next sync and re-keys at its next open; a removed laptop is refused in words."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from keyworker.clock import FixedClock
from keyworker.sync import enrol
from keyworker.sync.run import sync_once
from tests.e2e_sync.helpers import bootstrap, join, open_laptop
from tests.hub.servers import HubProcess
from tests.ui.conftest import make_ctx
from ui.sync.laptops import REKEY_PENDING, ROTATE_UNIT_WORDS, LaptopsScreen
from ui.sync.status_line import SyncStatusLabel


def test_the_database_key_button_rotates_and_says_who_is_still_to_sign_in(  # type: ignore[no-untyped-def]
        qtbot: QtBot, hub: HubProcess, certs, db_path: Path, tmp_path: Path, clock: FixedClock, tasks) -> None:
    unit, admin, _ = bootstrap(hub, certs, db_path, clock)
    join(unit, admin, "B", tmp_path)
    join(unit, admin, "C", tmp_path)
    enrol.revoke(admin, unit.devices["C"])
    b = open_laptop(unit, "B")
    try:
        screen = LaptopsScreen(make_ctx(admin, tasks))
        qtbot.addWidget(screen)
        screen.resize(1024, 600)
        screen.show()
        qtbot.waitExposed(screen)
        assert screen.rotate_unit_button.isEnabled() and not screen.unit_key.isVisible()
        assert "re-keys its database" in ROTATE_UNIT_WORDS and "cannot reach into a removed laptop" in ROTATE_UNIT_WORDS
        assert "stays readable there" in ROTATE_UNIT_WORDS and "nothing can be lost" in ROTATE_UNIT_WORDS

        asked: list[bool] = []
        screen.confirm_rotate_unit = lambda _p: asked.append(False) or False
        qtbot.mouseClick(screen.rotate_unit_button, Qt.MouseButton.LeftButton)
        assert asked == [False] and admin._vault.unit_key_gens() == (1, 1)

        screen.confirm_rotate_unit = lambda _p: True
        qtbot.mouseClick(screen.rotate_unit_button, Qt.MouseButton.LeftButton)
        assert not screen.problem.isVisible(), screen.problem.text()
        assert screen.rotated.isVisible() and screen.rotated.text() == (
            "The unit's database key was rotated for the 2 laptops still enrolled: each takes it at its next sync and "
            "re-keys its database at the next sign-in there.")
        assert admin._vault.unit_key_gens() == (1, 2)
        assert screen.unit_key.isVisible() and REKEY_PENDING in screen.unit_key.text()
        assert "Still to sign in since the unit's database key was rotated" in screen.unit_key.text()
        assert "(admin)" in screen.unit_key.text()
        line = SyncStatusLabel(make_ctx(admin, tasks))  # the status bar says so too, in its tooltip
        qtbot.addWidget(line)
        line.set_status(admin.sync.status())
        assert "will re-key its database to the unit's new key at the next sign-in" in line.toolTip()

        sync_once(b)
        b.close()
        b = open_laptop(unit, "B")  # re-keys, and the administrator's slot moves to the new key
        assert b._vault.unit_key_gens() == (2, 2)
        sync_once(b)
        sync_once(admin)
        qtbot.mouseClick(screen.refresh_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "(admin)" not in screen.unit_key.text())
        assert REKEY_PENDING in screen.unit_key.text()  # this laptop is still open under the old key

        # the removed laptop is refused, in words, and holds no new key
        c_admin = open_laptop(unit, "C", "admin")
        removed = LaptopsScreen(make_ctx(c_admin, tasks))
        qtbot.addWidget(removed)
        removed.show()
        qtbot.waitExposed(removed)
        removed.confirm_rotate_unit = lambda _p: True
        qtbot.mouseClick(removed.rotate_unit_button, Qt.MouseButton.LeftButton)
        assert removed.problem.isVisible() and removed.problem.text() == (
            "The unit hub refused: This laptop was removed from the unit.")
        assert not removed.rotated.isVisible() and c_admin._vault.unit_key_gens() == (1, 1)
        c_admin.close()
    finally:
        b.close()
        admin.close()
