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
    ASSIGN_KEY_WORKERS = "reassign_key_workers"
    RECORD_REFERRALS = "record_referrals"
    DECIDE_REFERRALS = "accept_or_decline_referrals"
    ADMIT = "admit_residents"
    EDIT_CARE_PLANS = "edit_care_plans"
    RECORD_REVIEWS = "record_reviews"
    VIEW_REPORTS = "view_reports"
    EDIT_UNIT_PROFILE = "edit_unit_profile"
    RECORD_RISK = "record_risk"
    RECORD_INCIDENTS = "record_incidents"
    RECORD_SAFEGUARDING = "record_safeguarding"
    VIEW_UNIT_INCIDENTS = "view_unit_incidents"
    RECORD_KEY_WORK = "record_key_work"
    WRITE_NOTES = "write_notes"
    SHARE_CARE_PLAN = "share_care_plan"
    MANAGE_DESTINATIONS = "manage_destinations"
    MANAGE_OUTBOX = "manage_outbox"
    VIEW_OUTBOX = "view_outbox"
    RECORD_UNPLANNED_DISCHARGE = "record_unplanned_discharge"
    CONFIRM_DISCHARGES = "confirm_discharges"
    MAKE_NDTMS_RETURN = "make_ndtms_return"
    # Issue 17, the unit hub (keyworker/sync/service.py).
    RESOLVE_SYNC_CONFLICTS = "resolve_sync_conflicts"
    MERGE_SYNC_RECORDS = "merge_sync_records"
    MANAGE_LAPTOPS = "manage_laptops"


# The table in words, with the reasons from a unit's work, is docs/PERMISSIONS.md; a test keeps
# the two in step (tests/unit/test_permissions_doc.py).
_CLINICAL = {
    Permission.VIEW_RESIDENTS,
    Permission.EDIT_RESIDENTS,
    Permission.RECORD_REFERRALS,
    Permission.ADMIT,
    Permission.EDIT_CARE_PLANS,
    Permission.RECORD_REVIEWS,
    Permission.RECORD_RISK,
    Permission.RECORD_INCIDENTS,
    Permission.RECORD_SAFEGUARDING,
    Permission.RECORD_KEY_WORK,
    Permission.WRITE_NOTES,
    Permission.SHARE_CARE_PLAN,
}

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.KEY_WORKER: frozenset(_CLINICAL | {Permission.VIEW_OUTBOX, Permission.RECORD_UNPLANNED_DISCHARGE,
                                            Permission.RESOLVE_SYNC_CONFLICTS}),
    # Accepting or declining a referral is a managerial decision (contract 4.1.2.3); so is moving
    # a resident to another key worker (caseload allocation).
    Role.SENIOR: frozenset(_CLINICAL | {Permission.DECIDE_REFERRALS, Permission.ASSIGN_KEY_WORKERS,
                                        Permission.VIEW_REPORTS, Permission.VIEW_AUDIT, Permission.IMPORT,
                                        Permission.EDIT_UNIT_PROFILE, Permission.VIEW_UNIT_INCIDENTS,
                                        Permission.VIEW_OUTBOX, Permission.MANAGE_OUTBOX,
                                        Permission.MANAGE_DESTINATIONS,
                                        Permission.RECORD_UNPLANNED_DISCHARGE, Permission.CONFIRM_DISCHARGES,
                                        Permission.MAKE_NDTMS_RETURN, Permission.RESOLVE_SYNC_CONFLICTS,
                                        Permission.MERGE_SYNC_RECORDS}),
    # Nights: read the record to act on it; the fortnightly review is a daytime meeting with the
    # key worker and the resident. They log what happens at night (incidents); safeguarding referrals
    # and MARAC are made by the key worker or a senior (notes and unplanned discharge: their areas).
    # They write case notes and log contacts at night too (the handover is theirs to write and read).
    # An unplanned discharge happens when it happens, often at night: they log it (4.1.7.12).
    Role.OUT_OF_HOURS: frozenset({Permission.VIEW_RESIDENTS, Permission.RECORD_INCIDENTS, Permission.WRITE_NOTES,
                                  Permission.RECORD_UNPLANNED_DISCHARGE}),
    # The administrator runs the system but does not read clinical records (Caldicott: need to know).
    Role.ADMIN: frozenset({Permission.MANAGE_ACCOUNTS, Permission.VIEW_AUDIT, Permission.BACKUP,
                           Permission.IMPORT, Permission.VIEW_REPORTS, Permission.EDIT_UNIT_PROFILE,
                           Permission.MANAGE_DESTINATIONS, Permission.MANAGE_LAPTOPS}),
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
