"""Staff accounts: add, disable, re-enable, reset and change passwords. Each change rewrites the
account's key slot in the vault and is audited in the same transaction."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyworker.db.foundation import Account
from keyworker.errors import NotFound, ValidationError
from keyworker.security.passwords import assess
from keyworker.security.permissions import Permission, Role
from keyworker.security.vault import ACCOUNT

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{2,31}$")


@dataclass(frozen=True)
class AccountInfo:
    id: str
    username: str
    full_name: str
    role: Role
    email: str | None
    disabled: bool
    must_change_password: bool
    last_sign_in_at: datetime | None
    job_title: str | None = None  # printed under the person's name when they sign a letter


MAX_JOB_TITLE = 100


def _info(a: Account) -> AccountInfo:
    return AccountInfo(a.id, a.username, a.full_name, Role(a.role), a.email, a.disabled,
                       a.must_change_password, a.last_sign_in_at, a.job_title)


def clean_job_title(title: str | None) -> str | None:
    """A job title as printed under a signature: one line, at most MAX_JOB_TITLE characters."""
    if title is None:
        return None
    if not isinstance(title, str):
        raise ValidationError({"job_title": "Job title must be text."})
    text = " ".join(title.split())
    if len(text) > MAX_JOB_TITLE:
        raise ValidationError({"job_title": f"Job title is too long ({MAX_JOB_TITLE} characters at most)."})
    if "\x00" in text:
        raise ValidationError({"job_title": "Job title contains a character that cannot be stored."})
    return text or None


def validate_password(password: str, username: str, full_name: str, field: str = "password") -> None:
    strength = assess(password, [username, *full_name.split()])
    if strength.problem:
        raise ValidationError({field: strength.problem})


def validate_new_account(username: str, full_name: str, role: str, password: str, existing: set[str]) -> None:
    errors: dict[str, str] = {}
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        errors["username"] = "3 to 32 characters: letters, digits, dot, dash or underscore, starting with a letter."
    elif name in existing:
        errors["username"] = f"The user name {name} is taken."
    if not full_name.strip():
        errors["full_name"] = "Enter the person's full name."
    elif len(full_name.strip()) > 200:
        errors["full_name"] = "The name is too long (200 characters at most)."
    if role not in {r.value for r in Role}:
        errors["role"] = "Choose a role."
    strength = assess(password, [name, *full_name.split()])
    if strength.problem:
        errors["password"] = strength.problem
    if errors:
        raise ValidationError(errors)


def list_accounts(book: Casebook, include_disabled: bool) -> list[AccountInfo]:
    with book._read() as s:
        q = select(Account).where(Account.archived.is_(False)).order_by(Account.full_name)
        if not include_disabled:
            q = q.where(Account.disabled.is_(False))
        return [_info(a) for a in s.scalars(q)]


class AccountService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def list(self, include_disabled: bool = True) -> list[AccountInfo]:
        """Everyone signed in may see who the staff are (to pick a key worker); only admins change them."""
        if self._book.actor.id == "recovery":  # the recovery key reaches accounts only via RecoverySession
            self._book.require(Permission.MANAGE_ACCOUNTS)
        return list_accounts(self._book, include_disabled)

    def get(self, account_id: str) -> AccountInfo:
        # Open: the same staff details as list().
        with self._book._read() as s:
            return _info(self._load(s, account_id))

    def create(self, username: str, full_name: str, role: Role | str, password: str,
               email: str | None = None, job_title: str | None = None) -> AccountInfo:
        self._book.require(Permission.MANAGE_ACCOUNTS)
        role = Role(role) if role in {r.value for r in Role} else role
        title = clean_job_title(job_title)
        with self._book._write() as s:
            existing = set(s.scalars(select(Account.username)))
            validate_new_account(username, full_name, str(role), password, existing)
            acct = Account(username=username.strip().lower(), full_name=full_name.strip(), role=str(role),
                           email=(email or "").strip() or None, job_title=title, disabled=False,
                           must_change_password=True)
            s.add(acct)
            s.flush()
            self._book._record(s, "account.create", "account", acct.id,
                              detail={"username": acct.username, "role": acct.role})
            self._book._wrap_key_for(ACCOUNT, acct.username, password, session=s)
            return _info(acct)

    def set_role(self, account_id: str, role: Role) -> AccountInfo:
        self._book.require(Permission.MANAGE_ACCOUNTS)
        with self._book._write() as s:
            acct = self._load(s, account_id)
            if acct.role == Role.ADMIN and role != Role.ADMIN:
                self._ensure_other_admin(s, acct)
            old = acct.role
            acct.role = Role(role).value
            self._book._record(s, "account.role", "account", acct.id, detail={"from": old, "to": acct.role})
            return _info(acct)

    def set_job_title(self, account_id: str, title: str | None) -> AccountInfo:
        """The title printed under this person's name on the letters they sign; blank clears it."""
        self._book.require(Permission.MANAGE_ACCOUNTS)
        cleaned = clean_job_title(title)
        with self._book._write() as s:
            acct = self._load(s, account_id)
            if acct.job_title != cleaned:
                acct.job_title = cleaned
                self._book._record(s, "account.job_title", "account", acct.id, detail={"job_title": cleaned})
            return _info(acct)

    def disable(self, account_id: str) -> AccountInfo:
        """Disabled accounts lose their key slot, so the password no longer opens the database."""
        self._book.require(Permission.MANAGE_ACCOUNTS)
        with self._book._write() as s:
            acct = self._load(s, account_id)
            if acct.id == self._book.actor.id:
                raise ValidationError("You cannot disable your own account.")
            if acct.role == Role.ADMIN:
                self._ensure_other_admin(s, acct)
            acct.disabled = True
            self._book._record(s, "account.disable", "account", acct.id, detail={"username": acct.username})
            self._book._remove_key_for(ACCOUNT, acct.username)
            return _info(acct)

    def enable(self, account_id: str, new_password: str) -> AccountInfo:
        """Re-enabling needs a new password: the old slot was removed when the account was disabled."""
        self._book.require(Permission.MANAGE_ACCOUNTS)
        with self._book._write() as s:
            acct = self._load(s, account_id)
            validate_password(new_password, acct.username, acct.full_name)
            acct.disabled = False
            acct.must_change_password = True
            self._book._record(s, "account.enable", "account", acct.id, detail={"username": acct.username})
            self._book._wrap_key_for(ACCOUNT, acct.username, new_password, session=s)
            return _info(acct)

    def reset_password(self, account_id: str, new_password: str) -> AccountInfo:
        self._book.require(Permission.MANAGE_ACCOUNTS)
        return self._reset_password(account_id, new_password)

    def _reset_password(self, account_id: str, new_password: str) -> AccountInfo:
        """Also used by a RecoverySession, which checks who may be reset."""
        with self._book._write() as s:
            acct = self._load(s, account_id)
            if acct.disabled:
                raise ValidationError("This account is disabled: enable it with a new password instead.")
            validate_password(new_password, acct.username, acct.full_name)
            acct.must_change_password = acct.id != self._book.actor.id
            self._book._record(s, "account.reset_password", "account", acct.id, detail={"username": acct.username})
            self._book._wrap_key_for(ACCOUNT, acct.username, new_password, session=s)
            return _info(acct)

    def change_own_password(self, old_password: str, new_password: str) -> None:
        """Any signed-in user. Re-wraps only this user's slot."""
        actor = self._book.actor
        if old_password == new_password:
            raise ValidationError({"new_password": "The new password must differ from the old one."})
        validate_password(new_password, actor.username, actor.full_name, "new_password")
        self._book.verify_password(old_password)
        with self._book._write() as s:
            acct = self._load(s, actor.id)
            acct.must_change_password = False
            self._book._record(s, "account.change_password", "account", acct.id)
            self._book._wrap_key_for(ACCOUNT, acct.username, new_password, session=s)

    def remove(self, account_id: str) -> None:
        """Archive the account (never deleted: the audit trail names it) and remove its key slot."""
        self._book.require(Permission.MANAGE_ACCOUNTS)
        with self._book._write() as s:
            acct = self._load(s, account_id)
            if acct.id == self._book.actor.id:
                raise ValidationError("You cannot remove your own account.")
            if acct.role == Role.ADMIN:
                self._ensure_other_admin(s, acct)
            acct.archived = True
            acct.disabled = True
            self._book._record(s, "account.remove", "account", acct.id, detail={"username": acct.username})
            self._book._remove_key_for(ACCOUNT, acct.username)

    def counts(self, s: Session) -> dict[str, Any]:
        # Open, as every service's counts(): numbers only, for `check`, inside the book's own session.
        from keyworker.security.vault_repair import accounts_without_slot

        rows = s.execute(
            select(Account.role, Account.disabled, func.count()).where(Account.archived.is_(False))
            .group_by(Account.role, Account.disabled)
        ).all()
        by_role = {r.value: 0 for r in Role}
        active = disabled = 0
        for role, is_disabled, n in rows:
            if is_disabled:
                disabled += n
            else:
                active += n
                by_role[role] = by_role.get(role, 0) + n
        return {"accounts": {"active": active, "disabled": disabled, "by_role": by_role,
                             "without_key_slot": accounts_without_slot(self._book._vault, s)}}

    # -- helpers -----------------------------------------------------------------------------
    def _load(self, s: Session, account_id: str) -> Account:
        acct = s.get(Account, account_id)
        if acct is None or acct.archived:
            raise NotFound("That account does not exist.")
        return acct

    def _ensure_other_admin(self, s: Session, acct: Account) -> None:
        others = s.scalar(
            select(func.count()).select_from(Account).where(
                Account.role == Role.ADMIN.value, Account.disabled.is_(False), Account.archived.is_(False),
                Account.id != acct.id)
        )
        if not others:
            raise ValidationError("The unit must keep at least one active administrator.")
