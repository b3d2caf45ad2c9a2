"""The desktop app's start settles a restore that was killed part-way: with the old unit moved
aside and the new one not yet in place, it must show the login, not the first-run setup."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from keyworker.casebook import Casebook
from keyworker.security.vault import FAST_KDF
from tests.conftest import ADMIN_PW
from tests.unit.test_unit_files import RESTORE, ROOT, _env
from ui.login import LoginWindow


def test_start_finishes_an_interrupted_restore_and_shows_the_login(qtbot, db_path: Path, tasks,  # type: ignore[no-untyped-def]
                                                                    tmp_path: Path) -> None:
    from ui.app import AppController

    book = Casebook.open(db_path, "admin", ADMIN_PW, kdf=FAST_KDF)
    out = book.backup(tmp_path / "unit.kwbackup")
    book.close()
    res = subprocess.run([sys.executable, "-c", RESTORE, str(out), str(db_path), ADMIN_PW], cwd=ROOT,
                         env=_env(KEYWORKER_TEST_DIE_AT="aside:unit.kwdb"), capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 86, res.stderr
    assert not db_path.exists()  # killed with the old unit moved aside: nothing at the unit's name
    app = AppController(db_path, tasks, kdf=FAST_KDF)
    app.start()
    assert isinstance(app.window, LoginWindow)
    qtbot.addWidget(app.window)
    assert db_path.exists()
