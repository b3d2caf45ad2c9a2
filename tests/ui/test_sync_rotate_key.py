"""Administration → Laptops, "Rotate the unit's sync key", against a real hub process and real
SQLCipher laptops (tests/e2e_sync/helpers.py): offered straight after a revoke, there at any time,
its confirmation saying what it protects and what it cannot, run off the UI thread, and what it
did said on the page; the laptop still enrolled takes the new key at its next sync."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from keyworker.clock import FixedClock
from keyworker.sync import keys
from keyworker.sync.run import sync_once
from tests.e2e_sync.helpers import bootstrap, join, open_laptop
from tests.hub.servers import HubProcess
from tests.ui.conftest import make_ctx
from ui.sync.laptops import ROTATE_WORDS, LaptopsScreen


def _row_of(screen: LaptopsScreen, name: str) -> int:
    return next(r for r in range(screen.table.rowCount()) if screen.table.item(r, 0).text() == name)


def test_rotate_is_offered_after_a_revoke_and_there_any_time(qtbot: QtBot, hub: HubProcess, certs, db_path: Path,  # type: ignore[no-untyped-def]
                                                            tmp_path: Path, clock: FixedClock, tasks) -> None:
    unit, admin, _ = bootstrap(hub, certs, db_path, clock)
    join(unit, admin, "B", tmp_path)
    join(unit, admin, "C", tmp_path)
    b = open_laptop(unit, "B")
    try:
        screen = LaptopsScreen(make_ctx(admin, tasks))
        qtbot.addWidget(screen)
        screen.resize(1024, 600)
        screen.show()
        qtbot.waitExposed(screen)
        assert screen.table.rowCount() == 3 and screen.rotate_button.isEnabled()
        assert "cannot reach into a removed laptop" in ROTATE_WORDS and "stays readable there" in ROTATE_WORDS
        assert "sealed with it" in ROTATE_WORDS

        asked: list[str | None] = []
        screen.confirm_revoke = lambda _p, lp: True
        screen.confirm_rotate = lambda _p, name: asked.append(name) or True
        screen.table.selectRow(_row_of(screen, "Laptop C"))
        qtbot.mouseClick(screen.revoke_button, Qt.MouseButton.LeftButton)
        assert asked == ["Laptop C"]
        assert not screen.problem.isVisible(), screen.problem.text()
        assert screen.rotated.isVisible() and screen.rotated.text() == (
            "The unit's sync key was rotated for the 2 laptops still enrolled: each takes it at its next sync, and "
            "changes from now on are sealed with it.")
        assert keys.highest_epoch(admin._vault) == 2
        assert screen.table.item(_row_of(screen, "Laptop C"), 3).text().startswith("Removed")
        sync_once(b)
        assert b._sync_keyring().current == 2

        # the button, any time; cancelling does nothing
        screen.confirm_rotate = lambda _p, name: asked.append(name) or False
        qtbot.mouseClick(screen.rotate_button, Qt.MouseButton.LeftButton)
        assert asked[-1] is None and keys.highest_epoch(admin._vault) == 2
        screen.confirm_rotate = lambda _p, name: True
        qtbot.mouseClick(screen.rotate_button, Qt.MouseButton.LeftButton)
        assert keys.highest_epoch(admin._vault) == 3 and screen.rotated.isVisible()

        # B rotates next: it takes epoch 3 first, then makes 4
        b_admin = open_laptop(unit, "B", "admin")
        other = LaptopsScreen(make_ctx(b_admin, tasks))
        qtbot.addWidget(other)
        other.show()
        qtbot.waitExposed(other)
        other.confirm_rotate = lambda _p, name: True
        qtbot.mouseClick(other.rotate_button, Qt.MouseButton.LeftButton)
        assert not other.problem.isVisible(), other.problem.text()
        assert keys.highest_epoch(b_admin._vault) == 4
        b_admin.close()

        # the removed laptop is refused, in words, and never takes a key
        c_admin = open_laptop(unit, "C", "admin")
        removed = LaptopsScreen(make_ctx(c_admin, tasks))
        qtbot.addWidget(removed)
        removed.show()
        qtbot.waitExposed(removed)
        removed.confirm_rotate = lambda _p, name: True
        qtbot.mouseClick(removed.rotate_button, Qt.MouseButton.LeftButton)
        assert removed.problem.isVisible() and removed.problem.text() == (
            "The unit hub refused: This laptop was removed from the unit.")
        assert not removed.rotated.isVisible() and keys.highest_epoch(c_admin._vault) == 1
        c_admin.close()
    finally:
        b.close()
        admin.close()
