"""First steps for a new unit: what its first administrator (or a senior) does before the unit can
work: add staff, set the unit profile that letters print, bring in the caseload, record a referral.
Each is "done" once the database shows it; the Today page lists those not done yet.

Whether a unit has residents or referrals at all is not a read of anyone's record (no names, no
counts leave this module), so it writes no audit entry."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import exists, select

from keyworker.db.caseload import Referral, Resident
from keyworker.db.foundation import Account
from keyworker.input_types import typed_inputs
from keyworker.security.permissions import Permission, Role
from keyworker.unit_profile import read_profile

if TYPE_CHECKING:
    from keyworker.casebook import Casebook


@dataclass(frozen=True)
class FirstSteps:
    staff_added: bool  # an account for someone who is not an administrator
    profile_set: bool  # the unit profile has everything a letter needs
    caseload_started: bool  # residents imported (or admitted)
    referral_recorded: bool

    @property
    def all_done(self) -> bool:
        return self.staff_added and self.profile_set and self.caseload_started and self.referral_recorded


class FirstStepsService:
    """`book.first_steps`."""

    def __init__(self, book: Casebook) -> None:
        self._book = book

    @typed_inputs(requires=Permission.EDIT_UNIT_PROFILE)
    def status(self) -> FirstSteps:
        """Which first steps this unit has taken (for those who set a unit up: administrators, seniors)."""
        with self._book._read() as s:
            staff = s.scalar(select(exists().where(Account.role != Role.ADMIN.value, Account.disabled.is_(False))))
            residents = s.scalar(select(exists().where(Resident.archived.is_(False))))
            referrals = s.scalar(select(exists().where(Referral.archived.is_(False))))
            profile = read_profile(s)
        return FirstSteps(bool(staff), not profile.missing(), bool(residents), bool(referrals))
