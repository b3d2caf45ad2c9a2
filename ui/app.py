"""Starting the desktop app: QApplication, style, icon, then setup (first run), demo creation or
login, and finally the main window. `run_app(args)` is called by main.py with no subcommand."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QMainWindow, QProgressDialog, QStyleFactory, QWidget

from keyworker.security.vault import KdfParams, vault_path_for
from ui.context import AppContext
from ui.errors import configure_logging, install_excepthook, show_error
from ui.icons import RESOURCES, app_icon
from ui.tasks import SyncTaskRunner, TaskRunner

if TYPE_CHECKING:  # imported when first needed: the login window shows without SQLAlchemy
    from keyworker.casebook import Casebook

log = logging.getLogger("keyworker.ui")

DEMO_USERS = "worker (key worker), manager (senior), nights (out-of-hours) and admin"


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("Keyworker")
    app.setOrganizationDomain("keyworker.local")
    app.setApplicationName("Keyworker")
    app.setDesktopFileName("keyworker")
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setWindowIcon(app_icon())
    apply_palette(app)
    apply_stylesheet(app)
    return app


def apply_palette(app: QApplication) -> None:
    """Text colours through the palette (not the stylesheet), so disabled controls still look disabled."""
    pal = app.palette()
    ink, muted = QColor("#1d2b33"), QColor("#5f6d75")
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Active, role, ink)
        pal.setColor(QPalette.ColorGroup.Inactive, role, ink)
        pal.setColor(QPalette.ColorGroup.Disabled, role, muted)
    pal.setColor(QPalette.ColorRole.Highlight, QColor("#1a5f67"))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    pal.setColor(QPalette.ColorRole.Link, QColor("#1a5f67"))
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor("#5f6d75"))  # 4.7:1 on white
    app.setPalette(pal)


def apply_stylesheet(app: QApplication) -> None:
    """One stylesheet for the whole app. Heading sizes are scaled from the system font, so a larger
    system font makes everything larger."""
    path = RESOURCES / "style.qss"
    if not path.exists():
        return
    base = app.font().pointSizeF()
    if base <= 0:
        base = 10.0
    sizes = {"@title_pt": base * 1.6, "@brand_pt": base * 1.8, "@section_pt": base * 1.15, "@small_pt": base * 0.92}
    qss = path.read_text(encoding="utf-8")
    for token, pt in sizes.items():
        qss = qss.replace(token, f"{pt:.1f}pt")
    qss = qss.replace("@icons", (RESOURCES / "icons").as_posix())
    app.setStyleSheet(qss)


def demo_hint() -> str:
    from keyworker.demo import DEMO_PASSWORD

    pw = "the one in KEYWORKER_PASSWORD" if os.environ.get("KEYWORKER_PASSWORD") else DEMO_PASSWORD
    return f"Demo unit with made-up residents. Sign in as {DEMO_USERS}. Password: {pw}"


class _Progress(QObject):
    """Carries progress from the worker thread to the progress dialog (queued signal)."""

    step = Signal(int, int)


class AppController(QObject):
    """Owns the top-level windows and moves between setup, login and the main window."""

    def __init__(self, db_path: Path, tasks: TaskRunner | SyncTaskRunner, *, demo: bool = False,
                 username: str = "", kdf: KdfParams | None = None, residents: int = 40) -> None:
        super().__init__()
        self.db_path, self.tasks, self.demo, self.username = db_path, tasks, demo, username
        self.kdf, self.residents = kdf, residents  # tests pass a fast KDF and fewer residents
        self.window: QWidget | None = None
        self.ctx: AppContext | None = None

    def start(self) -> None:
        from keyworker.unit_files import recover_interrupted_restore

        # A restore killed part-way could leave no file at the unit's name: settle it before
        # deciding between setup and login.
        recover_interrupted_restore(self.db_path)
        exists = self.db_path.exists() and vault_path_for(self.db_path).exists()
        if self.demo and not exists:
            self.create_demo()
        elif exists:
            self.show_login()
        else:
            self.show_setup()

    def _replace(self, window: QWidget) -> None:
        old, self.window = self.window, window
        screen = QApplication.primaryScreen()
        if screen is not None and not isinstance(window, QMainWindow):
            frame = window.frameGeometry()
            frame.moveCenter(screen.availableGeometry().center())
            window.move(frame.topLeft())
        window.show()
        window.raise_()
        window.activateWindow()
        if old is not None:
            old.close()
            old.deleteLater()

    def show_setup(self) -> None:
        from ui.setup_window import SetupWindow

        w = SetupWindow(self.db_path, self.tasks, **({"kdf": self.kdf} if self.kdf else {}))
        w.finished.connect(lambda book: self.open_main(book, False))
        w.joined.connect(self.show_joined)
        self._replace(w)

    def show_joined(self, path: Path) -> None:
        """This laptop joined a unit through its hub: sign in to the new file."""
        self.db_path = Path(path)
        self.show_login()

    def show_login(self) -> None:
        from ui.login import LoginWindow

        hint = demo_hint() if self.demo else ""
        user = self.username or ("worker" if self.demo else "")
        w = LoginWindow(self.db_path, self.tasks, username=user, hint=hint,
                        unit_label="Demo unit" if self.demo else "")
        w.signed_in.connect(self.open_main)
        self._replace(w)
        # Import the pages while the person types their password, not after they press Enter.
        QTimer.singleShot(100, self._preload_pages)

    def _preload_pages(self) -> None:
        from ui.main_window import load_feature_modules

        try:
            load_feature_modules()
        except Exception as exc:  # noqa: BLE001 - reported again, properly, when the main window opens
            log.warning("page modules could not be preloaded: %s", type(exc).__name__)

    def create_demo(self) -> None:
        from keyworker.demo import DEMO_PASSWORD, create_demo

        dlg = QProgressDialog(f"Creating the demo unit with {self.residents} made-up residents…", "", 0, 0)
        dlg.setWindowTitle("Keyworker — demo unit")
        dlg.setCancelButton(None)
        dlg.setMinimumDuration(0)
        dlg.setAutoClose(False)
        dlg.setWindowModality(Qt.WindowModality.ApplicationModal)
        dlg.setAccessibleName("Creating the demo unit")
        dlg.setMinimumWidth(dlg.fontMetrics().averageCharWidth() * 60)
        progress = _Progress(dlg)
        progress.step.connect(lambda done, total: (dlg.setMaximum(total), dlg.setValue(done)))
        self._replace(dlg)
        path, pw = self.db_path, os.environ.get("KEYWORKER_PASSWORD") or DEMO_PASSWORD
        kdf, residents = self.kdf, self.residents

        def work() -> None:
            create_demo(path, residents=residents, seed=7, pw=pw, kdf=kdf,
                        progress=lambda d, t: progress.step.emit(d, t))

        def failed(exc: BaseException) -> None:
            # create_demo leaves nothing at `path` when it fails, and never removes what was there.
            show_error(None, exc)
            self.window = None
            dlg.close()

        self.tasks.run(work, lambda _r: self.show_login(), failed)

    def open_main(self, book: Casebook, must_change: bool) -> None:
        from ui.main_window import MainWindow

        self.ctx = AppContext(book, self.tasks)
        main = MainWindow(self.ctx)
        unit = self.ctx
        self.tasks.run(lambda: book.settings.get("unit_name"), lambda name: main.set_unit_name(name or ""),
                       lambda _e: None)
        self._replace(main)
        if must_change and not self.demo:
            from ui.admin.password_dialog import ChangePasswordDialog

            ChangePasswordDialog.run(unit, main, forced=True)

    def shutdown(self) -> None:
        self.tasks.shutdown(wait=True)
        if self.ctx is not None:
            self.ctx.book.close()


def db_path_for(args: argparse.Namespace) -> Path:
    from keyworker.device import default_db_path, demo_db_path

    if getattr(args, "db", None):
        return Path(args.db)
    return demo_db_path() if getattr(args, "demo", False) else default_db_path()


def run_app(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    configure_logging()
    app = make_application()
    install_excepthook()
    controller = AppController(db_path_for(args), TaskRunner(), demo=bool(getattr(args, "demo", False)),
                               username=getattr(args, "user", None) or "")
    try:
        controller.start()
    except Exception as exc:  # noqa: BLE001 - never a traceback at start-up
        show_error(None, exc)
    if os.environ.get("KEYWORKER_TIMING"):
        print(f"first window after {time.perf_counter() - started:.3f} s", file=sys.stderr)
    app.setQuitOnLastWindowClosed(True)
    code = app.exec()
    controller.shutdown()
    return code

