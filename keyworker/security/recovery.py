"""What the unit's recovery key opens: a session that can do one thing, set a new password for
an active administrator (who then signs in normally and is asked to change it again). It is not
a Casebook: nothing else of the unit, not even a read, is reachable through it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from keyworker.errors import PermissionDenied
from keyworker.security.permissions import Actor, Permission, Role

if TYPE_CHECKING:
    from keyworker.casebook import Casebook
    from keyworker.security.accounts import AccountInfo

ROLE_NAME = "recovery key"


@dataclass(frozen=True)
class RecoveryActor(Actor):
    """Who the audit trail names for a recovery-key session. Holds no permission at all."""

    def can(self, permission: Permission) -> bool:
        return False

    def require(self, permission: Permission) -> None:
        raise PermissionDenied(ROLE_NAME, permission.value)


RECOVERY_ACTOR = RecoveryActor("recovery", "recovery", "Recovery key", Role.ADMIN)


class RecoverySession:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def administrators(self) -> list[AccountInfo]:
        """The active administrators (names only matter: whose password to reset)."""
        from keyworker.security.accounts import list_accounts

        return [a for a in list_accounts(self._book, include_disabled=False) if a.role == Role.ADMIN]

    def reset_password(self, account_id: str, new_password: str) -> AccountInfo:
        if account_id not in {a.id for a in self.administrators()}:
            raise PermissionDenied(ROLE_NAME, "reset_the_password_of_anyone_but_an_active_administrator")
        return self._book.accounts._reset_password(account_id, new_password)

    def close(self) -> None:
        self._book.close()
