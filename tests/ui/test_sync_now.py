"""File → Sync now (Ctrl+Shift+Y) and a click on the status bar's sync line, against a real hub
process and real SQLCipher laptops: the round runs at once, the line says "Syncing…", and another
laptop's change is on this one afterwards. A laptop that has not joined a hub has no such action."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from keyworker.clock import FixedClock
from keyworker.db.caseload import Resident
from keyworker.sync.run import sync_once
from tests.e2e_sync.helpers import bootstrap, join, open_laptop
from tests.hub.servers import HubProcess
from tests.ui.conftest import make_ctx


def _has(book, rid: str) -> bool:  # type: ignore[no-untyped-def]
    with book._read() as s:
        return s.get(Resident, rid) is not None


def test_sync_now_brings_in_another_laptops_change(qtbot: QtBot, hub: HubProcess, certs, db_path: Path,  # type: ignore[no-untyped-def]
                                                   tmp_path: Path, clock: FixedClock, tasks, shown_window) -> None:
    from tests.sync.test_apply import _resident_with_plan

    unit, admin, _ = bootstrap(hub, certs, db_path, clock)
    join(unit, admin, "B", tmp_path)
    admin.close()
    a = open_laptop(unit, "A", "manager")
    b = open_laptop(unit, "B", "manager")
    try:
        window = shown_window(make_ctx(b, tasks), (1024, 768))
        hook = window.sync_worker
        assert hook.worker is not None and window.act_sync.isVisible()
        assert window.act_sync.shortcut().toString() == "Ctrl+Shift+Y"
        qtbot.waitUntil(lambda: hook.worker.rounds >= 1, timeout=20000)  # the round it makes on starting
        label = window.status.sync_label
        qtbot.waitUntil(lambda: label.text().startswith("Synced"), timeout=10000)
        assert "Click to sync now" in label.toolTip()

        first = _resident_with_plan(a, "Lee", "Park")[0]
        sync_once(a)
        assert not _has(b, first)
        qtbot.keyClick(window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        assert label.text() == "Syncing…"
        qtbot.waitUntil(lambda: _has(b, first), timeout=20000)
        qtbot.waitUntil(lambda: label.text().startswith("Synced"), timeout=10000)

        second = _resident_with_plan(a, "Kim", "Lowe")[0]
        sync_once(a)
        qtbot.mouseClick(label, Qt.MouseButton.LeftButton)  # no conflict waits: a click syncs
        qtbot.waitUntil(lambda: _has(b, second), timeout=20000)
        hook.stop()  # before the books close
    finally:
        b.close()
        a.close()


def test_a_laptop_not_joined_to_a_hub_has_no_sync_now(worker_book, tasks, shown_window) -> None:  # type: ignore[no-untyped-def]
    window = shown_window(make_ctx(worker_book, tasks), (1024, 768))
    assert window.sync_worker.worker is None and not window.act_sync.isVisible()
    assert window.sync_worker.sync_now() is False
