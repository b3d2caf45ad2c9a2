"""Opening, signing in, permissions and the audit chain on a real encrypted database."""
from __future__ import annotations

import pytest

from keyworker.casebook import Casebook
from keyworker.errors import AuthenticationFailed, PermissionDenied, ValidationError
from keyworker.security.permissions import Role
from keyworker.security.vault import FAST_KDF
from tests.conftest import STAFF_PW


def test_key_worker_cannot_call_admin_service(worker_book: Casebook) -> None:
    with pytest.raises(PermissionDenied):
        worker_book.accounts.create("newbie", "New Person", Role.KEY_WORKER, "Blue-Mountain-Cloud-91")


def test_wrong_password_fails_cleanly(db_path, clock) -> None:
    with pytest.raises(AuthenticationFailed, match="not correct"):
        Casebook.open(db_path, "worker", "Not-The-Password-1", clock=clock, kdf=FAST_KDF)
    # and the right one still works afterwards
    Casebook.open(db_path, "worker", STAFF_PW, clock=clock, kdf=FAST_KDF).close()


def test_account_changes_are_audited_in_chain(admin_book: Casebook) -> None:
    acct = admin_book.accounts.create("newbie", "New Person", Role.KEY_WORKER, "Blue-Mountain-Cloud-91")
    admin_book.accounts.disable(acct.id)
    actions = [r.action for r in admin_book.audit.recent(10)]
    assert actions[:2] == ["account.disable", "account.create"]
    assert admin_book.audit.verify().ok


def test_weak_password_refused_with_reason(admin_book: Casebook) -> None:
    with pytest.raises(ValidationError) as e:
        admin_book.accounts.create("newbie", "New Person", Role.KEY_WORKER, "short")
    assert "12 characters" in e.value.fields["password"]
