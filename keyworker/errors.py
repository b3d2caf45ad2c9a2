"""Typed errors of the domain core. The UI and CLI show `str(error)` to the user as it is,
so every message is written for a person, names the field or file, and contains no health data."""
from __future__ import annotations


class KeyworkerError(Exception):
    """Base of every error the core raises on purpose."""


class ValidationError(KeyworkerError):
    """One or more fields are invalid. `fields` maps a field name to its message."""

    def __init__(self, fields: dict[str, str] | str, message: str | None = None) -> None:
        if isinstance(fields, str):
            fields = {"": fields}
        self.fields: dict[str, str] = dict(fields)
        if message is None:
            message = "; ".join(f"{k}: {v}" if k else v for k, v in self.fields.items())
        super().__init__(message)


class PermissionDenied(KeyworkerError):
    def __init__(self, role: str, permission: str) -> None:
        self.role = role
        self.permission = permission
        super().__init__(f"Your role ({role.replace('_', ' ')}) is not allowed to {permission.replace('_', ' ')}.")


class NotFound(KeyworkerError):
    pass


class AuthenticationFailed(KeyworkerError):
    """Wrong user name or password. Deliberately does not say which."""

    def __init__(self) -> None:
        super().__init__("The user name or password is not correct.")


class SignInThrottled(KeyworkerError):
    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        super().__init__(
            f"Too many failed sign-ins for this user. Try again in {seconds} second{'s' if seconds != 1 else ''}."
        )


class AccountDisabled(KeyworkerError):
    def __init__(self) -> None:
        super().__init__("This account is disabled. Ask an administrator to re-enable it.")


class UnitLocked(KeyworkerError):
    def __init__(self) -> None:
        super().__init__("The unit is locked. Sign in again to continue.")


class VaultError(KeyworkerError):
    """The key vault beside the database is missing, unreadable or does not match it."""


class DatabaseError(KeyworkerError):
    """The unit database cannot be opened or read (missing, corrupt, not a Keyworker database)."""


class StorageError(KeyworkerError):
    """Writing to disk failed: full disk, read-only folder. Nothing was changed."""


class BackupError(KeyworkerError):
    pass


class ImportFileError(KeyworkerError):
    """A file to import cannot be read at all (as opposed to individual invalid rows)."""
