"""Add a staff account: name, user name, role, job title, optional email, and a first password with
strength feedback. The person is asked to choose their own password when they first sign in.
`JobTitleDialog` changes the job title printed under an account's signature on letters."""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWidget

from keyworker.security.accounts import MAX_JOB_TITLE, AccountInfo
from keyworker.security.permissions import ROLE_LABELS, Role
from ui.context import AppContext
from ui.setup_window import suggest_username
from ui.widgets.form import TaskDialog, add_row
from ui.widgets.password import NewPasswordFields

ROLE_HELP = {
    Role.KEY_WORKER: "Records referrals, care plans and reviews for residents.",
    Role.SENIOR: ("Everything a key worker does, plus referral decisions, who is whose key worker, "
                  "reports and the audit trail."),
    Role.OUT_OF_HOURS: "Reads residents' records at night and weekends; does not edit them or hold reviews.",
    Role.ADMIN: "Runs the system: accounts, backups, imports, audit, reports. Does not read clinical records.",
}


class AddAccountDialog(TaskDialog):
    area = "accounts"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Add account", parent, ok_text="&Add account")
        self.setObjectName("addAccountDialog")
        self._username_edited = False
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("fullName")
        self.name_edit.setMaxLength(200)
        self.user_edit = QLineEdit()
        self.user_edit.setObjectName("userName")
        self.user_edit.setMaxLength(32)
        self.role_combo = QComboBox()
        self.role_combo.setObjectName("role")
        for role in Role:
            self.role_combo.addItem(ROLE_LABELS[role], role.value)
        self.role_help = QLabel()
        self.role_help.setObjectName("muted")
        self.role_help.setWordWrap(True)
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("jobTitle")
        self.title_edit.setMaxLength(MAX_JOB_TITLE)
        self.title_edit.setPlaceholderText("as printed under their signature, e.g. Recovery Worker")
        self.email_edit = QLineEdit()
        self.email_edit.setObjectName("email")
        self.email_edit.setPlaceholderText("optional")
        self.password = NewPasswordFields(lambda: [self.user_edit.text(), *self.name_edit.text().split()])
        add_row(self.form, "&Full name", self.name_edit)
        add_row(self.form, "&User name", self.user_edit)
        add_row(self.form, "&Role", self.role_combo)
        self.form.addRow("", self.role_help)
        add_row(self.form, "&Job title", self.title_edit)
        add_row(self.form, "&Email", self.email_edit)
        add_row(self.form, "First &password", self.password.password, "First password")
        self.form.addRow("", self.password.meter)
        add_row(self.form, "Re&peat password", self.password.confirm, "Repeat the first password")
        note = QLabel("They will be asked to choose their own password when they first sign in.")
        note.setObjectName("muted")
        note.setWordWrap(True)
        self.body.insertWidget(1, note)
        self.name_edit.textEdited.connect(self._name_edited)
        self.user_edit.textEdited.connect(lambda _t: setattr(self, "_username_edited", True))
        self.role_combo.currentIndexChanged.connect(self._role_changed)
        self._role_changed()
        self.setMinimumWidth(480)
        self.name_edit.setFocus()

    def _name_edited(self, text: str) -> None:
        if not self._username_edited:
            self.user_edit.setText(suggest_username(text))

    def _role_changed(self) -> None:
        self.role_help.setText(ROLE_HELP[Role(self.role_combo.currentData())])

    def check(self) -> str | None:
        if not self.name_edit.text().strip():
            return "Enter the person's full name."
        if not self.user_edit.text().strip():
            return "Enter a user name."
        return self.password.problem()

    def work(self) -> Any:
        book = self.ctx.book
        args = (self.user_edit.text().strip(), self.name_edit.text().strip(), Role(self.role_combo.currentData()),
                self.password.value(), self.email_edit.text().strip() or None)
        return book.accounts.create(*args, job_title=self.title_edit.text().strip() or None)


class JobTitleDialog(TaskDialog):
    """The title printed under this person's name on the letters they sign."""

    area = "accounts"

    def __init__(self, ctx: AppContext, account: AccountInfo, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Job title", parent, ok_text="&Save")
        self.setObjectName("jobTitleDialog")
        self.account = account
        self.title_edit = QLineEdit(account.job_title or "")
        self.title_edit.setObjectName("jobTitle")
        self.title_edit.setMaxLength(MAX_JOB_TITLE)
        add_row(self.form, f"&Job title of {account.full_name}", self.title_edit, "Job title")
        note = QLabel("Printed under their name when they sign a letter. Leave blank for none.")
        note.setObjectName("muted")
        note.setWordWrap(True)
        self.body.insertWidget(1, note)
        self.setMinimumWidth(420)
        self.title_edit.setFocus()

    def work(self) -> Any:
        return self.ctx.book.accounts.set_job_title(self.account.id, self.title_edit.text().strip() or None)
