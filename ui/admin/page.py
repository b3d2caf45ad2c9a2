"""The Administration page: staff accounts (add, disable, re-enable, reset password, change role,
job title) and the unit's idle-lock setting for administrators; the Unit tab (the unit profile on
every letter, ui/admin/unit_profile.py) and the Audit trail (ui/admin/audit_trail.py) for
administrators and seniors; Backup (ui/admin/backup.py) for whoever may back up; Destinations
(ui/admin/destinations.py, where the outbox sends things) for administrators and seniors. The services
check again."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_datetime, local_today, to_local
from keyworker.security.accounts import AccountInfo
from keyworker.security.permissions import ROLE_LABELS, Permission, Role
from ui.admin.account_dialog import AddAccountDialog, JobTitleDialog
from ui.admin.audit_trail import AuditTrailTab
from ui.admin.backup import BackupTab
from ui.admin.destinations import DestinationsScreen
from ui.admin.password_dialog import SetPasswordDialog
from ui.admin.unit_profile import UnitProfileScreen
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets.tables import read_only_table

COLUMNS = ["Name", "User name", "Role", "Status", "Last signed in", "Job title"]
LAST_SIGNED_IN = COLUMNS.index("Last signed in")


class AdminPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.accounts: list[AccountInfo] = []
        self._idle_loaded: int | None = None
        self.setObjectName("adminPage")
        self.setAccessibleName("Administration")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(12)
        title = QLabel("Administration")
        title.setObjectName("pageTitle")
        lay.addWidget(title)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("adminTabs")
        self.tabs.setAccessibleName("Administration sections")
        lay.addWidget(self.tabs, 1)
        accounts_tab = QWidget()
        self.tabs.addTab(accounts_tab, "Staff &accounts")
        self.unit_screen = UnitProfileScreen(ctx)
        self.tabs.addTab(self.unit_screen, "&Unit")
        self.audit_tab = AuditTrailTab(ctx)
        self.tabs.addTab(self.audit_tab, "Aud&it trail")
        self.backup_tab = BackupTab(ctx)
        self.tabs.addTab(self.backup_tab, "Bac&kup")
        self.destinations_tab = DestinationsScreen(ctx)
        self.tabs.addTab(self.destinations_tab, "D&estinations")
        from ui.sync.laptops import LaptopsScreen  # the unit hub's laptops (issue 17)

        self.laptops_tab = LaptopsScreen(ctx)
        self.tabs.addTab(self.laptops_tab, "Laptops")  # every letter of it is taken on Staff accounts
        self.accounts_tab = accounts_tab
        lay = QVBoxLayout(accounts_tab)

        box = QGroupBox("Staff accounts")
        bl = QVBoxLayout(box)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("accountsTable")
        self.table.setAccessibleName("Staff accounts")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        read_only_table(self.table)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        bl.addWidget(self.table)
        row = QHBoxLayout()
        self.add_button = self._button("Add acc&ount…", self.add_account)
        self.reset_button = self._button("Reset &password…", self.reset_password)
        self.toggle_button = self._button("&Disable", self.toggle_disabled)
        self.role_button = self._button("Change &role…", self.change_role)
        self.title_button = self._button("Job &title…", self.change_job_title)
        for b in (self.add_button, self.reset_button, self.toggle_button, self.role_button, self.title_button):
            row.addWidget(b)
        row.addStretch(1)
        bl.addLayout(row)
        lay.addWidget(box, 1)

        lock_box = QGroupBox("Automatic lock")
        ll = QHBoxLayout(lock_box)
        self.idle_spin = QSpinBox()
        self.idle_spin.setObjectName("idleMinutes")
        self.idle_spin.setRange(1, 120)
        self.idle_spin.setSuffix(" minutes")
        self.idle_spin.setAccessibleName("Lock after this many idle minutes")
        label = QLabel("&Lock Keyworker after")
        label.setBuddy(self.idle_spin)
        self.idle_save = self._button("&Save", self.save_idle_minutes)
        ll.addWidget(label)
        ll.addWidget(self.idle_spin)
        ll.addWidget(QLabel("without keyboard or mouse use"))
        ll.addStretch(1)
        ll.addWidget(self.idle_save)
        lay.addWidget(lock_box)
        ctx.state.data_changed.connect(self._on_data_changed)
        ctx.state.actor_changed.connect(self._show_sections)
        # Unlocking is a sign-in: the same administrator's session starts again.
        ctx.state.locked_changed.connect(self._on_locked_changed)
        self._show_sections()

    def _show_sections(self) -> None:
        """Each tab for those it serves: seniors see Unit, Audit trail and Destinations; administrators all."""
        actor = self.ctx.book.actor
        for tab, permission in ((self.accounts_tab, Permission.MANAGE_ACCOUNTS),
                                (self.audit_tab, Permission.VIEW_AUDIT), (self.backup_tab, Permission.BACKUP),
                                (self.destinations_tab, Permission.MANAGE_DESTINATIONS),
                                (self.laptops_tab, Permission.MANAGE_LAPTOPS)):
            self.tabs.setTabVisible(self.tabs.indexOf(tab), actor.can(permission))
        if not self.tabs.isTabVisible(self.tabs.currentIndex()):
            self.tabs.setCurrentWidget(self.unit_screen)
        self.refresh()

    def show_backup(self) -> BackupTab:
        """The Backup tab, as File → Back up now opens it."""
        self.tabs.setCurrentWidget(self.backup_tab)
        return self.backup_tab

    def _button(self, text: str, slot) -> QPushButton:  # type: ignore[no-untyped-def]
        b = QPushButton(text)
        b.setAccessibleName(text.replace("&", "").rstrip("…"))
        b.clicked.connect(slot)
        return b

    def _on_locked_changed(self, locked: bool) -> None:
        if not locked:
            self.refresh()

    def _on_data_changed(self, area: str) -> None:
        if area == "accounts":
            self.refresh()

    def refresh(self) -> None:
        if self.ctx.state.locked or not self.ctx.book.actor.can(Permission.MANAGE_ACCOUNTS):
            return
        book = self.ctx.book
        self.ctx.tasks.run(lambda: (book.accounts.list(), book.settings.get("idle_lock_minutes")), self._show)

    def _show(self, result: tuple[list[AccountInfo], int]) -> None:
        accounts, minutes = result
        selected = self.selected()
        self.accounts = accounts
        self.table.setRowCount(len(accounts))
        for r, a in enumerate(accounts):
            cells = [a.full_name, a.username, ROLE_LABELS[a.role], "Disabled" if a.disabled else "Active",
                     self._last_signed_in(a), a.job_title or ""]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, a.id)
                if c == LAST_SIGNED_IN and a.id == self.ctx.book.actor.id and a.last_sign_in_at is not None:
                    item.setToolTip(f"You are signed in now; this session began {format_datetime(a.last_sign_in_at)}.")
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        if selected is not None:
            self.select(selected.id)
        # A refresh (after unlocking, say) keeps minutes typed but not yet saved.
        if self._idle_loaded is None or self.idle_spin.value() == self._idle_loaded:
            self.idle_spin.setValue(int(minutes))
        self._idle_loaded = int(minutes)
        self._update_buttons()

    def _last_signed_in(self, a: AccountInfo) -> str:
        """The signed-in administrator reads "Now" (their own session), not the time it began as if past."""
        if a.id == self.ctx.book.actor.id:
            if a.last_sign_in_at is None:
                return "Now"
            began = to_local(a.last_sign_in_at)
            same_day = began.date() == local_today(self.ctx.book.clock)
            return f"Now (since {began:%H:%M})" if same_day else f"Now (since {format_datetime(began)})"
        return format_datetime(a.last_sign_in_at) or "never"

    def select(self, account_id: str) -> None:
        for r, a in enumerate(self.accounts):
            if a.id == account_id:
                self.table.selectRow(r)

    def selected(self) -> AccountInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.accounts[rows[0].row()] if rows and rows[0].row() < len(self.accounts) else None

    def _update_buttons(self) -> None:
        a = self.selected()
        mine = a is not None and a.id == self.ctx.book.actor.id
        self.reset_button.setEnabled(a is not None and not a.disabled)
        self.toggle_button.setEnabled(a is not None and not mine)
        self.toggle_button.setText("&Enable…" if a is not None and a.disabled else "&Disable")
        self.toggle_button.setAccessibleName("Enable" if a is not None and a.disabled else "Disable")
        self.role_button.setEnabled(a is not None and not mine)
        self.title_button.setEnabled(a is not None)

    # -- actions ----------------------------------------------------------------------------------
    def _run(self, fn, area: str = "accounts") -> None:  # type: ignore[no-untyped-def]
        self.ctx.tasks.run(fn, lambda _r: self.ctx.state.data_changed.emit(area), lambda e: show_error(self, e))

    def add_account(self) -> AddAccountDialog:
        dlg = AddAccountDialog(self.ctx, self)
        dlg.accepted.connect(lambda: self.select(dlg.result_value.id) if dlg.result_value else None)
        dlg.open()
        return dlg

    def reset_password(self) -> SetPasswordDialog | None:
        a = self.selected()
        if a is None:
            return None
        dlg = SetPasswordDialog(self.ctx, a, "Reset password", self.ctx.book.accounts.reset_password, self,
                                note="Give this password to them in person. They choose their own "
                                     "when they next sign in.")
        dlg.open()
        return dlg

    def toggle_disabled(self) -> QWidget | None:
        a = self.selected()
        if a is None:
            return None
        if a.disabled:
            dlg = SetPasswordDialog(self.ctx, a, "Enable account", self.ctx.book.accounts.enable, self,
                                    ok_text="&Enable", note="A re-enabled account needs a new password.")
            dlg.open()
            return dlg
        box = QMessageBox(QMessageBox.Icon.Question, "Disable account",
                          f"Disable the account of {a.full_name} ({a.username})?\n\n"
                          "They will no longer be able to sign in. Their records and audit entries are kept.",
                          QMessageBox.StandardButton.Cancel, self)
        yes = box.addButton("Disable", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        book = self.ctx.book
        box.buttonClicked.connect(lambda b: self._run(lambda: book.accounts.disable(a.id)) if b is yes else None)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def change_role(self) -> None:
        a = self.selected()
        if a is None:
            return
        labels = [ROLE_LABELS[r] for r in Role]
        label, ok = QInputDialog.getItem(self, "Change role", f"Role for {a.full_name}:", labels,
                                         labels.index(ROLE_LABELS[a.role]), False)
        if ok:
            role = list(Role)[labels.index(label)]
            book = self.ctx.book
            self._run(lambda: book.accounts.set_role(a.id, role))

    def change_job_title(self) -> JobTitleDialog | None:
        a = self.selected()
        if a is None:
            return None
        dlg = JobTitleDialog(self.ctx, a, self)
        dlg.open()
        return dlg

    def confirm_close(self) -> bool:
        return self.unit_screen.confirm_close()

    def save_idle_minutes(self) -> None:
        minutes, book = self.idle_spin.value(), self.ctx.book
        self.ctx.tasks.run(lambda: book.settings.set("idle_lock_minutes", minutes),
                           lambda _r: self.ctx.state.data_changed.emit("settings"), lambda e: show_error(self, e))


def _register() -> None:
    from ui.main_window import register_page

    register_page("admin", "Administration", AdminPage, 80)


_register()
