"""UI test fixtures: real windows offscreen on a real encrypted unit database, with tasks run inline
(SyncTaskRunner) so tests never sleep. QSettings go to a temporary folder."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from keyworker.casebook import Casebook
from ui.context import AppContext
from ui.tasks import SyncTaskRunner


@pytest.fixture(autouse=True, scope="session")
def _ui_settings(tmp_path_factory: pytest.TempPathFactory, qapp: QApplication) -> None:
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path_factory.mktemp("qsettings")))
    qapp.setOrganizationName("KeyworkerTests")
    qapp.setApplicationName("KeyworkerTests")
    # The app's own look (Fusion, palette, stylesheet), as make_application sets it: a layout test
    # measured on unstyled widgets passes while the styled window clips (padding, bold headings).
    from PySide6.QtWidgets import QStyleFactory

    from ui.app import apply_palette, apply_stylesheet

    qapp.setStyle(QStyleFactory.create("Fusion"))
    apply_palette(qapp)
    apply_stylesheet(qapp)


@pytest.fixture
def only_our_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of other areas are loaded in the app; the shell's tests check it with its own pages only."""
    import ui.main_window as mw

    monkeypatch.setattr(mw, "FEATURE_MODULES", ("ui.today", "ui.admin.page"))


@pytest.fixture
def tasks() -> SyncTaskRunner:
    return SyncTaskRunner()


def make_ctx(book: Casebook, tasks: SyncTaskRunner) -> AppContext:
    return AppContext(book, tasks)


@pytest.fixture
def shown_window(qtbot) -> Iterator:  # type: ignore[no-untyped-def]
    """shown_window(ctx, size=None) -> a MainWindow on `ctx`, shown (at `size` if given); at the end
    its resident windows are closed and its idle-lock watcher stopped."""
    from ui.main_window import MainWindow

    made: list[MainWindow] = []

    def _show(ctx: AppContext, size: tuple[int, int] | None = None) -> MainWindow:
        w = MainWindow(ctx)
        qtbot.addWidget(w)
        if size is not None:
            w.resize(*size)
        w.show()
        qtbot.waitExposed(w)
        made.append(w)
        return w

    yield _show
    for w in made:
        for win in list(w.ctx.resident_windows.values()):
            win.close()
        w.lock.watcher.stop()


@pytest.fixture
def main_window_for(book_factory, tasks, only_our_pages, shown_window):  # type: ignore[no-untyped-def]
    """main_window_for('worker') -> a shown MainWindow signed in as that user."""
    return lambda username="admin": shown_window(make_ctx(book_factory(username), tasks))


@pytest.fixture
def admin_window(main_window_for):  # type: ignore[no-untyped-def]
    return main_window_for("admin")


@pytest.fixture
def new_db(tmp_path: Path) -> Path:
    return tmp_path / "fresh" / "unit.kwdb"
