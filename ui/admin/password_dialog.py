"""Password dialogs: change my own password (every role) and set a new password for an account
(an administrator's reset or re-enable, or after a recovery key)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QLabel, QWidget

from keyworker.security.accounts import AccountInfo
from ui.context import AppContext
from ui.widgets.form import TaskDialog, add_row
from ui.widgets.password import NewPasswordFields, PasswordEdit


class ChangePasswordDialog(TaskDialog):
    area = "accounts"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, forced: bool = False) -> None:
        super().__init__(ctx, "Change my password", parent, ok_text="&Change password")
        self.setObjectName("changePasswordDialog")
        actor = ctx.book.actor
        if forced:
            note = QLabel("Your password was set by an administrator. Choose your own before you continue.")
            note.setWordWrap(True)
            self.body.insertWidget(0, note)
        self.old = PasswordEdit()
        self.old.setObjectName("oldPassword")
        self.old.setAccessibleName("Current password")
        self.new = NewPasswordFields(lambda: [actor.username, *actor.full_name.split()])
        add_row(self.form, "&Current password", self.old)
        add_row(self.form, "&New password", self.new.password)
        self.form.addRow("", self.new.meter)
        add_row(self.form, "&Repeat new password", self.new.confirm)
        self.old.setFocus()

    def check(self) -> str | None:
        if not self.old.text():
            return "Enter your current password."
        return self.new.problem()

    def work(self) -> Any:
        old, new, book = self.old.text(), self.new.value(), self.ctx.book
        return book.accounts.change_own_password(old, new)

    def _done(self, result: Any) -> None:
        super()._done(result)
        from ui.errors import notify

        notify(self.parentWidget(), "Password changed", "Your password has been changed.")

    @classmethod
    def run(cls, ctx: AppContext, parent: QWidget | None = None, *, forced: bool = False) -> ChangePasswordDialog:
        dlg = cls(ctx, parent, forced=forced)
        dlg.open()
        return dlg


class SetPasswordDialog(TaskDialog):
    """Give an account a new password; `apply(account_id, password)` is the service call to make."""

    area = "accounts"

    def __init__(self, ctx: AppContext, account: AccountInfo, title: str,
                 apply: Callable[[str, str], Any], parent: QWidget | None = None, *, ok_text: str = "&Set password",
                 note: str = "") -> None:
        super().__init__(ctx, title, parent, ok_text=ok_text)
        self.setObjectName("setPasswordDialog")
        self.account = account
        self.apply = apply
        who = QLabel(f"<b>{_escape(account.full_name)}</b> ({_escape(account.username)})")
        who.setAccessibleName(f"Account {account.full_name}")
        self.body.insertWidget(0, who)
        if note:
            text = QLabel(note)
            text.setWordWrap(True)
            text.setObjectName("muted")
            self.body.insertWidget(1, text)
        self.new = NewPasswordFields(lambda: [account.username, *account.full_name.split()])
        add_row(self.form, "&New password", self.new.password)
        self.form.addRow("", self.new.meter)
        add_row(self.form, "&Repeat new password", self.new.confirm)
        self.new.password.setFocus()

    def check(self) -> str | None:
        return self.new.problem()

    def work(self) -> Any:
        account_id, pw, apply = self.account.id, self.new.value(), self.apply
        return apply(account_id, pw)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
