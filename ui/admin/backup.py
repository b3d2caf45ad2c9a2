"""Administration → Backup (who may back up: the administrator): "Back up now" asks where, suggests
a name with the unit and the date, makes the encrypted backup off the UI thread with a moving bar,
then says where it went, how big it is and when. The core writes it owner-only (0600) and audits
it; `main.py backup --out FILE` does the same from the command line."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_datetime, local_today, to_local
from keyworker.errors import PermissionDenied
from keyworker.security.audit_service import LastBackup
from keyworker.security.permissions import Permission
from ui.context import AppContext
from ui.errors import show_error

EXPLAINED = ("A backup is one file holding the whole unit, encrypted: it opens only with a staff "
             "password or the unit's recovery key. Keep backups off this laptop, on an encrypted drive "
             "or the provider's secure storage, so a lost or broken laptop loses nothing.")
FOLDER_SETTING = "admin/backup_folder"


def human_size(n: float) -> str:
    for unit in ("bytes", "KB", "MB"):
        if n < 1024:
            return f"{int(n)} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def suggested_name(unit_name: str, when: datetime) -> str:
    """'ribble-house-2026-12-02.kwbackup': the unit and the day, as a file manager sorts them."""
    slug = re.sub(r"[^a-z0-9]+", "-", unit_name.lower()).strip("-")[:40].strip("-") or "keyworker-unit"
    return f"{slug}-{when:%Y-%m-%d}.kwbackup"


class BackupTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.busy = False
        self.last_backup: Path | None = None
        # The save-file dialog is an attribute so tests can answer it without a blocking dialog.
        self.choose_path: Callable[[QWidget, str], str | None] = _choose_backup_path
        self.setObjectName("backupTab")
        self.setAccessibleName("Backup")

        box = QGroupBox("Back up the unit")
        bl = QVBoxLayout(box)
        text = QLabel(EXPLAINED)
        text.setWordWrap(True)
        self.button = QPushButton("&Back up now…")
        self.button.setObjectName("primary")
        self.button.setAccessibleName("Back up now")
        self.button.clicked.connect(self.back_up_now)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # SQLCipher's export says nothing until done: a moving bar
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Backing up")
        self.progress.setMaximumWidth(240)
        self.progress.hide()
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addWidget(self.progress)
        row.addStretch(1)
        self.status = QLabel("")
        self.status.setObjectName("backupStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setAccessibleName("Backup status")
        self.last = QLabel("")
        self.last.setObjectName("lastBackup")
        self.last.setWordWrap(True)
        self.last.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.last.setAccessibleName("Last backup")
        bl.addWidget(text)
        bl.addWidget(self.last)
        bl.addLayout(row)
        bl.addWidget(self.status)
        restore = QLabel("To restore a backup, close Keyworker on every computer that has the unit open, then "
                         "run main.py restore --from FILE (see the README).")
        restore.setObjectName("muted")
        restore.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(box)
        lay.addWidget(restore)
        lay.addStretch(1)
        self.setFocusProxy(self.button)
        ctx.state.actor_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Say when the unit was last backed up (and by whom), or that it never was."""
        book = self.ctx.book
        if self.ctx.locked_now() or not book.actor.can(Permission.BACKUP):
            self.last.setText("")
            return
        self.ctx.tasks.run(book.audit.last_backup, self._show_last, lambda e: show_error(self, e))

    def _show_last(self, last: LastBackup | None) -> None:
        if last is None:
            self.last.setText("This unit has not been backed up yet.")
            return
        days = (local_today(self.ctx.book.clock) - to_local(last.at).date()).days
        ago = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
        self.last.setText(f"Last backup: {format_datetime(last.at)} ({ago}) by {last.by}"
                          + (f", file {last.file}." if last.file else "."))

    def back_up_now(self) -> None:
        """Ask where (the unit's name and today's date suggested), then back up off the UI thread."""
        if self.busy or self.ctx.locked_now():
            return
        book = self.ctx.book
        if not book.actor.can(Permission.BACKUP):  # the core refuses too; say so before the file dialog
            show_error(self, PermissionDenied(book.actor.role.value, Permission.BACKUP.value))
            return
        self.ctx.tasks.run(lambda: book.reports.unit_name(), self._ask_where, lambda e: show_error(self, e))

    def _ask_where(self, unit_name: str) -> None:
        path = self.choose_path(self, suggested_name(unit_name, self.ctx.book.clock.now()))
        if not path:
            return
        target = Path(path)
        book = self.ctx.book

        def work() -> tuple[Path, int, datetime]:
            out = book.backup(target)
            return out, out.stat().st_size, book.clock.now()

        self._set_busy(True)
        self.status.setText(f"Backing up to {target}… A large unit takes a minute or two; you can keep working.")
        self.ctx.tasks.run(work, self._done, self._failed)

    def _done(self, result: tuple[Path, int, datetime]) -> None:
        out, size, when = result
        self._set_busy(False)
        self.last_backup = out
        QSettings().setValue(FOLDER_SETTING, str(out.parent))
        self.status.setText(f"Backed up at {format_datetime(when)} to {out} ({human_size(size)}). "
                            "Only you can open this file on this computer; copy it off this laptop.")
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.status.setText("The backup was not made. Nothing was changed.")
        show_error(self, exc)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.button.setEnabled(not busy)
        self.progress.setVisible(busy)


def _choose_backup_path(parent: QWidget, suggested: str) -> str | None:
    folder = QSettings().value(FOLDER_SETTING) or str(Path.home())
    # The core refuses to overwrite a backup (a new file every time), so the dialog does not offer to.
    path, _filter = QFileDialog.getSaveFileName(
        parent, "Back up the unit", str(Path(str(folder)) / suggested), "Keyworker backups (*.kwbackup)",
        options=QFileDialog.Option.DontConfirmOverwrite)
    if not path:
        return None
    return path if path.lower().endswith(".kwbackup") else path + ".kwbackup"
