"""Roles and what each may do. Services call `require()`; hiding a button is only a courtesy."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from keyworker.errors import PermissionDenied


class Role(StrEnum):
    KEY_WORKER = "key_worker"
    SENIOR = "senior"
    OUT_OF_HOURS = "out_of_hours"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.KEY_WORKER: "Key worker",
    Role.SENIOR: "Senior (manager)",
    Role.OUT_OF_HOURS: "Out-of-hours",
    Role.ADMIN: "Administrator",
}


class Permission(StrEnum):
    MANAGE_ACCOUNTS = "manage_accounts"
    VIEW_AUDIT = "view_audit"
    BACKUP = "back_up_or_restore"
    IMPORT = "import_residents"
    VIEW_RESIDENTS = "view_residents"
    EDIT_RESIDENTS = "edit_residents"
    RECORD_REFERRALS = "record_referrals"
    DECIDE_REFERRALS = "accept_or_decline_referrals"
    ADMIT = "admit_residents"
    EDIT_CARE_PLANS = "edit_care_plans"
    RECORD_REVIEWS = "record_reviews"
    VIEW_REPORTS = "view_reports"


_CLINICAL = {
    Permission.VIEW_RESIDENTS,
    Permission.EDIT_RESIDENTS,
    Permission.RECORD_REFERRALS,
    Permission.ADMIT,
    Permission.EDIT_CARE_PLANS,
    Permission.RECORD_REVIEWS,
}

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.KEY_WORKER: frozenset(_CLINICAL),
    # Accepting or declining a referral is a managerial decision (contract 4.1.2.3).
    Role.SENIOR: frozenset(_CLINICAL | {Permission.DECIDE_REFERRALS, Permission.VIEW_REPORTS,
                                        Permission.VIEW_AUDIT, Permission.IMPORT}),
    # Nights: read the record and act on it (unplanned discharge comes later), not rewrite plans.
    Role.OUT_OF_HOURS: frozenset({Permission.VIEW_RESIDENTS, Permission.RECORD_REVIEWS}),
    # The administrator runs the system; clinical editing is for clinical roles.
    Role.ADMIN: frozenset({Permission.MANAGE_ACCOUNTS, Permission.VIEW_AUDIT, Permission.BACKUP,
                           Permission.IMPORT, Permission.VIEW_RESIDENTS, Permission.VIEW_REPORTS}),
}


@dataclass(frozen=True)
class Actor:
    """Who is signed in. Passed to services; never a live ORM object."""

    id: str
    username: str
    full_name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(self.role.value, permission.value)
